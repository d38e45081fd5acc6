-- Nightly finance export of yesterday's orders with their customer, for the accounting import.
-- cron: duckdb -readonly -csv data/warehouse.duckdb < sql/orders_export.sql > export.csv
SELECT *
FROM orders o
JOIN customers c ON c.id = o.customer_id
WHERE o.created_at >= current_date - INTERVAL 1 DAY
  AND o.created_at < current_date
ORDER BY o.id;
