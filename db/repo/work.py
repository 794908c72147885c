"""Unfinished work: one row per guided form, pending entry or chat import in progress."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete
from sqlmodel import Session, col, select

from db.models import UnfinishedWork, table_of

__all__ = ["add_work", "claim_work", "finish_work", "left_work"]

WORK = table_of(UnfinishedWork)


def add_work(
    session: Session,
    *,
    token: str,
    owner_id: int,
    kind: str,
    chat_id: int,
    message_id: int | None,
    label: str | None,
    process: str,
    now: datetime,
) -> None:
    """Record that a piece of work started in `process`."""
    session.add(
        UnfinishedWork(
            token=token,
            owner_id=owner_id,
            kind=kind,
            chat_id=chat_id,
            message_id=message_id,
            label=label[:200] if label else None,
            process=process,
            started_at=now,
        )
    )


def finish_work(session: Session, *, tokens: Sequence[str]) -> int:
    """Forget work that ended (confirmed, cancelled, expired, imported); return rows deleted."""
    if not tokens:
        return 0
    result = session.connection().execute(delete(WORK).where(WORK.c.token.in_(list(tokens))))
    return int(result.rowcount or 0)


def left_work(session: Session, *, process: str) -> list[UnfinishedWork]:
    """Return the work other processes left, oldest first: a restart interrupted it."""
    query = (
        select(UnfinishedWork)
        .where(UnfinishedWork.process != process)
        .order_by(col(UnfinishedWork.started_at), col(UnfinishedWork.token))
    )
    return list(session.exec(query).all())


def claim_work(session: Session, *, token: str) -> bool:
    """Delete one row of left work; True only for the one caller that deleted it."""
    return finish_work(session, tokens=[token]) == 1
