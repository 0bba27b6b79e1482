"""The desk in a real browser: Debian's Chromium driven by Playwright, as an officer uses it.

``ntvt serve``'s app runs under uvicorn on 127.0.0.1 with its bot on the local Bot API, which
POSTs the officers' updates to the app's webhook: ``/web`` in chat gives the link the browser
opens. Chromium is the system's (``apt-get install chromium``, which ``make install`` does as
root), launched by its path; nothing is downloaded. Without it the tests are skipped, saying
so; the rules themselves are tested over HTTP in ``test_http.py``.

One browser serves the module (one launch); each test has its own server and database.
Screenshots of the pages go to the test's tmp dir, and to ``$NTVT_ARTIFACTS`` when set.
"""

from __future__ import annotations

import asyncio
import dataclasses
import io
import os
import shutil
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import pytest_asyncio
import uvicorn
from openpyxl import load_workbook
from pydantic import SecretStr

from bot.local_api import LocalBotApi
from bot.local_api.users import SimUser
from bot.runtime import Runtime
from bot.settings import Settings
from bot.webhook import WEBHOOK_PATH, create_app
from core.codes import parse_tracking_code
from core.nomination import Evidence, EvidenceKind
from tests.desk.test_actions import jpeg
from tests.desk.world import (
    LINK,
    OFFICE,
    RESIDENT,
    WARD_OFFICER,
    FakeClock,
    Seeded,
    seed,
    sign_in_link,
)

playwright_api = pytest.importorskip("playwright.async_api")

CHROMIUM = Path(os.environ.get("NTVT_CHROMIUM", "/usr/bin/chromium"))
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}

pytestmark = [
    pytest.mark.asyncio(loop_scope="module"),
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason=f"no Chromium at {CHROMIUM}: run `make install` as root "
        "(it runs apt-get install chromium) or set NTVT_CHROMIUM",
    ),
]


@pytest.fixture
def database_backend() -> str:
    """The browser tests run on SQLite only: PostgreSQL adds nothing a browser sees."""
    return "sqlite"


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def browser() -> AsyncIterator[playwright_api.Browser]:
    async with playwright_api.async_playwright() as playwright:
        # As root (CI, a container) Chromium runs only without its sandbox.
        args = ["--no-sandbox"] if os.geteuid() == 0 else []
        launched = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=args)
        try:
            yield launched
        finally:
            await launched.close()


@pytest_asyncio.fixture(loop_scope="module")
async def api() -> AsyncIterator[LocalBotApi]:
    async with LocalBotApi() as local_api:
        yield local_api


@dataclass
class Served:
    base: str
    api: LocalBotApi
    clock: FakeClock
    seeded: Seeded
    rt: Runtime
    shots: Path

    async def link_from_chat(self, user: SimUser) -> str:
        """Send /web in chat; return the link the bot answers with."""
        await user.send_command("/web")
        message = await user.next_message(timeout=10)
        found = LINK.search(message.text)
        assert found is not None, message.text
        return found.group(0)


@pytest_asyncio.fixture(loop_scope="module")
async def served(
    api: LocalBotApi, migrated_database_url: str, tmp_path: Path
) -> AsyncIterator[Served]:
    """The app on a loopback port, its webhook registered with the local Bot API, seeded."""
    clock = FakeClock()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    base = f"http://127.0.0.1:{sock.getsockname()[1]}"
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        telegram_api_url=api.base_url,
        telegram_file_url=api.file_base_url,
        database_url=migrated_database_url,
        webhook_url=f"{base}{WEBHOOK_PATH}",
        webhook_secret=SecretStr("s3cret-token"),
        desk_url=base,
    )
    app = create_app(settings, token=api.token, clock=clock)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        for _ in range(1000):  # uvicorn offers no event to wait on; 10 s at most
            if server.started:
                break
            await asyncio.sleep(0.01)
        assert server.started
        seeded = await seed(app.state.runtime, clock())
        shots = tmp_path / "screenshots"
        shots.mkdir()
        yield Served(base, api, clock, seeded, app.state.runtime, shots)
    finally:
        server.should_exit = True
        await task
        sock.close()


