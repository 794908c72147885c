"""Importing trade-condition report files, all or nothing: every row is checked before any is stored."""

from __future__ import annotations

import contextlib
import logging
import shutil
import tempfile
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import BinaryIO

from sqlalchemy import insert
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bot.domain.errors import DomainError, NotFound
from bot.domain.records import trade_report_from_row
from bot.services.catalogue import Catalogue
from bot.services.csvfile import PRICE_COLUMNS, FileError, read_records
from bot.services.importer import CHECK_PROGRESS_EVERY, MAX_LISTED
from bot.services.importrows import MEMO_LIMIT, RowError, RowInvalid
from bot.services.records import trade_report_row
from db import repo
from db.models import TradeReport, TradeReportCommodity

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
# New reports stored per flush; existing keys are looked up this many at a time.
BATCH = 500

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
        row = {column: cells[position] for column, position in self.columns.items()}
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
    with Session(engine) as session:
        added_ids, duplicates = _store(session, checked, progress)
        after = {"file": name, "added": len(added_ids), "duplicates": duplicates}
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
        session.commit()
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


def _store(
    session: Session, rows: list[_Prepared], progress: Progress | None
) -> tuple[list[int], int]:
    """Add every row whose natural key is new; return the new ids and the duplicates skipped."""
    seen = _existing_keys(session, {row.report.natural_key for row in rows})
    added: list[int] = []
    duplicates = done = 0
    batch: list[_Prepared] = []

    def flush() -> None:
        if batch:
            session.add_all([row.report for row in batch])
            session.flush()
            links = []
            for row in batch:
                assert row.report.id is not None
                added.append(row.report.id)
                links += [
                    {"report_id": row.report.id, "commodity_id": c} for c in sorted(set(row.goods))
                ]
            if links:
                session.execute(insert(TradeReportCommodity), links)
            batch.clear()
        if progress is not None:
            progress(done, len(rows))

    if progress is not None:
        progress(0, len(rows))
    for row in rows:
        done += 1
        key = row.report.natural_key
        if key in seen:
            duplicates += 1
            continue
        # An identical row later in the file is a duplicate of this one.
        seen.add(key)
        batch.append(row)
        if len(batch) >= BATCH:
            flush()
    flush()
    return added, duplicates


def _existing_keys(session: Session, keys: Iterable[str]) -> set[str]:
    """Return the keys already stored, deleted reports included (the key stays unique)."""
    wanted = list(keys)
    found: set[str] = set()
    column = col(TradeReport.natural_key)
    for at in range(0, len(wanted), BATCH):
        chunk = wanted[at : at + BATCH]
        found.update(session.exec(select(TradeReport.natural_key).where(column.in_(chunk))))
    return found


def _close(records: Iterator[tuple[int, list[str]]]) -> None:
    """Finish reading now: the reader lets go of the file (it is a generator)."""
    if isinstance(records, Generator):
        records.close()
