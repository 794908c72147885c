"""conversations and the update inbox: conversation state any process reads (pending entries,
choices, guided forms, reviews), and the webhook's updates stored before they are answered

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 01:00:00
"""

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

_String = sqlmodel.sql.sqltypes.AutoString
_Time = sqlmodel.sql.sqltypes.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "conversation",
        sa.Column("token", _String(length=32), nullable=False),
        sa.Column("owner_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", _String(length=20), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("expires_at", _Time(), nullable=False),
        sa.Column("created_at", _Time(), nullable=False),
        sa.Column("updated_at", _Time(), nullable=False),
        sa.PrimaryKeyConstraint("token"),
    )
    with op.batch_alter_table("conversation", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_conversation_owner_id"), ["owner_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_conversation_expires_at"), ["expires_at"], unique=False
        )
    op.create_table(
        "updateinbox",
        sa.Column("update_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("chat_key", sa.BigInteger(), nullable=True),
        sa.Column("kind", _String(length=40), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("received_at", _Time(), nullable=False),
        sa.Column("done_at", _Time(), nullable=True),
        sa.Column("done_by", _String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("update_id"),
    )
    with op.batch_alter_table("updateinbox", schema=None) as batch_op:
        batch_op.create_index("ix_updateinbox_chat", ["chat_key", "update_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_updateinbox_received_at"), ["received_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_updateinbox_done_at"), ["done_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("updateinbox", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_updateinbox_done_at"))
        batch_op.drop_index(batch_op.f("ix_updateinbox_received_at"))
        batch_op.drop_index("ix_updateinbox_chat")
    op.drop_table("updateinbox")
    with op.batch_alter_table("conversation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_conversation_expires_at"))
        batch_op.drop_index(batch_op.f("ix_conversation_owner_id"))
    op.drop_table("conversation")