async def shoot(page: playwright_api.Page, served: Served, name: str) -> Path:
    """Save a full-page screenshot in the test's dir, and in $NTVT_ARTIFACTS when set."""
    path = served.shots / f"{name}.png"
    await page.screenshot(path=str(path), full_page=True)
    artifacts = os.environ.get("NTVT_ARTIFACTS")
    if artifacts:
        target = Path(artifacts) / "desk"
        target.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, target / path.name)
    return path


async def assert_labelled_and_clean(page: playwright_api.Page, errors: list[str]) -> None:
    """Every control has a label, nothing was refused (CSP) and nothing overflows sideways."""
    unlabelled = await page.evaluate(
        """() => [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
              .filter(el => el.labels.length === 0).map(el => el.name)"""
    )
    assert unlabelled == []
    wide = await page.evaluate("() => document.documentElement.scrollWidth > window.innerWidth")
    assert not wide, "the page scrolls sideways"
    assert errors == []


def watch(page: playwright_api.Page) -> list[str]:
    """Collect the console's errors (a style or script the policy refused, say)."""
    errors: list[str] = []
    page.on(
        "console", lambda message: errors.append(message.text) if message.type == "error" else None
    )
    return errors


async def test_the_office_signs_in_from_chat_finds_hang_bac_opens_a_case_and_exports_it(
    browser: playwright_api.Browser, served: Served
) -> None:
    office = served.api.user(OFFICE, "Văn phòng Nội vụ")
    link = await served.link_from_chat(office)
    context = await browser.new_context(viewport=DESKTOP, locale="vi-VN", accept_downloads=True)
    page = await context.new_page()
    errors = watch(page)

    signin = await page.goto(link)
    assert signin is not None and signin.status == 200
    await shoot(page, served, "signin-1280")
    await page.get_by_role("button", name="Vào bàn làm việc").click()
    await page.wait_for_url(f"{served.base}/desk/")
    assert await page.locator("h1").inner_text() == "Tổng quan"
    await assert_labelled_and_clean(page, errors)
    await shoot(page, served, "overview-1280")

    await page.get_by_role("link", name="Danh sách hồ sơ").first.click()
    await page.get_by_label("Tìm theo tên, đơn vị, việc tốt hoặc mã").fill("hang bac")
    await page.get_by_label("Trạng thái").select_option("all")
    await page.get_by_role("button", name="Lọc").click()
    await page.wait_for_url("**/desk/queue?*")
    rows = page.locator("table.cases tbody tr")
    assert await rows.count() == 3
    assert await page.locator("table.cases").get_by_text("Phường Hàng Đào").count() == 0
    await assert_labelled_and_clean(page, errors)
    await shoot(page, served, "queue-1280")

    code = served.seeded.codes["Nguyễn Văn Bình"]
    await page.get_by_role("link", name=code).click()
    await page.wait_for_url(f"**/desk/case/{code}")
    assert "Anh Bình trả lại chiếc ví" in await page.locator("main").inner_text()
    await shoot(page, served, "case-1280")

    await page.go_back()
    async with page.expect_download() as downloading:
        await page.get_by_role("link", name="Tải Excel (.xlsx)").click()
    download = await downloading.value
    saved = served.shots / download.suggested_filename
    await download.save_as(saved)
    sheet = load_workbook(io.BytesIO(saved.read_bytes())).active
    assert sheet is not None
    rows_read = list(sheet.iter_rows(values_only=True))
    assert rows_read[0][0] == "Mã đề cử" and len(rows_read) == 4
    assert isinstance(rows_read[1][5], datetime)
    await context.close()


async def test_a_ward_officer_on_a_phone_finds_a_name_typed_without_accents_and_no_other_unit(
    browser: playwright_api.Browser, served: Served
) -> None:
    link = await sign_in_link_for(served, WARD_OFFICER)
    context = await browser.new_context(
        viewport=PHONE, locale="vi-VN", is_mobile=True, has_touch=True
    )
    page = await context.new_page()
    errors = watch(page)
    await page.goto(link)
    await page.get_by_role("button", name="Vào bàn làm việc").click()
    await page.wait_for_url(f"{served.base}/desk/")
    await shoot(page, served, "overview-390")

    await page.goto(f"{served.base}/desk/queue")
    await page.get_by_label("Tìm theo tên, đơn vị, việc tốt hoặc mã").fill("tran thi mai")
    await page.keyboard.press("Enter")
    await page.wait_for_url("**/desk/queue?*")
    assert await page.locator("table.cases tbody tr").count() == 1
    assert "Trần Thị Mai" in await page.locator("table.cases").inner_text()
    await assert_labelled_and_clean(page, errors)
    await shoot(page, served, "queue-390")

    other = served.seeded.codes["Lê Minh Tuấn"]
    refused = await page.goto(f"{served.base}/desk/case/{other}")
    assert refused is not None and refused.status == 403
    shown = await page.locator("body").inner_text()
    assert "Lê Minh Tuấn" not in shown and other not in shown and "Hàng Đào" not in shown
    assert "không có quyền xem" in shown
    await shoot(page, served, "case-refused-390")
    errors.clear()  # the browser reports the 403 it was just given

    own = served.seeded.codes["Trần Thị Mai"]
    await page.goto(f"{served.base}/desk/case/{own}")
    await assert_labelled_and_clean(page, errors)
    await shoot(page, served, "case-390")
    await context.close()


