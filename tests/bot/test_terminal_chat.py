"""``ntvt chat``'s input loop, typed at in-process: no line ends it, no step strands anyone.

The window (:class:`bot.chat.TerminalChat`) runs against the real bot and the local Bot
API, as ``ntvt chat`` does. Every step of every dialog is given what it cannot take (an
unknown command, a sticker, a voice note) and must ask the same question again; then 60
random lines (numbers, commands, emoji, empty, words; seeded, so a failure replays) are
typed wherever the resident happens to be, and whatever a step did not take gets its
question again. The officers' side is toured through ``:vai``: the demo's cases, a card,
the question to the nominator and the answer back.
"""

from __future__ import annotations

import copy
import random
from dataclasses import dataclass

import pytest

from bot.chat import TerminalChat
from bot.demo import Persona
from bot.local_api import LocalBotApi
from bot.local_api.models import BotMessage
from bot.runtime import Runtime
from core.dialog import Dialog
from tests.bot.conftest import RunningBot
from tests.bot.flows import DEED

SEED = 15
RANDOM_LINES = 60
LINES_PER_STEP = 4
# Inputs no step takes: each must get the step's question again, the dialog unchanged.
NEVER_TAKEN = ("/abc", "/xyz 12", ":nhandan", ":ghiam")
KNOWN_COMMANDS = ("/start", "/help", "/cancel", "/nominate", "/status", "/my", "/lang", "/huy")
EMOJI = ("🎉", "👍", "😀😀😀", "🇻🇳", "❤️", "🙏🏻", "🤝🏼👏")
WORDS = ("xin chào", "ok", "không biết", "a", "???", "Nguyễn", "1 2 3", "hôm qua")


def question(text: str) -> str:
    """Return a step's question without the explanation of a problem shown above it."""
    paragraphs = text.split("\n\n")
    # A question a press turned into the next one follows what was chosen ("✓ ..."), below
    # the pressed message's own text when that stays (a case card).
    chosen = [i for i, paragraph in enumerate(paragraphs) if paragraph.startswith("✓ ")]
    if chosen:
        del paragraphs[: chosen[-1] + 1]
    while paragraphs and paragraphs[0].startswith("⚠️"):
        paragraphs.pop(0)
    # The unit just matched is named back once, above the next question; asked again, the
    # question stands without it (its ⬅️ Quay lại stays).
    lines = "\n\n".join(paragraphs).split("\n")
    return "\n".join(line for line in lines if not line.startswith("Đơn vị: "))


@dataclass(frozen=True)
class Asked:
    """A question as it was shown: its text and buttons (a later press may clear them)."""

    text: str
    buttons: list[list[str]]

    @classmethod
    def of(cls, message: BotMessage) -> Asked:
        return cls(question(message.text), [list(row) for row in message.buttons])


@dataclass(frozen=True)
class Stop:
    """A step of a dialog as the tour found it: who was at it, the dialog, its question."""

    persona: Persona
    dialog: Dialog
    asked: Asked


class Window:
    """The terminal chat typed at by a test, with the dialog each line left open."""

    def __init__(self, api: LocalBotApi, rt: Runtime) -> None:
        self.rt = rt
        self.chat = TerminalChat(api, api.user(100_001, "Bạn"), color=False, rt=rt)
        self.asked: Asked | None = None
        self.stops: list[Stop] = []

    async def dialog(self) -> tuple[str, str, int] | None:
        async with self.rt.uow() as uow:
            dialog = await uow.dialogs.get(self.chat.user.id)
        return None if dialog is None else (dialog.flow, dialog.step, dialog.token)

    async def type(self, line: str) -> list[BotMessage]:
        """Type ``line``; return the bot's messages edited into another text, then its new ones.

        The window must go on.
        """
        user = self.chat.user
        before = len(user.all_messages)
        texts = [message.text for message in user.all_messages]
        assert await self.chat.handle(line), f"the chat ended on {line!r}"
        edited = [m for m, text in zip(user.all_messages, texts, strict=False) if m.text != text]
        return [*edited, *user.all_messages[before:]]

    def number(self, label: str) -> str:
        """Return what to type to press the shown button whose label contains ``label``."""
        labels = self.chat.numbered
        for number, text in enumerate(labels, 1):
            if label in text:
                return str(number)
        raise AssertionError(f"no button {label!r} among {labels}")

    async def press(self, label: str) -> BotMessage:
        return await self.answer(self.number(label))

    async def answer(self, line: str) -> BotMessage:
        """Type an answer the step takes; return (and remember) the question that follows."""
        new = await self.type(line)
        assert new, f"no answer to {line!r}"
        self.asked = Asked.of(new[-1])
        return new[-1]

    async def same_question_for_what_it_cannot_take(self) -> None:
        """Type what no step takes: each time the same question, the dialog as it was."""
        opened = await self.dialog()
        assert opened is not None and self.asked is not None
        for line in NEVER_TAKEN:
            new = await self.type(line)
            assert new, f"nothing answered {line!r} at {opened}"
            assert await self.dialog() == opened, f"{line!r} changed the dialog {opened}"
            again = Asked.of(new[-1])
            assert again == self.asked, f"{line!r} at {opened}: {new[-1].text!r}"
            assert "⚠️" in new[-1].text, "the step says why it asks again"
        async with self.rt.uow() as uow:
            dialog = await uow.dialogs.get(self.chat.user.id)
        assert dialog is not None
        self.stops.append(Stop(self.chat.persona, copy.deepcopy(dialog), self.asked))

    async def back_to(self, stop: Stop) -> None:
        """Put the person back at ``stop``'s step (the dialog as it was there), and ask it."""
        if self.chat.persona is not stop.persona:
            await self.chat.switch(stop.persona)
        async with self.rt.uow() as uow:
            await uow.dialogs.save(copy.deepcopy(stop.dialog))
            await uow.commit()
        new = await self.type("/abc")  # the step's question again, with its live buttons
        assert new and "⚠️" in new[-1].text, f"back at {stop.dialog.step}: {new}"
        # Its words may have moved with the world since (a menu that counts the cases).
        self.asked = Asked.of(new[-1])


