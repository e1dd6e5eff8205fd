#!/bin/bash
# EXPLAIN (ANALYZE) of the staff list's filters on PostgreSQL: the cases table alone.
P="psql -h 127.0.0.1 -U postgres -d $1 -At"
NOW=$($P -c "SELECT MAX(created_at) FROM cases")
FROM=$((NOW - 90*86400000000))
for scope in "" " AND c.entity_id = 1"; do
 for f in "c.kind = 'compliment'" "c.area_id = 1" "c.area_id IS NULL" "c.language = 'en'" "c.assignee_id IS NULL" "c.department_id IS NULL" "c.department_id = 2" "c.assignee_id = 3"; do
  for period in "" " AND c.created_at >= $FROM AND c.created_at < $NOW"; do
   for order in "c.created_at DESC, c.id DESC" "c.due_key ASC, c.id ASC"; do
    out=$($P -c "EXPLAIN (ANALYZE, COSTS OFF) SELECT c.id FROM cases c WHERE 1 = 1$scope AND $f$period ORDER BY $order LIMIT 26")
    plan=$(echo "$out" | grep -oE "(Index Scan( Backward)? using [a-z_]+|Seq Scan|Bitmap Index Scan on [a-z_]+|Sort)" | tr '\n' ',' )
    t=$(echo "$out" | grep "Execution Time" | awk '{print $3}')
    echo "scope[${scope:+entity}] $f period[${period:+90d}] ${order%%,*}: $plan ${t} ms"
   done
  done
 done
done
