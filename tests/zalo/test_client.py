"""The OA API client against the local Zalo OA: what it sends, and how each refusal reads."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from bot.zalo.client import (
    Button,
    ListElement,
    ZaloClient,
    ZaloMediaGone,
    ZaloNightBan,
    ZaloNotFollowing,
    ZaloOutsideWindow,
    ZaloRateLimited,
)
from bot.zalo.local_api import ACCESS_TOKEN_INVALID, LocalZaloOA
from bot.zalo.media import MediaStore
from tests.zalo.conftest import NOW, RESIDENT, FakeClock


@pytest.fixture(autouse=True)
def resident_wrote(zalo: LocalZaloOA) -> None:
    zalo.wrote(RESIDENT, NOW - timedelta(hours=1))


async def test_a_text_reaches_the_resident(client: ZaloClient, zalo: LocalZaloOA) -> None:
    message_id = await client.send_text(RESIDENT, "Cảm ơn Anh/Chị đã đề cử. Mã hồ sơ: NT-7K3F-9QX2")
    (sent,) = zalo.messages_to(RESIDENT)
    assert sent.message_id == message_id
    assert sent.text == "Cảm ơn Anh/Chị đã đề cử. Mã hồ sơ: NT-7K3F-9QX2"


async def test_buttons_carry_payloads_that_come_back_as_the_residents_text(
    client: ZaloClient, zalo: LocalZaloOA
) -> None:
    await client.send_buttons(
        RESIDENT,
        "Anh/Chị đồng ý với thông báo về dữ liệu cá nhân?",
        [Button("Tôi đồng ý", "#consent:yes"), Button("Không", "#consent:no")],
    )
    (sent,) = zalo.messages_to(RESIDENT)
    assert sent.buttons == [("Tôi đồng ý", "#consent:yes"), ("Không", "#consent:no")]
    with pytest.raises(ValueError, match="1 to 5 buttons"):
        await client.send_buttons(RESIDENT, "?", [Button(str(n), str(n)) for n in range(6)])


async def test_a_list_of_five_and_a_request_for_the_phone(
    client: ZaloClient, zalo: LocalZaloOA
) -> None:
    units = ["Phường Hoàn Kiếm", "Phường Cửa Nam", "Phường Ba Đình", "Phường Hồng Hà", "Khác"]
    await client.send_list(RESIDENT, [ListElement(u, f"#unit:{n}") for n, u in enumerate(units)])
    await client.request_user_info(
        RESIDENT, title="Số điện thoại liên hệ", subtitle="Để cán bộ xác minh việc tốt"
    )
    listed, asked = zalo.messages_to(RESIDENT)
    assert listed.template_type == "list"
    assert asked.template_type == "request_user_info"
    with pytest.raises(ValueError, match="1 to 5 elements"):
        await client.send_list(RESIDENT, [ListElement(str(n), str(n)) for n in range(6)])


async def test_photos_and_files_are_uploaded_then_sent(
    client: ZaloClient, zalo: LocalZaloOA
) -> None:
    attachment = await client.upload_image(
        b"JPEG bytes", filename="a.jpg", content_type="image/jpeg"
    )
    token = await client.upload_file(b"%PDF-1.4", filename="qd.pdf", content_type="application/pdf")
    await client.send_image(RESIDENT, attachment, text="Giấy khen")
    await client.send_file(RESIDENT, token)
    assert zalo.uploaded(attachment) == b"JPEG bytes"
    assert zalo.uploaded(token) == b"%PDF-1.4"
    image, document = zalo.messages_to(RESIDENT)
    assert image.template_type == "media" and image.text == "Giấy khen"
    assert document.message["attachment"]["payload"]["token"] == token


async def test_an_expired_token_is_refreshed_once_and_the_message_goes(
    client: ZaloClient, zalo: LocalZaloOA
) -> None:
    await client.send_text(RESIDENT, "một")
    zalo.expire_access_tokens()  # Zalo ends it although our clock says it has hours left
    await client.send_text(RESIDENT, "hai")
    assert [m.text for m in zalo.messages_to(RESIDENT)] == ["một", "hai"]
    assert zalo.refusals == [ACCESS_TOKEN_INVALID]
    assert len(zalo.refresh_calls) == 1


@pytest.mark.parametrize("hour", [22, 23, 0, 5])
async def test_the_night_ban_is_its_own_error(
    client: ZaloClient, zalo: LocalZaloOA, clock: FakeClock, hour: int
) -> None:
    # NOW is 10:00 in Hà Nội; move to the hour asked, the next night.
    clock.advance(timedelta(hours=(hour - 10) % 24))
    zalo.wrote(RESIDENT)
    with pytest.raises(ZaloNightBan):
        await client.send_text(RESIDENT, "Quyết định đã có")
    clock.advance(timedelta(hours=(6 - hour) % 24))  # 06:00
    await client.send_text(RESIDENT, "Quyết định đã có")


async def test_a_resident_silent_for_more_than_seven_days_is_outside_the_window(
    client: ZaloClient, zalo: LocalZaloOA, clock: FakeClock
) -> None:
    clock.advance(timedelta(days=8))
    with pytest.raises(ZaloOutsideWindow):
        await client.send_text(RESIDENT, "Quyết định đã có")
    with pytest.raises(ZaloOutsideWindow):
        await client.send_text("someone-who-never-wrote", "Xin chào")
    zalo.wrote(RESIDENT)
    await client.send_text(RESIDENT, "Quyết định đã có")


async def test_rate_limits_and_unfollowing_are_their_own_errors(
    client: ZaloClient, zalo: LocalZaloOA
) -> None:
    zalo.rate_limit()
    with pytest.raises(ZaloRateLimited):
        await client.send_text(RESIDENT, "một")
    await client.send_text(RESIDENT, "một")
    await zalo.unfollow(RESIDENT, notify=False)
    with pytest.raises(ZaloNotFollowing):
        await client.send_text(RESIDENT, "hai")


async def test_media_is_downloaded_into_the_store_before_its_url_expires(
    client: ZaloClient, zalo: LocalZaloOA, tmp_path: Path
) -> None:
    store = MediaStore(tmp_path / "media")
    url = zalo.host(b"photo of the deed", "image/jpeg", "viec-tot.jpg")
    stored = await client.download(url, store, name="viec-tot.jpg", max_bytes=1024)
    assert await store.read(stored.key) == b"photo of the deed"
    assert stored.key.endswith(".jpg") and stored.size == len(b"photo of the deed")
    again = await client.download(url, store, name="viec-tot.jpg", max_bytes=1024)
    assert again.key == stored.key  # the same bytes are kept once

    big = zalo.host(b"x" * 2048, "image/jpeg", "big.jpg")
    with pytest.raises(ZaloMediaGone, match="over 1024 bytes"):
        await client.download(big, store, name="big.jpg", max_bytes=1024)
    zalo.expire_media()
    with pytest.raises(ZaloMediaGone, match="expired"):
        await client.download(url, store, name="viec-tot.jpg", max_bytes=1024)
    with pytest.raises(ValueError, match="not a media key"):
        store.path_of("../../etc/passwd")
