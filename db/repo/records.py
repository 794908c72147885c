"""One record by its id, withdrawn or not, and the audit rows about it (its history)."""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import Session, col, select

from db.models import AuditLog, PriceObservation, TradeReport

__all__ = ["MAX_RECORD_ID", "figure_by_id", "record_history", "report_by_id"]

# Ids are INTEGER columns: a larger number names no row (and PostgreSQL refuses to compare it).
MAX_RECORD_ID = 2**31 - 1


def figure_by_id(session: Session, *, figure_id: int) -> PriceObservation | None:
    """Return the figure with this id, soft-deleted or not."""
    if not 0 < figure_id <= MAX_RECORD_ID:
        return None
    return session.get(PriceObservation, figure_id)


def report_by_id(session: Session, *, report_id: int) -> TradeReport | None:
    """Return the trade-condition report with this id, soft-deleted or not."""
    if not 0 < report_id <= MAX_RECORD_ID:
        return None
    return session.get(TradeReport, report_id)


def record_history(
    session: Session, *, entity: str, entity_id: int, limit: int
) -> tuple[list[AuditLog], int]:
    """Return the newest `limit` audit rows about one record (newest first) and how many there are.

    An audit row names its record by `entity` (the table: "priceobservation", "tradereport") and
    `entity_id` (its id as text); an import's row names no record and is not among them.
    """
    where = (AuditLog.entity == entity, AuditLog.entity_id == str(entity_id))
    total = session.exec(select(func.count()).select_from(AuditLog).where(*where)).one()
    rows = session.exec(
        select(AuditLog)
        .where(*where)
        .order_by(col(AuditLog.created_at).desc(), col(AuditLog.id).desc())
        .limit(limit)
    )
    return list(rows), total
