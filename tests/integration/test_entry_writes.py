"""Admin entries through the services on a real database: only a confirmed, valid entry writes."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import Session, func, select

from bot.domain.errors import DomainError
from config.settings import Settings
from db.models import AuditLog, PriceObservation
from tests.support.clock import NOW
from tests.support.services import make_services

OWNER = 9001


def count(engine) -> tuple[int, int]:
    with Session(engine) as session:
        prices = session.exec(select(func.count()).select_from(PriceObservation)).one()
        audits = session.exec(select(func.count()).select_from(AuditLog)).one()
    return prices, audits


@pytest.fixture
def services(engine):
    return make_services(Settings(_env_file=None, admin_ids=[OWNER]), engine, now=lambda: NOW)


def token_of(reply) -> str:
    data = reply.buttons[0][0].data
    assert data.startswith("ok:")
    return data.split(":")[1]


def test_preview_writes_nothing_and_confirm_writes_once_with_audit(services, engine):
    before = count(engine)
    reply = services.entries.price_from_line(
        admin_id=OWNER, text='rice hyesan 9000 KPW/kg 2026-11 source:"Daily NK" rel:B2'
    )
    assert count(engine) == before
    token = token_of(reply)
    assert "Saved as #" in services.entries.confirm(admin_id=OWNER, token=token).text
    assert count(engine) == (before[0] + 1, before[1] + 1)
    with pytest.raises(DomainError):  # a second tap on Confirm does nothing
        services.entries.confirm(admin_id=OWNER, token=token)
    assert count(engine) == (before[0] + 1, before[1] + 1)


def test_another_admin_cannot_confirm_my_entry(services, engine):
    reply = services.entries.price_from_line(
        admin_id=OWNER, text='rice hyesan 9000 KPW/kg source:"Daily NK"'
    )
    with pytest.raises(DomainError):
        services.entries.confirm(admin_id=OWNER + 1, token=token_of(reply))
    assert count(engine)[0] == 0


def test_edit_revalidates_and_audits(services, engine):
    reply = services.entries.price_from_line(
        admin_id=OWNER, text='rice hyesan 9000 KPW/kg 2026-11 source:"Daily NK"'
    )
    services.entries.confirm(admin_id=OWNER, token=token_of(reply))
    with Session(engine) as session:
        ident = session.exec(select(PriceObservation.id)).one()
    with pytest.raises(DomainError):
        services.admin.edit(admin_id=OWNER, args=[str(ident), "price", "-5"])
    with pytest.raises(DomainError):
        services.admin.edit(admin_id=OWNER, args=[str(ident), "date", "2099-01"])
    services.admin.edit(admin_id=OWNER, args=[str(ident), "price", "9500-9700"])
    with Session(engine) as session:
        row = session.get(PriceObservation, ident)
        assert (row.price_low, row.price_high) == (9500, 9700)
        audit = session.exec(select(AuditLog).where(AuditLog.action == "update")).one()
        assert audit.before == {"price": "9000"} and audit.after == {"price": "9500-9700"}


LINE_PARTS = st.lists(
    st.sampled_from(
        [
            "rice",
            "hyesan",
            "lingzhi",
            "쌀",
            "惠山",
            "500-1200",
            "1200-500",
            "-5",
            "0",
            "CNY/kg",
            "XYZ/kg",
            "KPW/600g",
            "2026-11",
            "2099-01",
            'source:"Daily NK"',
            "rel:B2",
            "rel:Z9",
            "url:javascript:x",
            'grade:"<b>x</b>"',
            "type:bartered",
            "“unclosed",
            "🙂",
            "'; DROP TABLE x; --",
        ]
    ),
    max_size=9,
)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(parts=LINE_PARTS)
def test_rejected_entries_never_write(services, engine, parts):
    before = count(engine)
    try:
        reply = services.entries.price_from_line(admin_id=OWNER, text=" ".join(parts))
    except DomainError:
        assert count(engine) == before
        return
    assert count(engine) == before  # a preview or a question never writes
    if reply.buttons and reply.buttons[0][0].data.startswith("ok:"):
        services.entries.cancel(admin_id=OWNER, token=reply.buttons[0][0].data.split(":")[1])
    assert count(engine) == before


def test_chat_export_filters_by_commodity_place_and_period(services, engine, catalogue):
    from tests.support.factories import add_price

    add_price(engine, catalogue, now=NOW, date="2025-05-01", price="7000")
    add_price(engine, catalogue, now=NOW, date="2026-05-01", price="8000")
    add_price(engine, catalogue, now=NOW, market="sinuiju", date="2026-05-01", price="8100")
    name, data = services.files.export_csv("rice hyesan in 2026")
    text = data.decode()
    assert name.endswith(".csv") and text.startswith("date,")
    assert "8000" in text and "7000" not in text and "8100" not in text
    with pytest.raises(DomainError):
        services.files.export_csv("gold")
