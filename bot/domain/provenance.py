"""Where a figure came from: its publisher, where it was read, and how its date is known.

A figure is credited to its original publisher (`source`, `source_url`); when it was read
elsewhere (a reprint, a translation, an aggregator, a blog that quoted it) that place is kept
apart (`via`, `via_url`). A date whose year (or more) was worked out rather than stated is marked
inferred. Undated figures of one report are ordered only by what the report says ("before",
"recently"): `report_order`.

`read_legacy` turns the free-text notes of older files ("via Nocut News; year not stated",
"reprint; year from URL date 2024/05/21") into those fields. Migration 0007 applies it to stored
rows, so its readings must stay as they are: new readings belong in a new migration.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from urllib.parse import urlsplit

# Publishers whose own sites are not named after them.
_OWN_SITES = {
    "lfnkr": ("northkoreanrefugees.com",),
    "daily nk japan": ("dailynk.jp",),
    "rfa": ("rfa.org", "rfaweb.org"),
    "wfp": ("wfp.org",),
    "good friends": ("goodfriends.or.kr",),
}
# Sites that reprint others' figures, by the name readers know them by.
_SITE_NAMES = {
    "nocutnews.co.kr": "Nocut News",
    "reliefweb.int": "ReliefWeb",
    "yonhapnews.co.kr": "Yonhap",
    "nkeconwatch.com": "North Korean Economy Watch",
    "nkfood.wordpress.com": "nkfood blog",
    "ajunews.com": "Aju News",
}
# Sites that repost others' reports; a figure linked there was read there.
_REPOSTING_SITES = frozenset({
    "stopnkcrimes.org", "peak-oil.org", "telkdeep.com", "thepressunited.com", "downthenews.com",
    "pink-neko.net", "europesays.com", "ellinghuysen.com", "marketnews.top", "inven.co.kr",
})  # fmt: skip
# Other names older notes give those sites.
_SITE_ALIASES = {"nk econ watch": "nkeconwatch.com", "cbs nocut news": "nocutnews.co.kr"}
_VIA = re.compile(
    r"^(?:data |graphs |market trend data )?via (?P<name>.+?)(?: \((?P<date>[\d-]+)\))?$"
)
_REPOST = re.compile(r"^(?:via )?(?:repost|reprint|post) dated (?P<date>\d{4}-\d{2}-\d{2})$")
_PAGE_DATE = re.compile(
    r"^(?:page header|article) dated (?P<date>\d{4}-\d{2}-\d{2})$|^article (?P<d2>\d{4}-\d{2}-\d{2})$"
)
_REPRINT = frozenset({"reprint", "survey reprint", "quoted"})
_UNDATED = ("date not stated", "date not in stored text", "date stated")
_YEAR_NOT_STATED = re.compile(r"^(?:month and )?year not stated(?P<why> \(.+\))?$")
_YEAR_WORKED_OUT = re.compile(r"^year (?:deduced|from|ambiguous)")
_EARLIER = re.compile(r"^(?:price before|earlier price)\b")
_LATER = re.compile(r"^(?:recent price|'currently')")
_MONTH_NAMES = (
    ("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"), ("may",),
    ("jun", "june"), ("jul", "july"), ("aug", "august"), ("sep", "sept", "september"),
    ("oct", "october"), ("nov", "november"), ("dec", "december"),
)  # fmt: skip
_MONTHS = {name: number for number, names in enumerate(_MONTH_NAMES, 1) for name in names}
_STATED_DAY = re.compile(r"^(?P<month>[A-Za-z]+) (?P<day>\d{1,2})\b")


@dataclass(frozen=True)
class Provenance:
    """A figure's credit and the standing of its date."""

    source_url: str | None
    via: str | None
    via_url: str | None
    date_inferred: bool
    reported_on: date | None
    report_order: int | None
    note: str | None


def host(url: str | None) -> str | None:
    """Return a link's site without "www." (None for no link or one without a host)."""
    if not url:
        return None
    name = (urlsplit(url).hostname or "").lower()
    return name.removeprefix("www.") or None


def is_own_site(publisher: str, url: str | None) -> bool:
    """Tell whether a link is on the publisher's own site (its name in the host, or known)."""
    site = host(url)
    if site is None:
        return True
    key = publisher.strip().casefold()
    own = _OWN_SITES.get(key, ())
    if any(site == d or site.endswith("." + d) for d in own):
        return True
    return _named_after(key, site)


def is_reposting_site(url: str | None) -> bool:
    """Tell whether a link is on a site known to reprint or aggregate others' reports."""
    site = host(url) or ""
    known = (*_REPOSTING_SITES, *_SITE_NAMES)
    return any(site == d or site.endswith("." + d) for d in known)


def site_name(url: str | None) -> str | None:
    """Return the name a reprinting site is known by, else its host."""
    site = host(url)
    if site is None:
        return None
    for domain, name in _SITE_NAMES.items():
        if site == domain or site.endswith("." + domain):
            return name
    return site


@dataclass(frozen=True)
class LegacyRow:
    """The cells of an older file's row that carry its provenance."""

    source: str
    source_url: str | None
    note: str | None
    dated: bool
    reported_on: date | None


