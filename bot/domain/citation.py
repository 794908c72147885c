"""Citing one stored figure the way researchers and journalists quote it: a plain style and BibTeX.

A citation credits the original publisher, names where the figure was read when that was
elsewhere (a reprint, a translation, an aggregator), gives the observation date at its own
precision and the publication date when known, and points to the bot's permanent record of the
figure with the date it was accessed. The plain style's fixed words are translated; BibTeX is
English only (reference managers and journals expect it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from urllib.parse import urlsplit

from bot.domain import links
from bot.domain.dates import PartialDate
from bot.domain.i18n import ENGLISH, N_, Translator
from bot.domain.prices import Observation

__all__ = [
    "Citation",
    "bibtex_citation",
    "bibtex_text",
    "bibtex_url",
    "citation_title",
    "cite",
    "plain_citation",
    "publisher",
    "record_name",
]

# The same words as the price answers' (one msgid, one translation).
PRICE_TYPE_LABELS = {
    "wholesale": N_("wholesale"),
    "state_purchase": N_("state purchase price"),
    "farm_gate": N_("farm-gate price"),
    "middleman": N_("paid by traders/smugglers"),
    "export": N_("export price"),
    "ration": N_("ration (PDS) price"),
    "market": N_("market rate"),
    "official": N_("official rate"),
}
BIBTEX_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
# Characters BibTeX (and the LaTeX it writes) reads as commands, in free text.
_BIBTEX_SPECIALS = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
}
_BIBTEX_SPECIAL_RE = re.compile(r"[\\{}&%$#_~^]")
# Inside \url{} only % and # are read as commands; braces and backslashes would unbalance the
# entry, spaces would end the address: those are percent-encoded first (the same address).
_URL_UNSAFE = {"\\": "%5C", "{": "%7B", "}": "%7D", " ": "%20"}
_URL_UNSAFE_RE = re.compile(r"[\\{} ]")
_URL_SPECIAL_RE = re.compile(r"[%#]")
_SPACES_RE = re.compile(r"\s+")


@dataclass(frozen=True)
class Citation:
    """The citations of one figure: its record name ("f123"), permanent link, plain and BibTeX."""

    record: str
    link: str | None
    plain: str
    bibtex: str


def record_name(figure_id: int) -> str:
    """Return the name a citation gives a stored figure: "f123" (its permanent link's payload)."""
    return f"{links.FIGURE}{figure_id}"


def permanent_link(bot_username: str, figure_id: int) -> str | None:
    """Return the figure's permanent link, None when the bot's username is not known."""
    if not bot_username:
        return None
    return links.record_link(bot_username, links.FIGURE, figure_id)


def site_name(url: str | None) -> str | None:
    """Return a site's host without "www.", the name a reader sees in the address bar."""
    if not url:
        return None
    host = urlsplit(url).hostname or ""
    return host.removeprefix("www.") or None


def publisher(obs: Observation, t: Translator = ENGLISH) -> str:
    """Return the credit: the original publisher, and where it was read when that was elsewhere."""
    via = obs.via or site_name(obs.via_url)
    name = _one_line(obs.source_name)
    if not via:
        return name
    return t.gettext("{publisher} (via {via})").format(publisher=name, via=_one_line(via))


def citation_title(obs: Observation, t: Translator = ENGLISH) -> str:
    """Return what is cited: "Rice, Hyesan (Ryanggang): 5,800 KPW/kg" (grade, price type too)."""
    _ = t.gettext
    qualifiers = [_one_line(obs.grade)] if obs.grade else []
    if obs.price_type in PRICE_TYPE_LABELS:
        qualifiers.append(_(PRICE_TYPE_LABELS[obs.price_type]))
    what = _one_line(obs.commodity)
    what = what[:1].upper() + what[1:]  # catalogue names are lower case: "rice"
    if qualifiers:
        what += f" ({', '.join(qualifiers)})"
    place = _one_line(obs.market)
    if obs.market_parent:
        place += f" ({_one_line(obs.market_parent)})"
    return f"{what}, {place}: {obs.figure.text(t)}"


def observed_text(obs: Observation, t: Translator = ENGLISH) -> str:
    """Return "Observed 13 Apr 2025" at the date's precision, "(year inferred)" when worked out."""
    _ = t.gettext
    if obs.observed.value is None:
        return _("Observation date not stated")
    if obs.date_inferred:
        return _("Observed {date} (year inferred)").format(date=obs.observed.label(t))
    return _("Observed {date}").format(date=obs.observed.label(t))


def plain_citation(
    obs: Observation,
    *,
    accessed: date,
    bot_username: str,
    t: Translator = ENGLISH,
    withdrawn: date | None = None,
) -> str:
    """Return the citation as one plain paragraph a reader can paste into a text.

    Daily NK (via inven.co.kr). "Rice, Hyesan (Ryanggang): 5,800 KPW/kg." Observed 13 Apr 2025;
    published 15 Apr 2025. https://original (read at https://via). Jangmadang record f123,
    https://t.me/<bot>?start=f_123, accessed 1 Dec 2026.
    """
    _ = t.gettext
    dates = observed_text(obs, t)
    if obs.reported_on is not None:
        published = PartialDate(obs.reported_on, "day").label(t)
        dates += "; " + _("published {date}").format(date=published)
    sentences = [f"{publisher(obs, t)}.", f'"{citation_title(obs, t)}."', f"{dates}."]
    if obs.source_url and obs.via_url and obs.via_url != obs.source_url:
        sentences.append(
            _("{url} (read at {via_url})").format(url=obs.source_url, via_url=obs.via_url) + "."
        )
    elif obs.source_url:
        sentences.append(f"{obs.source_url}.")
    elif obs.via_url:
        sentences.append(_("Read at {via_url}").format(via_url=obs.via_url) + ".")
    record, link = record_name(obs.id), permanent_link(bot_username, obs.id)
    when = PartialDate(accessed, "day").label(t)
    if link is None:
        sentences.append(
            _("Jangmadang record {record}, accessed {date}").format(record=record, date=when) + "."
        )
    else:
        sentences.append(
            _("Jangmadang record {record}, {link}, accessed {date}").format(
                record=record, link=link, date=when
            )
            + "."
        )
    if withdrawn is not None:
        sentences.append(
            _("Withdrawn from the record on {date}").format(
                date=PartialDate(withdrawn, "day").label(t)
            )
            + "."
        )
    return " ".join(sentences)


def bibtex_text(text: str) -> str:
    """Escape free text for a BibTeX field: & % $ # _ { } ~ ^ and backslash, on one line."""
    return _BIBTEX_SPECIAL_RE.sub(lambda m: _BIBTEX_SPECIALS[m.group(0)], _one_line(text))


def bibtex_url(url: str) -> str:
    """Write an address for \\url{}: its characters as they are, but % and # escaped."""
    safe = _URL_UNSAFE_RE.sub(lambda m: _URL_UNSAFE[m.group(0)], url.strip())
    return _URL_SPECIAL_RE.sub(lambda m: "\\" + m.group(0), safe)


def bibtex_citation(
    obs: Observation, *, accessed: date, bot_username: str, withdrawn: date | None = None
) -> str:
    """Return an @misc BibTeX entry for the figure (English only).

    The author is the original publisher, kept as one name ({{Daily NK}}); year and month are the
    publication's when known, else the observation's; howpublished is the original address, else
    the one it was read at; the note names where it was read, the observation date and the record.
    """
    record, link = record_name(obs.id), permanent_link(bot_username, obs.id)
    fields: list[tuple[str, str]] = [
        ("author", f"{{{{{bibtex_text(obs.source_name)}}}}}"),
        ("title", f"{{{{{bibtex_text(citation_title(obs))}}}}}"),
    ]
    when = PartialDate(obs.reported_on, "day") if obs.reported_on is not None else obs.observed
    if when.value is not None:
        fields.append(("year", f"{{{when.value.year}}}"))
        if when.precision in ("day", "month"):
            fields.append(("month", BIBTEX_MONTHS[when.value.month - 1]))
    address = obs.source_url or obs.via_url
    if address:
        fields.append(("howpublished", f"{{\\url{{{bibtex_url(address)}}}}}"))
    note: list[str] = []
    via = obs.via or site_name(obs.via_url)
    if via:
        read = f"Read via {bibtex_text(via)}"
        if obs.via_url and obs.via_url != address:
            read += f", \\url{{{bibtex_url(obs.via_url)}}}"
        note.append(read)
    note.append(bibtex_text(observed_text(obs)))
    if link is None:
        note.append(f"Jangmadang record {record}")
    else:
        note.append(f"Jangmadang record {record}, \\url{{{bibtex_url(link)}}}")
    if withdrawn is not None:
        note.append(f"Withdrawn from the record on {withdrawn.isoformat()}")
    fields.append(("note", "{" + ". ".join(note) + "}"))
    fields.append(("urldate", f"{{{accessed.isoformat()}}}"))
    body = ",\n".join(f"  {name} = {value}" for name, value in fields)
    return f"@misc{{jangmadang_{record},\n{body}\n}}"


def cite(
    obs: Observation,
    *,
    accessed: date,
    bot_username: str,
    t: Translator = ENGLISH,
    english: Observation | None = None,
    withdrawn: date | None = None,
) -> Citation:
    """Return both citations of a figure; BibTeX reads `english` (the figure named in English)."""
    return Citation(
        record=record_name(obs.id),
        link=permanent_link(bot_username, obs.id),
        plain=plain_citation(
            obs, accessed=accessed, bot_username=bot_username, t=t, withdrawn=withdrawn
        ),
        bibtex=bibtex_citation(
            english or obs, accessed=accessed, bot_username=bot_username, withdrawn=withdrawn
        ),
    )


def _one_line(text: str | None) -> str:
    # A name with a line break or a tab would break the paragraph and the BibTeX field apart.
    return _SPACES_RE.sub(" ", text or "").strip()
