"""Text normalisation shared by the catalogue, the matcher and the parsers."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from rapidfuzz.distance import OSA

_PUNCT_RE = re.compile(r"[^\w\s$]", re.UNICODE)
_SPACE_RE = re.compile(r"[\s_]+")


# Names and question words repeat: the reader normalises the same few words many times.
@lru_cache(maxsize=65_536)
def normalize(text: str) -> str:
    """Return the comparable form of a name: NFKC, casefolded, punctuation and extra spaces gone."""
    text = unicodedata.normalize("NFKC", text).casefold()
    text = text.replace("'", "").replace("’", "").replace("`", "")
    text = _PUNCT_RE.sub(" ", text)
    return _SPACE_RE.sub(" ", text).strip()


@lru_cache(maxsize=65_536)
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


def other_script_letters(text: str) -> int:
    """Count the letters of scripts the bot does not read (Cyrillic, kana, Arabic, Thai ...)."""
    return sum(
        1
        for ch in text
        if ch.isalpha() and ord(ch) >= 0x250 and not is_hangul(ch) and not is_han(ch)
    )


def forget_normalized() -> None:
    """Drop the remembered normal forms (benchmarks measure a question read the first time)."""
    normalize.cache_clear()
    compact.cache_clear()


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


def sorted_key(text: str) -> str:
    """Return the compact form of a name with its words sorted ("rice white" equals "white rice")."""
    return "".join(sorted(normalize(text).split()))


# Horizontal key positions on a QWERTY keyboard; each row sits a little right of the one above.
_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")
_KEYS = {
    ch: (row, col + (0.0, 0.25, 0.75)[row])
    for row, keys in enumerate(_ROWS)
    for col, ch in enumerate(keys)
}


def keys_adjacent(a: str, b: str) -> bool:
    """Tell whether two letters are neighbouring keys, the usual cause of a wrong letter."""
    if a not in _KEYS or b not in _KEYS or a == b:
        return False
    (row_a, x_a), (row_b, x_b) = _KEYS[a], _KEYS[b]
    if row_a == row_b:
        return abs(x_a - x_b) == 1
    return abs(row_a - row_b) == 1 and abs(x_a - x_b) <= 0.75


MONTH_NAMES = (
    *("January", "February", "March", "April", "May", "June"),
    *("July", "August", "September", "October", "November", "December"),
)
_MONTH_WORDS = {n.lower(): i for i, n in enumerate(MONTH_NAMES, 1)}
_MONTH_WORDS |= {n[:3].lower(): i for i, n in enumerate(MONTH_NAMES, 1)} | {"sept": 9}
_NUMBER_WORDS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6}
_NUMBER_WORDS |= {"seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12}
_NUMBER_WORDS |= {"한": 1, "두": 2, "세": 3, "네": 4}  # native Korean: 한 달, 두 달
_HAN_DIGITS = {"一": 1, "二": 2, "两": 2, "兩": 2, "三": 3, "四": 4, "五": 5, "六": 6}
_HAN_DIGITS |= {"七": 7, "八": 8, "九": 9}


def number_of(word: str) -> int | None:
    """Read a count written in digits, English words, native Korean or Chinese numerals."""
    word = word.strip().lower()
    if word.isdigit():
        return int(word)
    if word in _NUMBER_WORDS:
        return _NUMBER_WORDS[word]
    tens, ten, ones = word.partition("十")
    if not ten:
        return _HAN_DIGITS.get(word)
    if all(ch in _HAN_DIGITS for ch in tens + ones) and len(tens) <= 1 and len(ones) <= 1:
        return (_HAN_DIGITS[tens] if tens else 1) * 10 + (_HAN_DIGITS[ones] if ones else 0)
    return None


def month_of_word(word: str) -> int | None:
    """Return the month an English word names (slips allowed: "febuary"), -1 for a near miss."""
    word = word.lower()
    if word in _MONTH_WORDS:
        return _MONTH_WORDS[word]
    if len(word) < 5:
        return None
    distance, month = min((OSA.distance(word, n.lower()), i) for i, n in enumerate(MONTH_NAMES, 1))
    # As for names, a wrong first letter makes another word; "smarch" is a near miss, not March.
    if distance <= 1 and word[0] == MONTH_NAMES[month - 1][0].lower():
        return month
    return -1 if distance <= 2 else None


def utf16_len(text: str) -> int:
    """Return the length of a text in UTF-16 code units, the measure of Telegram's limits (an
    emoji outside the Basic Multilingual Plane counts two)."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def shorten(text: str, limit: int) -> str:
    """Cut a plain text to at most `limit` UTF-16 code units (as Telegram counts), marking the cut
    with "…". The cut falls between code points, so it never splits a surrogate pair; shorten user
    text before escaping it, never after (a cut inside "&amp;" breaks the message)."""
    if utf16_len(text) <= limit:
        return text
    if limit < 1:
        return ""
    budget = limit - 1  # the "…" takes one unit
    if len(text) == utf16_len(text):  # all in the Basic Multilingual Plane: units are characters
        head = text[:budget]
    else:
        units, end = 0, len(text)
        for index, ch in enumerate(text):
            units += 2 if ord(ch) > 0xFFFF else 1
            if units > budget:
                end = index
                break
        head = text[:end]
    # A cut right after a zero-width joiner would leave half of a joined emoji.
    return head.rstrip().rstrip("\u200d") + "…"
