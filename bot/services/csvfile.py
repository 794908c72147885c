"""Reading price CSV files: encoding, broken rows, WFP's tag row, and the header's columns."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import BinaryIO

REQUIRED = ("date", "market", "commodity", "unit", "currency")
PRICE_COLUMNS = ("price", "price_low", "price_high")
KNOWN_COLUMNS = (
    # WFP food prices on HDX, then the project's own columns.
    "date", "admin1", "admin2", "market", "latitude", "longitude", "category", "commodity",
    "unit", "priceflag", "pricetype", "currency", "price", "usdprice",
    "price_low", "price_high", "grade", "source", "source_url", "via", "via_url", "reliability",
    "note", "reported_date", "date_inferred", "report_order",
)  # fmt: skip
# WFP files carry no source column; their figures are credited to where they were published.
HDX_SOURCE = "WFP (HDX)"
HDX_MARKERS = ("priceflag", "usdprice")
NOT_UTF8 = "the file is not UTF-8 text (save it as CSV UTF-8)"
# A spreadsheet reads a cell starting with one of these as a formula (OWASP "CSV injection").
FORMULA_STARTS = frozenset("=+-@\t\r")
_QUOTE = "'"
_RISKY_STARTS = FORMULA_STARTS | {_QUOTE}


class FileError(Exception):
    """(line, message): the file cannot be read any further (bad encoding, broken CSV)."""


def read_records(source: BinaryIO, start: int) -> Iterator[tuple[int, list[str]]]:
    """Yield (line, cells) per non-blank record, skipping WFP's HXL tag row after the header."""
    source.seek(start)
    text = io.TextIOWrapper(source, encoding="utf-8-sig", newline="")
    reader = csv.reader(text, strict=True)
    line, records = 1, 0
    try:
        for cells in reader:
            if records == 0 or any(cells):
                records += 1
                if records != 2 or not _is_hxl(cells):
                    yield line, cells
            line = reader.line_num + 1
    except UnicodeDecodeError:
        raise FileError(_undecodable_line(source, start), NOT_UTF8) from None
    except csv.Error as exc:
        raise FileError(line, _csv_problem(str(exc))) from None
    finally:
        text.detach()


def escape_cell(cell: str | None) -> str | None:
    """Return a text cell as exported: one quote put before a cell a spreadsheet would run.

    The quote goes before a cell that starts with = + - @ tab or carriage return, and before one
    that starts with quotes followed by one of those (so "'=x" is written "''=x"): `unescape_cell`
    then takes exactly one quote off, and every cell reads back as it was.
    """
    if cell and cell[0] in _RISKY_STARTS and cell.lstrip(_QUOTE)[:1] in FORMULA_STARTS:
        return _QUOTE + cell
    return cell


def unescape_cell(cell: str) -> str:
    """Undo `escape_cell`: drop one leading quote when quotes and then = + - @ tab or CR begin it."""
    if cell[:1] == _QUOTE and cell.lstrip(_QUOTE)[:1] in FORMULA_STARTS:
        return cell[1:]
    return cell


def _is_hxl(cells: list[str]) -> bool:
    tags = [c.strip() for c in cells if c.strip()]
    return bool(tags) and all(t.startswith("#") for t in tags)


def _undecodable_line(source: BinaryIO, start: int) -> int:
    """Return the first line that is not UTF-8 (a newline byte never sits inside a character)."""
    source.seek(start)
    line = 0
    for line, raw in enumerate(source, start=1):
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError:
            return line
    return max(line, 1)


def _csv_problem(error: str) -> str:
    if "unexpected end of data" in error:
        return "A quote opened in this row is never closed: the file ends inside a quoted cell."
    if "field larger than field limit" in error:
        return (
            f"A cell here is longer than {csv.field_size_limit():,} characters, far beyond any "
            "column's limit (a note holds 2,000): too much text, or a quote left open."
        )
    if "expected after" in error:
        return "Broken CSV: a closing quote must be followed by a comma or the end of the line."
    if "NUL" in error:
        return "Broken CSV: the line holds a NUL byte, so this is not a CSV text file."
    return f"Broken CSV: {error}."
