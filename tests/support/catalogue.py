"""Resolvers over the real catalogue files, without a database: for parsing tests."""

from __future__ import annotations

from bot.domain.catalogue import read_commodities, read_places
from bot.domain.matching import Entry, Name, Resolver
from config.paths import COMMODITIES_CSV, PLACES_CSV


def catalogue_resolvers() -> tuple[Resolver, Resolver]:
    """The commodity and the market resolver built from the catalogue CSVs (ids count from 1)."""
    commodities = [
        Entry(i, s.slug, s.name_en, (Name(s.name_en, "en"), *s.names), s.category)
        for i, s in enumerate(read_commodities(COMMODITIES_CSV), 1)
    ]
    places = [
        Entry(i, s.slug, s.name_en, (Name(s.name_en, "en"), *s.names), s.kind)
        for i, s in enumerate(read_places(PLACES_CSV), 1)
    ]
    return Resolver(commodities), Resolver(places)


# Built once: resolvers are read-only, so every test module may share them.
COMMODITIES, MARKETS = catalogue_resolvers()
