"""Text normalisation shared by the catalogue, the matcher and the parsers."""

from __future__ import annotations

import re
import unicodedata

_PUNCT_RE = re.compile(r"[^\w\s$]", re.UNICODE)
_SPACE_RE = re.compile(r"[\s_]+")


def normalize(text: str) -> str:
    """Return the comparable form of a name: NFKC, casefolded, punctuation and extra spaces gone."""
    text = unicodedata.normalize("NFKC", text).casefold()
    text = text.replace("'", "").replace("’", "").replace("`", "")
    text = _PUNCT_RE.sub(" ", text)
    return _SPACE_RE.sub(" ", text).strip()


def compact(text: str) -> str:
    """Return the normalised name without spaces ("ling zhi" and "lingzhi" compare equal)."""
    return normalize(text).replace(" ", "")


def is_hangul(ch: str) -> bool:
    """Tell whether a character is a Hangul syllable or jamo."""
    code = ord(ch)
    return 0xAC00 <= code <= 0xD7A3 or 0x1100 <= code <= 0x11FF or 0x3130 <= code <= 0x318F


def is_han(ch: str) -> bool:
    """Tell whether a character is a CJK ideograph."""
    code = ord(ch)
    return 0x4E00 <= code <= 0x9FFF or 0x3400 <= code <= 0x4DBF or 0xF900 <= code <= 0xFAFF


def script_of(text: str) -> str:
    """Return the dominant script of a text: "hangul", "han" or "latin"."""
    hangul = sum(1 for ch in text if is_hangul(ch))
    han = sum(1 for ch in text if is_han(ch))
    if hangul == 0 and han == 0:
        return "latin"
    return "hangul" if hangul >= han else "han"


def jamo(text: str) -> str:
    """Split Hangul syllables into jamo so one wrong consonant costs one edit, not a whole syllable."""
    return unicodedata.normalize("NFD", text)
