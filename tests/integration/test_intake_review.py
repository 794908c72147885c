"""An article's review on a real database: nothing written before Save, one transaction at Save
(figures with the article's link, publisher and date, the report when it has its summary, audit
rows and the batch's), a second Save writes nothing, /undo removes the batch, expiry.

The reader is a fake (what it found is fixed), so that these test the review alone.
"""

from __future__ import annotations

import types
from datetime import date

import pytest
from sqlmodel import Session, col, func, select

from bot.domain.errors import InvalidInput, NotFound
from bot.domain.intake import NOW, Article, Candidate, FoundFigure, IntakeResult
from bot.services import intake_review as review_module
from bot.services import pending as pending_module
from bot.services.intake_review import Forwarded, IntakeReviews
from bot.services.seed import load_sample
from db import repo
from db.models import AuditLog, Conversation, PriceObservation, TradeReport, UnfinishedWork
from tests.support.articles import PASSAGE, SENTENCE, URL, FakeReader, seed_result
from tests.support.clock import NOW as CLOCK_NOW
from tests.support.factories import add_price
from tests.support.services import make_services
from tests.support.settings import ADMIN_ID, make_settings

SUMMARY = "Hyesan's state-run smuggling exports lifted Lingzhi prices; residents earn more."


@pytest.fixture
def services(tmp_path, engine):
    return make_services(make_settings(tmp_path), engine)


def reviews_with(
    services, result=None, *, reader=None, alerts=None, condition_alerts=None
) -> tuple[IntakeReviews, FakeReader]:
    """The reviews reading with a stand-in that finds `result` (or with `reader`)."""
    reader = reader or FakeReader(result)
    reviews = IntakeReviews(
        engine=services.engine,
        catalogue=services.catalogue,
        clock=services.clock,
        pending=services.steps,
        reader=reader,
        alerts=alerts or services.alerts,
        condition_alerts=condition_alerts or services.condition_alerts,
    )
    return reviews, reader


def count(engine, model) -> int:
    with Session(engine) as session:
        return session.exec(
            select(func.count()).select_from(model).where(col(model.deleted_at).is_(None))
        ).one()


def markers(engine) -> list[UnfinishedWork]:
    with Session(engine) as session:
        return list(session.exec(select(UnfinishedWork)))


def button(reply, label: str) -> str:
    """The label of the button whose label holds `label`."""
    return next(b.text for row in reply.buttons for b in row if label in b.text)


def step_kinds(engine) -> list[str]:
    with Session(engine) as session:
        return [row.kind for row in session.exec(select(Conversation))]


def token_of(shown) -> str:
    assert shown.token is not None
    return shown.token


