"""Acting on a case from the desk, and its photos, over HTTP: the chat's rules, the chat's notices.

The app is the webhook's (``ntvt serve``), its bot and its sender on the local Bot API: a
notice queued by a press on the desk reaches the nominator's chat there.
"""

from __future__ import annotations

import asyncio
import io
import re
from dataclasses import replace

import httpx
import pytest
from PIL import Image
from sqlalchemy import func, select

from bot.desk.routes import COOKIE
from bot.local_api import LocalBotApi
from bot.zalo.media import MediaStore, media_file_id
from core.access import Opened
from core.channels import Channel
from core.codes import parse_tracking_code
from core.identity import user_id_for
from core.nomination import (
    Evidence,
    EvidenceKind,
    Nomination,
    NominationDraft,
    NominationStatus,
    NomineeKind,
    NomineeRole,
)
from core.services import give_consent, meet_user, submit_nomination
from storage.tables import AccessRow, AuditEntryRow, OutboxRow
from tests.desk.conftest import Desk
from tests.desk.test_http import csrf_of, sign_in
from tests.desk.world import HANG_BAC, OFFICE, RESIDENT, WARD_OFFICER

VERSION = re.compile(r'name="v" value="(\d+)"')


async def case_of(desk: Desk, name: str) -> Nomination:
    code = parse_tracking_code(desk.seeded.codes[name])
    assert code is not None
    async with desk.rt.uow() as uow:
        nomination = await uow.nominations.get_by_code(code)
    assert nomination is not None
    return nomination


async def open_case(desk: Desk, name: str) -> tuple[httpx.Response, dict[str, str]]:
    """Open the case page; return it and the fields every action's form carries."""
    page = await desk.client.get(f"/desk/case/{desk.seeded.codes[name]}")
    assert page.status_code == 200, page.text
    found = VERSION.search(page.text)
    assert found is not None, page.text
    return page, {"csrf": csrf_of(page), "v": found.group(1)}


async def press(desk: Desk, name: str, fields: dict[str, str]) -> httpx.Response:
    return await desk.client.post(f"/desk/case/{desk.seeded.codes[name]}/act", data=fields)


async def count(desk: Desk, row: type, **where: object) -> int:
    async with desk.rt.uow() as uow:
        query = select(func.count()).select_from(row)
        for column, value in where.items():
            query = query.where(getattr(row, column) == value)
        return int(await uow.session.scalar(query))  # type: ignore[attr-defined]


async def test_the_office_verifies_a_case_and_the_nominator_hears_it_in_chat(
    desk: Desk, api: LocalBotApi
) -> None:
    nominator = api.user(RESIDENT, "Lan")
    await sign_in(desk, OFFICE)
    page, fields = await open_case(desk, "Nguyễn Văn Bình")
    assert 'value="verify"' in page.text and 'value="reject"' in page.text
    assert 'value="ask_info"' not in page.text  # not in this state: the card's list, exactly

    pressed = await press(desk, "Nguyễn Văn Bình", {**fields, "action": "verify"})

    code = desk.seeded.codes["Nguyễn Văn Bình"]
    assert pressed.status_code == 303
    assert pressed.headers["location"] == f"/desk/case/{code}?done=verify"
    heard = await nominator.next_message(timeout=10)
    assert code in heard.text and "Nguyễn Văn Bình" in heard.text
    assert (await case_of(desk, "Nguyễn Văn Bình")).status is NominationStatus.VERIFYING
    shown = await desk.client.get(pressed.headers["location"])
    assert "Đã thực hiện: Tiếp nhận, xác minh." in shown.text
    assert 'value="ask_info"' in shown.text  # the fresh card's actions


