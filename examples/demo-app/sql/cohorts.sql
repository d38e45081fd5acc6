-- Monthly signup cohorts: customers of each cohort who ordered N months after signing up.
-- Parameter: number of cohort months to look back.
SELECT date_trunc('month', c.created_at) AS cohort,
       date_diff('month', date_trunc('month', c.created_at), date_trunc('month', o.created_at))
           AS month_offset,
       count(DISTINCT o.customer_id) AS active_customers
FROM customers c
JOIN orders o ON o.customer_id = c.id
WHERE c.created_at >= date_trunc('month', current_date) - to_months(CAST(? AS INTEGER))
GROUP BY cohort, month_offset
ORDER BY cohort, month_offset
LIMIT 2000;
