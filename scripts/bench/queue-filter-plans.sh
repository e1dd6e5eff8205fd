#!/bin/bash
# EXPLAIN QUERY PLAN of the staff list's SQL for each new filter, newest first and by due time,
# without and with a period (the last 90 days of the store), for every entity and for one.
DB=$1
NOW=$(sqlite3 "$DB" "SELECT MAX(created_at) FROM cases")
FROM=$((NOW - 90*86400000000))
AREA=$(sqlite3 "$DB" "SELECT area_id FROM cases WHERE area_id IS NOT NULL GROUP BY area_id ORDER BY COUNT(*) DESC LIMIT 1")
DEPT=$(sqlite3 "$DB" "SELECT department_id FROM cases WHERE department_id IS NOT NULL AND entity_id = 1 LIMIT 1")
STAFF=$(sqlite3 "$DB" "SELECT assignee_id FROM cases WHERE assignee_id IS NOT NULL AND entity_id = 1 LIMIT 1")
SEL="SELECT c.id FROM cases c JOIN entities e ON e.id = c.entity_id JOIN services s ON s.id = c.service_id LEFT JOIN departments d ON d.id = c.department_id LEFT JOIN staff_users u ON u.id = c.assignee_id WHERE 1 = 1"
for scope in "" " AND c.entity_id = 1"; do
 for f in "c.department_id = $DEPT" "c.department_id IS NULL" "c.assignee_id = $STAFF" "c.assignee_id IS NULL" "c.kind = 'compliment'" "c.kind = 'escalation'" "c.area_id = ${AREA:-1}" "c.area_id IS NULL" "c.language = 'en'" "c.entity_id = 2"; do
  for period in "" " AND c.created_at >= $FROM AND c.created_at < $NOW"; do
   for order in "c.created_at DESC, c.id DESC" "c.due_key ASC, c.id ASC"; do
    echo "== scope[${scope}] filter[$f] period[${period:+90d}] order[$order]"
    sqlite3 "$DB" "EXPLAIN QUERY PLAN $SEL$scope AND $f$period ORDER BY $order LIMIT 26" | grep -E "SCAN|SEARCH|TEMP" | grep -vE "SEARCH (e|s|d|u) "
   done
  done
 done
done