async def test_a_used_or_expired_link_is_refused_and_the_chat_button_signs_out_everywhere(
    browser: playwright_api.Browser, served: Served
) -> None:
    office = served.api.user(OFFICE, "Văn phòng Nội vụ")
    link = await served.link_from_chat(office)
    context = await browser.new_context(viewport=DESKTOP, locale="vi-VN")
    page = await context.new_page()
    await page.goto(link)
    # Keyboard only: the skip link first, then the sign-in button, pressed with Enter.
    await page.keyboard.press("Tab")
    assert await page.evaluate("() => document.activeElement.className") == "skip"
    await page.get_by_role("button", name="Vào bàn làm việc").focus()
    await page.keyboard.press("Enter")
    await page.wait_for_url(f"{served.base}/desk/")

    used = await page.goto(link)
    assert used is not None and used.status == 410
    assert "đã được dùng, đã hết hạn hoặc không đúng" in await page.locator("main").inner_text()
    await shoot(page, served, "link-refused-1280")
    late = await sign_in_link_for(served, OFFICE)
    served.clock.now += timedelta(minutes=11)
    expired = await page.goto(late)
    assert expired is not None and expired.status == 410

    await office.press("🚪 Đăng xuất mọi phiên")
    said = await office.next_message(timeout=10)
    assert "Đã đăng xuất 1 phiên" in said.text
    after = await page.goto(f"{served.base}/desk/")
    assert after is not None and after.status == 401
    assert "/web" in await page.locator("main").inner_text()
    await context.close()


async def sign_in_link_for(served: Served, user_id: int) -> str:
    """Return a sign-in link made as /web makes it, without a chat round trip."""
    return await sign_in_link(served.rt, user_id, served.clock())


