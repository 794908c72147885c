"""Importing trade-condition report files, all or nothing: every row is checked before any is stored.

As for price files (bot.services.importer), the valid rows go to a temporary table first, and one
statement then copies the new ones into the reports: the database is written, and SQLite's
single write lock held, only for that statement, their links to the catalogue and the audit row.
"""

from __future__ import annotations

import contextlib
import logging
import shutil
import tempfile
from collections.abc import Callable, Generator, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import BinaryIO

from sqlalchemy import Column, Connection, Integer, MetaData, Table, insert, select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.domain.errors import DomainError, NotFound
from bot.domain.records import trade_report_from_row
from bot.services.catalogue import Catalogue
from bot.services.csvfile import PRICE_COLUMNS, FileError, read_records, unescape_cell
from bot.services.importer import (
    CHECK_PROGRESS_EVERY,
    MAX_LISTED,
    insert_new,
    page_cache,
    staging,
)
from bot.services.importrows import MEMO_LIMIT, RowError, RowInvalid
from bot.services.records import trade_report_row
from db import repo
from db.models import TradeReport, TradeReportCommodity, table_of

logger = logging.getLogger(__name__)

# The columns of a report file, in the order the export writes them.
REPORT_COLUMNS = (
    "place", "date", "date_precision", "topics", "direction", "channel", "border_status",
    "market_activity", "enforcement", "commodities", "summary", "source", "source_url",
    "reliability",
)  # fmt: skip
REQUIRED_COLUMNS = ("place", "summary", "source")
# A header naming these is a price file, whatever else it holds.
_PRICE_MARKERS = frozenset(("commodity", *PRICE_COLUMNS))
# Reports written to the staging table per round trip.
BATCH = 500
REPORTS: Table = table_of(TradeReport)
REPORT_GOODS: Table = table_of(TradeReportCommodity)
# The columns of a report as staged: all but its id and deletion.
_STAGED = tuple(c.name for c in REPORTS.columns if c.name not in ("id", "deleted_at"))
# The valid rows in file order (`seq`); no part of the schema, it lives in one import's connection.
STAGING: Table = Table(
    "report_import_staging",
    MetaData(),
    Column("seq", Integer, primary_key=True, autoincrement=False),
    *(Column(name, REPORTS.c[name].type) for name in _STAGED),
    prefixes=["TEMPORARY"],
)

Progress = Callable[[int, int | None], None]


@dataclass(frozen=True)
class ReportImportResult:
    """What a report import did; when `errors` is not empty nothing was written."""

    rows: int
    added: int
    duplicates: int
    errors: tuple[RowError, ...]
    error_count: int
    # The ids of the reports stored, in file order (for their condition alerts).
    added_ids: tuple[int, ...] = ()


def is_report_header(cells: Sequence[str]) -> bool:
    """Tell whether a header row is a report file's: place and summary, no price columns."""
    names = {cell.strip().lower() for cell in cells}
    return "place" in names and "summary" in names and not names & _PRICE_MARKERS


def is_report_file(source: BinaryIO) -> bool:
    """Tell whether a file's header is a report file's; the file is left where it was.

    A file that cannot be read (or a stream that cannot seek) is not one: the price importer
    then describes what is wrong with it.
    """
    if not source.seekable():
        return False
    start = source.tell()
    records = read_records(source, start)
    try:
        first = next(records, None)
    except FileError:
        return False
    finally:
        _close(records)
        source.seek(start)
    return first is not None and is_report_header(first[1])


@dataclass(frozen=True)
class _Prepared:
    """A valid row, ready to be stored."""

    report: TradeReport
    goods: list[int]


