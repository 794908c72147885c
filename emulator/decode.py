"""Turn an HTTP request into Bot API parameters the way Telegram reads them."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from emulator.errors import bad_request
from emulator.spec import MethodSpec

# Telegram's own wording for some missing parameters; others read "<name> is empty".
_MISSING = {
    "text": "message text is empty",
    "photo": "there is no photo in the request",
    "document": "there is no document in the request",
    "message_id": "message identifier is not specified",
    "callback_query_id": "query_id is empty",
    "inline_query_id": "query_id is empty",
}
# Required parameters Telegram still lets be empty: (method in lower case, parameter).
_MAY_BE_EMPTY = frozenset({("setwebhook", "url")})  # an empty url removes the webhook


@dataclass(frozen=True)
class Upload:
    """A file part of a multipart request."""

    filename: str | None
    content_type: str | None
    data: bytes

    def summary(self) -> dict[str, Any]:
        """Describe the upload without its bytes, for the call log."""
        return {"upload": self.filename, "mime_type": self.content_type, "size": len(self.data)}


async def read_params(request: web.Request) -> dict[str, Any]:
    """Collect query-string, urlencoded, JSON and multipart parameters into one dict."""
    params: dict[str, Any] = dict(request.query)
    if not request.can_read_body:
        return params
    content_type = request.content_type
    if content_type == "application/json":
        body = await request.read()
        if body.strip():
            try:
                payload = json.loads(body)
            except ValueError as err:
                raise bad_request("can't parse JSON object") from err
            if not isinstance(payload, dict):
                raise bad_request("can't parse JSON object")
            params.update(payload)
    elif content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        form = await request.post()
        for key in set(form.keys()):
            value = form[key]
            if isinstance(value, web.FileField):
                params[key] = Upload(value.filename, value.content_type, value.file.read())
            else:
                params[key] = value
    return params


def coerce_params(method: MethodSpec, raw: dict[str, Any]) -> dict[str, Any]:
    """JSON-decode string values of non-String parameters, as Telegram does."""
    out: dict[str, Any] = {}
    for key, value in raw.items():
        spec = method.field(key)
        if spec is None or isinstance(value, Upload):
            out[key] = value
        elif spec.is_plain_string:
            out[key] = value if isinstance(value, str) else json.dumps(value)
        elif isinstance(value, str):
            out[key] = _decode(value, spec.types)
        else:
            out[key] = value
    return out


def _decode(value: str, types: tuple[str, ...]) -> Any:
    if types == ("Boolean",):
        lowered = value.strip().lower()
        if lowered in ("true", "1"):
            return True
        if lowered in ("false", "0", ""):
            return False
    try:
        return json.loads(value)
    except ValueError:
        return value


def check_required(method: MethodSpec, params: dict[str, Any]) -> None:
    """Reject the call if a parameter the spec marks required is missing or empty."""
    for spec in method.fields:
        if (method.name.lower(), spec.name) in _MAY_BE_EMPTY:
            continue
        if spec.required and params.get(spec.name) in (None, ""):
            raise bad_request(_MISSING.get(spec.name, f"{spec.name} is empty"))


def loggable(params: dict[str, Any]) -> dict[str, Any]:
    """Return the parameters with uploads summarised instead of carrying bytes."""
    return {k: v.summary() if isinstance(v, Upload) else v for k, v in params.items()}
