"""``/dulieu`` (``/mydata``): what the bot holds about me, and the full copy as files.

The person sees their data grouped and short (:func:`core.personal_data.personal_data`
decides what that is and that only they see it, in their private chat). “📦 Nhận bản sao
đầy đủ” queues the copy as two documents made when they are sent (:mod:`bot.personal_copy`);
“🖼 Gửi lại ảnh, tài liệu” re-sends the files they sent, by Telegram's file ids; “✏️ Sửa”
opens the correction (:mod:`bot.conversations.correction`).

The buttons name nobody: a press gives the presser's own data or nothing. They are signed
for the private chat they were sent to, whose id is the person's, so a button forwarded or
copied into another chat is refused as a stale button before this module sees it.
"""

from __future__ import annotations

from bot.conversations import correction
from bot.conversations.incoming import Incoming, button_data
from bot.conversations.nomination import EDIT
from bot.flows import Command, Flow, stale_button
from bot.keyboards import Button, inline_keyboard
from bot.personal_copy import CopyReference
from bot.rendering import N_
from bot.runtime import Turn
from core.channels import Channel
from core.nomination import EvidenceKind
from core.personal_data import CopyFormat, PersonalData, personal_data
from core.roles import NotAllowedError

FLOW = "pd"
COPY = "copy"
FILES = "files"
COPY_LABEL = N_("📦 Nhận bản sao đầy đủ")
FILES_LABEL = N_("🖼 Gửi lại ảnh, tài liệu của tôi")
# Items shown per group in the message; the copy holds them all.
SHOWN = 5


async def show(turn: Turn) -> None:
    """Show the person what the bot holds about them, grouped, with the copy's buttons."""
    data = await _own_data(turn)
    if data is None or not data.consented:
        turn.say("mydata/before_consent", keyboard=turn.main_menu(), data=data)
        return
    # A file copy is made for Telegram; Zalo takes only PDF and Word files from an OA.
    by_file = turn.channel is Channel.TELEGRAM
    rows = [[Button(turn.label(COPY_LABEL), button_data(FLOW, 0, COPY))]] if by_file else []
    if data.files:
        rows.append([Button(turn.label(FILES_LABEL), button_data(FLOW, 0, FILES))])
    rows.append([Button(turn.label(EDIT), button_data(correction.FLOW, 0, correction.START))])
    turn.say(
        "mydata/summary",
        keyboard=inline_keyboard(rows),
        data=data,
        shown=SHOWN,
        directory=turn.rt.directory,
        by_file=by_file,
    )


async def on_button(turn: Turn, incoming: Incoming) -> None:
    """Send the full copy, or the files sent, of the presser: never anyone else's."""
    data = await _own_data(turn) if incoming.action in (COPY, FILES) else None
    if data is None or not data.consented:
        stale_button(turn)
        return
    if incoming.action == COPY and turn.channel is Channel.TELEGRAM:
        turn.callback_notice = "📦"
        for copy_format in CopyFormat:
            caption = turn.rt.renderer.render(turn.locale, "mydata/caption", format=copy_format)
            reference = CopyReference(turn.user.id, copy_format, turn.locale)
            turn.send_made_file("sendDocument", reference.params(caption=caption))
        return
    files = data.files
    turn.say("mydata/files", count=len(files))
    for sent in files:
        if sent.evidence.kind is EvidenceKind.PHOTO:
            turn.send_file("sendPhoto", "photo", sent.evidence.file_id)
        else:
            turn.send_file("sendDocument", "document", sent.evidence.file_id)


async def _own_data(turn: Turn) -> PersonalData | None:
    """Return what the bot holds about the person in this turn; None outside their chat."""
    try:
        return await personal_data(turn.uow, turn.user.id, chat_id=turn.chat_id)
    except NotAllowedError:
        return None


def flow() -> Flow:
    """Return the flow of the right of access."""
    return Flow(
        "mydata",
        key=FLOW,
        commands=(
            Command(("dulieu", "mydata"), show, N_("Xem dữ liệu của tôi mà hệ thống đang lưu")),
        ),
        on_button=on_button,
        before_renewal=True,  # the right of access, whatever notice was agreed to
    )