async def test_the_compliance_page_and_its_charts_at_1280_under_the_policy(
    browser: playwright_api.Browser, served: Served
) -> None:
    link = await sign_in_link(served.rt, OFFICE, served.clock())
    context = await browser.new_context(viewport=DESKTOP, locale="vi-VN")
    page = await context.new_page()
    errors = watch(page)
    await page.goto(link)
    await page.get_by_role("button", name="Vào bàn làm việc").click()
    await page.wait_for_url(f"{served.base}/desk/")

    await page.get_by_role("link", name="Tiến độ", exact=True).click()
    await page.get_by_label("Tháng").fill("2018-03")
    await page.get_by_role("button", name="Xem").click()
    await page.wait_for_url("**/desk/compliance?month=2018-03*")
    assert "Phường Hàng Bạc" in await page.locator("table").first.inner_text()
    await assert_labelled_and_clean(page, errors)
    await shoot(page, served, "compliance-1280")
    await page.get_by_role("link", name="Biểu đồ").click()
    await page.wait_for_load_state("load")
    drawn = await page.evaluate(
        "() => [...document.images].filter(i => i.src.includes('/charts/'))"
        ".map(i => i.complete && i.naturalWidth > 0)"
    )
    assert drawn == [True, True, True]
    await assert_labelled_and_clean(page, errors)
    await shoot(page, served, "charts-1280")

    # The plan as a calendar, by keyboard: the skip link first, then the month typed.
    await page.get_by_role("link", name="Lịch hạn").click()
    await page.wait_for_url("**/desk/calendar")
    await page.keyboard.press("Tab")
    assert await page.evaluate("() => document.activeElement.className") == "skip"
    month = page.get_by_label("Tháng", exact=True)
    await month.fill("2018-03")
    await month.press("Enter")
    await page.wait_for_url("**/desk/calendar?month=2018-03")
    grid = page.get_by_role("table", name="Các ngày làm việc và hạn của kế hoạch, tháng 03/2018")
    assert await grid.get_by_role("columnheader").all_inner_texts() == [
        "Thứ Hai",
        "Thứ Ba",
        "Thứ Tư",
        "Thứ Năm",
        "Thứ Sáu",
        "Thứ Bảy",
        "Chủ nhật",
    ]
    friday = await grid.locator("td:has(time[datetime='2018-03-30'])").inner_text()
    assert "Nhiệm vụ 19" in friday and "đơn vị" in friday
    assert (
        "Nghỉ cuối tuần" in await grid.locator("td:has(time[datetime='2018-03-31'])").inner_text()
    )
    await assert_labelled_and_clean(page, errors)
    await shoot(page, served, "calendar-1280")
    await page.set_viewport_size(PHONE)
    await assert_labelled_and_clean(page, errors)
    await shoot(page, served, "calendar-390")
    await page.set_viewport_size(DESKTOP)

    # A broadcast's delivery report, from the menu.
    await page.get_by_role("link", name="Thông báo", exact=True).click()
    await page.wait_for_url("**/desk/broadcasts")
    await page.get_by_role("link", name=f"Số {served.seeded.broadcasts[0]}", exact=True).click()
    await page.wait_for_url(f"**/desk/broadcasts/{served.seeded.broadcasts[0]}")
    delivery = page.get_by_role("table", name="Số tin theo kết quả gửi")
    assert "Người nhận đã chặn hệ thống" in await delivery.inner_text()
    await assert_labelled_and_clean(page, errors)
    await shoot(page, served, "broadcast-1280")
    await page.set_viewport_size(PHONE)
    await assert_labelled_and_clean(page, errors)
    await shoot(page, served, "broadcast-390")
    await context.close()


async def test_the_office_asks_the_nominator_from_the_case_page_and_the_chat_hears_it(
    browser: playwright_api.Browser, served: Served
) -> None:
    nominator = served.api.user(RESIDENT, "Lan")
    name = "Trần Thị Mai"
    code = served.seeded.codes[name]
    photo = served.api.state.register_file("photos", ".jpg", content=jpeg("green"))
    async with served.rt.uow() as uow:
        tracking = parse_tracking_code(code)
        assert tracking is not None
        case = await uow.nominations.get_by_code(tracking)
        assert case is not None
        evidence = (Evidence(EvidenceKind.PHOTO, photo.file_id, photo.file_unique_id),)
        await uow.nominations.save(dataclasses.replace(case, evidence=evidence))
        await uow.commit()
    link = await sign_in_link_for(served, OFFICE)
    context = await browser.new_context(viewport=DESKTOP, locale="vi-VN")
    page = await context.new_page()
    errors = watch(page)
    await page.goto(link)
    await page.get_by_role("button", name="Vào bàn làm việc").click()
    await page.wait_for_url(f"{served.base}/desk/")

    await page.goto(f"{served.base}/desk/case/{code}")
    thumbnail = page.get_by_alt_text(f"Ảnh 1 của hồ sơ {code}")
    await thumbnail.wait_for()
    # The thumbnails load lazily: the page's load event does not wait for them.
    loaded = "img => img.complete && img.naturalWidth > 0"
    await page.wait_for_function(loaded, arg=await thumbnail.element_handle())
    shown = await thumbnail.evaluate("img => img.naturalWidth")
    assert shown == 64  # the photo itself, through the desk's proxy, under its policy
    await assert_labelled_and_clean(page, errors)
    await shoot(page, served, "case-actions-1280")
    question = "Chị Mai giúp cụ ở phố nào, vào giờ nào?"
    await page.get_by_label("Câu hỏi gửi người đề cử (chuyển nguyên văn)").fill(question)
    await page.get_by_role("button", name="Yêu cầu bổ sung").click()
    await page.wait_for_url(f"**/desk/case/{code}?done=ask_info")

    assert "Đã thực hiện: Yêu cầu bổ sung." in await page.get_by_role("status").inner_text()
    heard = await nominator.next_message(timeout=10)
    assert question in heard.text and code in heard.text
    history = await page.locator("ol.history").inner_text()
    assert question in history
    await shoot(page, served, "case-done-1280")
    await context.close()
