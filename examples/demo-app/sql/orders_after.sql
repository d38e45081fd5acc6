-- A customer's orders, newest first, continuing after the last row of the previous page.
-- Parameters: customer_id, last created_at, last id.
SELECT o.id, o.status, o.total_cents, o.created_at
FROM orders o
WHERE o.customer_id = ?
  AND (o.created_at, o.id) < (?, ?)
ORDER BY o.created_at DESC, o.id DESC
LIMIT 50;