@pytest.mark.parametrize("database_backend", ["sqlite"])
async def test_asking_for_information_takes_a_question_as_long_as_chat_allows(
    desk: Desk, api: LocalBotApi
) -> None:
    nominator = api.user(RESIDENT, "Lan")
    await sign_in(desk, OFFICE)
    _, fields = await open_case(desk, "Trần Thị Mai")
    asking = {**fields, "action": "ask_info"}

    empty = await press(desk, "Trần Thị Mai", {**asking, "note": "  \n "})
    too_long = await press(desk, "Trần Thị Mai", {**asking, "note": "Ảnh " * 300})
    asked = await press(
        desk, "Trần Thị Mai", {**asking, "note": "Chị Mai giúp cụ vào ngày nào, ở phố nào?"}
    )

    assert (empty.status_code, too_long.status_code) == (422, 422)
    assert "Xin ghi nội dung trước khi gửi." in empty.text
    assert "dài quá 1000 ký tự" in too_long.text and "Ảnh Ảnh Ảnh" in too_long.text
    assert asked.status_code == 303
    heard = await nominator.next_message(timeout=10)
    assert "Chị Mai giúp cụ vào ngày nào, ở phố nào?" in heard.text
    assert heard.buttons == [["✍️ Trả lời cán bộ"]]  # as in chat: the nominator answers
    assert (await case_of(desk, "Trần Thị Mai")).status is NominationStatus.NEEDS_INFO
    assert await count(desk, AuditEntryRow, action="ask_info") == 1


@pytest.mark.parametrize("database_backend", ["sqlite"])
async def test_a_form_of_a_page_older_than_the_case_takes_nothing_and_says_so(
    desk: Desk,
) -> None:
    await sign_in(desk, OFFICE)
    _, fields = await open_case(desk, "Nguyễn Văn Bình")
    assert (await press(desk, "Nguyễn Văn Bình", {**fields, "action": "verify"})).status_code == 303
    audits = await count(desk, AuditEntryRow)

    again = await press(desk, "Nguyễn Văn Bình", {**fields, "action": "verify"})
    rejected = await press(
        desk, "Nguyễn Văn Bình", {**fields, "action": "reject", "note": "Trùng hồ sơ khác."}
    )

    code = desk.seeded.codes["Nguyễn Văn Bình"]
    for answer in (again, rejected):
        assert answer.status_code == 303
        assert answer.headers["location"] == f"/desk/case/{code}?problem=stale"
    assert await count(desk, AuditEntryRow) == audits
    shown = await desk.client.get(again.headers["location"])
    assert "Hồ sơ đã thay đổi trước khi thao tác được thực hiện" in shown.text


async def test_another_units_case_is_the_same_403_and_nothing_changes(desk: Desk) -> None:
    await sign_in(desk, WARD_OFFICER)
    _, fields = await open_case(desk, "Nguyễn Văn Bình")  # their own: a token and a version
    audits, outbox = await count(desk, AuditEntryRow), await count(desk, OutboxRow)

    other = await desk.client.post(
        f"/desk/case/{desk.seeded.codes['Lê Minh Tuấn']}/act",
        data={**fields, "action": "reject", "note": "Không đúng."},
    )
    missing = await desk.client.post(
        "/desk/case/NT-AAAA-AAAA/act", data={**fields, "action": "verify"}
    )

    assert (other.status_code, missing.status_code) == (403, 403)
    assert other.text == missing.text and "Lê Minh Tuấn" not in other.text
    assert (await case_of(desk, "Lê Minh Tuấn")).status is NominationStatus.VERIFYING
    assert (await count(desk, AuditEntryRow), await count(desk, OutboxRow)) == (audits, outbox)


@pytest.mark.parametrize("database_backend", ["sqlite"])
async def test_an_action_needs_the_pages_token_and_the_desks_own_origin(desk: Desk) -> None:
    await sign_in(desk, OFFICE)
    _, fields = await open_case(desk, "Nguyễn Văn Bình")

    forged = await press(desk, "Nguyễn Văn Bình", {**fields, "csrf": "0" * 43, "action": "verify"})
    elsewhere = await desk.client.post(
        f"/desk/case/{desk.seeded.codes['Nguyễn Văn Bình']}/act",
        data={**fields, "action": "verify"},
        headers={"Origin": "https://evil.example"},
    )
    desk.client.cookies.delete(COOKIE)
    signed_out = await press(desk, "Nguyễn Văn Bình", {**fields, "action": "verify"})

    assert (forged.status_code, elsewhere.status_code, signed_out.status_code) == (403, 403, 401)
    assert (await case_of(desk, "Nguyễn Văn Bình")).status is NominationStatus.SUBMITTED


