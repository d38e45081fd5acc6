"""speed up event ingest: drop ix_events_order_id

Event ingest peaks at ~2k rows/s during sales and the dashboards read events through
the DuckDB warehouse, so the extra index on the OLTP table only costs writes.

Revision ID: c47b9e015d6a
Revises: 8d2e44c0a1f3
Create Date: 2024-07-19 08:31:02.940557
"""

from alembic import op

revision = "c47b9e015d6a"
down_revision = "8d2e44c0a1f3"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_events_order_id", table_name="events")


def downgrade() -> None:
    op.create_index("ix_events_order_id", "events", ["order_id"])
