"""The desk's rules over HTTP, without a browser: links, sessions, scope, headers, forms.

The app is the webhook's (``ntvt serve``), its bot on the local Bot API; requests go to it in
process (httpx's ASGI transport).
"""

from __future__ import annotations

import io
import re
from datetime import datetime, timedelta

import httpx
from openpyxl import load_workbook
from sqlalchemy import func, select

from bot.desk.routes import COOKIE, SECURITY_HEADERS
from bot.local_api import LocalBotApi
from bot.webhook import SECRET_HEADER, WEBHOOK_PATH
from core.review import actor_for
from core.services import meet_user
from storage.tables import AccessRow, DeskSessionRow
from tests.desk.conftest import Desk
from tests.desk.world import LINK, OFFICE, WARD_OFFICER, sign_in_link

CSRF = re.compile(r'name="csrf" value="([^"]+)"')


async def sign_in(desk: Desk, user_id: int) -> httpx.Response:
    """Open a link for ``user_id`` and press its button; return the answer to the press."""
    link = await sign_in_link(desk.rt, user_id, desk.clock())
    return await press_sign_in(desk.client, link)


async def press_sign_in(client: httpx.AsyncClient, link: str) -> httpx.Response:
    page = await client.get(link)
    assert page.status_code == 200, page.text
    found = CSRF.search(page.text)
    assert found is not None
    token = link.rsplit("/", 1)[1]
    return await client.post("/desk/signin", data={"token": token, "csrf": found.group(1)})


def csrf_of(page: httpx.Response) -> str:
    found = CSRF.search(page.text)
    assert found is not None, page.text
    return found.group(1)


async def test_a_link_signs_in_once_and_is_refused_after_with_nothing_about_anyone(
    desk: Desk,
) -> None:
    link = await sign_in_link(desk.rt, OFFICE, desk.clock())

    pressed = await press_sign_in(desk.client, link)

    assert pressed.status_code == 303 and pressed.headers["location"] == "/desk/"
    cookie = next(v for k, v in pressed.headers.multi_items() if v.startswith(f"{COOKIE}="))
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/desk" in cookie
    assert "Secure" not in cookie  # plain HTTP here; see the HTTPS test
    overview = await desk.client.get("/desk/")
    assert overview.status_code == 200 and "Văn phòng Nội vụ" in overview.text
    again = await httpx.AsyncClient(transport=desk.client._transport).get(link)
    assert again.status_code == 410
    assert "đã được dùng, đã hết hạn hoặc không đúng" in again.text
    assert "Văn phòng Nội vụ" not in again.text and "NT-" not in again.text


async def test_an_expired_a_forged_and_a_borrowed_link_are_refused_alike(desk: Desk) -> None:
    expired = await sign_in_link(desk.rt, OFFICE, desk.clock())
    office_link = await sign_in_link(desk.rt, OFFICE, desk.clock() + timedelta(minutes=10))
    desk.clock.now += timedelta(minutes=10, seconds=1)
    token = office_link.rsplit("/", 1)[1]
    forged = office_link[:-1] + ("A" if office_link[-1] != "A" else "B")
    # The office's secret signed for the ward officer's chat: a link is its officer's only.
    secret = token[:-8]
    borrowed = office_link.replace(token, desk.rt.buttons.sign(WARD_OFFICER, secret))

    answers = [await desk.client.get(link) for link in (expired, forged, borrowed)]

    assert [answer.status_code for answer in answers] == [410, 410, 410]
    assert len({answer.text for answer in answers}) == 1
    assert (await desk.client.get(office_link)).status_code == 200  # untouched by the tries


async def test_the_sign_in_press_needs_its_form_token_and_leaves_the_link_unused(
    desk: Desk,
) -> None:
    link = await sign_in_link(desk.rt, OFFICE, desk.clock())
    token = link.rsplit("/", 1)[1]
    await desk.client.get(link)

    bare = await desk.client.post("/desk/signin", data={"token": token, "csrf": "x" * 43})
    elsewhere = await desk.client.post(
        "/desk/signin", data={"token": token}, headers={"Origin": "https://evil.example"}
    )

    assert (bare.status_code, elsewhere.status_code) == (403, 403)
    assert (await press_sign_in(desk.client, link)).status_code == 303


async def test_pages_and_files_need_a_session(desk: Desk) -> None:
    code = desk.seeded.codes["Nguyễn Văn Bình"]
    for path in (
        "/desk/",
        "/desk/queue",
        "/desk/queue.xlsx",
        "/desk/queue.csv",
        f"/desk/case/{code}",
    ):
        answer = await desk.client.get(path)
        assert answer.status_code == 401, path
        assert "/web" in answer.text and "Nguyễn Văn Bình" not in answer.text


