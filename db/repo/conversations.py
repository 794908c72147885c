"""Conversation state (one row per open step) and the webhook's update inbox."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection
from sqlmodel import Session

from db.models import Conversation, UpdateInbox, table_of

__all__ = [
    "add_state",
    "delete_state",
    "done_updates_before",
    "drop_states",
    "inbox_backlog",
    "mark_update_done",
    "open_chats",
    "open_kinds",
    "open_updates",
    "owner_states",
    "read_state",
    "store_update",
    "sweep_states",
    "write_state",
]

STATES = table_of(Conversation)
INBOX = table_of(UpdateInbox)


def add_state(
    session: Session,
    *,
    token: str,
    owner_id: int,
    kind: str,
    data: bytes,
    expires_at: datetime,
    now: datetime,
) -> None:
    """Insert a new conversation step (version 1)."""
    session.connection().execute(
        insert(STATES).values(
            token=token,
            owner_id=owner_id,
            kind=kind,
            data=data,
            version=1,
            expires_at=expires_at,
            created_at=now,
            updated_at=now,
        )
    )


def read_state(session: Session, *, token: str) -> Conversation | None:
    """The step with this token, expired or not."""
    return session.get(Conversation, token)


def owner_states(
    session: Session, *, owner_id: int, kinds: Sequence[str], now: datetime
) -> list[Conversation]:
    """The owner's unexpired steps of these kinds, newest first."""
    query = (
        select(Conversation)
        .where(
            STATES.c.owner_id == owner_id,
            STATES.c.kind.in_(list(kinds)),
            STATES.c.expires_at > now,
        )
        .order_by(STATES.c.updated_at.desc())
    )
    return list(session.scalars(query).all())


def open_kinds(session: Session, *, owner_id: int, now: datetime) -> frozenset[str]:
    """The kinds of the owner's unexpired steps."""
    query = select(STATES.c.kind).where(STATES.c.owner_id == owner_id, STATES.c.expires_at > now)
    return frozenset(str(kind) for kind in session.connection().execute(query).scalars())


def write_state(
    session: Session,
    *,
    token: str,
    version: int,
    kind: str,
    data: bytes,
    expires_at: datetime,
    now: datetime,
) -> bool:
    """Replace a step's data if nobody changed it since `version` was read (False otherwise)."""
    result = session.connection().execute(
        update(STATES)
        .where(STATES.c.token == token, STATES.c.version == version)
        .values(kind=kind, data=data, version=version + 1, expires_at=expires_at, updated_at=now)
    )
    return result.rowcount == 1


def delete_state(session: Session, *, token: str, owner_id: int) -> bool:
    """Delete one step; True only for the one caller that deleted it."""
    result = session.connection().execute(
        delete(STATES).where(STATES.c.token == token, STATES.c.owner_id == owner_id)
    )
    return result.rowcount == 1


def drop_states(session: Session, *, owner_id: int, kinds: Sequence[str]) -> int:
    """Delete the owner's steps of these kinds; return how many."""
    result = session.connection().execute(
        delete(STATES).where(STATES.c.owner_id == owner_id, STATES.c.kind.in_(list(kinds)))
    )
    return int(result.rowcount or 0)


def sweep_states(session: Session, *, now: datetime) -> int:
    """Delete expired steps; return how many."""
    result = session.connection().execute(delete(STATES).where(STATES.c.expires_at <= now))
    return int(result.rowcount or 0)


# The update inbox: plain connections (no ORM session): these run for every update.


def store_update(
    connection: Connection,
    *,
    update_id: int,
    chat_key: int | None,
    kind: str,
    payload: str,
    now: datetime,
) -> bool | None:
    """Store a posted update. True: new; False: known and processed; None: known, not yet
    processed (a redelivery while it waits or after its process died)."""
    insert_into = pg_insert if connection.dialect.name == "postgresql" else sqlite_insert
    statement = (
        insert_into(INBOX)
        .values(
            update_id=update_id, chat_key=chat_key, kind=kind[:40], payload=payload, received_at=now
        )
        .on_conflict_do_nothing(index_elements=["update_id"])
        .returning(INBOX.c.update_id)
    )
    # RETURNING, not rowcount: psycopg reports no rowcount for an INSERT ... ON CONFLICT.
    if connection.execute(statement).first() is not None:
        return True
    done = connection.execute(select(INBOX.c.done_at).where(INBOX.c.update_id == update_id)).first()
    return False if done is not None and done[0] is not None else None


def open_updates(
    connection: Connection, *, chat_key: int | None, update_id: int | None = None, limit: int = 20
) -> list[tuple[int, str]]:
    """Unprocessed updates of one chat in update_id order (or the one chat-less update)."""
    query = select(INBOX.c.update_id, INBOX.c.payload).where(INBOX.c.done_at.is_(None))
    if chat_key is None:
        query = query.where(INBOX.c.update_id == update_id)
    else:
        query = query.where(INBOX.c.chat_key == chat_key)
    rows = connection.execute(query.order_by(INBOX.c.update_id).limit(limit))
    return [(int(r[0]), str(r[1])) for r in rows]


def mark_update_done(connection: Connection, *, update_id: int, by: str, now: datetime) -> bool:
    """Record that an update was processed; False if another process already had."""
    result = connection.execute(
        update(INBOX)
        .where(INBOX.c.update_id == update_id, INBOX.c.done_at.is_(None))
        .values(done_at=now, done_by=by[:64])
    )
    return result.rowcount == 1


def open_chats(
    connection: Connection, *, before: datetime, limit: int = 100
) -> list[tuple[int | None, int]]:
    """Updates stored before `before` and still unprocessed (their process may have died):
    (chat key, its first such update_id), one per chat (chat-less ones as one group)."""
    query = (
        select(INBOX.c.chat_key, func.min(INBOX.c.update_id))
        .where(INBOX.c.done_at.is_(None), INBOX.c.received_at < before)
        .group_by(INBOX.c.chat_key)
        .limit(limit)
    )
    rows = connection.execute(query).all()
    return [(None if r[0] is None else int(r[0]), int(r[1])) for r in rows]


def done_updates_before(connection: Connection, *, before: datetime) -> int:
    """Forget updates processed before `before` (a day ago); return how many."""
    result = connection.execute(
        delete(INBOX).where(INBOX.c.done_at.is_not(None), INBOX.c.done_at < before)
    )
    return int(result.rowcount or 0)


def inbox_backlog(connection: Connection) -> int:
    """Stored updates not yet processed."""
    query = select(func.count()).select_from(INBOX).where(INBOX.c.done_at.is_(None))
    return int(connection.execute(query).scalar_one())
