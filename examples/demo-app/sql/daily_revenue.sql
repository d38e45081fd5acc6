-- Revenue per day over the last N days. Parameters: days, max rows.
SELECT CAST(o.created_at AS DATE) AS day,
       count(*) AS orders,
       sum(o.total_cents) AS revenue_cents
FROM orders o
WHERE o.status <> 'cancelled'
  AND o.created_at >= current_date - to_days(CAST(? AS INTEGER))
GROUP BY day
ORDER BY day
LIMIT ?;
