"""Loading the compiled gettext catalogues in bot/i18n/locales (made from .po files with Babel)."""

from __future__ import annotations

import gettext
from functools import cache
from pathlib import Path

from bot.domain.i18n import ENGLISH, Translator

LOCALES_DIR = Path(__file__).resolve().parent / "locales"
DOMAIN = "messages"


@cache
def translator(language: str) -> Translator:
    """Return the translations for a language code, English when there is no catalogue."""
    code = (language or "en").split("-")[0].lower()
    if code == "en":
        return ENGLISH
    return gettext.translation(DOMAIN, localedir=LOCALES_DIR, languages=[code], fallback=True)
