"""The one table of commands: name, handler, who may use it (checked in the handler), help line,
menu scope, whether a channel may post it and whether an edit of it is answered again.
Registration, /help and the menus read it."""

from __future__ import annotations

from dataclasses import dataclass

from telegram import Update
from telegram.ext import ContextTypes

from bot.domain.i18n import N_
from bot.handlers import articles, basic, editors, feeds, questions, subscriptions
from bot.handlers.common import Handler
from bot.handlers.menus import MenuEntry, Scope


@dataclass(frozen=True)
class Command:
    """One command as the bot knows it."""

    name: str
    call: Handler
    description: str
    scope: Scope
    # Subscription commands also come as channel posts (a channel subscribes by posting them).
    in_channels: bool = False
    # An edited message with the command is answered again (questions only); others ignore it.
    edits: bool = False

    @property
    def handler(self) -> Handler:
        """What is registered: the command, after news of work a restart interrupted; an edit
        runs it again only when `edits`."""
        return _registered(self.call, edits=self.edits)

    def menu_entry(self) -> MenuEntry:
        return MenuEntry(self.name, self.description, self.scope)


def _registered(call: Handler, *, edits: bool) -> Handler:
    async def handler(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if basic.is_edit(update):
            if edits:
                await call(update, context)
            return
        await editors.tell_interrupted(update, context)
        await call(update, context)

    handler.__doc__ = call.__doc__
    handler.__name__ = getattr(call, "__name__", "handler")
    return handler


PUBLIC, EDITOR, OWNER, HIDDEN = Scope.PUBLIC, Scope.EDITOR, Scope.OWNER, Scope.HIDDEN
INTAKE_LINE = "Read an article: /intake URL (or forward or paste its text)"
FIX_LINE = "Correct the article under review: /fix 2 low 450"
SUMMARY_LINE = "The reviewed report's summary, in your words: /summary TEXT"

# The order within a scope is the order users see in menus and /help.
COMMANDS: tuple[Command, ...] = (
    # Never listed: the greeting, and the deep links of shared subscriptions.
    Command("start", basic.start, "", HIDDEN),
    # Questions (an edited question is answered again)
    Command(
        "price",
        questions.price_command,
        N_("Latest price: /price lingzhi hyesan"),
        PUBLIC,
        edits=True,
    ),
    Command(
        "compare",
        questions.compare_command,
        N_("All markets side by side: /compare rice"),
        PUBLIC,
        edits=True,
    ),
    Command(
        "trend",
        questions.trend_command,
        N_("Price chart: /trend corn hyesan since 2021"),
        PUBLIC,
        edits=True,
    ),
    Command(
        "conditions",
        questions.conditions_command,
        N_("Trade conditions: /conditions hyesan smuggling 2024"),
        PUBLIC,
        edits=True,
    ),
    Command(
        "brief",
        questions.brief_command,
        N_("A place at a glance: /brief hyesan"),
        PUBLIC,
        edits=True,
    ),
    Command(
        "commodities",
        questions.commodities_command,
        N_("Browse the commodities"),
        PUBLIC,
        edits=True,
    ),
    Command(
        "markets",
        questions.markets_command,
        N_("Browse markets and places"),
        PUBLIC,
        edits=True,
    ),
    # Subscriptions: private chats, groups (their admins) and channels
    Command(
        "subscribe",
        subscriptions.subscribe_command,
        N_("Weekly digest: /subscribe rice hyesan"),
        PUBLIC,
        in_channels=True,
    ),
    Command(
        "subscriptions",
        subscriptions.subscriptions_command,
        N_("What this chat is subscribed to"),
        PUBLIC,
        in_channels=True,
    ),
    Command(
        "digest",
        subscriptions.digest_command,
        N_("Preview this chat's digest now"),
        PUBLIC,
        in_channels=True,
    ),
    Command(
        "unsubscribe",
        subscriptions.unsubscribe_command,
        N_("Stop a digest"),
        PUBLIC,
        in_channels=True,
    ),
    Command(
        "timezone",
        subscriptions.timezone_command,
        N_("Digest time zone: /timezone Europe/Berlin"),
        PUBLIC,
        in_channels=True,
    ),
    Command(
        "settings",
        basic.settings_command,
        N_("Language, digest day, hour and time zone"),
        PUBLIC,
    ),
    Command("help", basic.help_command, N_("What I can do"), PUBLIC, edits=True),
    # Editors (private chat; edits are ignored: a command that writes runs once)
    Command(
        "addprice",
        editors.addprice,
        N_('Add a price: /addprice lingzhi hyesan 500-1200 CNY/kg 2024-11 source:"Daily NK"'),
        EDITOR,
    ),
    Command(
        "addreport",
        editors.addreport,
        N_(
            'Add a trade-condition report: /addreport sinuiju 2025-09 border "Trucks crossed '
            'again." source:"Daily NK" (alone: a guided form)'
        ),
        EDITOR,
    ),
    # Article intake: its menu lines are not yet in the Korean catalogue (editors read English).
    Command("intake", articles.intake_command, INTAKE_LINE, EDITOR),
    Command("fix", articles.fix_command, FIX_LINE, EDITOR),
    Command("summary", articles.summary_command, SUMMARY_LINE, EDITOR),
    Command("inbox", feeds.inbox_command, N_("Articles from the news feeds: /inbox"), EDITOR),
    Command("feeds", feeds.feeds_command, N_("Source feeds: /feeds, /feeds run 3"), EDITOR),
    Command(
        "link",
        feeds.link_command,
        N_("Link a feed's new entry: /link commodity rice-low-quality rice"),
        EDITOR,
    ),
    Command("mine", editors.mine, N_("My latest entries"), EDITOR),
    Command("undo", editors.undo, N_("Revert my last entry (24 hours)"), EDITOR),
    Command("delete", editors.delete, N_("Delete an entry: /delete ID"), EDITOR),
    Command("edit", editors.edit, N_("Correct an entry: /edit ID FIELD VALUE"), EDITOR),
    Command("alias", editors.alias, N_("Add a name: /alias lingzhi 靈芝"), EDITOR),
    Command(
        "export",
        editors.export,
        N_("CSV: /export [commodity] [market] or /export reports [place]"),
        EDITOR,
    ),
    Command("audit", editors.audit, N_("Recent changes"), EDITOR),
    Command(
        "stats",
        subscriptions.stats_command,
        N_("Subscribers and deliveries"),
        EDITOR,
        in_channels=True,
    ),
    Command("cancel", editors.cancel, N_("Stop a guided entry"), EDITOR),
    # Owners
    Command("grant", editors.grant, N_("Make someone an admin: /grant ID"), OWNER),
    Command("revoke", editors.revoke, N_("Remove admin rights: /revoke ID"), OWNER),
)
