"""Load the machine-readable Bot API specification and check objects against it."""

from __future__ import annotations

import functools
import json
import logging
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

SPEC_FILE = "bot-api-10.1.min.json"
_SCALARS = {"Integer", "String", "Boolean", "Float", "True", "InputFile"}


@dataclass(frozen=True)
class FieldSpec:
    """One parameter of a method or field of a type."""

    name: str
    types: tuple[str, ...]
    required: bool

    @property
    def is_plain_string(self) -> bool:
        """Tell whether the value must be taken verbatim rather than JSON-decoded."""
        # A file parameter given as a string is a file_id or URL, never JSON.
        return "String" in self.types and set(self.types) <= {"String", "InputFile"}


@dataclass(frozen=True)
class MethodSpec:
    """A Bot API method: its canonical name, parameters and return types."""

    name: str
    fields: tuple[FieldSpec, ...]
    returns: tuple[str, ...]

    def field(self, name: str) -> FieldSpec | None:
        """Return the parameter called `name`, if the method has one."""
        for spec in self.fields:
            if spec.name == name:
                return spec
        return None


def _fields(raw: dict[str, Any]) -> tuple[FieldSpec, ...]:
    return tuple(
        FieldSpec(f["name"], tuple(f["types"]), bool(f["required"])) for f in raw.get("fields", [])
    )


class BotApiSpec:
    """The Bot API methods and types, looked up case-insensitively like Telegram does."""

    def __init__(self, raw: dict[str, Any]):
        self.version: str = raw.get("version", "")
        self._methods = {
            name.lower(): MethodSpec(name, _fields(body), tuple(body.get("returns", [])))
            for name, body in raw["methods"].items()
        }
        self._types: dict[str, dict[str, Any]] = raw["types"]
        self._type_fields = {name: _fields(body) for name, body in self._types.items()}

    @classmethod
    def load(cls, path: str | Path | None = None) -> BotApiSpec:
        """Read the bundled spec, or the JSON file at `path`."""
        if path is None:
            text = resources.files(__package__).joinpath(SPEC_FILE).read_text(encoding="utf-8")
        else:
            text = Path(path).read_text(encoding="utf-8")
        spec = cls(json.loads(text))
        logger.debug("loaded %s with %d methods", spec.version, len(spec._methods))
        return spec

    def method(self, name: str) -> MethodSpec | None:
        """Return the method called `name` in any letter case."""
        return self._methods.get(name.lower())

    def type_fields(self, name: str) -> tuple[FieldSpec, ...]:
        """Return the fields of the type called `name`."""
        return self._type_fields.get(name, ())

    def check_object(self, type_name: str, value: Any, path: str = "") -> list[str]:
        """List every way `value` departs from the spec's `type_name` (empty when valid)."""
        path = path or type_name
        if type_name.startswith("Array of "):
            if not isinstance(value, list):
                return [f"{path}: expected an array"]
            inner = type_name.removeprefix("Array of ")
            problems: list[str] = []
            for i, item in enumerate(value):
                problems += self.check_object(inner, item, f"{path}[{i}]")
            return problems
        if type_name in _SCALARS:
            return [] if _scalar_ok(type_name, value) else [f"{path}: expected {type_name}"]
        body = self._types.get(type_name)
        if body is None:
            return [f"{path}: unknown type {type_name}"]
        if subtypes := body.get("subtypes"):
            attempts = [self.check_object(sub, value, path) for sub in subtypes]
            return [] if any(not a for a in attempts) else min(attempts, key=len)
        if not isinstance(value, dict):
            return [f"{path}: expected an object"]
        return self._check_fields(type_name, value, path)

    def _check_fields(self, type_name: str, value: dict[str, Any], path: str) -> list[str]:
        fields = {f.name: f for f in self.type_fields(type_name)}
        problems = [f"{path}: unexpected field {key!r}" for key in value if key not in fields]
        for name, spec in fields.items():
            if name not in value:
                if spec.required:
                    problems.append(f"{path}: missing {name!r}")
                continue
            checks = [self.check_object(t, value[name], f"{path}.{name}") for t in spec.types]
            if all(checks):
                closest: list[str] = min(checks, key=len)
                problems += closest
        return problems


def _scalar_ok(type_name: str, value: Any) -> bool:
    if type_name == "Integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if type_name == "Float":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if type_name in ("Boolean", "True"):
        return isinstance(value, bool)
    return isinstance(value, str)


@functools.cache
def bundled_spec() -> BotApiSpec:
    """Return the bundled spec, parsed once per process."""
    return BotApiSpec.load()
