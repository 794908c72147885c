"""CSV files in chat: imports an admin sends and exports an admin asks for."""

from __future__ import annotations

import io
from collections.abc import Callable

from sqlalchemy.engine import Engine

from bot.domain.errors import InvalidInput, NotFound
from bot.domain.query import parse_query
from bot.rendering.html import esc
from bot.rendering.replies import Reply
from bot.services.catalogue import CatalogueStore
from bot.services.clock import Clock
from bot.services.exporter import export_prices
from bot.services.importer import ImportResult, import_prices
from bot.services.prices import check_length

MAX_LISTED_ERRORS = 40


class Files:
    """Import and export for admins in chat."""

    def __init__(self, *, engine: Engine, catalogue: CatalogueStore, clock: Clock) -> None:
        self._engine = engine
        self._catalogue = catalogue
        self._clock = clock

    def import_csv(
        self,
        data: bytes,
        *,
        name: str,
        admin_id: int,
        progress: Callable[[int, int | None], None] | None,
        lang: str,
    ) -> Reply:
        """Import a CSV document all or nothing and describe the outcome."""
        result = import_prices(
            self._engine,
            self._catalogue.current,
            io.BytesIO(data),
            name=name,
            entered_by=admin_id,
            now=self._clock(),
            progress=progress,
        )
        return Reply(text=describe_import(result, name=name))

    def export_csv(self, text: str) -> tuple[str, bytes]:
        """Return (file name, CSV bytes) of the live figures, optionally for one commodity and place."""
        commodity_id = market_ids = None
        start = end = None
        if text.strip():
            check_length(text)
            parsed = parse_query(
                text,
                commodities=self._catalogue.current.commodities,
                markets=self._catalogue.current.markets,
                today=self._clock().date(),
                intents=False,
            )
            if parsed.commodity_text and parsed.commodity.match is None:
                raise NotFound("No single commodity matches “{text}”.", text=parsed.commodity_text)
            if parsed.commodity.match is not None:
                commodity_id = parsed.commodity.match.entry.id
            if parsed.market is not None:
                if parsed.market.match is None:
                    raise NotFound(
                        "No single place matches “{text}”.", text=parsed.market_text or ""
                    )
                market_ids = self._catalogue.current.descendants(parsed.market.match.entry.id)
            if parsed.period_problem:
                raise InvalidInput(parsed.period_problem)
            if parsed.period is not None:
                start, end = parsed.period.start, parsed.period.end
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


def describe_import(result: ImportResult, *, name: str) -> str:
    """Summarise an import: what was added, or every bad row (up to a limit) and that nothing was written."""
    if result.errors:
        lines = [
            f"<b>{esc(name)}</b>: rejected, nothing was written. Fix these rows and send it again:"
        ]
        lines += [f"line {e.line}: {esc(e.message)}" for e in result.errors[:MAX_LISTED_ERRORS]]
        hidden = result.error_count - min(len(result.errors), MAX_LISTED_ERRORS)
        if hidden > 0:
            lines.append(f"… and {hidden:,} more.")
        return "\n".join(lines)
    return (
        f"<b>{esc(name)}</b>: {result.rows:,} rows read, {result.added:,} added, "
        f"{result.duplicates:,} duplicates skipped, {result.new_series:,} new series."
    )