async def test_a_ward_officer_sees_only_their_unit_and_another_units_case_is_a_bare_403(
    desk: Desk,
) -> None:
    await sign_in(desk, WARD_OFFICER)
    codes = desk.seeded.codes

    queue = await desk.client.get("/desk/queue", params={"state": "all"})
    other = await desk.client.get(f"/desk/case/{codes['Lê Minh Tuấn']}")
    missing = await desk.client.get("/desk/case/NT-AAAA-AAAA")
    asked_other_unit = await desk.client.get(
        "/desk/queue", params={"unit": "phuong-hang-dao", "state": "all"}
    )
    own = await desk.client.get(f"/desk/case/{codes['Nguyễn Văn Bình']}")

    assert codes["Nguyễn Văn Bình"] in queue.text and codes["Trần Thị Mai"] in queue.text
    assert codes["Lê Minh Tuấn"] not in queue.text and "Phạm Thu Hà" not in queue.text
    assert (other.status_code, missing.status_code) == (403, 403)
    assert other.text == missing.text
    assert "Lê Minh Tuấn" not in other.text and codes["Lê Minh Tuấn"] not in other.text
    assert "Hàng Đào" not in other.text
    assert codes["Lê Minh Tuấn"] not in asked_other_unit.text
    assert own.status_code == 200 and "Anh Bình trả lại chiếc ví" in own.text
    async with desk.rt.uow() as uow:
        logged = await uow.session.scalar(  # type: ignore[attr-defined]
            select(func.count()).select_from(AccessRow).where(AccessRow.viewer_id == WARD_OFFICER)
        )
    assert logged == 1, "the case opened is logged, the refused one is not"


async def test_the_queue_finds_cases_by_words_typed_without_accents(desk: Desk) -> None:
    await sign_in(desk, OFFICE)
    codes = desk.seeded.codes

    by_unit = await desk.client.get("/desk/queue", params={"q": "hang bac", "state": "all"})
    by_name = await desk.client.get("/desk/queue", params={"q": "le minh tuan"})
    verifying = await desk.client.get("/desk/queue", params={"state": "verifying"})
    recent = await desk.client.get(
        "/desk/queue", params={"state": "all", "from": "2024-11-14", "to": "2024-11-30"}
    )

    hang_bac = {codes[name] for name in ("Nguyễn Văn Bình", "Trần Thị Mai", "Đỗ Gia Huy")}
    assert all(code in by_unit.text for code in hang_bac)
    assert codes["Lê Minh Tuấn"] not in by_unit.text
    assert codes["Lê Minh Tuấn"] in by_name.text and codes["Nguyễn Văn Bình"] not in by_name.text
    assert (
        codes["Trần Thị Mai"] in verifying.text and codes["Nguyễn Văn Bình"] not in verifying.text
    )
    # Filed 15/11 and 18/11 (Mai, Bình); the others earlier.
    assert codes["Trần Thị Mai"] in recent.text and codes["Nguyễn Văn Bình"] in recent.text
    assert codes["Đỗ Gia Huy"] not in recent.text


async def test_the_exports_hold_the_filtered_rows_with_vietnamese_headers_and_dates(
    desk: Desk,
) -> None:
    await sign_in(desk, OFFICE)

    xlsx = await desk.client.get("/desk/queue.xlsx", params={"q": "hang bac", "state": "all"})
    csv = await desk.client.get("/desk/queue.csv", params={"state": "all"})

    assert xlsx.headers["content-disposition"].startswith("attachment;")
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:4] == ("Mã đề cử", "Người được đề cử", "Cá nhân/Tập thể", "Đơn vị")
    assert {row[0] for row in rows[1:]} == {
        desk.seeded.codes[name] for name in ("Nguyễn Văn Bình", "Trần Thị Mai", "Đỗ Gia Huy")
    }
    assert all(isinstance(row[5], datetime) and isinstance(row[6], datetime) for row in rows[1:])
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref == "A1:G4"
    assert sheet.column_dimensions["B"].width == 28
    assert csv.content.startswith(b"\xef\xbb\xbf")
    text = csv.content.decode("utf-8-sig")
    assert text.splitlines()[0].startswith("Mã đề cử,Người được đề cử")
    assert "Phạm Thu Hà,Cá nhân,Phường Hàng Đào,Đã tiếp nhận" in text


