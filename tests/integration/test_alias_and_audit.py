"""/alias refuses a name that would take other questions; /audit and /edit quote long values in
part, shortened before they are escaped, so every reply stays valid Telegram HTML."""

from __future__ import annotations

import pytest
from sqlmodel import Session, func, select

from bot.domain.errors import InvalidInput, NotFound
from bot.domain.i18n import ENGLISH
from bot.rendering.html import split_message, utf16_len
from config.settings import Settings
from db.models import AuditLog, CommodityAlias, PriceObservation
from emulator.html import parse_html
from tests.support.clock import NOW
from tests.support.factories import add_price
from tests.support.services import make_services

OWNER = 9001
EMOJI = "😀"


@pytest.fixture
def services(engine):
    return make_services(Settings(_env_file=None, admin_ids=[OWNER]), engine, now=lambda: NOW)


def counts(engine) -> tuple[int, int]:
    with Session(engine) as session:
        aliases = session.exec(select(func.count()).select_from(CommodityAlias)).one()
        audits = session.exec(select(func.count()).select_from(AuditLog)).one()
    return aliases, audits


def alias(services, text: str) -> str:
    return services.admin.add_alias(admin_id=OWNER, args=text.split()).text


def refusal(services, text: str) -> str:
    with pytest.raises((InvalidInput, NotFound)) as caught:
        alias(services, text)
    return caught.value.to_text(ENGLISH)


def accepted(text: str) -> None:
    for part in split_message(text):
        assert utf16_len(part) <= 4096
        parse_html(part)  # raises on a cut tag or entity


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("lingzhi rice hyesan", "contains the place name “hyesan” (Hyesan)"),
        ("lingzhi = hyesan lingzhi", "contains the place name “hyesan” (Hyesan)"),
        ("lingzhi wild 혜산 버섯", "contains the place name “혜산” (Hyesan)"),
        ("lingzhi fine north korea mushroom", "contains the place name “north korea”"),
        ("lingzhi rice", "“rice” already names rice"),
        ("lingzhi hyesan", "“hyesan” already names hyesan"),
        ("lingzhi Hye-San", "already names hyesan"),
    ],
)
def test_an_alias_that_is_a_name_or_holds_a_place_is_refused_with_nothing_written(
    services, engine, line, reason
):
    before = counts(engine)
    assert reason.casefold() in refusal(services, line).casefold()
    assert counts(engine) == before
    catalogue = services.catalogue.current
    alias_text = line.split("=", 1)[1] if "=" in line else line.split(maxsplit=1)[1]
    assert not [e for e in catalogue.commodities.exact(alias_text) if e.slug == "lingzhi"]


def test_the_place_refusal_says_what_to_do(services):
    text = refusal(services, "lingzhi rice hyesan")
    assert "a question with it would ask about that place" in text
    assert "Nothing was added" in text


def test_an_alias_with_a_place_only_inside_a_word_is_accepted(services, engine):
    aliases, audits = counts(engine)
    assert "now means Lingzhi" in alias(services, "lingzhi hyesanite cap")
    assert counts(engine) == (aliases + 1, audits + 1)
    catalogue = services.catalogue.current
    assert [e.slug for e in catalogue.commodities.exact("hyesanite cap")] == ["lingzhi"]


def test_a_long_commodity_name_is_quoted_short(services):
    text = refusal(services, "&" * 3000 + "x alias")
    assert "is not exactly one commodity" in text and utf16_len(text) < 400


def test_audit_lines_are_shortened_before_escaping(services, engine):
    catalogue = services.catalogue.current
    row = add_price(engine, catalogue, now=NOW, source_url="https://example.org/a")
    # Escaped, each "&" is five characters: cutting at a fixed length falls inside "&amp;" for
    # most positions; five URLs of different prefixes try every position.
    for query in ("?q=", "?qq=", "?qqq=", "?qqqq=", "?qqqqq="):
        prefix = f"https://example.org/{query}"
        url = prefix + "&" * (318 - len(prefix))
        services.admin.edit(admin_id=OWNER, args=[str(row.id), "url", url])
    note = ("&" + EMOJI) * 1000
    services.admin.edit(admin_id=OWNER, args=[str(row.id), "note", note])
    text = services.admin.audit().text
    accepted(text)
    lines = [parse_html(line).text for line in text.split("\n")[1:]]
    assert len(lines) >= 6 and all(utf16_len(line) <= 500 for line in lines)
    assert all("…" in line for line in lines[:6])  # the long values, marked as cut


def test_edit_quotes_a_refused_value_in_part(services, engine):
    catalogue = services.catalogue.current
    row = add_price(engine, catalogue, now=NOW)
    for value in (EMOJI * 4000, ("&" + EMOJI) * 1300, "<b>" * 1000):
        with pytest.raises(InvalidInput) as caught:
            services.admin.edit(admin_id=OWNER, args=[str(row.id), "unit", value])
        shown = caught.value.to_html(ENGLISH)
        accepted(shown)
        assert utf16_len(parse_html(shown).text) < 400


def test_edit_keeps_where_a_figure_was_read_and_can_change_it(services, engine):
    catalogue = services.catalogue.current
    row = add_price(
        engine, catalogue, now=NOW, source_url="", via="inven.co.kr",
        via_url="https://www.inven.co.kr/b/1", date_inferred="yes",
    )  # fmt: skip
    services.admin.edit(admin_id=OWNER, args=[str(row.id), "price", "9000"])
    services.admin.edit(admin_id=OWNER, args=[str(row.id), "via", "Nocut News"])
    with Session(engine) as session:
        stored = session.get(PriceObservation, row.id)
        assert stored is not None and stored.price_low == 9000
        assert (stored.via, stored.via_url) == ("Nocut News", "https://www.inven.co.kr/b/1")
        assert stored.date_inferred
