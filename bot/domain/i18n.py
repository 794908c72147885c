"""The translation interface the domain renders through (gettext's, so Babel catalogues plug in)."""

from __future__ import annotations

from typing import Protocol


class Translator(Protocol):
    """What rendering needs from a gettext translations object."""

    def gettext(self, message: str, /) -> str: ...

    def ngettext(self, singular: str, plural: str, n: int, /) -> str: ...


class English:
    """The source language: messages are returned as written."""

    def gettext(self, message: str, /) -> str:
        return message

    def ngettext(self, singular: str, plural: str, n: int, /) -> str:
        return singular if n == 1 else plural


ENGLISH = English()


def N_(message: str) -> str:
    """Mark a message for extraction without translating it yet."""
    return message
