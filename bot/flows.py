"""Flows as registered units, and the router that sends every update to the flow it belongs to.

A flow declares its button kind (``key``, also the ``flow`` of its dialogs), its commands,
and what it does with a button press (``on_button``), with the input of its open dialog
(``on_input``) and with ``/cancel`` (``on_cancel``). The composition root lists the flows
once (:func:`bot.app.flows`); there is no chain of ``elif`` over flows anywhere else.
Adding a flow is one module with a ``flow()`` and one line in that list.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any

from telegram import Update
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.commands import EVERYONE, Listing
from bot.conversations.dialogs import close_dialog
from bot.conversations.incoming import Incoming
from bot.rendering import N_
from bot.runtime import Runtime, Turn
from core.dialog import Dialog
from core.roles import Role
from core.text import fold

Step = Callable[[Turn], Awaitable[None]]
OnButton = Callable[[Turn, Incoming], Awaitable[None]]
OnInput = Callable[[Turn, Dialog, Incoming], Awaitable[None]]
OnCancel = Callable[[Turn, Dialog], Awaitable[None]]
# Asks the open dialog's current question again, after the explanation of a problem.
AskAgain = Callable[[Turn, Dialog, str], Awaitable[None]]
Handler = BaseHandler[Any, ContextTypes.DEFAULT_TYPE, Any]
Menu = Callable[[Turn, str], Step | None]
# Shows the new privacy notice to a resident who agreed to an earlier one; True if it did.
Renewal = Callable[[Turn], Awaitable[bool]]

CANCEL_COMMAND = ("cancel", "huy")
CANCEL = Listing(CANCEL_COMMAND, N_("Hủy thao tác đang làm"))
# The longest text read as a command typed as words (the longest name is 9 letters).
MAX_SPOKEN = 32
# A greeting, typed alone where there is no command menu, is answered with the guide.
GREETINGS = frozenset({"xinchao", "chao", "chaoban", "alo", "hello", "hi"})
HELP = "help"
# The problem explained above the question asked again after a command the bot does not know.
UNKNOWN_COMMAND = "input.unknown_command"


@dataclass(frozen=True, slots=True)
class Command:
    """A slash command: its names (the first is the one in the menu) and what it runs.

    ``description``: its words in Telegram's command menu and in ``/help`` (a message id);
    ``usage``: what may follow it (a message id, "" for nothing); ``roles``: the roles any
    of which shows it, none meaning everybody. Showing is not allowing: the core service
    each command calls decides who may. ``before_renewal``: it runs even while the person's
    consent is to an earlier privacy notice (it shows the new notice itself).
    """

    names: tuple[str, ...]
    run: Step
    description: str
    usage: str = ""
    roles: frozenset[Role] = EVERYONE
    before_renewal: bool = False

    @property
    def listing(self) -> Listing:
        """Return what people are told of the command."""
        return Listing(self.names, self.description, self.usage, self.roles)


@dataclass(frozen=True, slots=True)
class Flow:
    """One unit of the bot: a dialog, a kind of button, commands, or all three.

    ``key``: the kind of its buttons and the ``flow`` of its dialogs (1–3 letters, unique).
    ``on_button``: a press of one of its buttons while its dialog is not the one open.
    ``on_input``: what the resident sends while its dialog is open, its buttons included.
    ``on_cancel``: ``/cancel`` in its dialog; by default the dialog is dropped and
    ``cancelled`` said. ``ask_again``: its dialog's current question asked again, the dialog
    unchanged, after the explanation of a problem (a code of ``_problem.j2``): what the
    router does with an input no step of any flow takes (an unknown command), so the person
    is never left without the question. ``on_chat_member``: the bot added to or removed from a chat.
    ``before_renewal``: its commands and buttons run even while the person's consent is to
    an earlier privacy notice, which every other step shows first (the notice itself, and
    rights used whatever was agreed: withdrawing, seeing one's data, the language).
    """

    name: str
    key: str | None = None
    commands: tuple[Command, ...] = ()
    on_button: OnButton | None = None
    on_input: OnInput | None = None
    on_cancel: OnCancel | None = None
    ask_again: AskAgain | None = None
    cancelled: str = "status/cancelled"
    on_chat_member: Step | None = None
    before_renewal: bool = False


class DuplicateFlowError(ValueError):
    """Two flows claim the same button kind or the same command."""


class Flows:
    """The registered flows, and the router of button presses, messages and ``/cancel``.

    ``menu``: the step a main-menu label stands for (it wins over any open dialog);
    ``fallback``: what any other message outside a dialog gets (a typed code, say);
    ``renewal``: asked first at every command, press and message in a private chat, but those
    of flows and commands that run ``before_renewal`` and ``/cancel``: when it shows the new
    privacy notice, the step does not run (the open dialog stays as it was, to go on once
    the person agreed).
    """

    def __init__(
        self,
        flows: Iterable[Flow],
        *,
        menu: Menu,
        fallback: OnButton,
        renewal: Renewal | None = None,
    ) -> None:
        self.flows = tuple(flows)
        self._menu = menu
        self._fallback = fallback
        self._renewal = renewal
        self._by_key: dict[str, Flow] = {}
        names: set[str] = set(CANCEL_COMMAND)
        for flow in self.flows:
            if flow.key is not None:
                if flow.key in self._by_key:
                    other = self._by_key[flow.key].name
                    raise DuplicateFlowError(f"{flow.name} and {other} both use {flow.key!r}")
                self._by_key[flow.key] = flow
            for command in flow.commands:
                taken = names.intersection(command.names)
                if taken:
                    raise DuplicateFlowError(f"{flow.name}: /{sorted(taken)[0]} is taken")
                names.update(command.names)

    def get(self, key: str | None) -> Flow | None:
        """Return the flow whose buttons and dialogs carry ``key``."""
        return self._by_key.get(key) if key is not None else None

    def listings(self) -> tuple[Listing, ...]:
        """Return what people are told of every command, in the flows' order."""
        declared = (command.listing for flow in self.flows for command in flow.commands)
        return (*declared, CANCEL)

    async def on_button(self, turn: Turn) -> None:
        """Send a press to its flow: its open dialog's input, or the flow's own button handler.

        A press the bot did not sign, of no flow, or of a dialog that is over is refused
        with the same polite words, whatever it names.
        """
        incoming = turn.incoming
        flow = self.get(incoming.flow)
        if flow is None:
            stale_button(turn)
            return
        if not flow.before_renewal and await self._renews(turn):
            return
        if flow.on_input is not None:
            dialog = await turn.uow.dialogs.get(turn.chat_id)
            if dialog is not None and dialog.flow == flow.key:
                await flow.on_input(turn, dialog, incoming)
                return
        if flow.on_button is not None:
            await flow.on_button(turn, incoming)
        else:
            stale_button(turn)

    async def on_message(self, turn: Turn) -> None:
        """Send a message to what a menu label stands for, the open dialog, or the fallback."""
        if await self._renews(turn):
            return
        incoming = turn.incoming
        if incoming.kind == "text" and incoming.text:
            menu_step = self._menu(turn, incoming.text)
            if menu_step is not None:
                await menu_step(turn)
                return
        dialog = await turn.uow.dialogs.get(turn.chat_id)
        flow = self.get(dialog.flow) if dialog is not None else None
        if dialog is not None and flow is not None and flow.on_input is not None:
            await flow.on_input(turn, dialog, incoming)
        else:
            await self._fallback(turn, incoming)

    async def cancel(self, turn: Turn) -> None:
        """Drop whatever dialog is open, the way its flow does it."""
        dialog = await turn.uow.dialogs.get(turn.chat_id)
        if dialog is None:
            turn.say("start/nothing_to_cancel", keyboard=turn.main_menu())
            return
        flow = self.get(dialog.flow)
        if flow is not None and flow.on_cancel is not None:
            await flow.on_cancel(turn, dialog)
            return
        # A short dialog opened over a nomination draft gives the draft back.
        kept = await close_dialog(turn, dialog)
        cancelled = flow.cancelled if flow is not None else "status/cancelled"
        turn.say(cancelled, keyboard=turn.main_menu(), draft_kept=kept)

    async def unknown_command(self, turn: Turn) -> None:
        """Say there is no such command; in a dialog, ask its question again.

        The open dialog is left as it was: the person answers the question, or cancels.
        """
        dialog = await turn.uow.dialogs.get(turn.chat_id)
        flow = self.get(dialog.flow) if dialog is not None else None
        if dialog is not None and flow is not None and flow.ask_again is not None:
            await flow.ask_again(turn, dialog, UNKNOWN_COMMAND)
            return
        turn.say("start/unknown_command", keyboard=turn.main_menu())

    async def _renews(self, turn: Turn) -> bool:
        """Show the new privacy notice first if the person must agree again; True if shown.

        Only in the person's private chat: a press in a group is not where to ask.
        """
        if self._renewal is None or turn.chat_id != turn.user.id:
            return False
        return await self._renewal(turn)

    def _renewed_first(self, step: Step) -> Step:
        """Return ``step`` run only once the person agreed to the current privacy notice."""

        @functools.wraps(step)
        async def run(turn: Turn) -> None:
            if not await self._renews(turn):
                await step(turn)

        return run

    def _command_step(self, flow: Flow, command: Command) -> Step:
        """Return what a command runs: after the new privacy notice, unless it runs before."""
        if flow.before_renewal or command.before_renewal:
            return command.run
        return self._renewed_first(command.run)

    def command_step(self, name: str) -> Step | None:
        """Return the step of the command ``name`` (any of its names), ``/cancel`` included."""
        if name in CANCEL_COMMAND:
            return self.cancel
        for flow in self.flows:
            for command in flow.commands:
                if name in command.names:
                    return self._command_step(flow, command)
        return None

    async def take(self, turn: Turn) -> None:
        """Route the input of a channel without Telegram's handlers (Zalo), as they would.

        A press goes to :meth:`on_button`. A text is a command when it begins with ``/``
        (``/status HK-…``, an unknown one told so) or when the whole of it is a command's
        name typed as words (:func:`spoken_command`: "Tra cứu", "huy"): Zalo has no command
        menu, so its keyword menu is the commands' own names. Anything else is a message.
        """
        incoming = turn.incoming
        if incoming.kind == "button":
            await self.on_button(turn)
            return
        text = incoming.text if incoming.kind == "text" else None
        if text and text.startswith("/"):
            step = self.command_step(command_name(text))
            await (step or self._renewed_first(self.unknown_command))(turn)
            return
        spoken = spoken_command(text) if text else ""
        step = self.command_step(HELP if spoken in GREETINGS else spoken) if spoken else None
        await (step or self.on_message)(turn)

    def handlers(self, rt: Runtime) -> list[Handler]:
        """Return the PTB handlers of every flow, in the order PTB should try them."""
        private = filters.ChatType.PRIVATE
        handlers: list[Handler] = [
            CommandHandler(
                list(command.names), rt.handler(self._command_step(flow, command)), filters=private
            )
            for flow in self.flows
            for command in flow.commands
        ]
        handlers.append(
            CommandHandler(list(CANCEL_COMMAND), rt.handler(self.cancel), filters=private)
        )
        handlers.extend(
            ChatMemberHandler(rt.handler(flow.on_chat_member), ChatMemberHandler.MY_CHAT_MEMBER)
            for flow in self.flows
            if flow.on_chat_member is not None
        )
        handlers += [
            CallbackQueryHandler(rt.handler(self.on_button)),
            MessageHandler(private & ~filters.COMMAND, rt.handler(self.on_message)),
            MessageHandler(
                private & filters.COMMAND, rt.handler(self._renewed_first(self.unknown_command))
            ),
            TypeHandler(Update, rt.handler(_ignore)),
        ]
        return handlers


def command_name(text: str) -> str:
    """Return the command a ``/`` text names: ``/Status@ntvt_bot HK-1`` is ``status``."""
    first = text[1:].split(maxsplit=1)[0] if len(text) > 1 and not text[1].isspace() else ""
    return first.split("@", 1)[0].lower()


def spoken_command(text: str) -> str:
    """Return a whole text as a command's name would be written: "Tra cứu!" is ``tracuu``.

    Folded (no diacritics, lower case), only letters and digits kept: a person on a channel
    without a command menu types a command as words. A long text is no command at all.
    """
    if len(text) > MAX_SPOKEN:
        return ""
    return "".join(char for char in fold(text) if char.isalnum())


def stale_button(turn: Turn) -> None:
    """Say politely that the button pressed no longer works, and nothing else.

    Left at three Bot API calls: the menu (a reply keyboard) comes with the words, and only a
    new message can carry it, so the pressed message loses its buttons instead of being
    replaced, even if the flow meant to answer the press in place.
    """
    turn.in_place = None
    turn.clear_buttons()
    turn.callback_notice = turn.label(N_("Nút này đã hết hiệu lực."))
    turn.say("start/stale_button", keyboard=turn.main_menu())


async def _ignore(turn: Turn) -> None:
    """Nothing to say: the update is only marked processed."""
