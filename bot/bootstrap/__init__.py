"""The composition root: every service built once, each given exactly what it uses.

`bootstrap(settings, engine, clock)` is called by the application factory, the worker, the CLI
and the tests; it returns a plain frozen container. No service holds the container: services
that need another receive it in their constructor, and those dependencies run one way
(forms -> entries -> admin and price alerts; users -> schedules).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.engine import Engine

from bot.services.admin import Admin
from bot.services.catalogue import CatalogueStore
from bot.services.chart_cache import ChartCache
from bot.services.chart_pool import ChartPool, default_workers
from bot.services.citing import Citations
from bot.services.clock import Clock, utc_now
from bot.services.condition_alerts import ConditionAlerts
from bot.services.entries import Entries
from bot.services.feeds import Feeds
from bot.services.fetching import FetchLimits
from bot.services.files import Files
from bot.services.forms import Forms
from bot.services.inbox import Inbox
from bot.services.intake import Intake
from bot.services.intake_review import IntakeReviews
from bot.services.pending import PendingStore, WorkMarkers
from bot.services.price_alerts import PriceAlerts
from bot.services.questions import Questions
from bot.services.record_view import RecordViews
from bot.services.schedules import Schedules
from bot.services.signals import Signal
from bot.services.source_links import SourceLinks
from bot.services.subscriptions import Subscriptions
from bot.services.users import Users
from config.settings import SUPPORTED_LANGUAGES, Settings
from db.engine import read_engine

__all__ = ["Container", "bootstrap"]


@dataclass(frozen=True)
class Container:
    """The built services, and the few shared things the edges need (settings, clock, signals)."""

    settings: Settings
    engine: Engine
    clock: Clock
    catalogue: CatalogueStore
    # Raised when a delivery was queued outside the scheduler's tick (an alert): the sender wakes.
    queued: Signal
    users: Users
    questions: Questions
    citations: Citations
    # One figure or report opened by its permanent link (/start f_12), with its history.
    records: RecordViews
    admin: Admin
    entries: Entries
    forms: Forms
    files: Files
    # Articles read for editors (pasted, or fetched by their link): figures proposed, none stored.
    intake: Intake
    schedules: Schedules
    subscriptions: Subscriptions
    alerts: PriceAlerts
    condition_alerts: ConditionAlerts
    # Chart drawing in worker processes (started at the first chart), and the charts kept.
    chart_pool: ChartPool
    chart_cache: ChartCache
    # Markers of chat imports in progress; a restart's leftovers.
    work: WorkMarkers
    # Conversation steps (pending entries, choices, guided forms, reviews) in the database.
    steps: PendingStore
    # Articles editors forward or paste (or /intake URL), under review in chat until Save.
    reviews: IntakeReviews
    # Source feeds checked on a schedule (WFP files, HDX HAPI, news feeds) and the editors'
    # inbox the news feeds fill.
    feeds: Feeds
    inbox: Inbox
    # Entries feeds created under a publisher's names, linked by editors to the catalogue's.
    links: SourceLinks


def state_secret(settings: Settings) -> str:
    """What conversation steps are signed with: the same in every replica of one bot."""
    if settings.telegram_bot_token is not None:
        return settings.telegram_bot_token.get_secret_value()
    return settings.database_url


def bootstrap(settings: Settings, engine: Engine, clock: Clock = utc_now) -> Container:
    """Build every service with constructor injection and return them in a frozen container."""
    catalogue = CatalogueStore(engine)
    reads = read_engine(engine)
    queued = Signal("queued")
    work = WorkMarkers(engine=engine, clock=clock)
    pending = PendingStore(engine=engine, secret=state_secret(settings))
    schedules = Schedules(engine=engine, clock=clock)
    admin = Admin(
        engine=engine, catalogue=catalogue, clock=clock, owner_ids=frozenset(settings.admin_ids)
    )
    alerts = PriceAlerts(engine=engine, catalogue=catalogue, clock=clock, queued=queued)
    condition_alerts = ConditionAlerts(
        engine=engine, catalogue=catalogue, clock=clock, queued=queued
    )
    entries = Entries(
        engine=engine,
        catalogue=catalogue,
        clock=clock,
        pending=pending,
        names=admin,
        alerts=alerts,
        condition_alerts=condition_alerts,
    )
    article_limits = FetchLimits(
        timeout=settings.fetch_timeout,
        max_bytes=settings.fetch_max_bytes,
        allow_private=settings.fetch_allow_private,
    )
    intake = Intake(engine=reads, catalogue=catalogue, clock=clock, limits=article_limits)
    hapi_app = settings.hapi_app_identifier
    return Container(
        settings=settings,
        engine=engine,
        clock=clock,
        catalogue=catalogue,
        queued=queued,
        users=Users(
            engine=engine,
            clock=clock,
            schedules=schedules,
            languages=SUPPORTED_LANGUAGES,
            default_language=settings.default_language,
        ),
        # Answers only read: on PostgreSQL they run in autocommit, their queries kept prepared.
        questions=Questions(engine=reads, catalogue=catalogue, clock=clock),
        records=RecordViews(engine=reads, catalogue=catalogue, clock=clock),
        citations=Citations(engine=reads, catalogue=catalogue, clock=clock),
        admin=admin,
        entries=entries,
        forms=Forms(
            engine=engine,
            catalogue=catalogue,
            clock=clock,
            pending=pending,
            entries=entries,
            names=admin,
        ),
        files=Files(
            engine=engine, catalogue=catalogue, clock=clock, condition_alerts=condition_alerts
        ),
        intake=intake,
        schedules=schedules,
        subscriptions=Subscriptions(
            engine=engine,
            catalogue=catalogue,
            clock=clock,
            default_timezone=settings.default_timezone,
        ),
        alerts=alerts,
        condition_alerts=condition_alerts,
        chart_pool=ChartPool(
            workers=settings.chart_workers or default_workers(),
            queue_size=settings.chart_queue,
            timeout=settings.chart_timeout,
        ),
        chart_cache=ChartCache(engine=engine, clock=clock, keep=settings.chart_cache_size),
        work=work,
        steps=pending,
        reviews=IntakeReviews(
            engine=engine,
            catalogue=catalogue,
            clock=clock,
            pending=pending,
            reader=intake,
            alerts=alerts,
            condition_alerts=condition_alerts,
        ),
        feeds=Feeds(
            engine=engine,
            catalogue=catalogue,
            clock=clock,
            intake=intake,
            limits=FetchLimits(
                timeout=settings.feed_timeout,
                max_bytes=settings.feed_max_bytes,
                allow_private=settings.fetch_allow_private,
            ),
            article_limits=article_limits,
            max_entries=settings.feed_max_entries,
            hapi_app_identifier=hapi_app.get_secret_value() if hapi_app else None,
            hapi_page_size=settings.hapi_page_size,
        ),
        inbox=Inbox(engine=engine, clock=clock, intake=intake),
        links=SourceLinks(engine=engine, catalogue=catalogue, clock=clock),
    )
