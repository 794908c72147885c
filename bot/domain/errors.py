"""Domain errors: each carries a message that can be shown to the user as it is."""

from __future__ import annotations


class DomainError(Exception):
    """An expected failure whose `user_message` is safe and useful to show."""

    def __init__(self, user_message: str) -> None:
        super().__init__(user_message)
        self.user_message = user_message


class InvalidInput(DomainError):
    """The user typed something the bot cannot use; nothing was changed."""


class NotFound(DomainError):
    """Nothing in the catalogue or database matches; `suggestions` are the closest names."""

    def __init__(self, user_message: str, suggestions: tuple[str, ...] = ()) -> None:
        super().__init__(user_message)
        self.suggestions = suggestions
