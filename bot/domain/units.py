"""Units as reported ("600 g", "jin", "근", "per 100 USD") and their canonical base."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from bot.domain.errors import InvalidInput
from bot.domain.text import normalize

CURRENCIES = ("KPW", "CNY", "USD", "KRW", "JPY", "EUR", "RUB")
# Every currency a figure may be in: ISO 4217's codes in use (CLDR), and the former ones older
# WFP files still write (SLL, VEF, ZWL, MRO, STD).
ISO_CURRENCIES = frozenset(
    [
        "AED",
        "AFN",
        "ALL",
        "AMD",
        "AOA",
        "ARS",
        "AUD",
        "AWG",
        "AZN",
        "BAM",
        "BBD",
        "BDT",
        "BHD",
        "BIF",
        "BMD",
        "BND",
        "BOB",
        "BRL",
        "BSD",
        "BTN",
        "BWP",
        "BYN",
        "BZD",
        "CAD",
        "CDF",
        "CHF",
        "CLP",
        "CNY",
        "COP",
        "CRC",
        "CUP",
        "CVE",
        "CZK",
        "DJF",
        "DKK",
        "DOP",
        "DZD",
        "EGP",
        "ERN",
        "ETB",
        "EUR",
        "FJD",
        "FKP",
        "GBP",
        "GEL",
        "GHS",
        "GIP",
        "GMD",
        "GNF",
        "GTQ",
        "GYD",
        "HKD",
        "HNL",
        "HTG",
        "HUF",
        "IDR",
        "ILS",
        "INR",
        "IQD",
        "IRR",
        "ISK",
        "JMD",
        "JOD",
        "JPY",
        "KES",
        "KGS",
        "KHR",
        "KMF",
        "KPW",
        "KRW",
        "KWD",
        "KYD",
        "KZT",
        "LAK",
        "LBP",
        "LKR",
        "LRD",
        "LSL",
        "LYD",
        "MAD",
        "MDL",
        "MGA",
        "MKD",
        "MMK",
        "MNT",
        "MOP",
        "MRU",
        "MUR",
        "MVR",
        "MWK",
        "MXN",
        "MYR",
        "MZN",
        "NAD",
        "NGN",
        "NIO",
        "NOK",
        "NPR",
        "NZD",
        "OMR",
        "PAB",
        "PEN",
        "PGK",
        "PHP",
        "PKR",
        "PLN",
        "PYG",
        "QAR",
        "RON",
        "RSD",
        "RUB",
        "RWF",
        "SAR",
        "SBD",
        "SCR",
        "SDG",
        "SEK",
        "SGD",
        "SHP",
        "SLE",
        "SOS",
        "SRD",
        "SSP",
        "STN",
        "SYP",
        "SZL",
        "THB",
        "TJS",
        "TMT",
        "TND",
        "TOP",
        "TRY",
        "TTD",
        "TWD",
        "TZS",
        "UAH",
        "UGX",
        "USD",
        "UYU",
        "UZS",
        "VES",
        "VND",
        "VUV",
        "WST",
        "XAF",
        "XCD",
        "XCG",
        "XOF",
        "XPF",
        "YER",
        "ZAR",
        "ZMW",
        "ZWG",
        "SLL",
        "VEF",
        "VED",
        "ZWL",
        "MRO",
        "STD",
    ]
)
UNSPECIFIED = "unspecified"
# How much of a unit a figure may be for, as written ("0.001 g" to "100000 CNY"): beyond these a
# quantity is a typo, and its price per kg or per currency unit is nonsense.
MIN_QUANTITY = 0.001
MAX_QUANTITY = 100_000.0
# A unit is stored as its text, in a column this wide.
MAX_UNIT_TEXT = 20

# name -> (base unit, quantity of base). Korean 근 is 600 g for meat and herbs, Chinese 斤 500 g.
_NAMED: dict[str, tuple[str, float]] = {
    "kg": ("kg", 1.0),
    "kilo": ("kg", 1.0),
    "kilogram": ("kg", 1.0),
    "kilograms": ("kg", 1.0),
    "킬로": ("kg", 1.0),
    "킬로그램": ("kg", 1.0),
    "公斤": ("kg", 1.0),
    "千克": ("kg", 1.0),
    "g": ("kg", 0.001),
    "gram": ("kg", 0.001),
    "grams": ("kg", 0.001),
    "그램": ("kg", 0.001),
    "克": ("kg", 0.001),
    "t": ("kg", 1000.0),
    "ton": ("kg", 1000.0),
    "tonne": ("kg", 1000.0),
    "吨": ("kg", 1000.0),
    "geun": ("kg", 0.6),
    "kun": ("kg", 0.6),
    "근": ("kg", 0.6),
    "jin": ("kg", 0.5),
    "斤": ("kg", 0.5),
    "catty": ("kg", 0.5),
    "l": ("l", 1.0),
    "liter": ("l", 1.0),
    "litre": ("l", 1.0),
    "liters": ("l", 1.0),
    "litres": ("l", 1.0),
    "리터": ("l", 1.0),
    "升": ("l", 1.0),
    "ml": ("l", 0.001),
    "piece": ("piece", 1.0),
    "pieces": ("piece", 1.0),
    "pc": ("piece", 1.0),
    "pcs": ("piece", 1.0),
    "개": ("piece", 1.0),
    "个": ("piece", 1.0),
    "egg": ("piece", 1.0),
    "head": ("head", 1.0),
    "포기": ("head", 1.0),
    "颗": ("head", 1.0),
    "m3": ("m3", 1.0),
    "cbm": ("m3", 1.0),
    "cubicmeter": ("m3", 1.0),
    "cubicmetre": ("m3", 1.0),
    "pack": ("pack", 1.0),
    "box": ("box", 1.0),
    "bottle": ("bottle", 1.0),
    "sack": ("sack", 1.0),
}
_QTY_RE = re.compile(r"^(?:per\s+)?(\d+(?:\.\d+)?)?\s*([^\d\s].*?)?$")


@dataclass(frozen=True)
class Unit:
    """A reported unit: its text, the base it measures in and how much of the base it holds."""

    text: str
    base: str
    quantity: float

    def per_base(self, price: float) -> float:
        """Convert a price per this unit into a price per one base unit (per kg, per USD...)."""
        return price / self.quantity

    def short(self) -> str:
        """Return the unit the way it is printed after a currency: kg, 600 g, head."""
        return self.text


def parse_unit(text: str) -> Unit:
    """Read a unit such as kg, 600g, 600 g, jin, 근, liter, head, USD or 100 CNY.

    Any positive quantity is read: this tells a unit by its shape (the entry line does). A
    figure's unit is read with `valid_unit`, which bounds it too.
    """
    return _read(text, strict=False)


def valid_unit(text: str) -> Unit:
    """Read the unit of a figure: as `parse_unit`, and refused unless its quantity is from
    MIN_QUANTITY to MAX_QUANTITY and its text reads back as the same unit (so it can be edited).
    """
    return _read(text, strict=True)


def _read(text: str, *, strict: bool) -> Unit:
    raw = " ".join((text or "").split())
    if not raw:
        raise InvalidInput("The unit is missing: say kg, 600 g, jin, liter, piece or head.")
    lowered = raw.lower().removeprefix("per ").strip()
    match = _QTY_RE.match(lowered)
    if not match:
        raise InvalidInput(
            f"“{raw}” is not a unit I know (kg, 600 g, jin, 근, liter, piece, head)."
        )
    qty_text, name = match.groups()
    name = (name or "").strip()
    qty = float(qty_text) if qty_text else 1.0
    # A quantity written with hundreds of digits parses as infinity.
    if not math.isfinite(qty) or qty <= 0:
        raise InvalidInput(f"“{raw[:40]}”: a unit needs a sensible positive quantity.")
    if strict and not MIN_QUANTITY <= qty <= MAX_QUANTITY:
        raise InvalidInput(
            f"“{raw[:40]}”: the quantity of a unit must be from {MIN_QUANTITY:g} to "
            f"{MAX_QUANTITY:,.0f} (kg, 600 g, 100 CNY)."
        )
    if lowered in ("unspecified", "not stated"):
        # Some sources give no unit; the figure is kept but never converted or compared.
        return Unit(UNSPECIFIED, UNSPECIFIED, 1.0)
    if name.upper() in CURRENCIES:
        unit = Unit(_unit_text(qty, name.upper()), name.upper(), qty)
    else:
        key = normalize(name).replace(" ", "")
        if key not in _NAMED:
            raise InvalidInput(
                f"“{raw}” is not a unit I know (kg, 600 g, jin, 근, liter, piece, head)."
            )
        base, factor = _NAMED[key]
        unit = Unit(_unit_text(qty, name if qty_text else key), base, qty * factor)
    if strict:
        _check_text(raw, qty, unit)
    return unit


def _unit_text(qty: float, name: str) -> str:
    if qty == 1.0:
        return name
    return f"{qty:g} {name}"


def _check_text(raw: str, qty: float, unit: Unit) -> None:
    """Refuse a unit whose stored text would not read back as the same unit."""
    # Between MIN_QUANTITY and MAX_QUANTITY, :g never writes an exponent ("0.001", "100000"),
    # but it keeps six significant digits.
    if float(f"{qty:g}") != qty:
        raise InvalidInput(
            f"“{raw[:40]}”: write the quantity with at most six significant digits "
            f"(e.g. {unit.text[:30]})."
        )
    if len(unit.text) > MAX_UNIT_TEXT:
        raise InvalidInput(
            f"“{raw[:40]}” is {len(unit.text)} characters as a unit; the limit is {MAX_UNIT_TEXT}."
        )