def test_save_writes_the_kept_figures_and_the_report_in_one_batch(services, catalogue, engine):
    reviews, _ = reviews_with(services, seed_result(catalogue))
    shown = reviews.read_text(admin_id=ADMIN_ID, text=PASSAGE)
    text = shown.reply.text
    assert "☑ <b>1.</b> Lingzhi" in text and "200-300 CNY/kg" in text
    assert "500-1,200 CNY/kg" in text and "depending on quality" in text
    assert "Draft report" in text and "Hyesan" in text and "/summary" in text
    assert "Save kept (2)" in button(shown.reply, "Save")
    # Nothing is written before Save; the review is a step any process reads (and the window
    # in which a next part joins it, another).
    assert count(engine, PriceObservation) == 0 and count(engine, TradeReport) == 0
    assert sorted(step_kinds(engine)) == ["intake", "intake-part"]

    summary = reviews.summary(admin_id=ADMIN_ID, text=SUMMARY)
    assert "Summary set" in (summary.note or "") and SUMMARY[:30] in summary.reply.text
    saved = reviews.save(admin_id=ADMIN_ID, token=token_of(shown))
    assert "Saved 2 figures" in saved.text and "report as r" in saved.text

    with Session(engine) as session:
        rows = list(session.exec(select(PriceObservation).order_by(col(PriceObservation.id))))
        [report] = session.exec(select(TradeReport)).all()
        audit = list(session.exec(select(AuditLog).order_by(col(AuditLog.id))))
    before, now = rows
    assert (before.price_low, before.price_high, now.price_low, now.price_high) == (
        200,
        300,
        500,
        1200,
    )
    for row in rows:
        assert (row.source_name, row.source_url, row.entered_by) == ("Daily NK", URL, ADMIN_ID)
        assert row.observed_on == date(2026, 11, 20) and row.reported_on == date(2026, 11, 20)
    assert before.date_inferred and before.note == "before 2026-11-20" and before.report_order == 1
    assert not now.date_inferred and now.grade == "depending on quality" and now.report_order == 2
    assert (report.summary, report.source_name, report.source_url) == (SUMMARY, "Daily NK", URL)
    assert report.topics == ["exports", "smuggling"] and report.direction == "export"
    assert [a.action for a in audit] == ["create", "create", "create", "intake"]
    assert audit[-1].after == {
        "prices": [before.id, now.id],
        "reports": [report.id],
        "url": URL,
        "source": "Daily NK",
    }
    assert markers(engine) == [] and step_kinds(engine) == []

    # A second Save writes nothing.
    with pytest.raises(NotFound, match="already saved"):
        reviews.save(admin_id=ADMIN_ID, token=token_of(shown))
    assert count(engine, PriceObservation) == 2 and count(engine, TradeReport) == 1

    # /undo removes the whole batch.
    undone = services.admin.undo(admin_id=ADMIN_ID)
    assert "batch of 3 entries (2 figures, 1 report)" in undone.text
    assert count(engine, PriceObservation) == 0 and count(engine, TradeReport) == 0


def test_without_a_summary_only_the_figures_are_saved(services, catalogue, engine):
    reviews, _ = reviews_with(services, seed_result(catalogue))
    shown = reviews.read_text(admin_id=ADMIN_ID, text=PASSAGE)
    saved = reviews.save(admin_id=ADMIN_ID, token=token_of(shown))
    assert "Saved 2 figures" in saved.text and "report was left out" in saved.text
    assert count(engine, PriceObservation) == 2 and count(engine, TradeReport) == 0
    assert "batch of 2 entries (2 figures)" in services.admin.undo(admin_id=ADMIN_ID).text


def test_a_dropped_figure_and_a_duplicate_are_not_saved(services, catalogue, engine):
    stored = add_price(
        engine, catalogue, now=CLOCK_NOW, commodity="lingzhi", price="200-300", currency="CNY"
    )
    reviews, _ = reviews_with(services, seed_result(catalogue, duplicate_of=stored.id))
    shown = reviews.read_text(admin_id=ADMIN_ID, text=PASSAGE)
    assert "☐ <b>1.</b>" in shown.reply.text and f"duplicate of #{stored.id}" in shown.reply.text
    assert "Save kept (1)" in button(shown.reply, "Save")
    token = token_of(shown)
    # Ticked again, the duplicate is still skipped, and said so.
    ticked = reviews.toggle(admin_id=ADMIN_ID, token=token, number=1)
    assert "☑ <b>1.</b>" in ticked.text
    saved = reviews.save(admin_id=ADMIN_ID, token=token)
    assert "Saved 1 figure " in saved.text and "Skipped, already stored: 1" in saved.text
    assert count(engine, PriceObservation) == 2  # the stored one and the new one


def test_dropping_every_figure_saves_nothing(services, catalogue, engine):
    reviews, _ = reviews_with(services, seed_result(catalogue))
    token = token_of(reviews.read_text(admin_id=ADMIN_ID, text=PASSAGE))
    reviews.toggle(admin_id=ADMIN_ID, token=token, number=1)
    reviews.toggle(admin_id=ADMIN_ID, token=token, number=2)
    with pytest.raises(InvalidInput, match="Nothing is kept"):
        reviews.save(admin_id=ADMIN_ID, token=token)
    assert reviews.cancel(admin_id=ADMIN_ID, token=token).text.startswith("Cancelled")
    assert count(engine, PriceObservation) == 0 and step_kinds(engine) == []


