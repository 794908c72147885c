"""Checking the price feeds: a WFP country file on HDX (`wfp-hdx`) and HDX HAPI's food prices
for one location (`hapi`). Both end in the importer, all or nothing per check, the markets and
commodities named by WfpNames; a check that finds nothing new parses nothing."""

from __future__ import annotations

import csv
import io
import json
import logging
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import IO, Any, BinaryIO, cast
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from sqlalchemy.engine import Engine

from bot.domain.errors import InvalidInput
from bot.domain.feeds import wfp_iso3
from bot.services.catalogue import CatalogueStore
from bot.services.countries import country_of
from bot.services.fetching import Fetched, FetchLimits, fetch_resource
from bot.services.importer import ImportResult, import_prices
from bot.services.wfp import WfpNames, find_resource
from db.models import Feed

__all__ = ["Outcome", "check_hapi", "check_wfp"]

logger = logging.getLogger(__name__)
# The columns a HAPI row is written in for the importer (WFP's file columns).
WFP_HEADER = (
    "date", "admin1", "admin2", "market", "market_id", "latitude", "longitude", "category",
    "commodity", "commodity_id", "unit", "priceflag", "pricetype", "currency", "price",
)  # fmt: skip
# HAPI's rows at most in one check (ten years of a large country are ~300,000).
MAX_HAPI_ROWS = 2_000_000
# A dataset page, package_show answer or HAPI page is read within this (bytes).
PAGE_BYTES = 50_000_000
Progress = Callable[[int, int | None], None]


@dataclass
class Outcome:
    """What one check found: whether anything changed, a summary for `feeds list`, and the
    feed's new validators (only stored when the check succeeded)."""

    changed: bool
    result: dict[str, Any] = field(default_factory=dict)
    etag: str | None = None
    last_modified: str | None = None
    content_sha256: str | None = None
    resource_url: str | None = None
    cursor: str | None = None
    created: bool = False


def check_wfp(
    feed: Feed,
    *,
    engine: Engine,
    catalogue: CatalogueStore,
    limits: FetchLimits,
    now: datetime,
    progress: Progress | None = None,
) -> Outcome:
    """Check a WFP country file: the dataset's current file, fetched only when it changed."""
    resource_url, dataset_url, iso3 = feed.url, feed.url, wfp_iso3(feed.url)
    fetched: Fetched | None = None
    if not urlsplit(feed.url).path.lower().endswith(".csv"):
        # The dataset page or package_show: the file's link changes with every update.
        page = fetch_resource(
            feed.url, limits=limits, accept="application/json, text/html;q=0.9, text/csv;q=0.8"
        )
        resource = find_resource(page.url, page.read(), page.media)
        if resource is None:
            fetched = page  # the link was the file after all
        else:
            _close(page)
            resource_url, dataset_url = resource.url, resource.dataset_url
            iso3 = resource.iso3 or iso3
    same = resource_url == (feed.resource_url or feed.url)
    if fetched is None:
        fetched = fetch_resource(
            resource_url,
            limits=limits,
            etag=feed.etag if same else None,
            last_modified=feed.last_modified if same else None,
            accept="text/csv, */*;q=0.5",
        )
    outcome = Outcome(
        changed=False,
        etag=fetched.etag or (feed.etag if fetched.status == 304 else None),
        last_modified=fetched.last_modified
        or (feed.last_modified if fetched.status == 304 else None),
        content_sha256=feed.content_sha256,
        resource_url=resource_url,
    )
    if fetched.status == 304:
        outcome.result = {"unchanged": True, "answer": "304"}
        return outcome
    try:
        if fetched.sha256 == feed.content_sha256:
            outcome.result = {"unchanged": True, "answer": "same file"}
            return outcome
        iso3 = iso3 or wfp_iso3(fetched.url)
        if iso3 is None:
            raise InvalidInput(
                "Which country is {url} about? WFP names its files wfp_food_prices_<iso3>.csv; "
                "add the dataset page or package_show link instead.",
                url=resource_url,
            )
        assert fetched.file is not None
        result, names = _import(
            fetched.file, iso3, dataset_url, engine=engine, catalogue=catalogue, now=now,
            name=resource_url.rsplit("/", 1)[-1] or feed.name, progress=progress,
        )  # fmt: skip
    finally:
        _close(fetched)
    outcome.content_sha256 = fetched.sha256
    outcome.created = bool(names)
    outcome.changed = bool(result.added) or outcome.created
    outcome.result = {**_summary(result, names), "cites": dataset_url}
    return outcome