def read_legacy(rows: Sequence[LegacyRow]) -> list[Provenance]:
    """Read the provenance of one report's rows (rows sharing a link) from their notes.

    Undated rows get a report order where their notes say "before"/"recently", or where the
    report states a month and day for each of them within one half-year (its own order).
    """
    read = [_read_one(row) for row in rows]
    days = [_stated_day(row) for row in rows]
    undated = [i for i, row in enumerate(rows) if not row.dated]
    stated = sorted({day for i in undated if (day := days[i]) is not None})
    if stated and _within_half_year(stated) and len(stated) > 1:
        rank = {day: n + 1 for n, day in enumerate(stated)}
        for i in undated:
            day = days[i]
            if day is not None and read[i].report_order is None:
                read[i] = _with_order(read[i], rank[day])
    return read


def _read_one(row: LegacyRow) -> Provenance:
    # Only a known reposting site, or a note that says so, makes a link a reprint's: a publisher
    # whose site is not named after it ("Radio Free Asia" at rfa.org) is not guessed at.
    reprinted = is_reposting_site(row.source_url)
    inferred = False
    reported = row.reported_on
    order: int | None = None
    kept: list[str] = []
    for part in (p.strip() for p in (row.note or "").split(";")):
        if not part:
            continue
        if (m := _VIA.match(part)) and not _REPOST.match(part):
            reprinted = True
            if m["date"]:
                reported = reported or date.fromisoformat(m["date"])
            if _names_site(m["name"], row.source_url):
                continue
            # Passed on by someone other than the site it was read at: the note keeps that.
            part = f"via {m['name']}"
        if m := _REPOST.match(part):
            reprinted = True
            reported = reported or date.fromisoformat(m["date"])
            continue
        if m := _PAGE_DATE.match(part):
            reported = reported or date.fromisoformat(m["date"] or m["d2"])
            continue
        if part in _REPRINT or part.startswith("reprint dated "):
            reprinted = True
            if part.startswith("reprint dated "):
                reported = reported or date.fromisoformat(part.removeprefix("reprint dated ")[:10])
            continue
        if part in _UNDATED:
            continue
        if m := _YEAR_NOT_STATED.match(part):
            # Dated: the year was worked out. Undated: the figure simply has no date.
            inferred = inferred or row.dated
            if m["why"]:
                why = m["why"].strip()[1:-1]
                kept.append(f"year inferred: {why}" if row.dated else why)
            continue
        if _YEAR_WORKED_OUT.match(part):
            inferred = inferred or row.dated
            if row.dated and part != "year deduced as above":
                kept.append(_plain_year_note(part))
            continue
        if part.startswith("survey reprint"):
            reprinted = True
            part = part.removeprefix("survey reprint").strip() or "survey"
        if not row.dated:
            if _EARLIER.match(part):
                order = 1
            elif _LATER.match(part):
                order = 2
        kept.append(part)
    if reprinted:
        via_name = site_name(row.source_url)
        via_url = row.source_url
        source_url = None if not is_own_site(row.source, row.source_url) else row.source_url
        if source_url is not None:
            # Read on the publisher's own site after all: nothing to credit elsewhere.
            via_name = via_url = None
    else:
        via_name = via_url = None
        source_url = row.source_url
    return Provenance(
        source_url=source_url,
        via=via_name,
        via_url=via_url,
        date_inferred=inferred,
        reported_on=reported,
        report_order=order,
        note="; ".join(kept) or None,
    )


def _plain_year_note(part: str) -> str:
    """Say in plain words how a year was worked out ("year from URL date 2024/05/21")."""
    if m := re.match(r"^year from URL date (?P<date>\S+)$", part):
        return f"year taken from the date in the link ({m['date']})"
    if part.startswith("year deduced from same text"):
        return "year deduced from the text" + part.removeprefix("year deduced from same text")
    return part


def _names_site(name: str, url: str | None) -> bool:
    """Tell whether a note's "via X" names the site the link is on."""
    site = host(url) or ""
    alias = _SITE_ALIASES.get(name.casefold())
    if alias is not None:
        return site == alias or site.endswith("." + alias)
    if site_name(url) == name:
        return True
    return _named_after(name, site)


def _named_after(name: str, site: str) -> bool:
    """Tell whether a site's host spells a name ("Daily NK" in dailynk.com)."""
    compact = re.sub(r"[^a-z0-9]", "", name.casefold())
    return bool(compact) and compact in site.replace(".", "").replace("-", "")


def _with_order(p: Provenance, order: int) -> Provenance:
    return Provenance(p.source_url, p.via, p.via_url, p.date_inferred, p.reported_on, order, p.note)


def _stated_day(row: LegacyRow) -> tuple[int, int] | None:
    """Return the (month, day) an undated row's note begins with ("Mar 19; ..."), if any."""
    m = _STATED_DAY.match((row.note or "").strip())
    if m is None or m["month"].lower() not in _MONTHS:
        return None
    day = int(m["day"])
    return (_MONTHS[m["month"].lower()], day) if 1 <= day <= 31 else None


def _within_half_year(days: Sequence[tuple[int, int]]) -> bool:
    """Tell whether month-days of one report lie within six months (no turn of the year)."""
    return days[-1][0] - days[0][0] <= 6
