"""Trade-condition report files: import (all or nothing), export, the round trip, and chat."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence
from datetime import date

import pytest
from sqlalchemy import delete, func, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.domain.errors import InvalidInput
from bot.services.catalogue import CatalogueStore, load_catalogue, sync_catalogue
from bot.services.condition_alerts import ConditionAlerts
from bot.services.exporter import export_reports
from bot.services.files import Files
from bot.services.importer import MAX_LISTED
from bot.services.report_import import (
    REPORT_COLUMNS,
    ReportImportResult,
    import_reports,
    is_report_file,
    is_report_header,
)
from bot.services.seed import load_sample
from bot.services.signals import Signal
from config.paths import SAMPLE_TRADE_REPORTS_CSV
from db.engine import make_engine, upgrade
from db.models import AuditLog, TradeReport, TradeReportCommodity
from tests.support.clock import NOW, fixed_clock
from tests.support.db import pg_schema, sqlite_url

HEADER = ",".join(REPORT_COLUMNS)
GOOD = (
    "hyesan,2026-10,month,border;smuggling,export,truck,restricted,stable,,"
    "rice;mobile phones,Traders say the crossing is slower this month.,Daily NK,"
    "https://example.org/r,B2"
)


def load(engine, catalogue, data: str | bytes, **options) -> ReportImportResult:
    raw = data.encode("utf-8") if isinstance(data, str) else data
    options.setdefault("entered_by", 42)
    return import_reports(engine, catalogue, io.BytesIO(raw), name="r.csv", now=NOW, **options)


def csv_text(*rows: str, header: str = HEADER) -> str:
    return "\n".join((header, *rows)) + "\n"


def row(**cells: str) -> str:
    """GOOD with some cells replaced, written as CSV."""
    values = dict(zip(REPORT_COLUMNS, next(csv.reader([GOOD])), strict=True)) | cells
    out = io.StringIO()
    csv.writer(out, lineterminator="").writerow([values[c] for c in REPORT_COLUMNS])
    return out.getvalue()


def count(engine, model=TradeReport) -> int:
    with engine.connect() as conn:
        return conn.scalar(select(func.count()).select_from(model))


def reports(engine) -> list[TradeReport]:
    with Session(engine) as session:
        return list(session.exec(select(TradeReport).order_by(TradeReport.id)))


def links(engine) -> dict[int, list[int]]:
    found: dict[int, list[int]] = {}
    with Session(engine) as session:
        for link in session.exec(select(TradeReportCommodity)):
            found.setdefault(link.report_id, []).append(link.commodity_id)
    return {k: sorted(v) for k, v in found.items()}


def export_text(engine, **filters) -> str:
    out = io.StringIO()
    export_reports(engine, load_catalogue(engine), out, **filters)
    return out.getvalue()


def described(engine) -> list[tuple]:
    """Every report as stored, its place and linked goods by slug (ids may differ), not who
    entered it or when."""
    catalogue = load_catalogue(engine)
    places = {e.id: e.slug for e in catalogue.markets.entries}
    goods = {e.id: e.slug for e in catalogue.commodities.entries}
    linked = links(engine)
    return [
        (
            places[r.market_id],
            *(r.model_dump(exclude={"id", "market_id", "created_at", "entered_by"}).values()),
            sorted(goods[c] for c in linked.get(r.id or 0, [])),
        )
        for r in reports(engine)
    ]


@pytest.fixture
def fresh_engine(engine, tmp_path) -> Iterator[Engine]:
    """A second, empty database on the same backend, with the catalogue loaded."""
    if engine.dialect.name == "sqlite":
        other = make_engine(sqlite_url(tmp_path / "fresh.sqlite3"))
        upgrade(other)
        sync_catalogue(other, now=NOW)
        yield other
        other.dispose()
        return
    with pg_schema("jm_fresh") as url:
        other = make_engine(url)
        upgrade(other)
        sync_catalogue(other, now=NOW)
        yield other
        other.dispose()


class RecordingAlerts(ConditionAlerts):
    """Condition alerts that remember which reports they were told about."""

    def __init__(self, engine: Engine) -> None:
        super().__init__(
            engine=engine, catalogue=CatalogueStore(engine), clock=fixed_clock(), queued=Signal("q")
        )
        self.calls: list[list[int]] = []

    def reports_added(self, report_ids: Sequence[int]) -> int:
        self.calls.append(list(report_ids))
        return 0


def files_for(engine) -> tuple[Files, RecordingAlerts]:
    alerts = RecordingAlerts(engine)
    files = Files(
        engine=engine,
        catalogue=CatalogueStore(engine),
        clock=fixed_clock(),
        condition_alerts=alerts,
    )
    return files, alerts


def test_the_sample_file_imports_into_an_empty_database_and_again_adds_nothing(engine, catalogue):
    with SAMPLE_TRADE_REPORTS_CSV.open("rb") as source:
        first = import_reports(
            engine, catalogue, source, name="trade_reports.csv", entered_by=None, now=NOW
        )
    assert (first.rows, first.added, first.duplicates, first.error_count) == (65, 65, 0, 0)
    stored = reports(engine)
    assert list(first.added_ids) == [r.id for r in stored] and len(stored) == 65
    assert links(engine)  # the goods in the catalogue are linked
    with SAMPLE_TRADE_REPORTS_CSV.open("rb") as source:
        again = import_reports(
            engine, catalogue, source, name="trade_reports.csv", entered_by=None, now=NOW
        )
    assert (again.rows, again.added, again.duplicates, again.added_ids) == (65, 0, 65, ())
    assert count(engine) == 65
    with Session(engine) as session:
        audits = list(session.exec(select(AuditLog).order_by(AuditLog.id)))
    assert [(a.action, a.entity) for a in audits] == [("import", "tradereport")] * 2
    assert audits[0].after == {"file": "trade_reports.csv", "added": 65, "duplicates": 0}
    assert audits[1].after == {"file": "trade_reports.csv", "added": 0, "duplicates": 65}


def test_the_import_stores_what_the_seed_stores(engine, catalogue):
    load_sample(engine, now=NOW)
    seeded, seeded_links = described(engine), links(engine)
    with engine.begin() as conn:
        conn.execute(delete(TradeReportCommodity))
        conn.execute(delete(TradeReport))
    with SAMPLE_TRADE_REPORTS_CSV.open("rb") as source:
        result = import_reports(engine, catalogue, source, name="s.csv", entered_by=None, now=NOW)
    assert result.added == 65
    assert described(engine) == seeded and len(links(engine)) == len(seeded_links)


def test_bad_lines_are_listed_and_nothing_is_written(engine, catalogue):
    data = csv_text(
        GOOD,
        row(summary="Another report."),
        row(place="atlantis", summary="Third."),
        row(summary="Fourth."),
        row(topics="border;weather", summary="Fifth."),
    )
    result = load(engine, catalogue, data)
    assert [e.line for e in result.errors] == [4, 6] and result.error_count == 2
    reasons = {e.line: e.message for e in result.errors}
    assert reasons[4].startswith("Unknown place “atlantis”.")
    assert "“weather” is not a topic" in reasons[6]
    assert result.added == 0 and result.added_ids == ()
    assert count(engine) == 0 and count(engine, TradeReportCommodity) == 0
    assert count(engine, AuditLog) == 0


def test_an_unknown_place_names_the_closest_places(engine, catalogue):
    result = load(engine, catalogue, csv_text(row(place="hyesann"), row(place="hyesann")))
    assert [e.line for e in result.errors] == [2, 3]
    assert all("Closest:" in e.message and "Hyesan" in e.message for e in result.errors)


def test_goods_outside_the_catalogue_are_kept_and_catalogue_goods_linked(engine, catalogue):
    result = load(engine, catalogue, csv_text(row(commodities="Rice; mobile  phones ;lingzhi")))
    assert result.added == 1
    (report,) = reports(engine)
    assert report.goods == ["Rice", "mobile phones", "lingzhi"]
    assert links(engine) == {
        report.id: sorted([catalogue.commodity_slugs["rice"], catalogue.commodity_slugs["lingzhi"]])
    }
    assert (
        report.topics == ["border", "smuggling"]
        and report.market_id == (catalogue.market_slugs["hyesan"])
    )
    assert (report.observed_precision, report.reliability, report.entered_by) == ("month", "B2", 42)


@pytest.mark.parametrize(
    ("cells", "words"),
    [
        ({"place": ""}, "The place is missing."),
        ({"summary": "  "}, "The summary is missing."),
        ({"source": ""}, "The source is missing"),
        ({"summary": "x" * 2001}, "The summary is 2,001 characters; the limit is 2,000."),
        ({"date": "2026-12-01", "date_precision": "day"}, "“2026-12-01” is in the future."),
        ({"date_precision": "day"}, "does not have the precision “day”"),
        ({"border_status": "ajar"}, "not a border status"),
        ({"reliability": "Z9"}, "not a reliability grade"),
        ({"commodities": ";".join(f"good {i}" for i in range(31))}, "the limit is 30"),
        ({"enforcement": "y" * 501}, "the limit is 500"),
    ],
)
def test_a_row_breaking_a_rule_is_refused(engine, catalogue, cells, words):
    result = load(engine, catalogue, csv_text(GOOD, row(**cells)))
    assert [e.line for e in result.errors] == [3]
    assert words in result.errors[0].message
    assert count(engine) == 0


def test_a_summary_at_the_limit_is_accepted(engine, catalogue):
    assert load(engine, catalogue, csv_text(row(summary="x" * 2000))).added == 1


@pytest.mark.parametrize(
    ("data", "line", "words"),
    [
        (b"", 1, "empty"),
        (HEADER.encode(), 2, "header but no rows"),
        (csv_text(GOOD + ",extra").encode(), 2, "15 cells but the header has 14"),
        (csv_text(GOOD, header=HEADER + ",colour").encode(), 1, "unknown column “colour”"),
        (
            csv_text(GOOD, header=HEADER.replace("enforcement", "enforcment")).encode(),
            1,
            "unknown column “enforcment”",
        ),
        (
            csv_text(",".join(GOOD.split(",")[:11]), header="place,date,date_precision,topics,"
                     "direction,channel,border_status,market_activity,enforcement,commodities,summary"
                     ).encode(),
            1,
            "no source column",
        ),
        (csv_text(GOOD, header=HEADER + ",place").encode(), 1, "“place” appears twice"),
        (csv_text(GOOD, GOOD.replace("Daily NK", '"Daily NK')).encode(), 3, "never closed"),
        (
            csv_text(GOOD, GOOD.replace("Daily NK", "혜산 소식통")).encode("cp949"),
            3,
            "not UTF-8",
        ),
    ],
)  # fmt: skip
def test_broken_files_are_refused_whole(engine, catalogue, data, line, words):
    result = load(engine, catalogue, data)
    assert [e.line for e in result.errors] == [line]
    assert words in result.errors[0].message
    assert count(engine) == 0 and count(engine, AuditLog) == 0


def test_headers_are_matched_loosely_and_columns_may_be_left_out(engine, catalogue):
    data = "\ufeff Place ,SUMMARY,Source,Date\nHyesan,Quiet market.,RFA,2025\n혜산,Busy.,RFA,\n"
    result = load(engine, catalogue, data)
    assert (result.rows, result.added, result.error_count) == (2, 2, 0)
    first, second = reports(engine)
    assert (first.observed_precision, second.observed_precision) == ("year", "unknown")
    assert first.market_id == second.market_id == catalogue.market_slugs["hyesan"]


def test_repeats_in_the_file_and_in_the_database_are_skipped(engine, catalogue):
    assert load(engine, catalogue, csv_text(GOOD)).added == 1
    data = csv_text(
        GOOD,
        row(summary="New."),
        row(summary="New.", source="daily nk", commodities="corn"),  # same key: source casefolded
        row(place="Hyesan", summary="New."),  # the same place by name
        row(summary="Newer."),
    )
    result = load(engine, catalogue, data)
    assert (result.rows, result.added, result.duplicates) == (5, 2, 3)
    assert len(result.added_ids) == 2 and count(engine) == 3


def test_errors_listed_are_capped_but_all_counted(engine, catalogue):
    result = load(engine, catalogue, csv_text(*[row(topics="weather")] * (MAX_LISTED + 5)))
    assert len(result.errors) == MAX_LISTED and result.error_count == MAX_LISTED + 5


def test_progress_is_reported_for_both_passes(engine, catalogue):
    calls: list[tuple[int, int | None]] = []
    data = csv_text(*(row(summary=f"Report {i}.") for i in range(3)))
    assert load(engine, catalogue, data, progress=lambda *a: calls.append(a)).added == 3
    assert calls[0] == (3, None) and calls[1] == (0, 3) and calls[-1] == (3, 3)


def test_report_files_are_told_from_price_files_by_their_header():
    assert is_report_header(REPORT_COLUMNS)
    assert is_report_header([" Place", "SUMMARY ", "source"])
    assert not is_report_header(["date", "market", "commodity", "unit", "currency", "price"])
    assert not is_report_header(["place", "summary", "commodity"])
    assert not is_report_header(["place", "summary", "price_low"])
    source = io.BytesIO(csv_text(GOOD).encode())
    source.seek(0)
    assert is_report_file(source) and source.tell() == 0
    assert not is_report_file(io.BytesIO(b"date,market,commodity\n"))
    assert not is_report_file(io.BytesIO(b""))
    assert not is_report_file(io.BytesIO(b'"place,summary\n'))


def test_export_writes_the_import_columns_in_id_order(engine, catalogue):
    data = csv_text(
        row(summary='A "quoted" summary, with a comma\nand a second line.'),
        row(date="", date_precision="unknown", topics="", commodities="", summary="Undated."),
        row(place="sinuiju", date="2025-06-03", date_precision="day", summary="Sinuiju."),
    )
    assert load(engine, catalogue, data).added == 3
    text = export_text(engine)
    lines = list(csv.reader(io.StringIO(text)))
    assert lines[0] == list(REPORT_COLUMNS)
    assert lines[1] == [
        "hyesan", "2026-10", "month", "border;smuggling", "export", "truck", "restricted",
        "stable", "", "rice;mobile phones",
        'A "quoted" summary, with a comma\nand a second line.', "Daily NK",
        "https://example.org/r", "B2",
    ]  # fmt: skip
    assert lines[2][:4] == ["hyesan", "", "unknown", ""] and lines[2][9] == ""
    assert lines[3][:3] == ["sinuiju", "2025-06-03", "day"]


def test_export_filters_and_skips_deleted_reports(engine, catalogue):
    data = csv_text(
        row(summary="Hyesan, October."),
        row(date="2025", date_precision="year", summary="Hyesan, 2025."),
        row(date="", date_precision="", summary="Hyesan, undated."),
        row(place="sinuiju", summary="Sinuiju, October."),
        row(summary="Gone."),
    )
    result = load(engine, catalogue, data)
    with engine.begin() as conn:
        conn.execute(
            update(TradeReport).where(TradeReport.id == result.added_ids[-1]).values(deleted_at=NOW)
        )

    def summaries(**filters) -> list[str]:
        return [r[10] for r in list(csv.reader(io.StringIO(export_text(engine, **filters))))[1:]]

    assert summaries() == [
        "Hyesan, October.",
        "Hyesan, 2025.",
        "Hyesan, undated.",
        "Sinuiju, October.",
    ]
    ryanggang = catalogue.descendants(catalogue.market_slugs["ryanggang"])
    assert summaries(market_ids=ryanggang) == [
        "Hyesan, October.",
        "Hyesan, 2025.",
        "Hyesan, undated.",
    ]
    assert summaries(start=date(2026, 1, 1)) == ["Hyesan, October.", "Sinuiju, October."]
    assert summaries(end=date(2025, 12, 31)) == ["Hyesan, 2025."]


def test_older_reports_without_named_goods_export_their_linked_slugs(engine, catalogue):
    result = load(engine, catalogue, csv_text(row(commodities="Rice;mobile phones;corn")))
    with engine.begin() as conn:
        conn.execute(update(TradeReport).values(goods=[]))
    line = list(csv.reader(io.StringIO(export_text(engine))))[1]
    assert line[9] == ";".join(
        slug for slug in sorted(("rice", "corn"), key=lambda s: catalogue.commodity_slugs[s])
    )
    assert result.added == 1


def test_export_then_import_into_a_fresh_database_gives_the_same_reports(
    engine, catalogue, fresh_engine
):
    load_sample(engine, now=NOW)
    extra = csv_text(
        row(summary='Quotes "inside", commas, and\r\na line break.', enforcement="fines; arrests"),
        row(date="", date_precision="unknown", summary="혜산 소식통: 장마당이 조용하다.", reliability=""),
        row(place="sinuiju", date="2024-02-29", date_precision="day", topics="crackdown;food",
            commodities="", summary="Leap day.", source_url="", channel="", direction=""),
    )  # fmt: skip
    assert load(engine, catalogue, extra).added == 3
    first = export_text(engine)
    assert first.count("\n") > 68 and first.startswith(HEADER + "\n")
    again = load(engine, catalogue, first)
    assert (again.rows, again.added, again.duplicates) == (68, 0, 68)
    fresh = load(fresh_engine, load_catalogue(fresh_engine), first)
    assert (fresh.rows, fresh.added, fresh.duplicates, fresh.error_count) == (68, 68, 0, 0)
    assert described(fresh_engine) == described(engine)
    assert export_text(fresh_engine) == first


def test_chat_import_of_a_report_file_describes_it_and_queues_alerts(engine):
    files, alerts = files_for(engine)
    data = SAMPLE_TRADE_REPORTS_CSV.read_bytes()
    reply = files.import_csv(data, name="reports.csv", admin_id=7, progress=None, lang="en")
    assert reply.text == (
        "<b>reports.csv</b>: 65 report rows read, 65 added, 0 duplicates skipped."
    )
    assert alerts.calls == [[r.id for r in reports(engine)]]
    assert {r.entered_by for r in reports(engine)} == {7}
    again = files.import_csv(data, name="reports.csv", admin_id=7, progress=None, lang="en")
    assert again.text == "<b>reports.csv</b>: 65 report rows read, 0 added, 65 duplicates skipped."
    assert len(alerts.calls) == 1  # nothing new, nothing to alert on


def test_chat_import_of_a_bad_report_file_lists_every_bad_line(engine):
    files, alerts = files_for(engine)
    data = csv_text(GOOD, row(place="atlantis"), row(topics="weather")).encode()
    reply = files.import_csv(data, name="<bad>.csv", admin_id=7, progress=None, lang="en")
    lines = reply.text.splitlines()
    assert lines[0] == (
        "<b>&lt;bad&gt;.csv</b>: rejected, nothing was written. Fix these rows and send it again:"
    )
    assert lines[1].startswith("line 3: Unknown place “atlantis”.")
    assert lines[2].startswith("line 4: “weather” is not a topic")
    assert len(lines) == 3 and alerts.calls == [] and count(engine) == 0


def test_chat_import_of_a_price_file_still_imports_prices(engine):
    files, alerts = files_for(engine)
    data = b"date,market,commodity,unit,currency,price,source\n2026-10-01,hyesan,rice,kg,KPW,8000,RFA\n"
    reply = files.import_csv(data, name="p.csv", admin_id=7, progress=None, lang="en")
    assert reply.text == ("<b>p.csv</b>: 1 rows read, 1 added, 0 duplicates skipped, 1 new series.")
    assert alerts.calls == [] and count(engine) == 0


def test_chat_export_of_reports_by_place_and_period(engine, catalogue):
    files, _alerts = files_for(engine)
    data = csv_text(
        row(summary="Hyesan, October."),
        row(date="2025", date_precision="year", summary="Hyesan, 2025."),
        row(place="sinuiju", summary="Sinuiju, October."),
    )
    assert load(engine, catalogue, data).added == 3
    name, body = files.export_csv("reports")
    assert name == "jangmadang-reports-20261128.csv"
    assert body.decode("utf-8") == export_text(engine)
    for text in ("report hyesan", "보고서 혜산", "보고 ryanggang", "Reports   hyesan"):
        name, body = files.export_csv(text)
        summaries = [r[10] for r in list(csv.reader(io.StringIO(body.decode())))[1:]]
        assert summaries == ["Hyesan, October.", "Hyesan, 2025."], text
    _name, body = files.export_csv("reports hyesan 2025")
    assert [r[10] for r in list(csv.reader(io.StringIO(body.decode())))[1:]] == ["Hyesan, 2025."]
    with pytest.raises(InvalidInput, match="place and period only"):
        files.export_csv("reports rice")
    with pytest.raises(InvalidInput, match="Nothing to export"):
        files.export_csv("reports hyesan 2019")
    with pytest.raises(InvalidInput, match="Nothing to export"):
        files.export_csv("hyesan")  # prices, of which there are none
