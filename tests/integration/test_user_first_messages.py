"""A new user's first two messages handled at once both get an answer."""

from __future__ import annotations

from sqlmodel import Session

from db import repo
from db.models import ChatUser
from tests.support.clock import NOW
from tests.support.services import make_services


def test_two_first_messages_at_once_do_not_fail(settings, engine, monkeypatch):
    services = make_services(settings, engine)
    real = repo.touch_user
    calls = []

    def racing(session, **kw):
        calls.append(kw["telegram_id"])
        user = real(session, **kw)
        if len(calls) == 1:
            # The other message's handler creates the user between this one's read and write.
            with Session(engine) as other:
                other.add(ChatUser(telegram_id=kw["telegram_id"], created_at=NOW))
                other.commit()
        return user

    monkeypatch.setattr(repo, "touch_user", racing)
    lang = services.users.touch(telegram_id=4242, username="x", language_code="ko")
    assert lang == "ko" and len(calls) == 2
    with Session(engine) as session:
        assert session.get(ChatUser, 4242) is not None
