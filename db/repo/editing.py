"""Queries of the editors' tools: recent sources, catalogue anchors."""

from __future__ import annotations

from sqlmodel import Session, col, select

from db.models import AuditLog, Market, PriceObservation

__all__ = ["INTAKE_ACTION", "intake_batches", "market_id_by_slug", "recent_source_names"]

# The audit action of one article's figures and report saved together (their ids in `after`).
INTAKE_ACTION = "intake"


def recent_source_names(session: Session, *, entered_by: int, limit: int = 20) -> list[str]:
    """Return the source names of an editor's newest figures, newest first."""
    query = (
        select(PriceObservation.source_name)
        .where(PriceObservation.entered_by == entered_by)
        .order_by(col(PriceObservation.id).desc())
        .limit(limit)
    )
    return list(session.exec(query).all())


def market_id_by_slug(session: Session, *, slug: str) -> int | None:
    """Return the id of the place with this slug, if there is one."""
    return session.exec(select(Market.id).where(Market.slug == slug)).first()


def intake_batches(session: Session, *, actor_id: int, limit: int = 20) -> list[AuditLog]:
    """Return an editor's newest article batches (their audit rows), newest first."""
    query = (
        select(AuditLog)
        .where(AuditLog.actor_id == actor_id, AuditLog.action == INTAKE_ACTION)
        .order_by(col(AuditLog.id).desc())
        .limit(limit)
    )
    return list(session.exec(query))
