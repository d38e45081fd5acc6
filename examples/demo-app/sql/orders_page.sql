-- Back-office order browser, one page of 50 per status. Parameters: status, offset.
SELECT o.id, o.status, o.total_cents, o.created_at, c.email
FROM orders o
JOIN customers c ON c.id = o.customer_id
WHERE o.status = ?
ORDER BY o.created_at DESC, o.id DESC
LIMIT 50 OFFSET ?;
