"""Queries about one user: role and remembered time zone."""

from __future__ import annotations

from sqlmodel import Session

from db.models import ChatUser

__all__ = ["set_user_timezone", "user_role", "user_timezone"]


def user_role(session: Session, *, telegram_id: int) -> str | None:
    """Return the stored role of a user ("admin", "user"), or None for an unknown id."""
    user = session.get(ChatUser, telegram_id)
    return None if user is None else user.role


def user_timezone(session: Session, *, telegram_id: int) -> str | None:
    """Return the time zone a user chose with /timezone, if any."""
    user = session.get(ChatUser, telegram_id)
    return None if user is None else user.timezone


def set_user_timezone(session: Session, *, telegram_id: int, timezone: str) -> bool:
    """Remember a known user's time zone; return False when the user is unknown."""
    user = session.get(ChatUser, telegram_id)
    if user is None:
        return False
    user.timezone = timezone
    session.add(user)
    return True
