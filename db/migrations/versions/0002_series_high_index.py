"""index for a series' highest figure

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 17:55:00
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

COLUMNS = ["commodity_id", "market_id", "price_type", "currency", "unit", "source_name", "price_high"]


def upgrade() -> None:
    op.create_index("ix_price_series_high", "priceobservation", COLUMNS, unique=False)


def downgrade() -> None:
    op.drop_index("ix_price_series_high", table_name="priceobservation")
