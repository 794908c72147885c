"""trade reports: goods as named; today's topic and border-status words

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 14:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_REPORTS = sa.table(
    "tradereport",
    sa.column("id", sa.Integer()),
    sa.column("topics", sa.JSON()),
    sa.column("border_status", sa.String()),
)
_LINKS = sa.table(
    "tradereportcommodity", sa.column("report_id", sa.Integer()), sa.column("commodity_id")
)
_COMMODITIES = sa.table("commodity", sa.column("id", sa.Integer()), sa.column("name_en"))
_GOODS = sa.table("tradereport", sa.column("id", sa.Integer()), sa.column("goods", sa.JSON()))
_TOPICS = {"crackdown": "enforcement"}
_BORDER = {"lockdown": "closed"}


def upgrade() -> None:
    with op.batch_alter_table("tradereport", schema=None) as batch_op:
        batch_op.add_column(sa.Column("goods", sa.JSON(), nullable=False, server_default="[]"))
        batch_op.create_index("ix_trade_report_latest", ["sort_on", "id"], unique=False)
    conn = op.get_bind()
    for row in conn.execute(sa.select(_REPORTS.c.id, _REPORTS.c.topics, _REPORTS.c.border_status)):
        topics = list(dict.fromkeys(_TOPICS.get(t, t) for t in (row.topics or [])))
        border = _BORDER.get(row.border_status or "", row.border_status)
        if topics != (row.topics or []) or border != row.border_status:
            conn.execute(
                sa.update(_REPORTS)
                .where(_REPORTS.c.id == row.id)
                .values(topics=topics, border_status=border)
            )


    # Reports stored before goods were kept as named: their linked goods, by English name.
    named: dict[int, list[str]] = {}
    links = (
        sa.select(_LINKS.c.report_id, _COMMODITIES.c.name_en)
        .join(_COMMODITIES, _COMMODITIES.c.id == _LINKS.c.commodity_id)
        .order_by(_LINKS.c.report_id, _COMMODITIES.c.id)
    )
    for report_id, name in conn.execute(links):
        named.setdefault(report_id, []).append(name)
    for report_id, goods in named.items():
        conn.execute(sa.update(_GOODS).where(_GOODS.c.id == report_id).values(goods=goods))


def downgrade() -> None:
    with op.batch_alter_table("tradereport", schema=None) as batch_op:
        batch_op.drop_index("ix_trade_report_latest")
        batch_op.drop_column("goods")
