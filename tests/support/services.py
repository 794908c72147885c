"""The one place where tests and benchmarks build the bot's services.

Everything that needs the services object asks this helper, so a change in how the application
assembles them changes only this module.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy.engine import Engine

from bot.bootstrap import Container, bootstrap
from config.settings import Settings
from tests.support.clock import NOW, fixed_clock


def make_services(
    settings: Settings, engine: Engine, *, now: Callable[[], datetime] | None = None
) -> Container:
    """The services on `engine`, reading the time from `now` (default: always NOW)."""
    return bootstrap(settings, engine, now or fixed_clock(NOW))
