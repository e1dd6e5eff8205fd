SET session_replication_role = replica;
INSERT INTO cases (id, reference, token_hash, entity_id, department_id, assignee_id, service_id, kind, status, channel, language, priority,
  description, answers, created_at, updated_at, sla_paused_micros, escalation_level, area_id)
SELECT g, 'TW-' || g, 'h', 1 + g % 5, CASE WHEN g % 50 = 0 THEN NULL ELSE 1 + g % 20 END, CASE WHEN g % 3 = 0 THEN NULL ELSE 1 + g % 40 END, 1 + g % 30,
  CASE WHEN g % 83 = 0 THEN 'compliment' WHEN g % 2 = 0 THEN 'report' ELSE 'complaint' END,
  CASE WHEN g % 33 = 0 THEN 'new' ELSE 'closed' END, 'web', CASE WHEN g % 7 = 0 THEN 'en' ELSE 'ar' END, 'normal',
  'x', '{}', 1670000000000000 + g * 94000000, 1670000000000000 + g * 94000000, 0, 0, NULL
FROM generate_series(1::bigint, 1000000::bigint) g;
ANALYZE cases;
