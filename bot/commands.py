"""The command lists people are shown: in Telegram's menu and in ``/help``, by role.

The flows declare their commands (:class:`bot.flows.Command`); this module holds what a
person is told of them. A resident's menu is the bot's default list; a member of staff gets
a list of their own in their private chat (Telegram's ``BotCommandScopeChat``), with the
commands of their roles added, and loses it when their last role ends. Both languages are
published each time: Vietnamese as the default, English for clients set to English.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

from telegram import Bot, BotCommand, BotCommandScope, BotCommandScopeChat, BotCommandScopeDefault
from telegram.error import BadRequest, Forbidden

from bot.rendering import Renderer
from core.roles import ALL_UNIT_ROLES, Actor, Role, RoleGrant

log = logging.getLogger(__name__)

# Who sees a command beyond residents (everybody): the roles any of which shows it.
EVERYONE: frozenset[Role] = frozenset()
STAFF = frozenset({Role.OFFICER, *ALL_UNIT_ROLES})
OFFICE = ALL_UNIT_ROLES
ADMINS = frozenset({Role.ADMIN})

# The languages a list is published in; the first is the default (no language code).
LANGUAGES = ("vi", "en")


@dataclass(frozen=True, slots=True)
class Listing:
    """What a person is told of one command.

    ``names``: the command, then its aliases. ``description``: a message id, the menu's and
    ``/help``'s words. ``usage``: what follows the command, as a message id ("" if nothing).
    ``roles``: the roles that see it; none means everybody.
    """

    names: tuple[str, ...]
    description: str
    usage: str = ""
    roles: frozenset[Role] = EVERYONE

    @property
    def name(self) -> str:
        """Return the command's own name (the others are aliases)."""
        return self.names[0]

    @property
    def for_staff(self) -> bool:
        """Tell whether only some roles see the command."""
        return bool(self.roles)

    def shown_to(self, actor: Actor) -> bool:
        """Tell whether ``actor`` is shown the command (what they may do is core's to say)."""
        return not self.roles or any(actor.has(role) for role in self.roles)


@dataclass
class CommandMenu:
    """Every command's listing, and the menus published to Telegram so far by this process.

    What was published is remembered only to spare Telegram repeated calls: a new process
    publishes every menu again, so losing it loses nothing.
    """

    listings: tuple[Listing, ...] = ()
    _published: dict[int, tuple[str, ...]] = field(default_factory=dict)
    _default_published: bool = False

    def shown_to(self, actor: Actor) -> list[Listing]:
        """Return the commands ``actor`` is shown, residents' first, in the flows' order."""
        shown = [item for item in self.listings if item.shown_to(actor)]
        return sorted(shown, key=lambda item: item.for_staff)

    async def publish(
        self, bot: Bot, renderer: Renderer, grants: Iterable[RoleGrant], today: date
    ) -> int:
        """Bring the published menus in line with the grants in force ``today``.

        Returns the number of chats whose menu was set or removed. A chat Telegram refuses
        (the person never opened the bot, or blocked it) is noted and not asked again until
        their roles change; any other error stops the round, to be tried on the next one.
        """
        if not self._default_published:
            residents = [item for item in self.listings if not item.for_staff]
            await _set(bot, renderer, residents, BotCommandScopeDefault())
            self._default_published = True
        by_user: dict[int, list[RoleGrant]] = {}
        for grant in grants:
            by_user.setdefault(grant.user_id, []).append(grant)
        changed = 0
        for user_id, held in sorted(by_user.items()):
            actor = Actor.of(user_id, tuple(held), today)
            shown = self.shown_to(actor) if actor.grants else []
            names = tuple(item.name for item in shown if item.for_staff)
            if self._published.get(user_id) == names:
                continue
            scope = BotCommandScopeChat(user_id)
            try:
                if names:
                    await _set(bot, renderer, shown, scope)
                else:
                    await _delete(bot, scope)
            except (BadRequest, Forbidden) as error:
                log.info("the command menu of chat %d was refused: %s", user_id, error.message)
            self._published[user_id] = names
            changed += 1
        return changed


async def _set(
    bot: Bot, renderer: Renderer, listings: Sequence[Listing], scope: BotCommandScope
) -> None:
    for language in LANGUAGES:
        commands = [
            BotCommand(item.name, renderer.text(language, item.description)) for item in listings
        ]
        await bot.set_my_commands(
            commands, scope=scope, language_code=None if language == LANGUAGES[0] else language
        )


async def _delete(bot: Bot, scope: BotCommandScope) -> None:
    for language in LANGUAGES:
        await bot.delete_my_commands(
            scope=scope, language_code=None if language == LANGUAGES[0] else language
        )
