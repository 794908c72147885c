"""Charts drawn once: their PNG and Telegram file_id by key, least recently used evicted."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Insert, delete, func, select, update
from sqlalchemy.engine import Connection

from db.models import ChartImage, table_of

__all__ = ["StoredChart", "chart_count", "find_chart", "forget_file_id", "store_chart"]

CHART = table_of(ChartImage)
# A hit refreshes used_at at most this often: eviction stays least-recently-used without a
# write on every answer.
TOUCH_EVERY = timedelta(minutes=10)


@dataclass(frozen=True)
class StoredChart:
    png: bytes
    file_id: str | None


def find_chart(conn: Connection, key: str, *, now: datetime) -> StoredChart | None:
    """The stored chart of `key`, marked used."""
    row = conn.execute(
        select(CHART.c.png, CHART.c.file_id, CHART.c.used_at).where(CHART.c.key == key)
    ).first()
    if row is None:
        return None
    if row.used_at is None or row.used_at < now - TOUCH_EVERY:
        conn.execute(update(CHART).where(CHART.c.key == key).values(used_at=now))
    return StoredChart(png=bytes(row.png), file_id=row.file_id)


def store_chart(
    conn: Connection,
    key: str,
    *,
    png: bytes,
    file_id: str | None,
    now: datetime,
    keep: int,
) -> int:
    """Keep a chart's PNG (and its file_id when known); evict beyond `keep`; return evicted."""
    found = conn.execute(select(CHART.c.key).where(CHART.c.key == key)).first()
    if found is None:
        # Two processes drawing the same chart at once: the second insert is the same picture.
        inserted = conn.execute(
            _insert_ignoring_conflicts(conn).values(
                key=key, png=png, file_id=file_id, created_at=now, used_at=now
            )
        )
        if not inserted.rowcount and file_id is not None:
            conn.execute(update(CHART).where(CHART.c.key == key).values(file_id=file_id))
    else:
        values: dict[str, object] = {"used_at": now}
        if file_id is not None:
            values["file_id"] = file_id
        conn.execute(update(CHART).where(CHART.c.key == key).values(**values))
    return evict(conn, keep=keep)


def _insert_ignoring_conflicts(conn: Connection) -> Insert:
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(CHART).on_conflict_do_nothing(index_elements=["key"])
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(CHART).on_conflict_do_nothing(index_elements=["key"])


def evict(conn: Connection, *, keep: int) -> int:
    """Delete the least recently used charts beyond `keep`; return how many."""
    total = chart_count(conn)
    if total <= keep:
        return 0
    oldest = (
        select(CHART.c.key)
        .order_by(CHART.c.used_at, CHART.c.created_at, CHART.c.key)
        .limit(total - keep)
        .scalar_subquery()
    )
    result = conn.execute(delete(CHART).where(CHART.c.key.in_(oldest)))
    return int(result.rowcount or 0)


def chart_count(conn: Connection) -> int:
    """How many charts are kept."""
    return int(conn.execute(select(func.count()).select_from(CHART)).scalar_one())


def forget_file_id(conn: Connection, key: str, *, file_id: str) -> None:
    """Drop a file_id Telegram refused (the PNG stays, to be uploaded again)."""
    conn.execute(
        update(CHART).where(CHART.c.key == key, CHART.c.file_id == file_id).values(file_id=None)
    )
