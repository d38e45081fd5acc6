-- Top 100 customers by spend over the last 90 days (weekly account-manager report).
SELECT c.id, c.email, c.region, sum(o.total_cents) AS spend_cents, count(*) AS orders
FROM orders o
JOIN customers c ON c.id = o.customer_id
WHERE o.status <> 'cancelled' AND o.created_at >= current_date - INTERVAL 90 DAY
GROUP BY c.id, c.email, c.region
ORDER BY spend_cents DESC
LIMIT 100;
