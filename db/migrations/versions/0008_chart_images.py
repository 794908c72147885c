"""chart images: each chart drawn once, its PNG and Telegram file_id kept by what it shows

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 19:00:00
"""

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "chartimage",
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("png", sa.LargeBinary(), nullable=False),
        sa.Column("file_id", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("used_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    with op.batch_alter_table("chartimage", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_chartimage_used_at"), ["used_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("chartimage", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_chartimage_used_at"))
    op.drop_table("chartimage")