@pytest.fixture(params=[pytest.param("sqlite", id="sqlite")])
def database_backend(request: pytest.FixtureRequest) -> str:
    """SQLite only: the window and the steps are the same whatever the store, and the
    60 lines cost about 16 s a backend (every step's storage is tested on both elsewhere)."""
    backend: str = request.param
    return backend


@pytest.fixture
def window(api: LocalBotApi, bot: RunningBot) -> Window:
    return Window(api, bot.runtime)


async def test_every_step_asks_again_what_it_cannot_take_and_60_random_lines_never_end_the_chat(
    window: Window, capsys: pytest.CaptureFixture[str]
) -> None:
    await tour(window)
    assert len(window.stops) >= 20, [stop.dialog.step for stop in window.stops]
    await random_lines_at_every_step(window, random.Random(SEED))
    assert "Cửa sổ chat" not in capsys.readouterr().out, "no line failed in the window"


async def tour(window: Window) -> None:
    """Take every dialog, resident's and officers', to each of its steps; check each one."""
    await window.chat.start()
    await window.press("Tôi đồng ý")
    await window.press("Đề cử người tốt")  # the thanks' button: what to do next
    answers = (
        ("kind", "Cá nhân"),
        ("name", "Nguyễn Văn Bình"),
        ("role", "Người dân"),
        ("deed", DEED),
        ("date", "Hôm qua"),
        ("unit", "hoan kiem"),
        ("place", "Bỏ qua"),
        ("evidence", "Bỏ qua"),
        ("phone", "Bỏ qua"),
        ("anonymous", "Không cần"),
    )
    for step, answer in answers:
        opened = await window.dialog()
        assert opened is not None and opened[1] == step, opened
        await window.same_question_for_what_it_cannot_take()
        if step in ("name", "deed", "unit"):
            await window.answer(answer)
        else:
            await window.press(answer)
    assert (await window.dialog() or ("", ""))[1] == "summary"
    await window.same_question_for_what_it_cannot_take()
    await window.press("Sửa")
    await window.same_question_for_what_it_cannot_take()  # the menu of fields
    await window.press("Quay lại")
    sent = await window.press("Gửi")
    assert "Đã gửi đề cử" in sent.text

    for opener, then in (
        ("/status", None),
        ("/lienhe", None),
        ("/yeucau", "Khiếu nại"),
        ("/suadulieu", None),
    ):
        await window.answer(opener)
        await window.same_question_for_what_it_cannot_take()
        if then is not None:
            await window.press(then)
            await window.same_question_for_what_it_cannot_take()
        await window.answer("/cancel")
        assert await window.dialog() is None

    # The officers' side, with the demo's cases: a question to the nominator and back.
    await window.type(":vai canbo")
    assert window.chat.persona.key == "officer"
    queue = await window.answer("/queue")
    assert "Trần Thị Mai" in queue.text and "Nguyễn Văn Bình" in queue.text
    card = await window.press("Trần Thị Mai")
    assert "Đang xác minh" in card.text
    await window.press("Yêu cầu bổ sung")
    await window.same_question_for_what_it_cannot_take()
    await window.answer("Anh/Chị cho biết tên cụ bà và số điện thoại người nhà được không?")
    assert await window.dialog() is None

    await window.type(":vai nguoidan")
    notice = window.chat.user.messages[-1]
    assert "cho biết tên cụ bà" in notice.text
    await window.press("Trả lời cán bộ")
    await window.same_question_for_what_it_cannot_take()
    await window.answer("Cụ bà tên Nguyễn Thị Hạnh, số người nhà 0912 345 678.")
    await window.press("Gửi trả lời")

    await window.type(":vai canbo")
    told = window.chat.user.messages[-1]
    assert "Nguyễn Thị Hạnh" in told.text

    await window.type(":vai thuongtruc")
    await window.answer("/broadcast")
    await window.same_question_for_what_it_cannot_take()
    await window.answer("/cancel")