async def test_every_answer_forbids_scripts_framing_and_caching(desk: Desk) -> None:
    await sign_in(desk, OFFICE)
    code = desk.seeded.codes["Trần Thị Mai"]
    for path in ("/desk/", "/desk/queue", f"/desk/case/{code}", "/desk/queue.csv", "/desk/x"):
        answer = await desk.client.get(path)
        if answer.status_code == 404:
            continue  # not a desk page: the app's own answer
        for name, value in SECURITY_HEADERS.items():
            assert answer.headers[name] == value, (path, name)
        assert answer.headers["cache-control"] == "no-store"
        assert "<script" not in answer.text
    css = await desk.client.get("/desk/static/desk.css")
    assert css.headers["content-type"].startswith("text/css")


async def test_signing_out_needs_the_pages_token_and_ends_the_session(desk: Desk) -> None:
    await sign_in(desk, OFFICE)
    page = await desk.client.get("/desk/")

    forged = await desk.client.post("/desk/signout", data={"csrf": "0" * 32})
    still = await desk.client.get("/desk/")
    out = await desk.client.post("/desk/signout", data={"csrf": csrf_of(page)})
    after = await desk.client.get("/desk/")

    assert (forged.status_code, still.status_code) == (403, 200)
    assert out.status_code == 200 and "Đã đăng xuất" in out.text
    assert after.status_code == 401


async def test_signing_out_everywhere_ends_every_browsers_session(desk: Desk) -> None:
    await sign_in(desk, OFFICE)
    other = httpx.AsyncClient(transport=desk.client._transport, base_url=str(desk.client.base_url))
    async with other:
        link = await sign_in_link(desk.rt, OFFICE, desk.clock())
        await press_sign_in(other, link)
        page = await desk.client.get("/desk/")

        out = await desk.client.post("/desk/signout-all", data={"csrf": csrf_of(page)})

        assert out.status_code == 200 and "2 phiên" in out.text
        assert (await other.get("/desk/")).status_code == 401


async def test_cookies_are_secure_behind_https(desk: Desk) -> None:
    secure = httpx.AsyncClient(transport=desk.client._transport, base_url="https://desk.test")
    async with secure:
        link = await sign_in_link(desk.rt, OFFICE, desk.clock())
        pressed = await press_sign_in(secure, link.replace("http://", "https://"))

    cookie = next(v for k, v in pressed.headers.multi_items() if v.startswith(f"{COOKIE}="))
    assert "Secure" in cookie


async def test_an_officer_who_reads_english_gets_the_pages_in_english(desk: Desk) -> None:
    async with desk.rt.uow() as uow:
        await meet_user(
            uow, user_id=OFFICE, display_name="Office", language_code="en", now=desk.clock()
        )
        await uow.commit()
    await sign_in(desk, OFFICE)

    page = await desk.client.get("/desk/queue")

    assert 'lang="en"' in page.text and "Download Excel (.xlsx)" in page.text


async def test_a_session_ends_with_the_officers_last_role(desk: Desk) -> None:
    await sign_in(desk, WARD_OFFICER)
    async with desk.rt.uow() as uow:
        actor = await actor_for(uow, WARD_OFFICER, desk.rt.today())
        grant_id = actor.grants[0].id
        assert grant_id is not None
        await uow.roles.revoke(grant_id, at=desk.clock())
        await uow.commit()

    assert (await desk.client.get("/desk/")).status_code == 401
    async with desk.rt.uow() as uow:
        ended = await uow.session.scalar(  # type: ignore[attr-defined]
            select(DeskSessionRow.ended_at).where(DeskSessionRow.user_id == WARD_OFFICER)
        )
    assert ended is not None


async def test_web_in_chat_sends_a_link_that_signs_in_and_a_button_that_signs_out_everywhere(
    desk: Desk, api: LocalBotApi
) -> None:
    officer = api.user(WARD_OFFICER, "Cán bộ Hàng Bạc")
    update = {
        "update_id": 9001,
        "message": api.state.add_message(
            officer.state,
            {"text": "/web", "entities": [{"type": "bot_command", "offset": 0, "length": 4}]},
            sender=officer.user,
        ).snapshot(),
    }

    posted = await desk.client.post(
        WEBHOOK_PATH, json=update, headers={SECRET_HEADER: "s3cret-token"}
    )
    message = await officer.next_message()

    assert posted.status_code == 200
    found = LINK.search(message.text)
    assert found is not None, message.text
    assert "một lần" in message.text
    assert (await press_sign_in(desk.client, found.group(0))).status_code == 303
    assert (await desk.client.get("/desk/")).status_code == 200
    assert message.buttons == [["🚪 Đăng xuất mọi phiên"]]