def test_fix_changes_a_field_and_refuses_bad_values(services, catalogue, engine):
    reviews, _ = reviews_with(services, seed_result(catalogue))
    token = token_of(reviews.read_text(admin_id=ADMIN_ID, text=PASSAGE))
    reviews.shown(admin_id=ADMIN_ID, token=token, message_id=77)
    fixed = reviews.fix(admin_id=ADMIN_ID, args="2 low 450")
    assert fixed.edit_message_id == 77 and "450-1,200 CNY/kg" in fixed.reply.text
    reviews.fix(admin_id=ADMIN_ID, args="1 unit 600 g")
    reviews.fix(admin_id=ADMIN_ID, args="source Tumen Ledger")
    for args, message in (
        ("2 low 5000", "backwards"),
        ("2 currency XYZ", "currency"),
        ("9 low 1", "no figure 9"),
        ("2 colour red", "You can fix"),
        ("2 commodity zzzqqq", "no commodity"),
        ("report border sideways", "border status"),
        ("nonsense", "/fix N FIELD VALUE"),
    ):
        with pytest.raises((InvalidInput, NotFound), match=message):
            reviews.fix(admin_id=ADMIN_ID, args=args)
    reviews.save(admin_id=ADMIN_ID, token=token)
    with Session(engine) as session:
        rows = list(session.exec(select(PriceObservation).order_by(col(PriceObservation.id))))
    assert [(r.unit, r.price_low, r.source_name) for r in rows] == [
        ("600 g", 200, "Tumen Ledger"),
        ("kg", 450, "Tumen Ledger"),
    ]


def test_the_summary_is_the_editors_own_words(services, catalogue):
    reviews, _ = reviews_with(services, seed_result(catalogue))
    reviews.read_text(admin_id=ADMIN_ID, text=PASSAGE)
    with pytest.raises(InvalidInput, match="word for word"):
        reviews.summary(
            admin_id=ADMIN_ID,
            text=f"As the source says: {SENTENCE}",
        )
    with pytest.raises(InvalidInput, match="the limit"):
        reviews.summary(admin_id=ADMIN_ID, text="x" * 2001)
    reviews.summary(admin_id=ADMIN_ID, text=SUMMARY)
    cleared = reviews.summary(admin_id=ADMIN_ID, text="-")
    assert "leaves the report out" in (cleared.note or "") and "none yet" in cleared.reply.text


def test_fix_and_summary_need_an_open_review(services, catalogue):
    reviews, _ = reviews_with(services, seed_result(catalogue))
    with pytest.raises(NotFound, match="no article under review"):
        reviews.fix(admin_id=ADMIN_ID, args="1 low 5")
    with pytest.raises(NotFound, match="no article under review"):
        reviews.summary(admin_id=ADMIN_ID, text=SUMMARY)


def test_the_source_falls_back_to_the_forwarded_channel_then_unknown(services, catalogue, engine):
    reviews, _ = reviews_with(services, seed_result(catalogue, publisher=None, published=None))
    text = PASSAGE.replace(URL, "").replace("Daily NK", "a source")
    shown = reviews.read_text(
        admin_id=ADMIN_ID, text=text, forwarded=Forwarded("NK Markets", date(2026, 11, 21))
    )
    assert "NK Markets" in shown.reply.text and "the forwarded post" in shown.reply.text
    reviews.save(admin_id=ADMIN_ID, token=token_of(shown))
    reviews2, _ = reviews_with(services, seed_result(catalogue, publisher=None, published=None))
    shown = reviews2.read_text(admin_id=ADMIN_ID, text=text + " Again.")
    assert "none found" in shown.reply.text
    reviews2.save(admin_id=ADMIN_ID, token=token_of(shown))
    with Session(engine) as session:
        rows = list(session.exec(select(PriceObservation).order_by(col(PriceObservation.id))))
    assert [(r.source_name, r.observed_on, r.report_order) for r in rows] == [
        ("NK Markets", date(2026, 11, 21), 1),
        ("NK Markets", date(2026, 11, 21), 2),
        # No publication date: undated, ordered by the report only (as the sample stores them).
        ("unknown", None, 1),
        ("unknown", None, 2),
    ]


