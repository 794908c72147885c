"""What every control endpoint shares: its error, its answer, reading its fields."""

from __future__ import annotations

from typing import Any

from aiohttp import web


class ControlError(Exception):
    """A control request that cannot be carried out; `status` is the HTTP status."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


def ok(**fields: Any) -> web.Response:
    """Answer a control request successfully."""
    return web.json_response({"ok": True, **fields})


def _int(body: dict[str, Any], key: str, default: int | None = None) -> int:
    value = body.get(key, default)
    if value is None:
        raise ControlError(f"{key} is required")
    try:
        return int(value)
    except (TypeError, ValueError) as err:
        raise ControlError(f"{key} must be an integer") from err


def _float(query: Any, key: str, default: float) -> float:
    try:
        return float(query.get(key, default))
    except (TypeError, ValueError) as err:
        raise ControlError(f"{key} must be a number") from err


def _ids(body: dict[str, Any], key: str) -> list[int]:
    """Return a list of positive user ids, de-duplicated in order."""
    values = body.get(key, [])
    if not isinstance(values, list) or not all(
        isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in values
    ):
        raise ControlError(f"{key} must be a list of positive integers")
    return list(dict.fromkeys(values))


def _flag(query: Any, key: str) -> bool:
    return str(query.get(key, "")).lower() in ("1", "true", "yes")


async def _body(request: web.Request) -> dict[str, Any]:
    try:
        body = await request.json() if request.can_read_body else {}
    except ValueError as err:
        raise ControlError("body must be a JSON object") from err
    if not isinstance(body, dict):
        raise ControlError("body must be a JSON object")
    return body
