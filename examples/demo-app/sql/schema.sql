-- DuckDB warehouse schema. Loaded nightly from the OLTP database by `make warehouse`;
-- the API opens it from app/analytics.py.

CREATE TABLE IF NOT EXISTS customers (
    id          BIGINT PRIMARY KEY,
    email       VARCHAR NOT NULL UNIQUE,
    name        VARCHAR NOT NULL,
    region      VARCHAR(8) NOT NULL,
    created_at  TIMESTAMP NOT NULL
);

CREATE TABLE IF NOT EXISTS products (
    id           BIGINT PRIMARY KEY,
    sku          VARCHAR NOT NULL UNIQUE,
    name         VARCHAR NOT NULL,
    category     VARCHAR NOT NULL,
    price_cents  INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS orders (
    id           BIGINT PRIMARY KEY,
    customer_id  BIGINT NOT NULL REFERENCES customers (id),
    status       VARCHAR(16) NOT NULL,
    currency     VARCHAR(3) NOT NULL,
    total_cents  BIGINT NOT NULL,
    created_at   TIMESTAMP NOT NULL
);

CREATE INDEX IF NOT EXISTS orders_customer_id_idx ON orders (customer_id);

CREATE TABLE IF NOT EXISTS order_items (
    id                BIGINT PRIMARY KEY,
    order_id          BIGINT NOT NULL REFERENCES orders (id),
    product_id        BIGINT NOT NULL REFERENCES products (id),
    quantity          INTEGER NOT NULL,
    unit_price_cents  INTEGER NOT NULL
);

CREATE INDEX IF NOT EXISTS order_items_order_id_idx ON order_items (order_id);

CREATE TABLE IF NOT EXISTS events (
    id           BIGINT PRIMARY KEY,
    customer_id  BIGINT NOT NULL REFERENCES customers (id),
    order_id     BIGINT,
    kind         VARCHAR NOT NULL,
    payload      JSON,
    created_at   TIMESTAMP NOT NULL
);

CREATE INDEX IF NOT EXISTS events_customer_id_idx ON events (customer_id);

CREATE TABLE IF NOT EXISTS fx_rates (
    day       DATE NOT NULL,
    currency  VARCHAR(3) NOT NULL,
    rate      DOUBLE NOT NULL,
    PRIMARY KEY (day, currency)
);

CREATE OR REPLACE VIEW customer_spend AS
SELECT c.id AS customer_id,
       c.email,
       coalesce(sum(o.total_cents), 0) AS total_spend_cents
FROM customers c
LEFT JOIN orders o ON o.customer_id = c.id AND o.status <> 'cancelled'
GROUP BY c.id, c.email;
