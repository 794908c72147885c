"""CSV files in chat: imports an admin sends and exports an admin asks for."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import date

from sqlalchemy.engine import Engine

from bot.domain.errors import InvalidInput, NotFound
from bot.domain.query import ParsedQuery, parse_query
from bot.rendering.html import esc_short, shorten_quotes
from bot.rendering.replies import Reply
from bot.services.catalogue import CatalogueStore
from bot.services.clock import Clock
from bot.services.condition_alerts import ConditionAlerts
from bot.services.exporter import export_prices, export_reports
from bot.services.importer import ImportResult, import_prices
from bot.services.importrows import RowError
from bot.services.prices import check_length
from bot.services.report_import import ReportImportResult, import_reports, is_report_file

MAX_LISTED_ERRORS = 40
# How much of a file name and of one row's problem a reply quotes (UTF-16 code units): a row's
# message may quote its cells in full, and a hostile file would otherwise fill the reply.
NAME_QUOTE = 120
CELL_QUOTE = 80
ERROR_QUOTE = 300
# A first word that asks `/export` for the trade-condition reports instead of the prices.
REPORT_WORDS = frozenset(("reports", "report", "보고", "보고서"))


class Files:
    """Import and export for admins in chat."""

    def __init__(
        self,
        *,
        engine: Engine,
        catalogue: CatalogueStore,
        clock: Clock,
        condition_alerts: ConditionAlerts,
    ) -> None:
        self._engine = engine
        self._catalogue = catalogue
        self._clock = clock
        self._condition_alerts = condition_alerts

    def import_csv(
        self,
        data: bytes,
        *,
        name: str,
        admin_id: int,
        progress: Callable[[int, int | None], None] | None,
        lang: str,
    ) -> Reply:
        """Import a CSV document (prices, or reports by their header) all or nothing and describe the outcome."""
        source = io.BytesIO(data)
        if is_report_file(source):
            reports = import_reports(
                self._engine,
                self._catalogue.current,
                source,
                name=name,
                entered_by=admin_id,
                now=self._clock(),
                progress=progress,
            )
            if not reports.errors and reports.added_ids:
                self._condition_alerts.reports_added(reports.added_ids)
            return Reply(text=describe_report_import(reports, name=name))
        result = import_prices(
            self._engine,
            self._catalogue.current,
            source,
            name=name,
            entered_by=admin_id,
            now=self._clock(),
            progress=progress,
        )
        return Reply(text=describe_import(result, name=name))

    def export_csv(self, text: str) -> tuple[str, bytes]:
        """Return (file name, CSV bytes) of the live figures, optionally for one commodity and place.

        A first word "reports" (보고서) exports the trade-condition reports instead, optionally
        for one place and period.
        """
        words = text.split(maxsplit=1)
        if words and words[0].casefold() in REPORT_WORDS:
            return self._export_reports(words[1] if len(words) > 1 else "")
        parsed, market_ids, start, end = self._export_filters(text)
        commodity_id = None
        if parsed is not None:
            if parsed.commodity_text and parsed.commodity.match is None:
                raise NotFound("No single commodity matches “{text}”.", text=parsed.commodity_text)
            if parsed.commodity.match is not None:
                commodity_id = parsed.commodity.match.entry.id
        out = io.StringIO()
        count = export_prices(
            self._engine,
            self._catalogue.current,
            out,
            commodity_id=commodity_id,
            market_ids=market_ids,
            start=start,
            end=end,
        )
        if count == 0:
            raise InvalidInput("Nothing to export for that.")
        name = f"jangmadang-prices-{self._clock().date():%Y%m%d}.csv"
        return name, out.getvalue().encode("utf-8")

    def _export_filters(
        self, text: str
    ) -> tuple[ParsedQuery | None, list[int] | None, date | None, date | None]:
        """Read an export's text: the parse, the places named (with those inside), the period.

        A date problem is told first, before any name is looked at.
        """
        if not text.strip():
            return None, None, None, None
        check_length(text)
        parsed = parse_query(
            text,
            commodities=self._catalogue.current.commodities,
            markets=self._catalogue.current.markets,
            today=self._clock().date(),
            intents=False,
        )
        if parsed.period_problem:
            raise InvalidInput(parsed.period_problem)
        market_ids = None
        if parsed.market is not None:
            if parsed.market.match is None:
                raise NotFound("No single place matches “{text}”.", text=parsed.market_text or "")
            market_ids = self._catalogue.current.descendants(parsed.market.match.entry.id)
        period = parsed.period
        return parsed, market_ids, period.start if period else None, period.end if period else None

    def _export_reports(self, text: str) -> tuple[str, bytes]:
        """Return (file name, CSV bytes) of the live reports, optionally for one place and period."""
        parsed, market_ids, start, end = self._export_filters(text)
        if parsed is not None and parsed.commodity_text:
            raise InvalidInput(
                "Reports are exported by place and period only, not by “{text}”.",
                text=parsed.commodity_text,
            )
        out = io.StringIO()
        count = export_reports(
            self._engine,
            self._catalogue.current,
            out,
            market_ids=market_ids,
            start=start,
            end=end,
        )
        if count == 0:
            raise InvalidInput("Nothing to export for that.")
        name = f"jangmadang-reports-{self._clock().date():%Y%m%d}.csv"
        return name, out.getvalue().encode("utf-8")


def describe_import(result: ImportResult, *, name: str) -> str:
    """Summarise an import: what was added, or every bad row (up to a limit) and that nothing was written."""
    if result.errors:
        return _describe_rejection(result.errors, result.error_count, name=name)
    return (
        f"<b>{esc_short(name, NAME_QUOTE)}</b>: {result.rows:,} rows read, {result.added:,} added, "
        f"{result.duplicates:,} duplicates skipped, {result.new_series:,} new series."
    )


def describe_report_import(result: ReportImportResult, *, name: str) -> str:
    """Summarise a report import: what was added, or every bad row and that nothing was written."""
    if result.errors:
        return _describe_rejection(result.errors, result.error_count, name=name)
    return (
        f"<b>{esc_short(name, NAME_QUOTE)}</b>: {result.rows:,} report rows read, {result.added:,} added, "
        f"{result.duplicates:,} duplicates skipped."
    )


def _describe_rejection(errors: tuple[RowError, ...], error_count: int, *, name: str) -> str:
    lines = [
        f"<b>{esc_short(name, NAME_QUOTE)}</b>: rejected, nothing was written. "
        "Fix these rows and send it again:"
    ]
    lines += [
        f"line {e.line}: {esc_short(shorten_quotes(e.message, CELL_QUOTE), ERROR_QUOTE)}"
        for e in errors[:MAX_LISTED_ERRORS]
    ]
    hidden = error_count - min(len(errors), MAX_LISTED_ERRORS)
    if hidden > 0:
        lines.append(f"… and {hidden:,} more.")
    return "\n".join(lines)
