"""The desk's charts: Vietnamese labels drawn with a font that has every glyph, served as SVG."""

from __future__ import annotations

import warnings
from datetime import date
from xml.etree import ElementTree

import pytest

from bot.desk.charts import Bars, StackedMonths, render
from bot.desk.routes import SECURITY_HEADERS
from tests.desk.conftest import Desk
from tests.desk.test_compliance import MONTH, done_in_march
from tests.desk.test_http import sign_in
from tests.desk.world import HANG_BAC, OFFICE, WARD_OFFICER

SVG = "{http://www.w3.org/2000/svg}"


def texts_of(svg: bytes) -> str:
    """Return every text the SVG draws (its text stays text), joined."""
    root = ElementTree.fromstring(svg)
    return " ".join("".join(node.itertext()) for node in root.iter(f"{SVG}text"))


def strictly(chart: Bars | StackedMonths, kind: str = "svg") -> bytes:
    """Render with every warning an error: a glyph missing from the font fails the test."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return render(chart, kind)  # type: ignore[arg-type]


def test_vietnamese_labels_are_drawn_as_text_with_no_glyph_missing() -> None:
    units = ["Phường Hoàn Kiếm", "Phường Hàng Bạc"]
    chart = Bars("Gương người tốt theo đơn vị", units, [3, 1], "Số")

    svg = strictly(chart)
    png = strictly(chart, "png")

    drawn = texts_of(svg)
    assert "Phường Hoàn Kiếm" in drawn and "Gương người tốt theo đơn vị" in drawn
    assert "DejaVu Serif" in svg.decode()
    assert png.startswith(b"\x89PNG\r\n\x1a\n")


def test_a_glyph_the_font_lacks_is_caught() -> None:
    with pytest.raises(UserWarning, match="missing from font"):
        strictly(Bars("漢", ["Phường Hoàn Kiếm"], [1], "Số"))


def test_the_months_stack_by_state_in_order() -> None:
    chart = StackedMonths(
        "Hồ sơ theo tháng",
        [date(2024, 10, 1), date(2024, 11, 1)],
        [("Đã tiếp nhận", [1, 2]), ("Được khen thưởng", [0, 1])],
        "Số hồ sơ",
    )

    drawn = texts_of(strictly(chart))

    assert "10/2024" in drawn and "11/2024" in drawn and "Được khen thưởng" in drawn


async def test_the_charts_page_shows_same_origin_svgs_under_the_desks_policy(desk: Desk) -> None:
    await done_in_march(desk, HANG_BAC)
    await sign_in(desk, OFFICE)

    charts = await desk.client.get("/desk/charts", params={"month": MONTH})
    images = {
        name: await desk.client.get(f"/desk/charts/{name}.svg", params={"month": MONTH})
        for name in ("exemplars", "monthly", "on-time")
    }
    this_year = await desk.client.get("/desk/charts/monthly.svg")
    unknown = await desk.client.get("/desk/charts/nothing.svg")

    assert charts.headers["content-security-policy"] == SECURITY_HEADERS["Content-Security-Policy"]
    assert 'src="/desk/charts/on-time.svg?month=2018-03"' in charts.text
    for name, image in images.items():
        assert image.status_code == 200, name
        assert image.headers["content-type"] == "image/svg+xml"
        assert "script" not in image.headers["content-security-policy"]
        assert "<script" not in image.text
    assert "Phường Hàng Bạc" in texts_of(images["exemplars"].content)
    on_time = texts_of(images["on-time"].content)
    assert "03/2018" in on_time and "Phường Hàng Bạc" in on_time and "100%" in on_time
    assert "04/2017" in texts_of(images["monthly"].content)  # twelve months up to March 2018
    recent = texts_of(this_year.content)  # up to the clock's month: the world's cases
    assert "12/2023" in recent and "11/2024" in recent and "Đã tiếp nhận" in recent
    assert unknown.status_code == 404


async def test_a_ward_officers_charts_hold_their_unit_only(desk: Desk) -> None:
    await sign_in(desk, WARD_OFFICER)

    exemplars = await desk.client.get("/desk/charts/exemplars.svg")

    drawn = texts_of(exemplars.content)
    assert "Phường Hàng Bạc" in drawn and "Phường Hàng Đào" not in drawn
