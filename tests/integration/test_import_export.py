"""CSV import (all or nothing, WFP/HDX and project columns) and export, on every backend."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import delete, func, text, update
from sqlmodel import Session, select

from bot.services.catalogue import load_catalogue
from bot.services.csvfile import NOT_UTF8
from bot.services.exporter import COLUMNS, export_prices, number
from bot.services.importer import MAX_LISTED, ImportResult, import_prices
from bot.services.seed import load_sample
from config.paths import SAMPLE_PRICES_CSV
from db.models import AuditLog, PriceObservation
from tests.support.clock import NOW
from tests.support.factories import add_price

WFP_FILE = Path(__file__).resolve().parents[1] / "support" / "data" / "wfp_hdx_prices.csv"
HEADER = "date,market,commodity,unit,pricetype,currency,price,source,source_url"
GOOD = "2026-10-01,hyesan,rice,kg,retail,KPW,8000,Daily NK,https://example.org/r"


def load(engine, catalogue, data: str | bytes, **options) -> ImportResult:
    raw = data.encode("utf-8") if isinstance(data, str) else data
    options.setdefault("entered_by", 42)
    return import_prices(engine, catalogue, io.BytesIO(raw), name="t.csv", now=NOW, **options)


def csv_text(*rows: str, header: str = HEADER) -> str:
    return "\n".join((header, *rows)) + "\n"


def count(engine, model=PriceObservation) -> int:
    with engine.connect() as conn:
        return conn.scalar(select(func.count()).select_from(model))


def stored(engine) -> list[tuple]:
    """Every figure as stored, without its id."""
    with engine.connect() as conn:
        rows = conn.execute(select(PriceObservation.__table__).order_by(text("id")))  # type: ignore[attr-defined]
        return [tuple(row)[1:] for row in rows]


def figures(engine) -> list[PriceObservation]:
    with Session(engine) as session:
        return list(session.exec(select(PriceObservation).order_by(PriceObservation.id)))


def export_text(engine, **filters) -> str:
    out = io.StringIO()
    export_prices(engine, load_catalogue(engine), out, **filters)
    return out.getvalue()


def test_project_file_stores_exactly_what_the_seed_stores(engine, catalogue):
    seeded = load_sample(engine, now=NOW)
    expected = stored(engine)
    with engine.begin() as conn:
        conn.execute(delete(PriceObservation))
    result = import_prices(
        engine, catalogue, SAMPLE_PRICES_CSV.open("rb"), name="prices.csv", entered_by=None, now=NOW
    )
    assert (result.rows, result.added, result.duplicates) == (seeded.prices_added, 317, 0)
    assert result.errors == () and result.error_count == 0
    assert stored(engine) == expected
    series = {
        (r.commodity_id, r.market_id, r.price_type, r.currency, r.unit, r.source_name)
        for r in figures(engine)
    }
    assert result.new_series == len(series)


def test_wfp_file_with_its_hxl_row_imports(engine, catalogue):
    result = import_prices(
        engine, catalogue, WFP_FILE.open("rb"), name="wfp.csv", entered_by=7, now=NOW
    )
    assert result == ImportResult(6, 6, 0, 6, (), 0)
    rows = figures(engine)
    assert {r.source_name for r in rows} == {"WFP (HDX)"}
    assert [r.price_type for r in rows] == [
        "retail", "retail", "wholesale", "retail", "market", "market",
    ]  # fmt: skip
    wholesale, oil = rows[2], rows[3]
    assert (wholesale.unit, wholesale.unit_quantity, wholesale.per_base_low) == (
        "100 kg",
        100,
        8100,
    )
    assert (oil.observed_on, oil.observed_precision, oil.unit_base) == (
        date(2024, 2, 1),
        "month",
        "l",
    )
    assert rows[4].commodity_id == catalogue.currency_commodities["USD"]
    assert all(r.entered_by == 7 for r in rows)


def test_every_bad_row_is_listed_with_its_line_and_nothing_is_written(engine, catalogue):
    add_price(engine, catalogue, now=NOW)
    data = csv_text(
        GOOD.replace("8000", "8100"),
        GOOD.replace("8000", "-5"),
        GOOD.replace("8000", "0"),
        GOOD.replace("8000", "9000000000000"),
        GOOD.replace("8000", '"1,200-500"'),
        GOOD.replace("KPW", "XYZ"),
        GOOD.replace("2026-10-01", "2027-01-01"),
        GOOD.replace(",rice,", ",rise,"),
        GOOD.replace("hyesan", "hyesann"),
        GOOD.replace(",kg,", ",bushel,"),
        GOOD.replace("Daily NK", ""),
        GOOD.replace("retail", "bazaar"),
        GOOD + ",extra",
        "",
        GOOD.replace("2026-10-01", "2026-13-01"),
    )
    result = load(engine, catalogue, data)
    reasons = {e.line: e.message for e in result.errors}
    assert result.added == 0 and result.rows == 14 and result.error_count == 13
    assert sorted(reasons) == [3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 16]
    assert "not a number" in reasons[3] and "above zero" in reasons[4]
    assert "too large" in reasons[5] and "backwards" in reasons[6]
    assert "not a currency" in reasons[7] and "in the future" in reasons[8]
    assert "Unknown commodity “rise”" in reasons[9] and "rice" in reasons[9]
    assert "Unknown market “hyesann”" in reasons[10] and "Hyesan" in reasons[10]
    assert "not a unit" in reasons[11] and "source is missing" in reasons[12]
    assert "not a price type" in reasons[13] and "10 cells but the header has 9" in reasons[14]
    assert "not a real calendar date" in reasons[16]
    assert count(engine) == 1 and count(engine, AuditLog) == 0


@pytest.mark.parametrize(
    ("data", "line", "words"),
    [
        (b"", 1, "empty"),
        (HEADER.encode(), 2, "no rows"),
        (csv_text(GOOD, header=HEADER.replace("market,", "")).encode(), 1, "no market column"),
        (
            csv_text(GOOD, header=HEADER.replace(",price,", ",cost,")).encode(),
            1,
            "no price column",
        ),
        (csv_text(GOOD, GOOD.replace("Daily NK", '"Daily NK')).encode(), 3, "never closed"),
        (csv_text(GOOD.replace("Daily NK", '"Daily" NK')).encode(), 2, "closing quote"),
        (
            csv_text(GOOD, GOOD.replace("Daily NK", "혜산 소식통")).encode("cp949"),
            3,
            NOT_UTF8,
        ),
        (b"\xff\xfe" + csv_text(GOOD).encode("utf-16-le"), 1, NOT_UTF8),
    ],
)
def test_broken_files_are_rejected_whole(engine, catalogue, data, line, words):
    result = load(engine, catalogue, data)
    assert result.added == 0 and count(engine) == 0
    assert len(result.errors) == 1 and result.errors[0].line == line
    assert words in result.errors[0].message


def test_notes_past_the_limit_are_rejected(engine, catalogue):
    header = HEADER + ",note"
    long_note = "x" * 2001
    data = csv_text(GOOD + "," + long_note, GOOD + "," + "y" * 10_000_000, header=header)
    result = load(engine, catalogue, data)
    assert [e.line for e in result.errors] == [2, 3]
    assert "2,001 characters; the limit is 2,000" in result.errors[0].message
    assert "longer than" in result.errors[1].message
    assert count(engine) == 0


def test_errors_listed_are_capped_but_all_counted(engine, catalogue):
    result = load(engine, catalogue, csv_text(*[GOOD.replace("8000", "-1")] * (MAX_LISTED + 50)))
    assert len(result.errors) == MAX_LISTED and result.error_count == MAX_LISTED + 50
    assert result.errors[-1].line == MAX_LISTED + 1


def test_a_source_is_required_unless_the_file_is_wfp_shaped(engine, catalogue):
    plain = "date,market,commodity,unit,currency,price\n2026-10-01,hyesan,rice,kg,KPW,8000\n"
    result = load(engine, catalogue, plain)
    assert result.errors[0].line == 2 and "source is missing" in result.errors[0].message
    wfp = plain.replace("price\n", "price,usdprice\n").replace("8000\n", "8000,0.9\n")
    assert load(engine, catalogue, wfp).added == 1


def test_line_numbers_count_the_hxl_row(engine, catalogue):
    lines = WFP_FILE.read_text(encoding="utf-8").splitlines()
    lines[4] = lines[4].replace("Rice (white)", "Rice (brown)")
    result = load(engine, catalogue, "\n".join(lines))
    assert [e.line for e in result.errors] == [5] and "Closest: rice" in result.errors[0].message


def test_headers_are_matched_loosely_and_a_bom_is_accepted(engine, catalogue):
    header = " Date ,MARKET,Commodity,unit,PriceType,currency,price,Source,source_url,colour"
    data = "\ufeff" + csv_text(GOOD + ",blue", "", GOOD.replace("8000", "8100"), header=header)
    result = load(engine, catalogue, data)
    assert (result.rows, result.added, result.error_count) == (2, 2, 0)


def test_reimport_adds_nothing_and_in_file_repeats_are_skipped(engine, catalogue):
    rows = [GOOD.replace("8000", str(8000 + i % 3)) for i in range(7)]
    first = load(engine, catalogue, csv_text(*rows), batch_size=2)
    assert (first.rows, first.added, first.duplicates, first.new_series) == (7, 3, 4, 1)
    again = load(engine, catalogue, csv_text(*rows), batch_size=2)
    assert (again.added, again.duplicates, again.new_series) == (0, 7, 0)
    assert count(engine) == 3 and count(engine, AuditLog) == 2


def test_new_series_counts_only_series_the_database_lacked(engine, catalogue):
    add_price(engine, catalogue, now=NOW)
    data = csv_text(
        GOOD.replace("8000", "8100"),
        GOOD.replace("retail", "wholesale"),
        GOOD.replace("Daily NK", "RFA"),
        GOOD.replace("Daily NK", "RFA").replace("8000", "8200"),
    )
    assert load(engine, catalogue, data).new_series == 2


def test_exchange_rate_rows_are_market_rates(engine, catalogue):
    header = "date,market,commodity,unit,pricetype,currency,price,source"
    data = csv_text(
        "2026-10-01,hyesan,US dollar,USD,,KPW,9000,Daily NK",
        "2026-10-01,hyesan,달러,USD,Retail,KPW,9100,Daily NK",
        "2026-10-01,hyesan,RMB,CNY,official,KPW,14,Daily NK",
        "2026-10-01,hyesan,rice,kg,,KPW,8000,Daily NK",
        header=header,
    )
    assert load(engine, catalogue, data).added == 4
    assert [r.price_type for r in figures(engine)] == ["market", "market", "official", "retail"]


def test_progress_is_reported_for_both_passes(engine, catalogue):
    calls: list[tuple[int, int | None]] = []
    rows = [GOOD.replace("8000", str(8000 + i)) for i in range(12_000)]
    result = load(engine, catalogue, csv_text(*rows), progress=lambda *a: calls.append(a))
    assert result.added == 12_000
    checking = [c for c in calls if c[1] is None]
    storing = [c for c in calls if c[1] is not None]
    assert checking == [(10_000, None), (12_000, None)]
    assert storing == [(0, 12_000), (5_000, 12_000), (10_000, 12_000), (12_000, 12_000)]


def test_a_stream_that_cannot_seek_is_spooled(engine, catalogue):
    class Pipe(io.RawIOBase):
        def __init__(self, data: bytes) -> None:
            self.inner = io.BytesIO(data)

        def readable(self) -> bool:
            return True

        def readinto(self, buffer) -> int:  # type: ignore[no-untyped-def]
            return self.inner.readinto(buffer)

    pipe = io.BufferedReader(Pipe(csv_text(GOOD).encode()))
    assert not pipe.seekable()
    result = import_prices(engine, catalogue, pipe, name="-", entered_by=None, now=NOW)
    assert result.added == 1


def test_an_accepted_import_is_audited(engine, catalogue):
    load(engine, catalogue, csv_text(GOOD, GOOD), entered_by=9001)
    with Session(engine) as session:
        audit = session.exec(select(AuditLog)).one()
    assert (audit.actor_id, audit.action, audit.entity) == (9001, "import", "priceobservation")
    assert audit.after == {"file": "t.csv", "added": 1, "duplicates": 1}


def test_export_import_export_gives_the_same_file(engine, catalogue):
    load_sample(engine, now=NOW)
    header = HEADER + ",grade,note,reported_date,reliability,price_low,price_high"
    extra = csv_text(
        GOOD.replace("8000", "0.35") + ',,"a note, with ""quotes""\nand a line",,,,',
        GOOD.replace("8000", "1234567.5") + ",top grade,혜산 소식통,2026-10-03,B2,,",
        GOOD.replace("2026-10-01", "2025-06").replace("8000", "") + ",,,,,500,1200",
        GOOD.replace("2026-10-01", "2019").replace("8000", "0.00001") + ",,,,,,",
        GOOD.replace("2026-10-01", "").replace("8000", "12000000000") + ",,,2026-09-30,,,",
        header=header,
    )
    assert load(engine, catalogue, extra).added == 5
    first = export_text(engine)
    assert first.count("\n") >= 323 and first.startswith(",".join(COLUMNS) + "\n")
    assert load(engine, catalogue, first).added == 0
    with engine.begin() as conn:
        conn.execute(delete(PriceObservation))
    result = load(engine, catalogue, first)
    assert result.added == 322 and result.duplicates == 0
    assert export_text(engine) == first


def test_export_filters_and_skips_deleted_figures(engine, catalogue):
    add_price(engine, catalogue, now=NOW, date="2026-10-01")
    add_price(engine, catalogue, now=NOW, date="2025-10", price="7000")
    add_price(engine, catalogue, now=NOW, date="", price="6000")
    add_price(engine, catalogue, now=NOW, market="sinuiju", price="7500")
    add_price(engine, catalogue, now=NOW, commodity="corn", price="3000")
    gone = add_price(engine, catalogue, now=NOW, price="1")
    with engine.begin() as conn:
        conn.execute(
            update(PriceObservation).where(PriceObservation.id == gone.id).values(deleted_at=NOW)
        )
    rice = catalogue.commodity_slugs["rice"]
    ryanggang = catalogue.descendants(catalogue.market_slugs["ryanggang"])

    def prices(**filters) -> list[str]:
        lines = export_text(engine, **filters).splitlines()[1:]
        return [line.split(",")[12] for line in lines]

    assert prices() == ["8000", "7000", "6000", "7500", "3000"]
    assert prices(commodity_id=rice, market_ids=ryanggang) == ["8000", "7000", "6000"]
    assert prices(commodity_id=rice, start=date(2026, 1, 1)) == ["8000", "7500"]
    assert prices(end=date(2025, 12, 31)) == ["7000"]
    line = export_text(engine, market_ids=[catalogue.market_slugs["sinuiju"]]).splitlines()[1]
    assert line.startswith("2026-10-01,north-pyongan,,sinuiju,")


@pytest.mark.parametrize(
    ("value", "written"),
    [(8000.0, "8000"), (0.35, "0.35"), (1e-05, "0.00001"), (1e16, "10000000000000000"),
     (1234567.5, "1234567.5")],
)  # fmt: skip
def test_numbers_are_written_plainly_and_read_back_exactly(value, written):
    assert number(value) == written and float(written) == value
