"""What a private text may continue (a guided form, an article being sent in parts): read from
the database once per update, before the handlers' filters run.

Filters decide which handler takes a message and cannot wait; conversation steps live in the
database (any replica may have opened them). So a handler in an earlier group reads the sender's
open step kinds in a worker thread and leaves them here for the filters of that very message.
"""

from __future__ import annotations

import asyncio
import threading
from collections import OrderedDict

from telegram import Message, Update
from telegram.constants import ChatType
from telegram.ext import ContextTypes

from bot.handlers.common import container

__all__ = ["STEPS_KEY", "OpenSteps", "prefetch"]

STEPS_KEY = "open_steps"
# Messages remembered at once: far more than are ever between prefetch and filters.
KEEP = 4096


class OpenSteps:
    """The open step kinds of each recent private message's sender, by message."""

    def __init__(self, keep: int = KEEP) -> None:
        self._kinds: OrderedDict[tuple[int, int], frozenset[str]] = OrderedDict()
        self._keep = keep
        self._lock = threading.Lock()

    def put(self, message: Message, kinds: frozenset[str]) -> None:
        """Remember what the sender of `message` had open when it came."""
        with self._lock:
            self._kinds[(message.chat_id, message.message_id)] = kinds
            while len(self._kinds) > self._keep:
                self._kinds.popitem(last=False)

    def get(self, message: Message) -> frozenset[str] | None:
        """What was read for `message` (None: nothing was, the caller asks the database)."""
        with self._lock:
            return self._kinds.get((message.chat_id, message.message_id))


async def prefetch(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Read the open steps of a private text's (or caption's) sender, for the filters."""
    message = update.message
    user = update.effective_user
    if message is None or user is None or message.chat.type != ChatType.PRIVATE:
        return
    if not (message.text or message.caption):
        return
    steps: OpenSteps = context.bot_data[STEPS_KEY]
    kinds = await asyncio.to_thread(container(context).steps.kinds_of, user.id)
    steps.put(message, kinds)