class _ReportParser:
    """The record rules applied to the rows of one report file."""

    def __init__(
        self,
        columns: dict[str, int],
        width: int,
        unnamed: tuple[int, ...],
        catalogue: Catalogue,
        *,
        entered_by: int | None,
        now: datetime,
    ) -> None:
        self.columns = columns
        self.width = width
        self.unnamed = unnamed
        self.catalogue = catalogue
        self.entered_by = entered_by
        self.now = now
        self.today: date = now.date()
        # An unknown place is ranked against the catalogue once, however many rows name it.
        self.unknown_places: dict[str, str] = {}

    def parse(self, cells: list[str]) -> _Prepared:
        """Return the row to store, or raise RowInvalid with the reason."""
        width = self.width
        if len(cells) < width:
            cells += [""] * (width - len(cells))
        elif len(cells) > width:
            if any(cells[width:]):
                raise RowInvalid(
                    f"This row has {len(cells)} cells but the header has {width}: "
                    "is there a comma in a cell without quotes around it?"
                )
            del cells[width:]
        if any(cells[p].strip() for p in self.unnamed):
            raise RowInvalid(
                "This row has a value under a column with no name in the header: "
                "is there a comma in a cell without quotes around it?"
            )
        # The cells as written before export escaped them (csvfile.escape_cell).
        row = {column: unescape_cell(cells[position]) for column, position in self.columns.items()}
        place = row.get("place", "").strip()
        if place in self.unknown_places:
            raise RowInvalid(self.unknown_places[place])
        try:
            record = trade_report_from_row(row, today=self.today)
            report, goods = trade_report_row(
                record, self.catalogue, entered_by=self.entered_by, now=self.now
            )
        except NotFound as exc:
            # Only the place is looked up: goods missing from the catalogue stay named goods.
            if len(self.unknown_places) < MEMO_LIMIT:
                self.unknown_places[place] = exc.user_message
            raise RowInvalid(exc.user_message) from None
        except DomainError as exc:
            raise RowInvalid(exc.user_message) from None
        return _Prepared(report, goods)


def read_report_header(
    first: tuple[int, list[str]] | None,
    catalogue: Catalogue,
    *,
    entered_by: int | None,
    now: datetime,
) -> _ReportParser | RowError:
    """Read a report file's header: a parser for its columns, or what is wrong with it."""
    if first is None:
        return RowError(1, "The file is empty: it needs a header row and at least one report row.")
    names = [cell.strip().lower() for cell in first[1]]
    columns: dict[str, int] = {}
    unknown: list[str] = []
    unnamed: list[int] = []
    for position, column in enumerate(names):
        if not column:
            unnamed.append(position)
        elif column not in REPORT_COLUMNS:
            unknown.append(column)
        elif column in columns:
            return RowError(1, f"The column “{column}” appears twice in the header.")
        else:
            columns[column] = position
    if unknown:
        listed = ", ".join(f"“{c[:40]}”" for c in unknown[:5])
        more = f" and {len(unknown) - 5} more" if len(unknown) > 5 else ""
        plural = "s" if len(unknown) > 1 else ""
        return RowError(
            1,
            f"The header has an unknown column{plural} {listed}{more}. A report file has only "
            f"these columns: {', '.join(REPORT_COLUMNS)}.",
        )
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if missing:
        plural = "s" if len(missing) > 1 else ""
        return RowError(
            1,
            f"The header has no {', '.join(missing)} column{plural}. Required: "
            f"{', '.join(REQUIRED_COLUMNS)}.",
        )
    return _ReportParser(
        columns, len(names), tuple(unnamed), catalogue, entered_by=entered_by, now=now
    )


def import_reports(
    engine: Engine,
    catalogue: Catalogue,
    source: BinaryIO,
    *,
    name: str,
    entered_by: int | None,
    now: datetime,
    progress: Progress | None = None,
) -> ReportImportResult:
    """Validate every row of a report file, then store the new ones in one transaction, or none."""
    with contextlib.ExitStack() as stack:
        if not source.seekable():
            # The reader starts from where the file stands, which a pipe cannot tell: copy it.
            spool = stack.enter_context(tempfile.TemporaryFile())
            shutil.copyfileobj(source, spool)
            spool.seek(0)
            source = spool
        checked = _check(source, catalogue, entered_by=entered_by, now=now, progress=progress)
    if isinstance(checked, ReportImportResult):
        logger.info("Report import of %s rejected: %d bad rows", name, checked.error_count)
        return checked
    with engine.connect() as conn, staging(conn, STAGING):
        _stage(conn, checked, progress)
        # One transaction from here: the new reports, their links and the audit row together.
        added_ids = _publish(conn, checked)
        duplicates = len(checked) - len(added_ids)
        after = {"file": name, "added": len(added_ids), "duplicates": duplicates}
        with Session(bind=conn) as session:
            repo.add_audit(
                session,
                actor_id=entered_by,
                action="import",
                entity="tradereport",
                entity_id=None,
                before=None,
                after=after,
                now=now,
            )
            session.flush()
        conn.commit()
    logger.info("Imported reports from %s: %d rows, %s", name, len(checked), after)
    return ReportImportResult(len(checked), len(added_ids), duplicates, (), 0, tuple(added_ids))


