"""Seeded databases, distinct filter sets and subscriptions inserted in bulk, for the digest benches."""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import datetime
from itertools import combinations
from pathlib import Path

from sqlalchemy import func, insert, select, text
from sqlalchemy.engine import Engine

from bot.services.catalogue import Catalogue, sync_catalogue
from bot.services.digests import Filters
from bot.services.seed import load_sample
from db.engine import make_engine, upgrade
from db.models import DigestBody, DigestDelivery, Subscription, table_of


def seeded_database(path: Path, *, now: datetime) -> Engine:
    """Create a migrated SQLite file with the catalogue and the sample figures; return its engine."""
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    sync_catalogue(engine, now=now)
    load_sample(engine, now=now)
    return engine


def filter_sets(
    catalogue: Catalogue,
    count: int,
    *,
    seed: int = 7,
    prefer: Sequence[tuple[int, int]] = (),
) -> list[Filters]:
    """Return `count` distinct filter sets built from catalogue commodity and market ids.

    One commodity in one place first (the `prefer` pairs, then the rest of the catalogue in a
    seeded order), then two commodities in one place once the single pairs run out.
    """
    rng = random.Random(seed)
    commodities = sorted(catalogue.commodity_labels)
    markets = sorted(catalogue.market_labels)
    known = set(commodities), set(markets)
    preferred = [(c, m) for c, m in dict.fromkeys(prefer) if c in known[0] and m in known[1]]
    taken = set(preferred)
    others = [(c, m) for c in commodities for m in markets if (c, m) not in taken]
    rng.shuffle(others)
    candidates = [Filters((c,), (m,)) for c, m in (*preferred, *others)]
    if count > len(candidates):
        doubles = [Filters(pair, (m,)) for pair in combinations(commodities, 2) for m in markets]
        rng.shuffle(doubles)
        candidates.extend(doubles)
    if count > len(candidates):
        raise ValueError(f"the catalogue yields only {len(candidates)} filter sets")
    chosen = candidates[:count]
    assert len({f.key for f in chosen}) == count
    return chosen


def pairs_with_figures(engine: Engine) -> list[tuple[int, int]]:
    """(commodity, market) pairs that have figures, most figures first."""
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT commodity_id, market_id FROM priceobservation WHERE deleted_at IS NULL "
                "GROUP BY commodity_id, market_id ORDER BY count(*) DESC, commodity_id, market_id"
            )
        ).all()
    return [(int(c), int(m)) for c, m in rows]


def insert_subscriptions(
    engine: Engine,
    chat_ids: Sequence[int],
    filters: Sequence[Filters],
    *,
    due: datetime,
    now: datetime,
    chunk: int = 10_000,
) -> None:
    """Insert one weekly subscription per chat, filter sets assigned round robin (core insert)."""
    table = table_of(Subscription)
    with engine.begin() as conn:
        for start in range(0, len(chat_ids), chunk):
            rows = []
            for index in range(start, min(start + chunk, len(chat_ids))):
                chosen = filters[index % len(filters)]
                rows.append(
                    {
                        "chat_id": chat_ids[index],
                        "chat_type": "private",
                        "commodity_ids": list(chosen.commodity_ids),
                        "market_ids": list(chosen.market_ids),
                        "filter_key": chosen.key,
                        "cadence": "weekly",
                        "weekday": now.weekday(),
                        "hour": 9,
                        "timezone": "Asia/Seoul",
                        "language": "en",
                        "alerts": False,
                        "active": True,
                        "next_due_at": due,
                        "last_digest_at": None,
                        "deactivated_reason": None,
                        "created_by": chat_ids[index],
                        "created_at": now,
                        "updated_at": now,
                    }
                )
            conn.execute(insert(table), rows)


def ledger_counts(engine: Engine) -> dict[str, int]:
    """Ledger rows by status."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(DigestDelivery.status, func.count()).group_by(DigestDelivery.status)  # type: ignore[arg-type]
        ).all()
    return {str(status): int(n) for status, n in rows}


def body_count(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(DigestBody)).scalar_one())
