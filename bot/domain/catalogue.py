"""The catalogue files: commodities and places with their names in several languages."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from bot.domain.matching import Entry, Name

COMMODITY_COLUMNS = (
    "slug",
    "category",
    "default_unit",
    "currency_code",
    "en",
    "en_aliases",
    "ko",
    "ko_kp",
    "ko_rom",
    "zh",
    "zh_rom",
)
PLACE_COLUMNS = (
    "slug",
    "kind",
    "parent",
    "country",
    "en",
    "en_aliases",
    "ko",
    "zh",
    "lat",
    "lon",
    "note",
)
# Column -> language tag of the names it holds.
_COMMODITY_LANGS = {
    "en": "en",
    "en_aliases": "en",
    "ko": "ko",
    "ko_kp": "ko-KP",
    "ko_rom": "ko-Latn",
    "zh": "zh",
    "zh_rom": "zh-Latn",
}
_PLACE_LANGS = {"en": "en", "en_aliases": "en", "ko": "ko", "zh": "zh"}


@dataclass(frozen=True)
class CommoditySpec:
    """A commodity as the catalogue file describes it."""

    slug: str
    category: str
    default_unit: str
    currency_code: str | None
    name_en: str
    name_ko: str | None
    name_zh: str | None
    names: tuple[Name, ...]


@dataclass(frozen=True)
class PlaceSpec:
    """A place as the catalogue file describes it."""

    slug: str
    kind: str
    parent: str | None
    country: str
    name_en: str
    name_ko: str | None
    name_zh: str | None
    latitude: float | None
    longitude: float | None
    note: str | None
    names: tuple[Name, ...]


def split_names(cell: str | None) -> list[str]:
    """Split a `;`-separated cell into names, dropping blanks."""
    return [part.strip() for part in (cell or "").split(";") if part.strip()]


def _names(row: dict[str, str], langs: dict[str, str]) -> tuple[Name, ...]:
    out: list[Name] = []
    seen: set[str] = set()
    for column, lang in langs.items():
        for text in split_names(row.get(column)):
            if text not in seen:
                seen.add(text)
                out.append(Name(text, lang))
    return tuple(out)


def _rows(path: Path, columns: tuple[str, ...]) -> Iterator[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in columns if c not in (reader.fieldnames or [])]
        if missing:
            raise ValueError(f"{path.name}: missing columns {', '.join(missing)}")
        yield from reader


def read_commodities(path: Path) -> list[CommoditySpec]:
    """Read the commodities catalogue file."""
    specs = []
    for row in _rows(path, COMMODITY_COLUMNS):
        ko, zh = split_names(row["ko"]), split_names(row["zh"])
        specs.append(
            CommoditySpec(
                slug=row["slug"].strip(),
                category=row["category"].strip(),
                default_unit=row["default_unit"].strip() or "kg",
                currency_code=row["currency_code"].strip() or None,
                name_en=row["en"].strip(),
                name_ko=ko[0] if ko else None,
                name_zh=zh[0] if zh else None,
                names=_names(row, _COMMODITY_LANGS),
            )
        )
    return specs


def read_places(path: Path) -> list[PlaceSpec]:
    """Read the places catalogue file."""
    specs = []
    for row in _rows(path, PLACE_COLUMNS):
        ko, zh = split_names(row["ko"]), split_names(row["zh"])
        specs.append(
            PlaceSpec(
                slug=row["slug"].strip(),
                kind=row["kind"].strip(),
                parent=row["parent"].strip() or None,
                country=row["country"].strip() or "KP",
                name_en=row["en"].strip(),
                name_ko=ko[0] if ko else None,
                name_zh=zh[0] if zh else None,
                latitude=float(row["lat"]) if row["lat"].strip() else None,
                longitude=float(row["lon"]) if row["lon"].strip() else None,
                note=row["note"].strip() or None,
                names=_names(row, _PLACE_LANGS),
            )
        )
    return specs


def entries(items: Iterable[tuple[int, str, str, Iterable[Name], str]]) -> list[Entry]:
    """Build matcher entries from (id, slug, display, names, kind) tuples."""
    return [Entry(id=i, slug=s, display=d, names=tuple(n), kind=k) for i, s, d, n, k in items]