def test_parts_sent_in_a_row_are_one_article(services, catalogue, monkeypatch):
    reviews, reader = reviews_with(services, seed_result(catalogue))
    first = reviews.read_text(admin_id=ADMIN_ID, text="Part one: Lingzhi prices.")
    reviews.shown(admin_id=ADMIN_ID, token=token_of(first), message_id=5)
    second = reviews.read_text(admin_id=ADMIN_ID, text="Part two.")
    assert second.token == first.token and second.edit_message_id == 5
    assert reader.texts[-1] == "Part one: Lingzhi prices.\n\nPart two."
    assert "(2 parts)" in second.reply.text
    # A part that comes later is a new article.
    later = pending_module.time.time() + review_module.JOIN_SECONDS + 1
    monkeypatch.setattr(pending_module, "time", types.SimpleNamespace(time=lambda: later))
    third = reviews.read_text(admin_id=ADMIN_ID, text="Another article on lingzhi.")
    assert third.token != first.token and third.edit_message_id is None
    with pytest.raises(NotFound):  # the new article replaced the open review
        reviews.save(admin_id=ADMIN_ID, token=token_of(first))


def test_text_with_nothing_found_gets_a_clear_reply(services, catalogue, engine):
    reviews, _ = reviews_with(services, seed_result(catalogue))
    with pytest.raises(InvalidInput, match="No price figures"):
        reviews.read_text(admin_id=ADMIN_ID, text="The weather in Hyesan was cold in 2024.")
    assert step_kinds(engine) == ["intake-part"] and count(engine, PriceObservation) == 0
    # Its next part, a moment later, may hold them: the two are read as one article.
    shown = reviews.read_text(admin_id=ADMIN_ID, text="Lingzhi sold for 500 yuan.")
    assert "(2 parts)" in shown.reply.text


def test_an_expired_review_cannot_be_saved(services, catalogue, engine, monkeypatch):
    reviews, _ = reviews_with(services, seed_result(catalogue))
    token = token_of(reviews.read_text(admin_id=ADMIN_ID, text=PASSAGE))
    later = pending_module.time.time() + pending_module.PENDING_SECONDS + 1
    monkeypatch.setattr(pending_module, "time", types.SimpleNamespace(time=lambda: later))
    with pytest.raises(NotFound, match="expired"):
        reviews.save(admin_id=ADMIN_ID, token=token)
    assert count(engine, PriceObservation) == 0 and services.steps.sweep() == 2
    assert step_kinds(engine) == []


def test_a_failure_at_save_writes_nothing(services, catalogue, engine, monkeypatch):
    reviews, _ = reviews_with(services, seed_result(catalogue))
    token = token_of(reviews.read_text(admin_id=ADMIN_ID, text=PASSAGE))
    reviews.summary(admin_id=ADMIN_ID, text=SUMMARY)

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(repo, "add_trade_report", broken)
    with pytest.raises(RuntimeError):
        reviews.save(admin_id=ADMIN_ID, token=token)
    assert count(engine, PriceObservation) == 0 and count(engine, TradeReport) == 0
    # The review is still there: the editor may try again.
    assert "intake" in step_kinds(engine)


