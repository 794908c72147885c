"""The vocabulary of trade-condition reports: topics, border status, market activity, channels.

Reports are filed under these words; answers show them in the reader's language through the
labels here, and files may use the older words listed as aliases.
"""

from __future__ import annotations

import re

from bot.domain.i18n import N_

TOPICS = (
    "border",
    "smuggling",
    "customs",
    "exports",
    "imports",
    "enforcement",
    "market-activity",
    "exchange-rate",
    "transport",
    "food-supply",
)
TOPIC_LABELS = {
    "border": N_("border"),
    "smuggling": N_("smuggling"),
    "customs": N_("customs"),
    "exports": N_("exports"),
    "imports": N_("imports"),
    "enforcement": N_("enforcement"),
    "market-activity": N_("market activity"),
    "exchange-rate": N_("exchange rate"),
    "transport": N_("transport"),
    "food-supply": N_("food supply"),
}
# Words of earlier files and forms, read as today's.
TOPIC_ALIASES = {
    "crackdown": "enforcement",
    "crackdowns": "enforcement",
    "export": "exports",
    "import": "imports",
    "markets": "market-activity",
    "market": "market-activity",
    "food": "food-supply",
    "currency": "exchange-rate",
    "exchange": "exchange-rate",
}

BORDER_STATUSES = ("closed", "restricted", "partially-open", "open")
BORDER_LABELS = {
    "closed": N_("closed"),
    "restricted": N_("restricted"),
    "partially-open": N_("partially open"),
    "open": N_("open"),
}
BORDER_ALIASES = {"lockdown": "closed", "shut": "closed", "partial": "partially-open"}

MARKET_ACTIVITY = ("contracting", "stable", "recovering", "booming")
MARKET_LABELS = {
    "contracting": N_("contracting"),
    "stable": N_("stable"),
    "recovering": N_("recovering"),
    "booming": N_("booming"),
}

DIRECTIONS = ("export", "import", "both")
DIRECTION_LABELS = {"export": N_("export"), "import": N_("import"), "both": N_("both ways")}

# Channels are a short free label; these are the usual ones, offered by the forms and translated.
CHANNELS = (
    "official-customs",
    "state-sanctioned-smuggling",
    "private-smuggling",
    "rail",
    "truck",
    "ship",
    "bus",
    "air",
)
CHANNEL_LABELS = {
    "official-customs": N_("official customs"),
    "state-sanctioned-smuggling": N_("state-sanctioned smuggling"),
    "private-smuggling": N_("private smuggling"),
    "rail": N_("rail"),
    "truck": N_("truck"),
    "ship": N_("ship"),
    "bus": N_("bus"),
    "air": N_("air"),
}
MAX_CHANNEL = 40
_LABEL_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def normalise_word(raw: str) -> str:
    """Return a vocabulary word as files may write it: lower case, hyphens for spaces."""
    return re.sub(r"[\s_]+", "-", raw.strip().lower())


def topic(raw: str) -> str | None:
    """Return the topic a word names (aliases included), or None."""
    word = normalise_word(raw)
    if word in TOPICS:
        return word
    return TOPIC_ALIASES.get(word)


def border_status(raw: str) -> str | None:
    """Return the border status a word names (aliases included), or None."""
    word = normalise_word(raw)
    if word in BORDER_STATUSES:
        return word
    return BORDER_ALIASES.get(word)


def channel(raw: str) -> str | None:
    """Return a channel label in its stored form, or None when it is not a short label."""
    word = normalise_word(raw)
    if len(word) > MAX_CHANNEL or not _LABEL_RE.match(word):
        return None
    return word


def channel_label(word: str) -> str:
    """Return the translatable label of a channel (free labels are shown as written)."""
    return CHANNEL_LABELS.get(word, word.replace("-", " "))


def topics_mask(topics: tuple[str, ...] | list[str]) -> int:
    """Return topics as a bit mask, for short button data."""
    return sum(1 << TOPICS.index(t) for t in set(topics) if t in TOPICS)


def mask_topics(mask: int) -> tuple[str, ...]:
    """Return the topics of a bit mask, in vocabulary order."""
    return tuple(t for i, t in enumerate(TOPICS) if mask & (1 << i))