async def random_lines_at_every_step(window: Window, rng: random.Random) -> None:
    """Type 60 random lines, a few at each step in turn, wherever it leads.

    A line the step took moves the dialog (or closes it): the person is put back at the
    next step of the round. A line the step did not take gets its question again.
    """
    typed = 0
    while typed < RANDOM_LINES:
        for stop in window.stops:
            await window.back_to(stop)
            for _ in range(LINES_PER_STEP):
                typed += 1
                if not await random_line_at(window, random_line(rng)):
                    break


async def random_line_at(window: Window, line: str) -> bool:
    """Type ``line`` and check the answer; return whether the dialog is where it was."""
    opened = await window.dialog()
    pressed = window.chat.pressing(line)
    new = await window.type(line)
    now = await window.dialog()
    if not line.strip():
        assert not new and now == opened, "an empty line sends nothing"
        return True
    assert new, f"nothing answered {line!r} at {opened}"
    if now != opened:
        return False
    command = line.split()[0]
    if pressed or command in KNOWN_COMMANDS:
        return True  # a button of another message, or a command that does its own thing
    assert window.asked is not None
    assert Asked.of(new[-1]) == window.asked, f"{line!r} at {opened}: {new[-1].text!r}"
    return True


def random_line(rng: random.Random) -> str:
    """Return a line a person might type: numbers, commands, emoji, nothing, words."""
    kind = rng.choice(("number", "number", "command", "unknown", "emoji", "empty", "words"))
    if kind == "number":
        return str(rng.randint(0, 12))
    if kind == "command":
        return rng.choice(KNOWN_COMMANDS)
    if kind == "unknown":
        letters = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz_0123456789") for _ in range(5))
        return rng.choice((f"/{letters}", f"/{letters} {rng.randint(1, 99)}", "/", "//"))
    if kind == "emoji":
        return "".join(rng.choice(EMOJI) for _ in range(rng.randint(1, 4)))
    if kind == "empty":
        return rng.choice(("", " ", "\t"))
    return rng.choice(WORDS)


async def test_a_number_with_no_button_left_to_press_is_sent_as_text(window: Window) -> None:
    await window.chat.start()
    declined = await window.press("Không đồng ý")  # the notice's buttons go with the answer
    assert not declined.buttons
    assert not window.chat.pressing("1")
    new = await window.type("1")
    assert [message.text for message in new] == [window.chat.user.messages[-1].text]
    assert "chưa hiểu" in new[-1].text  # the bot read "1" as typed text, and said so
    assert await window.chat.handle("/start")  # and the chat goes on


async def test_a_failure_in_the_window_is_told_in_one_line_and_the_chat_goes_on(
    window: Window, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    await window.chat.start()
    user = window.chat.user

    async def broken(text: str) -> None:
        raise RuntimeError("the local server went away\nsecond line of detail")

    with monkeypatch.context() as patched:
        patched.setattr(user, "send_text", broken)
        assert await window.chat.handle("xin chào")
    told = [line for line in capsys.readouterr().out.splitlines() if "Cửa sổ chat" in line]
    said = "RuntimeError: the local server went away"
    assert told == [f"(Cửa sổ chat: chưa làm được “xin chào”: {said})"]
    again = await window.press("Tôi đồng ý")
    assert "Cảm ơn Anh/Chị đã đồng ý" in again.text


async def test_after_consent_the_thanks_say_what_to_do_next_with_a_button(
    api: LocalBotApi, bot: RunningBot
) -> None:
    user = api.user(1501, "Hương")
    await user.send_command("/start")
    await user.wait_for_messages(2)
    thanks = await user.press_for_reply("✅ Tôi đồng ý")
    assert "Để bắt đầu" in thanks.text and "/help" in thanks.text
    assert thanks.buttons == [["📝 Đề cử người tốt, việc tốt"]]
    first = await user.press_for_reply("📝 Đề cử người tốt, việc tốt")
    assert first.message_id == thanks.message_id, "the thanks turned into the first question"
    assert first.text.startswith("✓ 📝 Đề cử người tốt, việc tốt\n\nBước 1/10")
    assert "Để bắt đầu" not in first.text
