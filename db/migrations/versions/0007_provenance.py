"""figures: where they were read (via, via_url), inferred dates, the order a report gives them

Stored figures whose notes told these facts in words (older files and the sample data) are
read once with `bot.domain.provenance.read_legacy`; their natural keys are computed again, so
loading the rewritten sample data adds nothing.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 18:00:00
"""

from typing import Any

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

from bot.domain.dates import PartialDate
from bot.domain.provenance import LegacyRow, read_legacy
from bot.domain.records import price_natural_key

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_TYPES: dict[str, Any] = {
    "observed_on": sa.Date(), "reported_on": sa.Date(), "sort_on": sa.Date(),
    "price_low": sa.Float(), "price_high": sa.Float(), "date_inferred": sa.Boolean(),
    "id": sa.Integer(), "commodity_id": sa.Integer(), "market_id": sa.Integer(),
    "report_order": sa.Integer(),
}  # fmt: skip
_PRICES = sa.table(
    "priceobservation",
    *(
        sa.column(name, _TYPES.get(name, sa.String()))
        for name in (
            "id",
            "commodity_id",
            "market_id",
            "observed_on",
            "observed_precision",
            "reported_on",
            "sort_on",
            "price_type",
            "currency",
            "unit",
            "grade",
            "price_low",
            "price_high",
            "source_name",
            "source_url",
            "note",
            "via",
            "via_url",
            "date_inferred",
            "report_order",
            "natural_key",
        )  # fmt: skip
    ),
)
_SLUGS = {
    name: sa.table(name, sa.column("id"), sa.column("slug")) for name in ("commodity", "market")
}


def upgrade() -> None:
    with op.batch_alter_table("priceobservation", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("via", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=True)
        )
        batch_op.add_column(
            sa.Column("via_url", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True)
        )
        batch_op.add_column(
            sa.Column("date_inferred", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(sa.Column("report_order", sa.Integer(), nullable=True))
    conn = op.get_bind()
    slugs = {
        kind: dict(conn.execute(sa.select(t.c.id, t.c.slug)).all()) for kind, t in _SLUGS.items()
    }
    p = _PRICES.c
    updates: list[dict[str, object]] = []
    group: list[sa.Row[Any]] = []
    ordered = sa.select(_PRICES).order_by(p.source_url, p.id)
    for row in conn.execute(ordered.execution_options(yield_per=2000)):
        if group and row.source_url != group[0].source_url:
            updates += _changes(group, slugs)
            group = []
        group.append(row)
    updates += _changes(group, slugs)
    statement = (
        sa.update(_PRICES)
        .where(p.id == sa.bindparam("row_id"))
        .values(
            **{
                name: sa.bindparam(name)
                for name in (
                    "source_url",
                    "via",
                    "via_url",
                    "date_inferred",
                    "report_order",
                    "reported_on",
                    "sort_on",
                    "note",
                    "natural_key",
                )  # fmt: skip
            }
        )
    )
    for start in range(0, len(updates), 1000):
        conn.execute(statement, updates[start : start + 1000])


def _changes(rows: list[sa.Row[Any]], slugs: dict[str, dict[int, str]]) -> list[dict[str, object]]:
    """Return the new provenance of one link's rows where their notes or link told it."""
    if not rows:
        return []
    legacy = [
        LegacyRow(r.source_name, r.source_url, r.note, r.observed_on is not None, r.reported_on)
        for r in rows
    ]
    changes = []
    for row, read in zip(rows, read_legacy(legacy), strict=True):
        if (
            read.source_url == row.source_url
            and read.note == row.note
            and read.via is None
            and not read.date_inferred
            and read.report_order is None
            and read.reported_on == row.reported_on
        ):
            continue
        key = price_natural_key(
            slugs["commodity"].get(row.commodity_id, ""),
            slugs["market"].get(row.market_id, ""),
            PartialDate(row.observed_on, row.observed_precision).iso(),
            row.price_type,
            row.currency,
            row.unit,
            row.grade,
            row.price_low,
            row.price_high,
            row.source_name,
            read.source_url or read.via_url,
            read.note,
        )
        changes.append(
            {
                "row_id": row.id,
                "source_url": read.source_url,
                "via": read.via,
                "via_url": read.via_url,
                "date_inferred": read.date_inferred,
                "report_order": read.report_order,
                "reported_on": read.reported_on,
                "sort_on": row.observed_on or read.reported_on or row.sort_on,
                "note": read.note,
                "natural_key": key,
            }
        )
    return changes


def downgrade() -> None:
    with op.batch_alter_table("priceobservation", schema=None) as batch_op:
        batch_op.drop_column("report_order")
        batch_op.drop_column("date_inferred")
        batch_op.drop_column("via_url")
        batch_op.drop_column("via")
