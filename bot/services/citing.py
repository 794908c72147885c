"""Citing figures: the "📋 Cite" button of a price answer, and the citation as an inline result.

Each figure is cited in a plain style (in the reader's language) and in BibTeX (in English),
withdrawn ones too: a figure someone quoted stays citable, and its citation says it was
withdrawn. Everything a reply holds fits one Telegram message by construction.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bot.domain.citation import (
    Citation,
    citation_title,
    cite,
    observed_text,
    publisher,
    record_name,
)
from bot.domain.i18n import Translator
from bot.domain.prices import Observation
from bot.i18n import translator
from bot.rendering.html import MAX_TEXT, esc, split_message, utf16_len
from bot.rendering.replies import Reply
from bot.services.catalogue import CatalogueStore
from bot.services.clock import Clock
from bot.services.market_figures import to_observation
from db.models import PriceObservation

__all__ = ["Citations", "citation_html", "inline_citation"]

# Room kept for the closing lines: the figures not cited, the ids not found.
_RESERVE = 200
_GAP = "\n\n"


class Citations:
    """Citations of stored figures by id, for the cite button."""

    def __init__(self, *, engine: Engine, catalogue: CatalogueStore, clock: Clock) -> None:
        self._engine = engine
        self._catalogue = catalogue
        self._clock = clock

    def cite(self, ids: Sequence[int], *, lang: str, bot_username: str) -> Reply:
        """Cite figures `ids` in order (withdrawn ones say so); as many as fit one message."""
        t = translator(lang)
        today = self._clock().date()
        wanted = list(dict.fromkeys(ids))
        citations = self._load(wanted, lang=lang, today=today, bot_username=bot_username, t=t)
        missing = [i for i in wanted if i not in citations]
        tail: list[str] = []
        if missing:
            records = ", ".join(record_name(i) for i in missing)
            tail.append(
                esc(
                    t.ngettext(
                        "Figure {records} is not in the database.",
                        "Figures {records} are not in the database.",
                        len(missing),
                    ).format(records=records)
                )
            )
        found = [citations[i] for i in wanted if i in citations]
        budget = MAX_TEXT - _RESERVE - sum(utf16_len(line) + len(_GAP) for line in tail)
        blocks: list[str] = []
        for citation in found:
            room = budget - sum(utf16_len(b) + len(_GAP) for b in blocks)
            block = citation_html(citation, limit=room) if not blocks else citation_html(citation)
            if utf16_len(block) > room:
                break
            blocks.append(block)
        left = len(found) - len(blocks)
        if left:
            tail.append(
                esc(
                    t.ngettext(
                        "{n} more figure: ask about one place to cite it.",
                        "{n} more figures: ask about one place to cite them.",
                        left,
                    ).format(n=left)
                )
            )
        text = _GAP.join([*blocks, *tail])
        # Held by construction; the assert keeps it so.
        assert utf16_len(text) <= MAX_TEXT, utf16_len(text)
        return Reply(text=text)

    def _load(
        self, ids: Sequence[int], *, lang: str, today: date, bot_username: str, t: Translator
    ) -> dict[int, Citation]:
        if not ids:
            return {}
        catalogue = self._catalogue.current
        out: dict[int, Citation] = {}
        with Session(self._engine) as session:
            rows = session.exec(
                select(PriceObservation).where(col(PriceObservation.id).in_(list(ids)))
            ).all()
            for row in rows:
                assert row.id is not None
                obs = to_observation(row, catalogue, lang=lang)
                english = obs if lang == "en" else to_observation(row, catalogue, lang="en")
                withdrawn = row.deleted_at.date() if row.deleted_at is not None else None
                out[row.id] = cite(
                    obs,
                    accessed=today,
                    bot_username=bot_username,
                    t=t,
                    english=english,
                    withdrawn=withdrawn,
                )
        return out


def citation_html(citation: Citation, *, limit: int = MAX_TEXT) -> str:
    """Render a citation: the plain paragraph, then the BibTeX entry as a code block.

    Within `limit` UTF-16 code units: without the BibTeX entry when both do not fit, and the
    paragraph cut at a space when even it does not.
    """
    plain = esc(citation.plain)
    block = f'{plain}\n<pre><code class="language-bibtex">{esc(citation.bibtex)}</code></pre>'
    if utf16_len(block) <= limit:
        return block
    if utf16_len(plain) <= limit:
        return plain
    return split_message(plain, limit)[0]


def inline_citation(
    observation: Observation,
    today: date,
    bot_username: str,
    t: Translator,
    *,
    english: Observation | None = None,
) -> tuple[str, str, str]:
    """Return an inline result citing one figure: (title, description, HTML text under 4096).

    `english` is the same figure named in English, for the BibTeX entry (else `observation`).
    """
    citation = cite(observation, accessed=today, bot_username=bot_username, t=t, english=english)
    title = "📋 " + t.gettext("Cite: {title}").format(title=citation_title(observation, t))
    description = " · ".join(
        (publisher(observation, t), observed_text(observation, t), citation.record)
    )
    return title, description, citation_html(citation)
