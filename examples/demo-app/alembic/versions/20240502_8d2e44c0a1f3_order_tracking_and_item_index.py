"""orders.tracking_number, index order_items.order_id

Revision ID: 8d2e44c0a1f3
Revises: 3f1c2a9b7d10
Create Date: 2024-05-02 14:05:51.602114
"""

import sqlalchemy as sa
from alembic import op

revision = "8d2e44c0a1f3"
down_revision = "3f1c2a9b7d10"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("orders", sa.Column("tracking_number", sa.String(64), nullable=True))
    op.create_index("ix_order_items_order_id", "order_items", ["order_id"])


def downgrade() -> None:
    op.drop_index("ix_order_items_order_id", table_name="order_items")
    op.drop_column("orders", "tracking_number")
