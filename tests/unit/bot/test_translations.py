"""The Korean catalogue covers every message, its compiled form is current, and formats agree."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[3]
LOCALES = ROOT / "bot" / "i18n" / "locales"
KEYWORDS = {
    "_": None,
    "gettext": None,
    "ngettext": (1, 2),
    "N_": None,
    "InvalidInput": None,
    "NotFound": None,
    "DomainError": None,
}


def _source_messages() -> set[str]:
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT / "bot"), method_map=[("**.py", "python")], keywords=KEYWORDS
    ):
        found.add(message[0] if isinstance(message, tuple) else message)
    return found


def _catalog():
    with (LOCALES / "ko" / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return read_po(handle)


def test_every_message_in_the_code_has_a_korean_translation():
    catalog = _catalog()
    translated = {
        (m.id[0] if isinstance(m.id, tuple) else m.id)
        for m in catalog
        if m.id and m.string and all(m.string if isinstance(m.string, tuple) else [m.string])
    }
    missing = sorted(_source_messages() - translated)
    assert missing == [], "run `make i18n` and translate: " + "; ".join(missing[:10])


def test_compiled_catalogue_matches_the_po_file():
    with (LOCALES / "ko" / "LC_MESSAGES" / "messages.mo").open("rb") as handle:
        compiled = {_key(m.id): _key(m.string) for m in read_mo(handle) if m.id}
    source = {_key(m.id): _key(m.string) for m in _catalog() if m.id}
    assert compiled == source, "run `make i18n` to recompile"


def _key(value):
    return tuple(value) if isinstance(value, list | tuple) else value


def test_translations_keep_the_placeholders_and_tags():
    for message in _catalog():
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        wanted = set(re.findall(r"{\w+}", ids[0]))
        tags = sorted(re.findall(r"</?\w+>", ids[0]))
        for text in strings:
            assert set(re.findall(r"{\w+}", text)) == wanted, message.id
            assert sorted(re.findall(r"</?\w+>", text)) == tags, message.id


def test_every_translated_message_is_still_extracted_from_the_code():
    # A message the code still shows but no longer marks for extraction (a plain string passed to
    # gettext later) would be dropped by the next `make i18n`, and Korean users would read English.
    catalog = _catalog()
    kept = {(m.id[0] if isinstance(m.id, tuple) else m.id) for m in catalog if m.id}
    assert sorted(kept - _source_messages()) == []