def _check(
    source: BinaryIO,
    catalogue: Catalogue,
    *,
    entered_by: int | None,
    now: datetime,
    progress: Progress | None,
) -> ReportImportResult | list[_Prepared]:
    """Read every row: return the errors, or the rows to store (a report file is small)."""
    errors: list[RowError] = []
    error_count = rows = 0
    prepared: list[_Prepared] = []
    parser: _ReportParser | None = None

    def reject(line: int, message: str) -> None:
        nonlocal error_count
        error_count += 1
        if len(errors) < MAX_LISTED:
            errors.append(RowError(line, message))

    records = read_records(source, source.tell())
    try:
        header = read_report_header(next(records, None), catalogue, entered_by=entered_by, now=now)
        if isinstance(header, RowError):
            return ReportImportResult(0, 0, 0, (header,), 1)
        parser = header
        for line, cells in records:
            try:
                row = parser.parse(cells)
            except RowInvalid as exc:
                reject(line, str(exc))
            else:
                if not error_count:
                    prepared.append(row)
            rows += 1
            if progress is not None and rows % CHECK_PROGRESS_EVERY == 0:
                progress(rows, None)
    except FileError as exc:
        reject(*exc.args)
    finally:
        _close(records)
    if not rows and not error_count:
        reject(2, "The file has a header but no rows.")
    if error_count:
        return ReportImportResult(rows, 0, 0, tuple(errors), error_count)
    if progress is not None and rows % CHECK_PROGRESS_EVERY:
        progress(rows, None)
    return prepared


def _stage(conn: Connection, rows: list[_Prepared], progress: Progress | None) -> None:
    """Write every valid row to the staging table, in file order."""
    add = insert(STAGING)
    total = len(rows)
    if progress is not None:
        progress(0, total)
    for at in range(0, total, BATCH):
        batch = rows[at : at + BATCH]
        conn.execute(
            add,
            [
                {"seq": seq, **{name: getattr(row.report, name) for name in _STAGED}}
                for seq, row in enumerate(batch, start=at)
            ],
        )
        if progress is not None:
            progress(at + len(batch), total)
    # Only the temporary table is written: this commit holds nobody up.
    conn.commit()


def _publish(conn: Connection, rows: list[_Prepared]) -> list[int]:
    """Copy the staged reports whose natural key is new, link their goods; return their ids.

    A key already stored (deleted reports included) or met earlier in the file is skipped, and
    so are the goods of its row; the ids are in file order.
    """
    staged = select(*(STAGING.c[name] for name in _STAGED)).order_by(STAGING.c.seq)
    statement = insert_new(conn, REPORTS, _STAGED, staged).returning(
        REPORTS.c.id, REPORTS.c.natural_key
    )
    with page_cache(conn):
        stored: dict[int, str] = {row.id: row.natural_key for row in conn.execute(statement)}
    if not stored:
        return []
    first: dict[str, int] = {}
    for seq, row in enumerate(rows):
        first.setdefault(row.report.natural_key, seq)
    # The first row of each new key is the one stored.
    added = sorted(stored, key=lambda report_id: first[stored[report_id]])
    links = [
        {"report_id": report_id, "commodity_id": commodity_id}
        for report_id in added
        for commodity_id in sorted(set(rows[first[stored[report_id]]].goods))
    ]
    for at in range(0, len(links), BATCH):
        conn.execute(insert(REPORT_GOODS), links[at : at + BATCH])
    return added


def _close(records: Iterator[tuple[int, list[str]]]) -> None:
    """Finish reading now: the reader lets go of the file (it is a generator)."""
    if isinstance(records, Generator):
        records.close()
