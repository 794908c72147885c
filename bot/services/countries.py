"""Countries as the catalogue keeps them, named from CLDR (Babel) in English, Korean and Chinese."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

__all__ = ["Country", "country_of"]


@dataclass(frozen=True)
class Country:
    """A country as the catalogue keeps it: ISO 3166 codes and its name in three languages."""

    iso2: str
    iso3: str
    name_en: str
    name_ko: str | None
    name_zh: str | None


@lru_cache(maxsize=512)
def country_of(code: str) -> Country | None:
    """The country with this ISO alpha-3 (or alpha-2) code, named from CLDR (Babel)."""
    from babel import Locale
    from babel.core import get_global

    code = code.strip().upper()
    if len(code) == 3:
        aliases = get_global("territory_aliases")
        found = aliases.get(code)
        if not found or len(found[0]) != 2:
            return None
        iso2 = found[0]
    elif len(code) == 2 and code.isalpha():
        iso2 = code
    else:
        return None
    en = Locale("en").territories.get(iso2)
    if en is None:
        return None
    iso3 = code if len(code) == 3 else _iso3_of(iso2)
    return Country(
        iso2=iso2,
        iso3=iso3,
        name_en=_plain(en),
        name_ko=Locale("ko").territories.get(iso2),
        name_zh=Locale("zh").territories.get(iso2),
    )


def _iso3_of(iso2: str) -> str:
    from babel.core import get_global

    for alias, target in get_global("territory_aliases").items():
        if len(alias) == 3 and alias.isalpha() and target == [iso2]:
            return str(alias)
    return iso2


def _plain(name: str) -> str:
    # CLDR writes "Myanmar (Burma)": the name before the aside.
    return name.split(" (", 1)[0].strip()