def test_a_figure_outside_the_catalogue_must_be_fixed_or_dropped(services, catalogue, engine):
    unknown = FoundFigure(
        commodity_id=None,
        commodity_words="matsutake",
        place_id=catalogue.market_slugs["hyesan"],
        place_words="Hyesan",
        low=100,
        high=100,
        currency="CNY",
        unit="kg",
        quantity=1,
        when=NOW,
    )
    result = IntakeResult(Article(text="x", publisher="RFA"), candidates=(Candidate(1, unknown),))
    reviews, _ = reviews_with(services, result)
    shown = reviews.read_text(admin_id=ADMIN_ID, text="Matsutake (not lingzhi) sold for 100 yuan.")
    assert "commodity not in the catalogue: /fix 1 commodity NAME" in shown.reply.text
    with pytest.raises(InvalidInput, match="/fix 1 commodity NAME, or untick it"):
        reviews.save(admin_id=ADMIN_ID, token=token_of(shown))
    assert count(engine, PriceObservation) == 0
    reviews.fix(admin_id=ADMIN_ID, args="1 commodity lingzhi")
    assert "Saved 1 figure" in reviews.save(admin_id=ADMIN_ID, token=token_of(shown)).text


def test_the_real_reader_marks_the_sample_figures_as_duplicates(services, catalogue, engine):
    """The sample holds this very report's figures: both are marked, unticked, never saved."""
    load_sample(engine, now=CLOCK_NOW)
    stored = count(engine, PriceObservation)
    # The real reader, with the real extraction.
    reviews, _ = reviews_with(services, reader=services.intake)
    shown = reviews.read_text(admin_id=ADMIN_ID, text=PASSAGE)
    lines = [line for line in shown.reply.text.splitlines() if line.startswith(("☑", "☐"))]
    assert len(lines) == 2 and all(line.startswith("☐") for line in lines)
    assert all("duplicate of #" in line for line in lines)
    assert "Save kept (0)" in button(shown.reply, "Save")
    token = token_of(shown)
    reviews.toggle(admin_id=ADMIN_ID, token=token, number=2)
    with pytest.raises(InvalidInput, match="already stored; nothing was saved"):
        reviews.save(admin_id=ADMIN_ID, token=token)
    assert count(engine, PriceObservation) == stored


def test_a_review_goes_on_in_the_next_process(tmp_path, services, catalogue, engine):
    reviews, _ = reviews_with(services, seed_result(catalogue))
    token = token_of(reviews.read_text(admin_id=ADMIN_ID, text=PASSAGE))
    after = make_services(make_settings(tmp_path), engine)  # after a kill -9, or a replica
    assert after.work.interrupted(owner_id=ADMIN_ID) == []
    later, _ = reviews_with(after, seed_result(catalogue))
    later.toggle(admin_id=ADMIN_ID, token=token, number=2)
    saved = later.save(admin_id=ADMIN_ID, token=token)
    assert "Saved 1 figure" in saved.text and count(engine, PriceObservation) == 1
    with pytest.raises(NotFound):  # and only once
        reviews.save(admin_id=ADMIN_ID, token=token)


class Spy:
    """Records the ids alerts are queued for."""

    def __init__(self) -> None:
        self.ids: list[list[int]] = []

    def prices_added(self, ids):
        self.ids.append(list(ids))
        return 0

    def reports_added(self, ids):
        self.ids.append(list(ids))
        return 0


def test_new_figures_and_the_report_are_weighed_for_alerts(services, catalogue, engine):
    prices, reports = Spy(), Spy()
    reviews, _ = reviews_with(
        services, seed_result(catalogue), alerts=prices, condition_alerts=reports
    )
    token = token_of(reviews.read_text(admin_id=ADMIN_ID, text=PASSAGE))
    reviews.summary(admin_id=ADMIN_ID, text=SUMMARY)
    assert prices.ids == [] and reports.ids == []  # nothing before Save
    reviews.save(admin_id=ADMIN_ID, token=token)
    with Session(engine) as session:
        figure_ids = list(session.exec(select(PriceObservation.id).order_by(PriceObservation.id)))
        report_ids = list(session.exec(select(TradeReport.id)))
    assert prices.ids == [figure_ids] and reports.ids == [report_ids]
