#!/bin/bash
# Times each filtered page (26 rows) three times with sqlite3's timer; "+" before a column
# keeps SQLite from reading an index on it (the plan before migration 0027).
DB=$1
NOW=$(sqlite3 "$DB" "SELECT MAX(created_at) FROM cases")
FROM=$((NOW - 90*86400000000))
SEL="SELECT c.id FROM cases c JOIN entities e ON e.id = c.entity_id JOIN services s ON s.id = c.service_id LEFT JOIN departments d ON d.id = c.department_id LEFT JOIN staff_users u ON u.id = c.assignee_id WHERE 1 = 1"
for col in "" "+"; do
 for f in "${col}c.kind = 'compliment'" "${col}c.area_id = 1" "${col}c.area_id IS NULL" "${col}c.language = 'en'"; do
  for period in "" " AND c.created_at >= $FROM AND c.created_at < $NOW"; do
   for order in "c.created_at DESC, c.id DESC" "c.due_key ASC, c.id ASC"; do
    t=$( (echo ".timer on"; for i in 1 2 3; do echo "$SEL AND $f$period ORDER BY $order LIMIT 26;"; done) | sqlite3 "$DB" | grep "^Run Time" | awk '{print $4}' | sort -n | sed -n 2p)
    echo "filter[$f] period[${period:+90d}] order[${order%%,*}] median_s=$t"
   done
  done
 done
done
