"""Domain errors: each carries a message that can be shown to the user as it is."""

from __future__ import annotations

import html
import re

from bot.domain.i18n import ENGLISH, Translator
from bot.domain.text import shorten

# User text quoted in a message is cut before it is escaped (UTF-16 units, as Telegram counts):
# each value to this, and a message that writes user text into itself to the second.
MAX_QUOTED = 200
MAX_MESSAGE = 2000


class DomainError(Exception):
    """An expected failure whose message is safe and useful to show.

    The message is a template translated through gettext, then filled with `params`. A template
    marked `is_html` may hold Telegram HTML tags; its params are escaped. Any other message is
    plain text and is escaped whole when shown as HTML.
    """

    def __init__(self, template: str, /, *, is_html: bool = False, **params: object) -> None:
        self.template = template
        self.is_html = is_html
        self.params = {
            k: shorten(v, MAX_QUOTED) if isinstance(v, str) else v for k, v in params.items()
        }
        super().__init__(self.user_message)

    @property
    def user_message(self) -> str:
        """Return the English message (HTML when the template is)."""
        if self.is_html:
            return self.to_html(ENGLISH)
        return shorten(_fill(self.template, self.params), MAX_MESSAGE)

    def to_text(self, t: Translator) -> str:
        """Return the translated message as plain text (for alerts and terminals)."""
        text = _fill(t.gettext(self.template), self.params)
        if self.is_html:
            return html.unescape(re.sub(r"<[^>]+>", "", text))
        return shorten(text, MAX_MESSAGE)

    def to_html(self, t: Translator) -> str:
        """Return the translated message as Telegram HTML."""
        template = t.gettext(self.template)
        if self.is_html:
            return _fill(
                template, {k: html.escape(str(v), quote=False) for k, v in self.params.items()}
            )
        return html.escape(shorten(_fill(template, self.params), MAX_MESSAGE), quote=False)


def _fill(template: str, params: dict[str, object]) -> str:
    # A message without params may quote user input holding braces: never format it.
    return template.format(**params) if params else template


class InvalidInput(DomainError):
    """The user typed something the bot cannot use; nothing was changed."""


class NotFound(DomainError):
    """Nothing in the catalogue or database matches; `suggestions` are the closest names."""

    def __init__(
        self,
        template: str,
        /,
        *,
        suggestions: tuple[str, ...] = (),
        is_html: bool = False,
        **params: object,
    ) -> None:
        super().__init__(template, is_html=is_html, **params)
        self.suggestions = suggestions
