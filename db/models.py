"""Every table of Jangmadang, in one place."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Index,
    LargeBinary,
    Table,
    Text,
    UniqueConstraint,
    inspect,
)
from sqlmodel import Field, SQLModel

# Sort key for figures whose date is unknown: before every dated figure, never claimed as recent.
UNDATED = date(1, 1, 1)


class Commodity(SQLModel, table=True):
    """A traded good or currency, with its display names."""

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(unique=True, index=True, max_length=80)
    category: str = Field(max_length=40, index=True)
    default_unit: str = Field(max_length=20)
    # ISO code when the commodity is itself a currency (exchange-rate series).
    currency_code: str | None = Field(default=None, max_length=3)
    name_en: str = Field(max_length=120)
    name_ko: str | None = Field(default=None, max_length=120)
    name_zh: str | None = Field(default=None, max_length=120)
    created_at: datetime


class CommodityAlias(SQLModel, table=True):
    """Another name of a commodity in one language; `normalized` is what the matcher compares."""

    __table_args__ = (UniqueConstraint("commodity_id", "normalized", name="uq_commodity_alias"),)

    id: int | None = Field(default=None, primary_key=True)
    commodity_id: int = Field(foreign_key="commodity.id", index=True)
    text: str = Field(max_length=120)
    lang: str = Field(max_length=10)  # en, ko, ko-KP, ko-Latn, zh, zh-Latn
    normalized: str = Field(max_length=120, index=True)


class Market(SQLModel, table=True):
    """A place with prices: a city, county, province, the country or a published aggregate."""

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(unique=True, index=True, max_length=80)
    kind: str = Field(max_length=20)  # country, province, city, county, aggregate
    parent_id: int | None = Field(default=None, foreign_key="market.id", index=True)
    country: str = Field(default="KP", max_length=2)
    name_en: str = Field(max_length=120)
    name_ko: str | None = Field(default=None, max_length=120)
    name_zh: str | None = Field(default=None, max_length=120)
    latitude: float | None = None
    longitude: float | None = None
    note: str | None = Field(default=None, sa_column=Column(Text))
    created_at: datetime


class MarketAlias(SQLModel, table=True):
    """Another spelling of a place in one language."""

    __table_args__ = (UniqueConstraint("market_id", "normalized", name="uq_market_alias"),)

    id: int | None = Field(default=None, primary_key=True)
    market_id: int = Field(foreign_key="market.id", index=True)
    text: str = Field(max_length=120)
    lang: str = Field(max_length=10)
    normalized: str = Field(max_length=120, index=True)


class PriceObservation(SQLModel, table=True):
    """One published price figure, kept as reported (range, grade, unit, currency, date precision)."""

    __table_args__ = (
        # "Latest price of X in Y" walks this index backwards and stops at the first live row.
        Index("ix_price_series_latest", "commodity_id", "market_id", "sort_on", "id"),
        Index("ix_price_market_latest", "market_id", "sort_on"),
        # A series' highest figure (record highs) is one seek to the end of this index.
        Index(
            "ix_price_series_high",
            "commodity_id",
            "market_id",
            "price_type",
            "currency",
            "unit",
            "source_name",
            "price_high",
        ),
        UniqueConstraint("natural_key", name="uq_price_natural_key"),
    )

    id: int | None = Field(default=None, primary_key=True)
    commodity_id: int = Field(foreign_key="commodity.id")
    market_id: int = Field(foreign_key="market.id")
    observed_on: date | None = None
    observed_precision: str = Field(default="unknown", max_length=8)  # day, month, year, unknown
    reported_on: date | None = None
    # observed_on, else reported_on, else UNDATED: never NULL so one index orders every series.
    sort_on: date
    price_low: float
    price_high: float
    grade: str | None = Field(default=None, max_length=120)
    price_type: str = Field(default="retail", max_length=20)
    currency: str = Field(max_length=3)
    unit: str = Field(max_length=20)  # as reported: "kg", "600 g", "head", "100 USD"
    unit_quantity: float = 1.0
    unit_base: str = Field(max_length=16)  # kg, l, piece, head, pack, USD, unspecified
    # Derived canonical value per kg (or per litre/piece/currency unit) for comparisons.
    per_base_low: float | None = None
    per_base_high: float | None = None
    source_name: str = Field(max_length=120)
    source_url: str | None = Field(default=None, max_length=500)
    reliability: str | None = Field(default=None, max_length=2)  # Admiralty code, e.g. B2
    note: str | None = Field(default=None, sa_column=Column(Text))
    # Where the figure was read when not at its publisher: a reprint, translation, aggregator.
    via: str | None = Field(default=None, max_length=120)
    via_url: str | None = Field(default=None, max_length=500)
    # The year (or more) of the date was worked out, not stated by the source.
    date_inferred: bool = False
    # The order a report gives its undated figures ("before" 1, "recently" 2): their only order.
    report_order: int | None = None
    entered_by: int | None = Field(default=None, sa_column=Column(BigInteger))
    created_at: datetime
    deleted_at: datetime | None = Field(default=None, index=True)
    # Hash of what makes two rows the same report; imports skip what they already hold.
    natural_key: str = Field(max_length=64)
    # The publisher's own conversion to US dollars (WFP's `usdprice`, at official or IMF rates):
    # kept as theirs and never shown as a market-rate conversion.
    usd_price: float | None = None


class TradeReport(SQLModel, table=True):
    """A field report on trade conditions at a place: border, channels, goods, markets."""

    __table_args__ = (
        Index("ix_trade_report_place_latest", "market_id", "sort_on", "id"),
        Index("ix_trade_report_latest", "sort_on", "id"),
        UniqueConstraint("natural_key", name="uq_trade_report_natural_key"),
    )

    id: int | None = Field(default=None, primary_key=True)
    market_id: int = Field(foreign_key="market.id")
    observed_on: date | None = None
    observed_precision: str = Field(default="unknown", max_length=8)
    reported_on: date | None = None
    sort_on: date
    topics: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    direction: str | None = Field(default=None, max_length=10)  # export, import, both
    channel: str | None = Field(default=None, max_length=40)
    border_status: str | None = Field(default=None, max_length=20)
    market_activity: str | None = Field(default=None, max_length=20)
    enforcement: str | None = Field(default=None, sa_column=Column(Text))
    # The goods as the report names them; those in the catalogue are linked too.
    goods: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    summary: str = Field(sa_column=Column(Text, nullable=False))
    source_name: str = Field(max_length=120)
    source_url: str | None = Field(default=None, max_length=500)
    reliability: str | None = Field(default=None, max_length=2)
    entered_by: int | None = Field(default=None, sa_column=Column(BigInteger))
    created_at: datetime
    deleted_at: datetime | None = None
    natural_key: str = Field(max_length=64)


class TradeReportCommodity(SQLModel, table=True):
    """Goods named in a trade-condition report."""

    report_id: int = Field(foreign_key="tradereport.id", primary_key=True)
    commodity_id: int = Field(foreign_key="commodity.id", primary_key=True, index=True)


class ChatUser(SQLModel, table=True):
    """A Telegram user who has talked to the bot, with their preferences and role."""

    telegram_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    username: str | None = Field(default=None, max_length=64)
    language: str | None = Field(default=None, max_length=8)
    timezone: str | None = Field(default=None, max_length=64)
    role: str = Field(default="user", max_length=10)  # user, admin (owners come from ADMIN_IDS)
    created_at: datetime
    last_seen_at: datetime | None = None
    # An editor's opt-in to one message a day listing new inbox items, and the last day sent.
    inbox_daily: bool = False
    inbox_sent_on: date | None = None


class Subscription(SQLModel, table=True):
    """A chat's standing order for digests (and optionally alerts) on a set of series."""

    __table_args__ = (Index("ix_subscription_due", "active", "next_due_at"),)

    id: int | None = Field(default=None, primary_key=True)
    chat_id: int = Field(sa_column=Column(BigInteger, nullable=False, index=True))
    chat_type: str = Field(default="private", max_length=12)
    commodity_ids: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    market_ids: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # Canonical text of the filters, so digests are composed once per distinct filter set.
    filter_key: str = Field(max_length=500, index=True)
    cadence: str = Field(default="weekly", max_length=10)  # weekly, daily
    weekday: int = 0  # Monday = 0, in the subscription's own time zone
    hour: int = 9
    timezone: str = Field(default="Asia/Seoul", max_length=64)
    language: str = Field(default="en", max_length=8)
    alerts: bool = False
    # Condition alerts: a border change or enforcement reported in a watched place, sent at once.
    condition_alerts: bool = False
    active: bool = True
    next_due_at: datetime | None = None  # UTC
    last_digest_at: datetime | None = None
    deactivated_reason: str | None = Field(default=None, max_length=200)
    created_by: int | None = Field(default=None, sa_column=Column(BigInteger))
    created_at: datetime
    updated_at: datetime


