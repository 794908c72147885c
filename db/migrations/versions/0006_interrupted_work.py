"""interrupted work: a row per guided form, pending entry or chat import in progress

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-10 10:00:00
"""

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "unfinishedwork",
        sa.Column("token", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("owner_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=True),
        sa.Column("label", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("process", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("started_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("token"),
    )
    with op.batch_alter_table("unfinishedwork", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_unfinishedwork_owner_id"), ["owner_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("unfinishedwork", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_unfinishedwork_owner_id"))
    op.drop_table("unfinishedwork")