@pytest.mark.parametrize("database_backend", ["sqlite"])
async def test_the_office_takes_a_case_to_its_commendation_and_merges_another(
    desk: Desk, api: LocalBotApi
) -> None:
    api.user(RESIDENT, "Lan")
    await sign_in(desk, OFFICE)
    name = "Lê Minh Tuấn"
    for action in ("propose", "start_review"):
        _, fields = await open_case(desk, name)
        assert (await press(desk, name, {**fields, "action": action})).status_code == 303
    page, fields = await open_case(desk, name)
    assert 'name="decision_number"' in page.text and 'type="date"' in page.text
    decision = {"action": "commend", "award_name": "Giấy khen", "decision_number": "12/QĐ-UBND"}

    future = await press(desk, name, {**fields, **decision, "decision_date": "2024-12-01"})
    commended = await press(desk, name, {**fields, **decision, "decision_date": "2024-11-19"})

    assert future.status_code == 422 and "Xin ghi đủ hình thức" in future.text
    assert 'value="12/QĐ-UBND"' in future.text  # what was typed stays
    assert commended.status_code == 303
    assert (await case_of(desk, name)).status is NominationStatus.COMMENDED
    # Queued for the nominator as in chat (the sender paces a chat's messages: not waited for).
    async with desk.rt.uow() as uow:
        rows = await uow.session.scalars(  # type: ignore[attr-defined]
            select(OutboxRow.params).where(OutboxRow.chat_id == RESIDENT).order_by(OutboxRow.id)
        )
        told = list(rows)
    assert "12/QĐ-UBND" in told[2]["text"]  # the decision
    assert "Bài giới thiệu" in told[3]["text"] and told[3]["reply_markup"]  # may it be known?

    _, fields = await open_case(desk, "Nguyễn Văn Bình")
    merging = {**fields, "action": "merge"}
    unknown = await press(desk, "Nguyễn Văn Bình", {**merging, "target": "NT-AAAA-AAAA"})
    merged = await press(
        desk, "Nguyễn Văn Bình", {**merging, "target": desk.seeded.codes["Trần Thị Mai"]}
    )
    assert unknown.status_code == 422 and "Không có hồ sơ mang mã này" in unknown.text
    assert merged.status_code == 303
    assert (await case_of(desk, "Nguyễn Văn Bình")).status is NominationStatus.MERGED


@pytest.mark.parametrize("database_backend", ["sqlite"])
async def test_a_nominator_on_zalo_hears_through_the_zalo_sender(desk: Desk) -> None:
    woken: list[bool] = []
    desk.rt.channel_senders[Channel.ZALO] = lambda: woken.append(True)
    now = desk.clock()
    async with desk.rt.uow() as uow:
        on_zalo = await user_id_for(uow.identities, Channel.ZALO, "2468458835296117922", at=now)
        await meet_user(uow, user_id=on_zalo, display_name="Hoa", language_code="vi", now=now)
        await give_consent(uow, on_zalo, now=now, display_name="Hoa")
        draft = NominationDraft(
            nominee_kind=NomineeKind.INDIVIDUAL,
            nominee_name="Vũ Văn Nam",
            nominee_role=NomineeRole.RESIDENT,
            unit_key=HANG_BAC,
            deed="Anh Nam dọn sạch rác ở bờ hồ.",
            deed_date=desk.rt.today(),
            anonymous=False,
        )
        filed = await submit_nomination(uow, draft, user_id=on_zalo, now=now)
        await uow.commit()
    desk.seeded.codes["Vũ Văn Nam"] = str(filed.code)
    await sign_in(desk, OFFICE)
    _, fields = await open_case(desk, "Vũ Văn Nam")

    assert (await press(desk, "Vũ Văn Nam", {**fields, "action": "verify"})).status_code == 303

    for _ in range(200):  # the notices go once the page's transaction is committed
        if woken:
            break
        await asyncio.sleep(0.01)
    assert woken
    async with desk.rt.uow() as uow:
        rows = await uow.session.execute(  # type: ignore[attr-defined]
            select(OutboxRow.params, OutboxRow.status).where(OutboxRow.chat_id == on_zalo)
        )
        queued = [(params, status) for params, status in rows]
    assert len(queued) == 1 and str(filed.code) in queued[0][0]["text"]
    assert queued[0][1] == "pending"  # for the Zalo sender: Telegram's never touches it


