"""One-line reports through the services on a real database: only Confirm writes, and /edit,
/delete, /undo and /mine treat reports as they treat figures, with an audit row each time."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import Session, col, func, select

from bot.domain.callbacks import MAX_CALLBACK_BYTES
from bot.domain.errors import DomainError, InvalidInput, NotFound
from config.settings import Settings
from db.models import AuditLog, Market, TradeReport, TradeReportCommodity
from tests.support.clock import NOW
from tests.support.services import make_services

OWNER = 9001
LINE = (
    'sinuiju 2026-09 border transport border:partially-open channel:truck goods:"rice; sugar; '
    'mobile phones" "Trucks crossed the Friendship Bridge again after a month." '
    'source:"Daily NK" url:https://www.dailynk.com/english/x rel:B3'
)


@pytest.fixture
def services(engine):
    return make_services(Settings(_env_file=None, admin_ids=[OWNER]), engine, now=lambda: NOW)


def count(engine) -> tuple[int, int, int]:
    """Reports, goods links and audit rows."""
    with Session(engine) as session:
        reports = session.exec(select(func.count()).select_from(TradeReport)).one()
        links = session.exec(select(func.count()).select_from(TradeReportCommodity)).one()
        audits = session.exec(select(func.count()).select_from(AuditLog)).one()
    return reports, links, audits


def token_of(reply) -> str:
    data = reply.buttons[0][0].data
    assert data.startswith("ok:"), reply.buttons
    return data.split(":")[1]


def saved_id(text: str) -> int:
    match = re.match(r"✅ Saved as r(\d+)\.", text)
    assert match, text
    return int(match.group(1))


def add(services, line: str = LINE) -> int:
    """Enter and confirm a report; return its id."""
    reply = services.entries.report_from_line(admin_id=OWNER, text=line)
    return saved_id(services.entries.confirm(admin_id=OWNER, token=token_of(reply)).text)


def report(engine, ident: int) -> TradeReport:
    with Session(engine) as session:
        row = session.get(TradeReport, ident)
        assert row is not None
        session.expunge(row)
        return row


def links(engine, ident: int) -> set[int]:
    with Session(engine) as session:
        return set(
            session.exec(
                select(TradeReportCommodity.commodity_id).where(
                    TradeReportCommodity.report_id == ident
                )
            )
        )


def audits(engine, action: str) -> list[AuditLog]:
    with Session(engine) as session:
        return list(
            session.exec(
                select(AuditLog)
                .where(AuditLog.action == action, AuditLog.entity == "tradereport")
                .order_by(col(AuditLog.id))
            )
        )


def test_preview_writes_nothing_and_confirm_writes_one_report_with_goods_and_audit(
    services, engine, catalogue
):
    before = count(engine)
    reply = services.entries.report_from_line(admin_id=OWNER, text=LINE)
    assert count(engine) == before
    assert "Check and confirm" in reply.text and "Trucks crossed the Friendship" in reply.text
    assert [b.text for b in reply.buttons[0]] == ["✅ Confirm", "✖️ Cancel"]
    token = token_of(reply)
    ident = saved_id(services.entries.confirm(admin_id=OWNER, token=token).text)
    assert count(engine) == (before[0] + 1, before[1] + 2, before[2] + 1)
    with pytest.raises(DomainError):  # a second tap on Confirm does nothing
        services.entries.confirm(admin_id=OWNER, token=token)
    assert count(engine) == (before[0] + 1, before[1] + 2, before[2] + 1)
    row = report(engine, ident)
    assert row.market_id == catalogue.market_slugs["sinuiju"]
    assert (row.observed_on.isoformat(), row.observed_precision) == ("2026-09-01", "month")
    assert row.topics == ["border", "transport"]
    assert (row.border_status, row.channel, row.reliability) == ("partially-open", "truck", "B3")
    assert row.goods == ["rice", "sugar", "mobile phones"]
    assert row.summary == "Trucks crossed the Friendship Bridge again after a month."
    assert (row.source_name, row.source_url) == ("Daily NK", "https://www.dailynk.com/english/x")
    assert row.entered_by == OWNER and row.deleted_at is None
    assert links(engine, ident) == {
        catalogue.commodity_slugs["rice"],
        catalogue.commodity_slugs["sugar"],
    }
    (created,) = audits(engine, "create")
    assert created.actor_id == OWNER and created.entity_id == str(ident)
    assert (
        created.after["place"] == "sinuiju" and created.after["border_status"] == "partially-open"
    )


def test_cancel_writes_nothing(services, engine):
    before = count(engine)
    reply = services.entries.report_from_line(admin_id=OWNER, text=LINE)
    token = token_of(reply)
    assert "nothing was saved" in services.entries.cancel(admin_id=OWNER, token=token).text
    with pytest.raises(NotFound):
        services.entries.confirm(admin_id=OWNER, token=token)
    assert count(engine) == before


def test_another_admin_cannot_confirm_my_report(services, engine):
    reply = services.entries.report_from_line(admin_id=OWNER, text=LINE)
    with pytest.raises(DomainError):
        services.entries.confirm(admin_id=OWNER + 1, token=token_of(reply))
    assert count(engine)[0] == 0


@pytest.mark.parametrize(
    ("line", "missing"),
    [
        ("sinuiju 2026-09 border", "summary, source"),
        ('"Trucks crossed." source:"Daily NK"', "place"),
        ('hyesan "Trucks crossed."', "source"),
    ],
)
def test_missing_fields_get_one_message_with_an_example(services, engine, line, missing):
    with pytest.raises(InvalidInput) as caught:
        services.entries.report_from_line(admin_id=OWNER, text=line)
    message = caught.value.user_message
    assert f"Missing: {missing}." in message
    assert "<code>/addreport sinuiju 2025-09 border transport" in message
    assert count(engine) == (0, 0, 0)


def test_every_problem_is_shown_at_once_escaped(services, engine):
    with pytest.raises(InvalidInput) as caught:
        services.entries.report_from_line(
            admin_id=OWNER, text='hyesan 2099-01 border:ajar "<b>x</b>" "two" rel:Z9'
        )
    message = caught.value.user_message
    for part in ("is in the future", "“ajar” is not a border status", "Two summaries", "“Z9”"):
        assert part in message
    assert "Missing: source." in message
    assert "<b>" not in message  # the editor's text is escaped; only the example is HTML
    assert count(engine) == (0, 0, 0)


def test_a_fuzzy_place_gets_buttons_then_the_preview(services, engine, catalogue):
    reply = services.entries.report_from_line(
        admin_id=OWNER, text='pyongan 2026-10 smuggling "Quiet month." source:RFA'
    )
    assert "Which market is “pyongan”?" in reply.text
    data = [b.data for row in reply.buttons for b in row]
    assert all(len(d.encode()) <= MAX_CALLBACK_BYTES for d in data)
    picks = [d for d in data if d.startswith("pick:")]
    north = catalogue.market_slugs["north-pyongan"]
    assert any(d.endswith(f":m:{north}") for d in picks)
    assert any(d.startswith("new:") for d in data) and any(d.startswith("no:") for d in data)
    assert count(engine) == (0, 0, 0)
    token = picks[0].split(":")[1]
    preview = services.entries.pick(admin_id=OWNER, token=token, what="m", entry_id=north)
    assert "Check and confirm" in preview.text and "North Pyongan" in preview.text
    assert count(engine) == (0, 0, 0)
    services.entries.confirm(admin_id=OWNER, token=token_of(preview))
    with Session(engine) as session:
        row = session.exec(select(TradeReport)).one()
        assert row.market_id == north and row.topics == ["smuggling"]


def test_an_unknown_place_can_be_created_and_says_so_when_cancelled(services, engine):
    reply = services.entries.report_from_line(
        admin_id=OWNER, text='zzhamlet "Quiet month." source:RFA'
    )
    new = next(b.data for row in reply.buttons for b in row if b.data.startswith("new:"))
    assert new.endswith(":m")
    token = new.split(":")[1]
    preview = services.entries.create(admin_id=OWNER, token=token, what="m")
    assert "Check and confirm" in preview.text and "zzhamlet" in preview.text
    cancelled = services.entries.cancel(admin_id=OWNER, token=token).text
    assert "the report was not saved" in cancelled and "“zzhamlet” stays" in cancelled
    with Session(engine) as session:
        assert session.exec(select(Market).where(Market.slug == "zzhamlet")).one()
    assert count(engine)[0] == 0


def test_the_same_report_twice_is_refused_at_the_preview(services, engine):
    add(services)
    with pytest.raises(InvalidInput, match="already stored"):
        services.entries.report_from_line(admin_id=OWNER, text=LINE)
    assert count(engine)[0] == 1


def test_korean_and_chinese_place_names(services, engine, catalogue):
    add(services, '혜산 2026-10 enforcement "단속이 심해졌다." source:RFA')
    add(services, '惠山 2026-09 smuggling "走私减少。" source:RFA')
    with Session(engine) as session:
        places = set(session.exec(select(TradeReport.market_id)))
    assert places == {catalogue.market_slugs["hyesan"]}


LINE_PARTS = st.lists(
    st.sampled_from(
        [
            "hyesan",
            "sinju",
            "zzplace",
            "혜산",
            "惠山",
            "2026-09",
            "2099-01",
            "Sep 2026",
            "border",
            "smuggling",
            "closed",
            "border:open",
            "border:ajar",
            'goods:"rice; mobile phones"',
            '"Trucks crossed."',
            '"<b>x</b>"',
            'source:"Daily NK"',
            "rel:B2",
            "rel:Z9",
            "url:javascript:x",
            "foo:bar",
            "“unclosed",
            "🙂",
            "'; DROP TABLE x; --",
        ]
    ),
    max_size=9,
)


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(parts=LINE_PARTS)
def test_rejected_or_cancelled_reports_never_write(services, engine, parts):
    before = count(engine)
    try:
        reply = services.entries.report_from_line(admin_id=OWNER, text=" ".join(parts))
    except DomainError:
        assert count(engine) == before
        return
    assert count(engine) == before  # a preview or a question never writes
    for row in reply.buttons:
        for button in row:
            assert len(button.data.encode()) <= MAX_CALLBACK_BYTES
    services.entries.cancel(admin_id=OWNER, token=reply.buttons[-1][-1].data.split(":")[1])
    assert count(engine) == before


# Corrections


def test_edit_each_field_revalidates_relinks_and_audits(services, engine, catalogue):
    ident = add(services)
    rice, sugar, corn = (catalogue.commodity_slugs[s] for s in ("rice", "sugar", "corn"))
    edits = [
        ("border", "open", "border_status", "open"),
        ("direction", "import", "direction", "import"),
        ("channel", "rail", "channel", "rail"),
        ("market", "recovering", "market_activity", "recovering"),
        ("enforcement", "Guards were doubled.", "enforcement", "Guards were doubled."),
        ("source", '"Asia Press"', "source_name", "Asia Press"),
        ("url", "https://asiapress.org/x", "source_url", "https://asiapress.org/x"),
        ("rel", "c2", "reliability", "C2"),
        ("topics", "border smuggling", "topics", ["border", "smuggling"]),
        ("summary", '"Trucks crossed again."', "summary", "Trucks crossed again."),
        ("url", "-", "source_url", None),
    ]
    for field, value, column, stored in edits:
        reply = services.admin.edit(admin_id=OWNER, args=[f"r{ident}", field, *value.split()])
        assert reply.text.startswith(f"Updated: r{ident} Sinuiju"), reply.text
        assert getattr(report(engine, ident), column) == stored, field
    assert links(engine, ident) == {rice, sugar}
    services.admin.edit(admin_id=OWNER, args=[f"r{ident}", "goods", "옥수수;", "mobile", "phones"])
    row = report(engine, ident)
    assert row.goods == ["corn", "mobile phones"]
    assert links(engine, ident) == {corn}
    services.admin.edit(admin_id=OWNER, args=[f"r{ident}", "place", "hyesan"])
    services.admin.edit(admin_id=OWNER, args=[f"r{ident}", "date", "Oct", "2026"])
    row = report(engine, ident)
    assert row.market_id == catalogue.market_slugs["hyesan"]
    assert (row.observed_on.isoformat(), row.observed_precision) == ("2026-10-01", "month")
    assert row.sort_on.isoformat() == "2026-10-01"
    updates = audits(engine, "update")
    assert len(updates) == len(edits) + 3
    assert updates[0].before == {"border_status": "partially-open"}
    assert updates[0].after == {"border_status": "open"}
    assert updates[-1].before == {"date": "2026-09"} and updates[-1].after == {"date": "2026-10"}
    assert updates[-3].after == {"commodities": "corn;mobile phones"}
    assert all(u.actor_id == OWNER and u.entity_id == str(ident) for u in updates)


@pytest.mark.parametrize(
    ("args", "what"),
    [
        (["border", "ajar"], "not a border status"),
        (["date", "2099-01"], "in the future"),
        (["rel", "Z9"], "not a reliability grade"),
        (["url", "ftp://x"], "not a web address"),
        (["topics", "border", "bogus"], "not a topic"),
        (["direction", "sideways"], "not a direction"),
        (["market", "meh"], "not a market activity"),
        (["summary", "-"], "summary is missing"),
        (["source", "-"], "source is missing"),
        (["place", "zzplace"], "Unknown place"),
        (["summary", "x" * 2001], "the limit is 2,000"),
        (["price", "500"], "You can edit in a report"),
    ],
)
def test_a_bad_edit_is_refused_and_changes_nothing(services, engine, args, what):
    ident = add(services)
    before, counted = report(engine, ident), count(engine)
    with pytest.raises(DomainError) as caught:
        services.admin.edit(admin_id=OWNER, args=[f"r{ident}", *args])
    assert what in caught.value.user_message
    assert report(engine, ident) == before
    assert count(engine) == counted


def test_edit_without_a_value_lists_the_report_fields(services):
    with pytest.raises(InvalidInput) as caught:
        services.admin.edit(admin_id=OWNER, args=["r7", "border"])
    message = caught.value.user_message
    assert message.startswith("You can edit in a report: border, channel, date, direction,")
    assert "/edit r7 url - empties" in message


def test_an_edit_that_would_repeat_another_report_is_refused(services, engine):
    first = add(services)
    second = add(services, LINE.replace("2026-09", "2026-08"))
    before = report(engine, second)
    with pytest.raises(InvalidInput, match="identical report"):
        services.admin.edit(admin_id=OWNER, args=[f"r{second}", "date", "2026-09"])
    assert report(engine, second) == before
    assert report(engine, first).deleted_at is None
    assert audits(engine, "update") == []


def test_delete_a_report_soft_deletes_it_with_an_audit_row(services, engine):
    ident = add(services)
    reply = services.admin.delete(admin_id=OWNER, ident=f"r{ident}")
    assert reply.text.startswith(f"Deleted: r{ident} Sinuiju, 2026-09 (border, transport): ")
    assert report(engine, ident).deleted_at is not None
    (deleted,) = audits(engine, "delete")
    assert deleted.entity_id == str(ident) and deleted.before == {"deleted_at": None}
    with pytest.raises(NotFound, match=f"#r{ident}"):
        services.admin.delete(admin_id=OWNER, ident=f"r{ident}")
    with pytest.raises(NotFound):
        services.admin.edit(admin_id=OWNER, args=[f"r{ident}", "border", "open"])


def test_undo_reverts_my_newest_report_within_24_hours(services, engine):
    ident = add(services)
    reply = services.admin.undo(admin_id=OWNER)
    assert reply.text.startswith(f"Undone: r{ident} Sinuiju")
    assert report(engine, ident).deleted_at is not None
    (undone,) = audits(engine, "undo")
    assert undone.actor_id == OWNER and undone.entity_id == str(ident)
    with pytest.raises(NotFound):
        services.admin.undo(admin_id=OWNER)


def test_undo_refuses_a_report_older_than_24_hours(services, engine):
    ident = add(services)
    later = make_services(
        Settings(_env_file=None, admin_ids=[OWNER]), engine, now=lambda: NOW + timedelta(hours=25)
    )
    with pytest.raises(InvalidInput, match="more than 24 hours"):
        later.admin.undo(admin_id=OWNER)
    assert report(engine, ident).deleted_at is None
    assert audits(engine, "undo") == []


def test_mine_lists_reports_on_one_line(services, engine):
    ident = add(services)
    longer = add(
        services,
        'hyesan "Inspections at the Hyesan crossing tightened and smugglers paused their '
        'shipments for two weeks." source:RFA',
    )
    lines = services.admin.mine(admin_id=OWNER).text.splitlines()
    assert lines[1:3] == [
        f"r{longer} Hyesan, undated: Inspections at the Hyesan crossing tightened and "
        "smugglers… · 2026-11-28 09:00",
        f"r{ident} Sinuiju, 2026-09 (border, transport): Trucks crossed the Friendship Bridge "
        "again after a month. · 2026-11-28 09:00",
    ]
