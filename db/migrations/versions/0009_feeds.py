"""source feeds: the feeds checked on a schedule, the editors' inbox, publishers' codes for
catalogue entries, WFP's own USD conversion of a figure, and the inbox's daily message

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 22:00:00
"""

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_String = sqlmodel.sql.sqltypes.AutoString
_Time = sqlmodel.sql.sqltypes.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "feed",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", _String(length=10), nullable=False),
        sa.Column("url", _String(length=1000), nullable=False),
        sa.Column("name", _String(length=120), nullable=False),
        sa.Column("every_seconds", sa.Integer(), nullable=False),
        sa.Column("paused", sa.Boolean(), nullable=False),
        sa.Column("status", _String(length=10), nullable=False),
        sa.Column("next_due_at", _Time(), nullable=False),
        sa.Column("last_checked_at", _Time(), nullable=True),
        sa.Column("last_changed_at", _Time(), nullable=True),
        sa.Column("etag", _String(length=200), nullable=True),
        sa.Column("last_modified", _String(length=100), nullable=True),
        sa.Column("content_sha256", _String(length=64), nullable=True),
        sa.Column("resource_url", _String(length=1000), nullable=True),
        sa.Column("cursor", _String(length=40), nullable=True),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("last_result", sa.JSON(), nullable=True),
        sa.Column("claimed_by", _String(length=64), nullable=True),
        sa.Column("claimed_at", _Time(), nullable=True),
        sa.Column("created_by", sa.BigInteger(), nullable=True),
        sa.Column("created_at", _Time(), nullable=False),
        sa.Column("updated_at", _Time(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("kind", "url", name="uq_feed_kind_url"),
    )
    with op.batch_alter_table("feed", schema=None) as batch_op:
        batch_op.create_index("ix_feed_due", ["paused", "next_due_at"], unique=False)
    op.create_table(
        "feeditem",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("feed_id", sa.Integer(), nullable=False),
        sa.Column("entry_key", _String(length=64), nullable=False),
        sa.Column("title", _String(length=300), nullable=False),
        sa.Column("url", _String(length=1000), nullable=True),
        sa.Column("published_at", _Time(), nullable=True),
        sa.Column("publisher", _String(length=120), nullable=True),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("found", sa.JSON(), nullable=False),
        sa.Column("figure_count", sa.Integer(), nullable=False),
        sa.Column("status", _String(length=10), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("decided_by", sa.BigInteger(), nullable=True),
        sa.Column("decided_at", _Time(), nullable=True),
        sa.Column("created_at", _Time(), nullable=False),
        sa.ForeignKeyConstraint(["feed_id"], ["feed.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("feed_id", "entry_key", name="uq_feeditem_entry"),
    )
    with op.batch_alter_table("feeditem", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_feeditem_feed_id"), ["feed_id"], unique=False)
        batch_op.create_index("ix_feeditem_status", ["status", "created_at"], unique=False)
    op.create_table(
        "sourcecode",
        sa.Column("system", _String(length=10), nullable=False),
        sa.Column("kind", _String(length=10), nullable=False),
        sa.Column("code", _String(length=300), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.Column("name", _String(length=200), nullable=False),
        sa.Column("created", sa.Boolean(), nullable=False),
        sa.Column("created_at", _Time(), nullable=False),
        sa.PrimaryKeyConstraint("system", "kind", "code"),
    )
    with op.batch_alter_table("sourcecode", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sourcecode_entity_id"), ["entity_id"], unique=False)
    with op.batch_alter_table("priceobservation", schema=None) as batch_op:
        batch_op.add_column(sa.Column("usd_price", sa.Float(), nullable=True))
    with op.batch_alter_table("chatuser", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("inbox_daily", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(sa.Column("inbox_sent_on", sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("chatuser", schema=None) as batch_op:
        batch_op.drop_column("inbox_sent_on")
        batch_op.drop_column("inbox_daily")
    with op.batch_alter_table("priceobservation", schema=None) as batch_op:
        batch_op.drop_column("usd_price")
    with op.batch_alter_table("sourcecode", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sourcecode_entity_id"))
    op.drop_table("sourcecode")
    with op.batch_alter_table("feeditem", schema=None) as batch_op:
        batch_op.drop_index("ix_feeditem_status")
        batch_op.drop_index(batch_op.f("ix_feeditem_feed_id"))
    op.drop_table("feeditem")
    with op.batch_alter_table("feed", schema=None) as batch_op:
        batch_op.drop_index("ix_feed_due")
    op.drop_table("feed")