def jpeg(color: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), color).save(out, "JPEG")
    return out.getvalue()


async def give_evidence(desk: Desk, name: str, *evidence: Evidence) -> None:
    nomination = await case_of(desk, name)
    async with desk.rt.uow() as uow:
        await uow.nominations.save(replace(nomination, evidence=evidence))
        await uow.commit()


@pytest.mark.parametrize("database_backend", ["sqlite"])
async def test_the_photos_come_through_the_proxy_byte_for_byte_to_whom_may_see_the_case(
    desk: Desk, api: LocalBotApi
) -> None:
    photo = jpeg("red")
    record = api.state.register_file("photos", ".jpg", content=photo)
    from_zalo = jpeg("blue")
    store = MediaStore(desk.rt.settings.zalo_media_dir)
    kept = await store.save(from_zalo, name="anh.jpg", content_type="image/jpeg")
    paper = api.state.register_file("documents", ".pdf", content=b"%PDF-1.4 giay to")
    await give_evidence(
        desk,
        "Lê Minh Tuấn",
        Evidence(EvidenceKind.PHOTO, record.file_id, record.file_unique_id),
        Evidence(EvidenceKind.DOCUMENT, paper.file_id, paper.file_unique_id, "giay.pdf"),
        Evidence(EvidenceKind.PHOTO, media_file_id(kept.key), kept.key[:16]),
    )
    code = desk.seeded.codes["Lê Minh Tuấn"]
    await sign_in(desk, OFFICE)

    page = await desk.client.get(f"/desk/case/{code}")
    first = await desk.client.get(f"/desk/case/{code}/evidence/0")
    document = await desk.client.get(f"/desk/case/{code}/evidence/1")
    zalo = await desk.client.get(f"/desk/case/{code}/evidence/2")
    beyond = await desk.client.get(f"/desk/case/{code}/evidence/3")

    assert f'src="/desk/case/{code}/evidence/0"' in page.text
    assert f'alt="Ảnh 1 của hồ sơ {code}"' in page.text
    assert "evidence/1" not in page.text  # a document is no thumbnail
    assert first.status_code == 200 and first.content == photo
    assert first.headers["content-type"] == "image/jpeg"
    assert first.headers["cache-control"] == "private, no-store"
    assert "sandbox" in first.headers["content-security-policy"]
    assert first.headers["x-content-type-options"] == "nosniff"
    assert zalo.status_code == 200 and zalo.content == from_zalo
    assert (document.status_code, beyond.status_code) == (404, 404)
    files = await count(desk, AccessRow, viewer_id=OFFICE, opened=Opened.FILES.value)
    assert files == 2  # each photo sent is an opening of the case's files, as in chat

    await sign_in(desk, WARD_OFFICER)
    refused = await desk.client.get(f"/desk/case/{code}/evidence/0")
    unknown = await desk.client.get("/desk/case/NT-AAAA-AAAA/evidence/0")
    assert (refused.status_code, unknown.status_code) == (403, 403)
    assert refused.text == unknown.text and photo not in refused.content
