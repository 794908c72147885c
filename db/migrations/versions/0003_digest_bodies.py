"""digest bodies shared by deliveries; delivery kind

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 19:50:00
"""

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "digestbody",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("parts", sa.JSON(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key"),
    )
    with op.batch_alter_table("digestbody", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_digestbody_created_at"), ["created_at"], unique=False)
    with op.batch_alter_table("digestdelivery", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "kind",
                sqlmodel.sql.sqltypes.AutoString(length=8),
                nullable=False,
                server_default="digest",
            )
        )
        batch_op.add_column(sa.Column("body_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            "fk_digestdelivery_body_id", "digestbody", ["body_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("digestdelivery", schema=None) as batch_op:
        batch_op.drop_constraint("fk_digestdelivery_body_id", type_="foreignkey")
        batch_op.drop_column("body_id")
        batch_op.drop_column("kind")
    with op.batch_alter_table("digestbody", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_digestbody_created_at"))
    op.drop_table("digestbody")