class DigestBody(SQLModel, table=True):
    """A composed digest or alert, stored once and shared by every delivery with the same filters."""

    id: int | None = Field(default=None, primary_key=True)
    # Hash of filter set, cadence, language and composing hour (or the alert's observation).
    key: str = Field(max_length=64, unique=True)
    parts: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(index=True)


class DigestDelivery(SQLModel, table=True):
    """One digest owed to one subscription for one period: the ledger the sender drains."""

    __table_args__ = (
        UniqueConstraint("subscription_id", "period_key", name="uq_delivery_period"),
        Index("ix_delivery_status", "status", "due_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    subscription_id: int = Field(foreign_key="subscription.id")
    # digest: 2026-W48 or 2026-11-28; alert: alert:<observation id>
    period_key: str = Field(max_length=32)
    kind: str = Field(default="digest", max_length=8)  # digest, alert
    body_id: int | None = Field(default=None, foreign_key="digestbody.id")
    status: str = Field(default="pending", max_length=10)  # pending, sending, sent, blocked, failed
    attempts: int = 0
    due_at: datetime
    claimed_by: str | None = Field(default=None, max_length=64)
    claimed_at: datetime | None = None
    sent_at: datetime | None = None
    message_ids: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    error: str | None = Field(default=None, max_length=500)
    created_at: datetime
    updated_at: datetime


class AlertState(SQLModel, table=True):
    """The last alert class sent for a series, so alerts fire only when the class escalates."""

    commodity_id: int = Field(foreign_key="commodity.id", primary_key=True)
    market_id: int = Field(foreign_key="market.id", primary_key=True)
    level: str = Field(max_length=10)  # normal, high, severe, record
    observation_id: int | None = None
    updated_at: datetime


class ConditionCheck(SQLModel, table=True):
    """A trade report already weighed for condition alerts: each report is weighed once, so
    reporting the same report again queues nothing."""

    report_id: int = Field(foreign_key="tradereport.id", primary_key=True)
    alerted: bool = False  # it changed a border status or reported enforcement
    queued: int = 0  # condition alerts it queued (the others' day was taken)
    checked_at: datetime


class Lease(SQLModel, table=True):
    """A named lock with an expiry, so only one process sends on a database without row locks."""

    name: str = Field(primary_key=True, max_length=40)
    holder: str = Field(max_length=64)
    expires_at: datetime


class UnfinishedWork(SQLModel, table=True):
    """A guided form, a pending entry or a chat import in progress, one row each: deleted when it
    ends, so a row a previous process left behind is work a restart interrupted."""

    token: str = Field(primary_key=True, max_length=32)
    owner_id: int = Field(sa_column=Column(BigInteger, nullable=False, index=True))
    kind: str = Field(max_length=20)  # form-price, form-report, price, report, import
    # Where to tell the owner: their private chat; for an import, its progress message too.
    chat_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    message_id: int | None = None
    label: str | None = Field(default=None, max_length=200)  # an import's file name
    # The process doing the work (host:pid:nonce): rows of another process were interrupted.
    process: str = Field(max_length=64)
    started_at: datetime


class Conversation(SQLModel, table=True):
    """One open conversation step: a pending confirmation, a did-you-mean choice, a guided form
    or an article under review. Any process reads it by its token (in the buttons) or its owner;
    `version` rises with every change, so that two writers cannot both win."""

    token: str = Field(primary_key=True, max_length=32)
    owner_id: int = Field(sa_column=Column(BigInteger, nullable=False, index=True))
    kind: str = Field(max_length=20)  # price, report, form-price, form-report, intake, intake-part
    # What is known so far (bot.services.pending: signed, serialised by the process that wrote it).
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    version: int = 1
    expires_at: datetime = Field(index=True)
    created_at: datetime
    updated_at: datetime


class UpdateInbox(SQLModel, table=True):
    """An update Telegram posted to the webhook, stored before the POST is answered: processed
    once (its update_id is the key), in order within its chat, by whichever process holds the
    chat; kept a day after it was processed, against redeliveries."""

    __table_args__ = (Index("ix_updateinbox_chat", "chat_key", "update_id"),)

    update_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    # The chat whose order it keeps (None: inline queries, which keep none).
    chat_key: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    kind: str = Field(max_length=40)
    payload: str = Field(sa_column=Column(Text, nullable=False))
    received_at: datetime = Field(index=True)
    done_at: datetime | None = Field(default=None, index=True)
    # The process that processed it (host:pid:nonce).
    done_by: str | None = Field(default=None, max_length=64)


class ChartImage(SQLModel, table=True):
    """A chart drawn once: its PNG and the file_id Telegram gave it, keyed by what it shows
    (`bot.rendering.chart_spec.TrendChart.key`). Bounded: the least recently used go first."""

    key: str = Field(primary_key=True, max_length=64)
    png: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    # Telegram's id of the photo once sent; sent again by it (no drawing, no upload).
    file_id: str | None = Field(default=None, max_length=200)
    created_at: datetime
    used_at: datetime = Field(index=True)


class Feed(SQLModel, table=True):
    """A source checked on a schedule: a WFP country file on HDX, an HDX HAPI location, a news
    feed. Due feeds are claimed one row at a time (`claimed_by`), so one process checks each."""

    __table_args__ = (
        UniqueConstraint("kind", "url", name="uq_feed_kind_url"),
        Index("ix_feed_due", "paused", "next_due_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=10)  # wfp-hdx, hapi, rss
    url: str = Field(max_length=1000)
    name: str = Field(max_length=120)
    every_seconds: int = 86_400
    paused: bool = False
    status: str = Field(default="new", max_length=10)  # new, ok, error
    next_due_at: datetime
    last_checked_at: datetime | None = None
    # The last check that found something new (a changed file, new rows, new entries).
    last_changed_at: datetime | None = None
    # Conditional-request validators of the last answer, and the hash of the last file read.
    etag: str | None = Field(default=None, max_length=200)
    last_modified: str | None = Field(default=None, max_length=100)
    content_sha256: str | None = Field(default=None, max_length=64)
    # The data file a dataset page or package_show pointed at last time.
    resource_url: str | None = Field(default=None, max_length=1000)
    # HAPI: the last reference period imported (ISO date); the next check asks from there.
    cursor: str | None = Field(default=None, max_length=40)
    # Checks failed in a row (the retry waits longer each time) and the last error, as shown.
    failures: int = 0
    last_error: str | None = Field(default=None, sa_column=Column(Text))
    # What the last check did, for `feeds list` and /feeds: {"added": 120, "created": 3, ...}.
    last_result: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    claimed_by: str | None = Field(default=None, max_length=64)
    claimed_at: datetime | None = None
    created_by: int | None = Field(default=None, sa_column=Column(BigInteger))
    created_at: datetime
    updated_at: datetime


class FeedItem(SQLModel, table=True):
    """A news feed's entry, read by the article intake and waiting in the editors' inbox:
    nothing from a news feed is published until an editor opens and saves it."""

    __table_args__ = (
        UniqueConstraint("feed_id", "entry_key", name="uq_feeditem_entry"),
        Index("ix_feeditem_status", "status", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    feed_id: int = Field(foreign_key="feed.id", index=True)
    # Hash of the entry's id (or its link): an entry seen again is not queued again.
    entry_key: str = Field(max_length=64)
    title: str = Field(max_length=300)
    url: str | None = Field(default=None, max_length=1000)
    published_at: datetime | None = None
    publisher: str | None = Field(default=None, max_length=120)
    # The article's main text as read, so opening it needs no second fetch.
    text: str | None = Field(default=None, sa_column=Column(Text))
    # What the intake found: {"figures": [...], "report": {...} | None}.
    found: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    figure_count: int = 0
    status: str = Field(default="pending", max_length=10)  # pending, saved, dismissed, failed
    error: str | None = Field(default=None, sa_column=Column(Text))
    decided_by: int | None = Field(default=None, sa_column=Column(BigInteger))
    decided_at: datetime | None = None
    created_at: datetime


class SourceCode(SQLModel, table=True):
    """A publisher's own code for a catalogue entry: WFP's market and commodity ids (or, in files
    without ids, their names). `created` marks entries made from the publisher's names, listed
    for editors to link to an existing entry (/link)."""

    system: str = Field(primary_key=True, max_length=10)  # wfp
    kind: str = Field(primary_key=True, max_length=10)  # market, commodity, admin1, country
    code: str = Field(primary_key=True, max_length=300)
    entity_id: int = Field(index=True)
    name: str = Field(max_length=200)
    created: bool = False
    created_at: datetime


class AuditLog(SQLModel, table=True):
    """Who changed what, with the row before and after."""

    id: int | None = Field(default=None, primary_key=True)
    actor_id: int | None = Field(default=None, sa_column=Column(BigInteger, index=True))
    action: str = Field(max_length=40)  # create, update, delete, undo, grant, revoke, import
    entity: str = Field(max_length=40)
    entity_id: str | None = Field(default=None, max_length=64)
    before: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    after: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    created_at: datetime = Field(index=True)


def table_of(model: type[SQLModel]) -> Table:
    """The Core table of a table model, for set-based statements that skip the ORM.

    SQLModel sets `__table__` on table models but does not declare it; the mapper does.
    """
    table = inspect(model).local_table
    if not isinstance(table, Table):
        raise TypeError(f"{model.__name__} is not a table model")
    return table
