"""Channel identities, minted user ids, Zalo tokens and events, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from core.channels import Channel
from core.identity import MINTED_ID_BASE, is_minted, user_id_for
from core.zalo import ZaloEvent, ZaloTokens
from storage.uow import Database

NOW = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)


async def test_a_new_zalo_person_gets_a_minted_id_that_no_telegram_id_can_have(
    database: Database,
) -> None:
    async with database.uow() as uow:
        an = await user_id_for(uow.identities, Channel.ZALO, "8031555123456789012", at=NOW)
        binh = await user_id_for(uow.identities, Channel.ZALO, "2468458835296117922", at=NOW)
        again = await user_id_for(uow.identities, Channel.ZALO, "8031555123456789012", at=NOW)
        await uow.commit()

    assert an == again and an != binh
    assert is_minted(an) and is_minted(binh)
    assert an > MINTED_ID_BASE and binh > MINTED_ID_BASE  # above every Telegram id (< 2**52)
    assert an < 2**53 and binh < 2**53  # a double still holds it exactly
    async with database.uow() as uow:
        # Telegram's id is the user's id: no row, no minting.
        assert await user_id_for(uow.identities, Channel.TELEGRAM, "123456789", at=NOW) == (
            123456789
        )
        assert await uow.identities.get(Channel.TELEGRAM, "123456789") is None
        found = await uow.identities.of_user(an, Channel.ZALO)
    assert found is not None and found.external_id == "8031555123456789012"


async def test_two_deliveries_racing_for_one_new_person_give_them_one_id(
    database: Database,
) -> None:
    first_minted = asyncio.Event()
    release_first = asyncio.Event()

    async def first() -> int:
        async with database.uow() as uow:
            identity = await uow.identities.mint(Channel.ZALO, "racer", at=NOW)
            first_minted.set()
            await release_first.wait()
            await uow.commit()
            return identity.user_id

    async def second() -> int:
        await first_minted.wait()
        async with database.uow() as uow:
            identity = await uow.identities.mint(Channel.ZALO, "racer", at=NOW)
            await uow.commit()
            return identity.user_id

    first_task = asyncio.create_task(first())
    second_task = asyncio.create_task(second())
    await first_minted.wait()
    await asyncio.sleep(0.2)  # the second is now waiting (on the row, or for its turn)
    assert not second_task.done()
    release_first.set()
    assert await first_task == await second_task


async def test_an_erased_persons_number_is_never_given_again(database: Database) -> None:
    async with database.uow() as uow:
        gone = (await uow.identities.mint(Channel.ZALO, "gone", at=NOW)).user_id
        await uow.commit()
    async with database.uow() as uow:
        assert await uow.identities.forget_user(gone) == 1
        await uow.commit()
    async with database.uow() as uow:
        assert await uow.identities.get(Channel.ZALO, "gone") is None
        newcomer = (await uow.identities.mint(Channel.ZALO, "newcomer", at=NOW)).user_id
        back = (await uow.identities.mint(Channel.ZALO, "gone", at=NOW)).user_id
        await uow.commit()
    assert newcomer > gone and back > newcomer


async def test_the_last_message_time_only_moves_forward(database: Database) -> None:
    async with database.uow() as uow:
        await uow.identities.mint(Channel.ZALO, "writer", at=NOW)
        await uow.identities.heard_from(Channel.ZALO, "writer", at=NOW + timedelta(hours=2))
        await uow.identities.heard_from(Channel.ZALO, "writer", at=NOW + timedelta(hours=1))
        await uow.commit()
    async with database.uow() as uow:
        identity = await uow.identities.get(Channel.ZALO, "writer")
    assert identity is not None and identity.last_inbound_at == NOW + timedelta(hours=2)


async def test_tokens_are_stored_replaced_and_never_shown_in_a_repr(database: Database) -> None:
    tokens = ZaloTokens(
        oa_id="579745863508352884",
        access_token="access-1",
        refresh_token="refresh-1",
        access_expires_at=NOW + timedelta(hours=25),
        refreshed_at=NOW,
        refresh_expires_at=NOW + timedelta(days=90),
    )
    async with database.uow() as uow:
        assert await uow.zalo_tokens.lock(tokens.oa_id) is None
        await uow.zalo_tokens.save(tokens)
        await uow.commit()
    rotated = ZaloTokens(
        oa_id=tokens.oa_id,
        access_token="access-2",
        refresh_token="refresh-2",
        access_expires_at=NOW + timedelta(hours=50),
        refreshed_at=NOW + timedelta(hours=25),
    )
    async with database.uow() as uow:
        assert await uow.zalo_tokens.lock(tokens.oa_id) == tokens
        await uow.zalo_tokens.save(rotated)
        await uow.commit()
    async with database.uow() as uow:
        assert await uow.zalo_tokens.get(tokens.oa_id) == rotated
    assert "access-2" not in repr(rotated) and "refresh-2" not in repr(rotated)


async def test_an_event_is_stored_once_and_claimed_once(database: Database) -> None:
    def event(event_id: str, minutes: int) -> ZaloEvent:
        return ZaloEvent(
            event_id=event_id,
            event_name="user_send_text",
            sender_id="2468458835296117922",
            payload={"event_name": "user_send_text", "message": {"text": "đề cử"}},
            occurred_at=NOW + timedelta(minutes=minutes),
            received_at=NOW + timedelta(minutes=minutes, seconds=1),
        )

    async with database.uow() as uow:
        assert await uow.zalo_events.record(event("msg:2", 2))
        assert await uow.zalo_events.record(event("msg:1", 1))
        assert not await uow.zalo_events.record(event("msg:1", 1))
        await uow.commit()
    async with database.uow() as uow:
        assert [e.event_id for e in await uow.zalo_events.waiting(limit=10)] == ["msg:1", "msg:2"]
        assert await uow.zalo_events.claim("msg:1", at=NOW + timedelta(minutes=5))
        assert not await uow.zalo_events.claim("msg:1", at=NOW + timedelta(minutes=6))
        await uow.commit()
    async with database.uow() as uow:
        assert [e.event_id for e in await uow.zalo_events.waiting(limit=10)] == ["msg:2"]
        stored = await uow.zalo_events.get("msg:1")
    # Processed, the event keeps its id and times, not what the person wrote.
    assert stored is not None and stored.payload == {}
    assert stored.processed_at == NOW + timedelta(minutes=5)
    async with database.uow() as uow:
        waiting = await uow.zalo_events.get("msg:2")
    assert waiting is not None and waiting.payload["message"]["text"] == "đề cử"


async def test_erasure_forgets_a_zalo_persons_account_and_events(database: Database) -> None:
    from core.people import User
    from core.personal_data import erase_personal_data, plan_erasure

    async with database.uow() as uow:
        person = (await uow.identities.mint(Channel.ZALO, "zalo-lan", at=NOW)).user_id
        await uow.users.save(User(person, "Lan", "vi", None, NOW))
        for n, sender in enumerate(("zalo-lan", "zalo-other")):
            await uow.zalo_events.record(
                ZaloEvent(f"msg:{n}", "user_send_text", sender, {"text": "xin chào"}, NOW, NOW)
            )
        await uow.commit()
    async with database.uow() as uow:
        plan = await plan_erasure(uow, person, chat_id=person)
        assert plan is not None
        await erase_personal_data(
            uow, person, chat_id=person, fingerprint=plan.fingerprint, now=NOW
        )
        await uow.commit()
    async with database.uow() as uow:
        assert await uow.identities.get(Channel.ZALO, "zalo-lan") is None
        assert await uow.zalo_events.get("msg:0") is None
        assert await uow.zalo_events.get("msg:1") is not None, "another person's event stays"