def check_hapi(
    feed: Feed,
    *,
    engine: Engine,
    catalogue: CatalogueStore,
    limits: FetchLimits,
    app_identifier: str | None,
    page_size: int,
    now: datetime,
    progress: Progress | None = None,
) -> Outcome:
    """Check HAPI's food prices for the feed's location since the last period imported."""
    if not app_identifier:
        raise InvalidInput(
            "HDX HAPI needs an app identifier: set HAPI_APP_IDENTIFIER (see HAPI's "
            "encode_app_identifier)."
        )
    base, query = _split_query(feed.url)
    location = (query.get("location_code") or "").upper()
    country = country_of(location) if location else None
    if country is None:
        raise InvalidInput(
            "The HAPI link needs a location_code, a country's ISO 3166 alpha-3 code "
            "(…/food-prices-market-monitor?location_code=MMR).",
        )
    params: dict[str, str | int] = {
        **query,
        "location_code": location,
        "app_identifier": app_identifier,
        "output_format": "json",
        "limit": page_size,
    }
    if feed.cursor:
        params["start_date"] = feed.cursor
    rows: list[dict[str, Any]] = []
    offset = 0
    while True:
        try:
            page = fetch_resource(
                base, limits=limits, params={**params, "offset": offset}, accept="application/json"
            )
        except InvalidInput as exc:
            # Its message quotes the link: never with the app identifier in it.
            raise _hidden(exc, app_identifier) from None
        try:
            data = json.loads(page.read()).get("data")
        except (ValueError, AttributeError):
            raise InvalidInput("HAPI did not answer JSON with a data list.") from None
        finally:
            _close(page)
        if not isinstance(data, list):
            raise InvalidInput("HAPI did not answer JSON with a data list.")
        rows += [r for r in data if isinstance(r, dict)]
        if len(data) < page_size:
            break
        offset += page_size
        if len(rows) > MAX_HAPI_ROWS:
            raise InvalidInput("HAPI sent more than {count:,} rows.", count=MAX_HAPI_ROWS)
        if progress is not None:
            progress(len(rows), None)
    outcome = Outcome(changed=False, cursor=feed.cursor)
    if not rows:
        outcome.result = {"unchanged": True, "answer": "no new rows"}
        return outcome
    # Figures cite the endpoint for the location, never the app identifier.
    cited = f"{base}?{urlencode({'location_code': location})}"
    with tempfile.TemporaryFile() as spool:
        latest = _hapi_to_csv(rows, spool)
        spool.seek(0)
        result, names = _import(
            spool, country.iso3, cited, engine=engine, catalogue=catalogue, now=now,
            name=f"HAPI {location}", progress=progress,
        )  # fmt: skip
    outcome.cursor = max(filter(None, (latest, feed.cursor)), default=None)
    outcome.created = bool(names)
    outcome.changed = bool(result.added) or outcome.created
    outcome.result = {**_summary(result, names), "cites": cited}
    return outcome


def _import(
    source: IO[bytes],
    iso3: str,
    dataset_url: str,
    *,
    engine: Engine,
    catalogue: CatalogueStore,
    now: datetime,
    name: str,
    progress: Progress | None,
) -> tuple[ImportResult, dict[str, list[str]]]:
    country = country_of(iso3)
    if country is None:
        raise InvalidInput("{code} is not a country code I know.", code=iso3)
    current = catalogue.current
    names = WfpNames(engine, current, country=country, dataset_url=dataset_url, now=now)
    result = import_prices(
        engine, current, cast(BinaryIO, source), name=name, entered_by=None, now=now,
        progress=progress, names=names,
    )  # fmt: skip
    if result.errors:
        first = result.errors[0]
        raise InvalidInput(
            "The file was refused and nothing was imported ({count:,} bad rows). Line {line}: "
            "{message}",
            count=result.error_count,
            line=first.line,
            message=first.message,
        )
    created = names.created
    made = {
        "markets": created.markets,
        "commodities": created.commodities,
        "places": created.places,
    }
    if any(made.values()):
        catalogue.reload()
    return result, {k: v for k, v in made.items() if v}


def _summary(result: ImportResult, names: dict[str, list[str]]) -> dict[str, Any]:
    summary: dict[str, Any] = {
        "rows": result.rows,
        "added": result.added,
        "duplicates": result.duplicates,
        "new_series": result.new_series,
    }
    for kind, made in names.items():
        summary[f"new_{kind}"] = len(made)
        summary[f"new_{kind}_names"] = made[:20]
    return summary


def _split_query(url: str) -> tuple[str, dict[str, str]]:
    parts = urlsplit(url)
    query = {k: v for k, v in parse_qsl(parts.query) if k not in ("app_identifier", "offset")}
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", "")), query


def _hapi_to_csv(rows: list[dict[str, Any]], out: IO[bytes]) -> str | None:
    """Write HAPI rows as WFP file rows; return the latest reference period start (ISO date)."""
    text = io.TextIOWrapper(out, encoding="utf-8", newline="")
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(WFP_HEADER)
    latest: str | None = None
    for row in rows:
        start = str(row.get("reference_period_start") or "")[:10]
        if start and (latest is None or start > latest):
            latest = start
        writer.writerow(
            [
                start,
                _cell(row.get("admin1_name")),
                _cell(row.get("admin2_name")),
                _cell(row.get("market_name")),
                _cell(row.get("market_code")),
                _cell(row.get("lat")),
                _cell(row.get("lon")),
                _cell(row.get("commodity_category")),
                _cell(row.get("commodity_name")),
                _cell(row.get("commodity_code")),
                _cell(row.get("unit")),
                _cell(row.get("price_flag")),
                _cell(row.get("price_type")),
                _cell(row.get("currency_code")),
                _cell(row.get("price")),
            ]
        )
    text.flush()
    text.detach()
    return latest


def _hidden(exc: InvalidInput, secret: str) -> InvalidInput:
    """The same refusal with `secret` (and its URL-encoded form) left out of its values."""
    from urllib.parse import quote_plus

    def clean(value: object) -> object:
        if not isinstance(value, str):
            return value
        for form in {secret, quote_plus(secret)}:
            value = value.replace(form, "…")
        return value

    return InvalidInput(
        exc.template, is_html=exc.is_html, **{k: clean(v) for k, v in exc.params.items()}
    )


def _cell(value: object) -> str:
    return "" if value is None else str(value)


def _close(fetched: Fetched) -> None:
    if fetched.file is not None:
        fetched.file.close()
