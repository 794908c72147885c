"""Bot API error values, shaped exactly like Telegram's error responses."""

from __future__ import annotations

from typing import Any

NOT_SUPPORTED = "method not supported by the emulator"


class ApiError(Exception):
    """Raise to answer a Bot API call with `{"ok": false, ...}`."""

    def __init__(self, code: int, description: str, parameters: dict[str, Any] | None = None):
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters

    def to_json(self) -> dict[str, Any]:
        """Return the response body Telegram would send for this error."""
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.code,
            "description": self.description,
        }
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def bad_request(detail: str) -> ApiError:
    """Build a 400 error with Telegram's `Bad Request: ` prefix."""
    return ApiError(400, f"Bad Request: {detail}")


def forbidden(detail: str) -> ApiError:
    """Build a 403 error with Telegram's `Forbidden: ` prefix."""
    return ApiError(403, f"Forbidden: {detail}")


def too_many_requests(retry_after: int) -> ApiError:
    """Build the 429 flood-control error carrying `retry_after`."""
    return ApiError(
        429,
        f"Too Many Requests: retry after {retry_after}",
        {"retry_after": retry_after},
    )


def chat_migrated(new_chat_id: int) -> ApiError:
    """Build the 400 Telegram answers for a group that became a supergroup."""
    return ApiError(
        400,
        "Bad Request: group chat was upgraded to a supergroup chat",
        {"migrate_to_chat_id": new_chat_id},
    )


def not_found() -> ApiError:
    """Build the 404 Telegram answers for unknown methods and files."""
    return ApiError(404, "Not Found")


def unauthorized() -> ApiError:
    """Build the 401 Telegram answers for a well-formed but unknown token."""
    return ApiError(401, "Unauthorized")


def conflict(detail: str) -> ApiError:
    """Build a 409 error with Telegram's `Conflict: ` prefix."""
    return ApiError(409, f"Conflict: {detail}")
