"""A chat's dialog is saved, updated step by step, and closed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from core.dialog import Dialog
from storage.uow import Database

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
CHAT = -1_001_234_567_890  # group chat ids are negative and beyond 32 bits


def a_dialog() -> Dialog:
    return Dialog(
        chat_id=CHAT,
        user_id=7_123_456_789,
        flow="nominate",
        step="nominee_name",
        data={"draft": {"nominee_kind": "individual", "evidence": [{"file_id": "f"}]}},
        token=7,
        updated_at=NOW,
    )


async def test_a_saved_dialog_comes_back_equal(database: Database) -> None:
    dialog = a_dialog()
    async with database.uow() as uow:
        await uow.dialogs.save(dialog)
        await uow.commit()

    async with database.uow() as uow:
        assert await uow.dialogs.get(CHAT) == dialog


async def test_saving_a_dialog_again_keeps_its_latest_step_and_data(database: Database) -> None:
    dialog = a_dialog()
    async with database.uow() as uow:
        await uow.dialogs.save(dialog)
        await uow.commit()

    dialog.data["draft"]["nominee_name"] = "Trần Văn Hùng"
    dialog.move_to("unit", NOW + timedelta(minutes=2))
    async with database.uow() as uow:
        await uow.dialogs.save(dialog)
        await uow.commit()

    async with database.uow() as uow:
        found = await uow.dialogs.get(CHAT)

    assert found == dialog
    assert found is not None
    assert (found.step, found.token) == ("unit", 8)
    assert found.data["draft"]["nominee_name"] == "Trần Văn Hùng"


async def test_a_closed_dialog_is_gone_and_closing_again_does_nothing(database: Database) -> None:
    async with database.uow() as uow:
        await uow.dialogs.save(a_dialog())
        await uow.commit()

    async with database.uow() as uow:
        await uow.dialogs.delete(CHAT)
        await uow.commit()
    async with database.uow() as uow:
        await uow.dialogs.delete(CHAT)
        await uow.commit()

    async with database.uow() as uow:
        assert await uow.dialogs.get(CHAT) is None
