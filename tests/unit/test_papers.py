"""The decision documents read back as a clerk would open them: Word files and the certificate.

Each DOCX is opened again with python-docx and its text checked where a reader looks for it
(the header's two sides, the title, the tables, "Nơi nhận"); the certificate is opened with
pypdf and its bytes checked for the page size and the embedded font.
"""

from __future__ import annotations

import io
import re
import unicodedata
import zipfile
from collections.abc import Iterator
from dataclasses import replace
from datetime import date, time

import pytest
from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.table import Table
from docx.text.paragraph import Paragraph
from pypdf import PdfReader

from bot.papers import (
    certificate_pdf,
    certificates_pdf,
    decision_docx,
    file_name,
    minutes_docx,
    proposal_docx,
)
from bot.papers.typeface import FONTS
from core.papers import (
    CaseLine,
    CaseTally,
    Certificate,
    Decision,
    Issuer,
    Minutes,
    ProposalLetter,
    Signer,
    certificates_of,
    vietnamese_date,
)

HOSTILE = "<b>&{{x}}"
WARD = Issuer(name="Ủy ban nhân dân phường Hoàn Kiếm", place="Hoàn Kiếm, Hà Nội")
COUNCIL = Issuer(
    name="Hội đồng Thi đua - Khen thưởng",
    place="Hoàn Kiếm, Hà Nội",
    superior="Ủy ban nhân dân phường Hoàn Kiếm",
)
CHAIRMAN = Signer(title="Chủ tịch", name="Trần Văn Bình", on_behalf="TM. Ủy ban nhân dân")
# Typed on a keyboard that sends the tone mark apart from its vowel: the papers write NFC.
HUONG_DECOMPOSED = unicodedata.normalize("NFD", "Nguyễn Thị Hương")
HUONG = CaseLine(
    name=HUONG_DECOMPOSED,
    collective=False,
    unit="Tổ dân phố số 3",
    award_form="Giấy khen",
    deed="Dũng cảm cứu một cháu bé đuối nước ở hồ Hoàn Kiếm",
)
STREET = CaseLine(
    name="Tổ dân phố số 3",
    collective=True,
    unit="Phường Hoàn Kiếm",
    award_form="Giấy khen",
    deed="Tiêu biểu trong phong trào giữ gìn vệ sinh môi trường",
)
STRANGER = CaseLine(
    name=HOSTILE,
    collective=False,
    unit=None,
    award_form="Giấy chứng nhận “Người tốt, việc tốt”",
    deed="Trả lại 50 triệu đồng nhặt được cho người đánh rơi",
)


def _letter() -> ProposalLetter:
    return ProposalLetter(
        number="12/TTr-UBND",
        issued_on=date(2026, 11, 10),
        issuer=WARD,
        council="Hội đồng Thi đua - Khen thưởng phường Hoàn Kiếm",
        cases=(HUONG, STREET, STRANGER),
        signer=CHAIRMAN,
        recipients=("Như trên", "Lưu: VT"),
        occasion="trong phong trào “Người tốt, việc tốt” năm 2026",
    )


def _minutes() -> Minutes:
    return Minutes(
        number="03/BB-HĐTĐKT",
        issuer=COUNCIL,
        held_on=date(2026, 11, 17),
        place="Hội trường Ủy ban nhân dân phường",
        council="Hội đồng Thi đua - Khen thưởng phường Hoàn Kiếm",
        present=("Trần Văn Bình", "Lê Thị Mai", "Phạm Quốc Huy", "Đỗ Thu Trang", "Ngô Bảo Châu"),
        absent=("Vũ Đức Long",),
        chair="Trần Văn Bình",
        secretary="Lê Thị Mai",
        tallies=(
            CaseTally("Nguyễn Thị Hương", "Giấy khen", 5, 0, 0, passed=True),
            CaseTally("Tổ dân phố số 3", "Giấy khen", 4, 1, 0, passed=False),
            CaseTally(HOSTILE, "Giấy chứng nhận", 3, 1, 1, passed=False),
        ),
        opened_at=time(14, 0),
        closed_at=time(15, 30),
    )


def _decision() -> Decision:
    return Decision(
        number="45/QĐ-UBND",
        issued_on=date(2026, 11, 18),
        issuer=WARD,
        authority="Chủ tịch Ủy ban nhân dân phường Hoàn Kiếm",
        bases=(
            "Căn cứ Luật Thi đua, khen thưởng ngày 15 tháng 6 năm 2022;",
            "Căn cứ Nghị định số 152/2025/NĐ-CP",
            "Xét đề nghị của Hội đồng Thi đua - Khen thưởng phường",
        ),
        commended=(HUONG, STREET, STRANGER),
        signer=Signer(title="Chủ tịch", name="Trần Văn Bình"),
        recipients=("Như Điều 3", "Lưu: VT, HĐTĐKT"),
        cash_individual=702_000,
        cash_collective=1_404_000,
        executors=("Chánh Văn phòng Ủy ban nhân dân phường",),
    )


def _certificate(**changes: object) -> Certificate:
    fields: dict[str, object] = {
        "name": HUONG_DECOMPOSED,
        "form": "Người tốt, việc tốt",
        "deed": "Dũng cảm cứu một cháu bé đuối nước ở hồ Hoàn Kiếm",
        "decision_number": "45/QĐ-UBND",
        "decision_date": date(2026, 11, 18),
        "issuer": WARD,
        "signer": CHAIRMAN,
        "unit": "Tổ dân phố số 3",
    }
    fields.update(changes)
    return Certificate(**fields)  # type: ignore[arg-type]


def _open(data: bytes) -> DocxDocument:
    return Document(io.BytesIO(data))


def _paragraphs(document: DocxDocument) -> Iterator[Paragraph]:
    """Every paragraph in reading order, those inside table cells included."""
    for block in document.iter_inner_content():
        if isinstance(block, Paragraph):
            yield block
            continue
        for row in block.rows:
            for cell in row.cells:
                yield from cell.paragraphs


def _text(document: DocxDocument) -> str:
    return "\n".join(paragraph.text for paragraph in _paragraphs(document))


def _lines(document: DocxDocument) -> list[str]:
    return [paragraph.text for paragraph in _paragraphs(document)]


def _cell_lines(table: Table, row: int, column: int) -> list[str]:
    return [paragraph.text for paragraph in table.cell(row, column).paragraphs]


def _grid(document: DocxDocument) -> list[list[str]]:
    """The rows of the ruled table (the list of cases or the tallies)."""
    ruled = [t for t in document.tables if t.style is not None and t.style.name == "Table Grid"]
    assert len(ruled) == 1
    return [[cell.text for cell in row.cells] for row in ruled[0].rows]


# -- dates -------------------------------------------------------------------------------


def test_a_paper_dates_itself_the_vietnamese_way() -> None:
    assert WARD.dated(date(2026, 11, 18)) == "Hoàn Kiếm, ngày 18 tháng 11 năm 2026"


def test_small_days_and_the_first_two_months_take_a_leading_zero() -> None:
    assert vietnamese_date(date(2026, 2, 5)) == "ngày 05 tháng 02 năm 2026"
    assert vietnamese_date(date(2026, 3, 9)) == "ngày 09 tháng 3 năm 2026"


# -- the proposal letter -------------------------------------------------------------------


def test_proposal_header_names_the_ward_left_and_the_nation_right() -> None:
    header = _open(proposal_docx(_letter())).tables[0]

    assert _cell_lines(header, 0, 0)[0] == "ỦY BAN NHÂN DÂN PHƯỜNG HOÀN KIẾM"
    assert _cell_lines(header, 1, 0) == ["Số: 12/TTr-UBND"]
    nation, motto = _cell_lines(header, 0, 1)
    assert nation == "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
    assert motto == "Độc lập - Tự do - Hạnh phúc"
    assert header.cell(0, 1).paragraphs[1].runs[0].underline
    dated = header.cell(1, 1).paragraphs[0]
    assert dated.text == "Hoàn Kiếm, ngày 10 tháng 11 năm 2026"
    assert dated.runs[0].italic


def test_proposal_is_titled_and_addressed_to_the_council() -> None:
    document = _open(proposal_docx(_letter()))
    title = next(p for p in document.paragraphs if p.text == "TỜ TRÌNH")

    assert title.runs[0].bold
    assert title.alignment == WD_ALIGN_PARAGRAPH.CENTER
    assert "Kính gửi: Hội đồng Thi đua - Khen thưởng phường Hoàn Kiếm." in _lines(document)
    assert (
        "Về việc đề nghị xét khen thưởng tập thể và cá nhân có thành tích trong phong trào "
        "“Người tốt, việc tốt” năm 2026" in _lines(document)
    )


def test_proposal_lists_every_case_with_its_unit_form_and_deed() -> None:
    rows = _grid(_open(proposal_docx(_letter())))

    assert rows[0] == [
        "STT",
        "Tên cá nhân, tập thể",
        "Đơn vị",
        "Hình thức khen thưởng",
        "Thành tích",
    ]
    assert rows[1] == [
        "1",
        "Nguyễn Thị Hương",
        "Tổ dân phố số 3",
        "Giấy khen",
        "Dũng cảm cứu một cháu bé đuối nước ở hồ Hoàn Kiếm",
    ]
    assert [row[1] for row in rows[1:]] == ["Nguyễn Thị Hương", "Tổ dân phố số 3", HOSTILE]
    assert "khen thưởng 01 tập thể và 02 cá nhân có thành tích" in _text(
        _open(proposal_docx(_letter()))
    )


def test_names_keep_their_diacritics_in_one_unicode_form() -> None:
    text = _text(_open(proposal_docx(_letter())))

    assert "Nguyễn Thị Hương" in text
    assert HUONG_DECOMPOSED not in text
    assert unicodedata.is_normalized("NFC", text)


def test_markup_and_template_tags_in_a_name_are_written_as_themselves() -> None:
    data = proposal_docx(_letter())
    body = zipfile.ZipFile(io.BytesIO(data)).read("word/document.xml").decode()

    assert HOSTILE in [row[1] for row in _grid(_open(data))]
    assert "&lt;b&gt;&amp;{{x}}" in body
    assert "<b>" not in body


def test_proposal_ends_with_the_signer_right_and_the_recipients_left() -> None:
    closing = _open(proposal_docx(_letter())).tables[-1]

    assert _cell_lines(closing, 0, 0) == ["Nơi nhận:", "- Như trên;", "- Lưu: VT."]
    assert closing.cell(0, 0).paragraphs[0].runs[0].italic
    signer = [line for line in _cell_lines(closing, 0, 1) if line]
    assert signer == ["TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH", "Trần Văn Bình"]
    assert closing.cell(0, 1).paragraphs[-1].runs[0].bold


def test_a_control_character_pasted_into_a_name_does_not_stop_the_paper() -> None:
    pasted = CaseLine("Lê\x0bVăn\x00Nam", False, None, "Giấy khen", "Nhặt được của rơi")
    letter = ProposalLetter(
        "13/TTr-UBND", date(2026, 11, 10), WARD, "Hội đồng", (pasted,), CHAIRMAN, ("Lưu: VT",)
    )

    assert [row[1] for row in _grid(_open(proposal_docx(letter)))][1:] == ["LêVănNam"]


# -- the minutes ------------------------------------------------------------------------------


def test_minutes_header_names_the_council_under_the_ward() -> None:
    header = _open(minutes_docx(_minutes())).tables[0]

    assert _cell_lines(header, 0, 0)[:2] == [
        "ỦY BAN NHÂN DÂN PHƯỜNG HOÀN KIẾM",
        "HỘI ĐỒNG THI ĐUA - KHEN THƯỞNG",
    ]
    assert _cell_lines(header, 1, 0) == ["Số: 03/BB-HĐTĐKT"]
    assert _cell_lines(header, 1, 1) == ["Hoàn Kiếm, ngày 17 tháng 11 năm 2026"]


def test_minutes_show_each_tally_and_its_share_of_all_members() -> None:
    rows = _grid(_open(minutes_docx(_minutes())))

    assert rows[0][3:] == ["Đồng ý", "Không đồng ý", "Không biểu quyết", "Tỷ lệ đồng ý", "Kết quả"]
    assert rows[1] == ["1", "Nguyễn Thị Hương", "Giấy khen", "5", "0", "0", "83,3%", "Đạt"]
    assert rows[2] == ["2", "Tổ dân phố số 3", "Giấy khen", "4", "1", "0", "66,7%", "Không đạt"]
    assert rows[3] == ["3", HOSTILE, "Giấy chứng nhận", "3", "1", "1", "50%", "Không đạt"]


def test_minutes_say_who_came_who_did_not_and_what_was_concluded() -> None:
    lines = _lines(_open(minutes_docx(_minutes())))

    assert "BIÊN BẢN" in lines
    assert lines.count("- Chủ trì: Trần Văn Bình.") == 1
    assert any(line.startswith("- Thành viên có mặt: 5/6: Trần Văn Bình") for line in lines)
    assert "- Thành viên vắng mặt: 1: Vũ Đức Long." in lines
    assert (
        "Hội đồng thống nhất đề nghị khen thưởng 01/03 trường hợp đạt tỷ lệ phiếu theo quy "
        "định: Nguyễn Thị Hương." in lines
    )
    assert lines[-1] == "Trần Văn Bình"  # the chair signs on the right, the secretary left
    assert "THƯ KÝ" in lines and "CHỦ TRÌ" in lines


def test_members_absent_by_number_only_count_in_the_share() -> None:
    unnamed = replace(_minutes(), absent=(), council_size=8)
    lines = _lines(_open(minutes_docx(unnamed)))

    assert "- Thành viên vắng mặt: 3." in lines
    assert _grid(_open(minutes_docx(unnamed)))[1][6] == "62,5%"  # 5 of 8


def test_a_tally_larger_than_the_council_is_refused() -> None:
    with pytest.raises(ValueError, match="does not fit"):
        Minutes(
            "04/BB",
            COUNCIL,
            date(2026, 11, 17),
            "Hội trường",
            "Hội đồng",
            ("A", "B"),
            (),
            "A",
            "B",
            (CaseTally("C", "Giấy khen", 2, 1, 0, passed=True),),
        )


# -- the decision ------------------------------------------------------------------------------


def test_decision_header_carries_its_number() -> None:
    header = _open(decision_docx(_decision())).tables[0]

    assert _cell_lines(header, 1, 0) == ["Số: 45/QĐ-UBND"]
    assert _cell_lines(header, 1, 1) == ["Hoàn Kiếm, ngày 18 tháng 11 năm 2026"]


def test_decision_commends_everyone_with_form_and_deed() -> None:
    document = _open(decision_docx(_decision()))
    rows = _grid(document)
    lines = _lines(document)

    assert [row[1] for row in rows[1:]] == ["Nguyễn Thị Hương", "Tổ dân phố số 3", HOSTILE]
    assert rows[2][3:] == ["Giấy khen", "Tiêu biểu trong phong trào giữ gìn vệ sinh môi trường"]
    assert "QUYẾT ĐỊNH" in lines and "QUYẾT ĐỊNH:" in lines
    assert "CHỦ TỊCH ỦY BAN NHÂN DÂN PHƯỜNG HOÀN KIẾM" in lines
    assert "Điều 1. Khen thưởng 01 tập thể và 02 cá nhân có thành tích, gồm:" in lines
    assert "Kèm theo tiền thưởng: mỗi tập thể 1.404.000 đồng; mỗi cá nhân 702.000 đồng." in lines


def test_decision_bases_end_as_decree_30_writes_them() -> None:
    lines = _lines(_open(decision_docx(_decision())))

    assert "Căn cứ Luật Thi đua, khen thưởng ngày 15 tháng 6 năm 2022;" in lines
    assert "Căn cứ Nghị định số 152/2025/NĐ-CP;" in lines
    assert "Xét đề nghị của Hội đồng Thi đua - Khen thưởng phường." in lines


def test_decision_charges_the_executors_and_lists_its_recipients() -> None:
    document = _open(decision_docx(_decision()))
    closing = document.tables[-1]

    assert (
        "Điều 3. Chánh Văn phòng Ủy ban nhân dân phường và các tập thể, cá nhân có tên tại "
        "Điều 1 chịu trách nhiệm thi hành Quyết định này./." in _lines(document)
    )
    assert _cell_lines(closing, 0, 0) == ["Nơi nhận:", "- Như Điều 3;", "- Lưu: VT, HĐTĐKT."]


def test_decision_without_cash_says_nothing_of_money() -> None:
    plain = Decision(
        "46/QĐ-UBND",
        date(2026, 11, 18),
        WARD,
        "Chủ tịch Ủy ban nhân dân phường Hoàn Kiếm",
        (),
        (HUONG,),
        CHAIRMAN,
        ("Lưu: VT",),
    )
    text = _text(_open(decision_docx(plain)))

    assert "tiền thưởng" not in text
    assert "Điều 3. Các tập thể, cá nhân có tên tại Điều 1 chịu trách nhiệm" in text


# -- the certificate ---------------------------------------------------------------------------


def test_certificate_is_one_landscape_a4_page_with_its_font_inside() -> None:
    data = certificate_pdf(_certificate())
    reader = PdfReader(io.BytesIO(data))

    assert data.startswith(b"%PDF")
    assert len(reader.pages) == 1
    assert b"/MediaBox [0 0 841.89 595.28]" in data
    assert re.search(rb"/BaseFont /[A-Z]{6}\+DejaVuSerif", data)
    assert b"/FontFile2" in data


def test_certificate_reads_the_name_the_deed_and_the_decision() -> None:
    text = unicodedata.normalize(
        "NFC", PdfReader(io.BytesIO(certificate_pdf(_certificate()))).pages[0].extract_text()
    )

    for expected in (
        "ỦY BAN NHÂN DÂN PHƯỜNG HOÀN KIẾM",
        "GIẤY CHỨNG NHẬN",
        "NGƯỜI TỐT, VIỆC TỐT",
        "Nguyễn Thị Hương",
        "Tổ dân phố số 3",
        "Đã có thành tích: Dũng cảm cứu một cháu bé đuối nước ở hồ Hoàn Kiếm",
        "Quyết định số 45/QĐ-UBND ngày 18/11/2026",
        "Hoàn Kiếm, ngày 18 tháng 11 năm 2026",
        "TM. ỦY BAN NHÂN DÂN",
        "Trần Văn Bình",
    ):
        assert expected in text


def test_certificate_prints_markup_in_a_name_as_text() -> None:
    page = PdfReader(io.BytesIO(certificate_pdf(_certificate(name=HOSTILE)))).pages[0]

    assert HOSTILE in page.extract_text()


def test_a_long_name_and_deed_still_fit_one_page() -> None:
    long = _certificate(
        name="Tổ dân phố số 3 phường Hoàn Kiếm thành phố Hà Nội " * 4,
        deed="Dũng cảm cứu người bị nạn trong đám cháy tại phố Hàng Bạc " * 12,
    )
    reader = PdfReader(io.BytesIO(certificate_pdf(long)))

    assert len(reader.pages) == 1
    assert "…" in reader.pages[0].extract_text()


def test_a_decisions_certificates_print_a_page_each() -> None:
    certificates = certificates_of(_decision(), {"Giấy khen": "Giấy khen"})
    reader = PdfReader(io.BytesIO(certificates_pdf(certificates)))

    assert [c.heading for c in certificates] == ["Giấy khen", "Giấy khen", "Giấy chứng nhận"]
    assert len(reader.pages) == 3
    assert "GIẤY KHEN" in reader.pages[0].extract_text()
    assert HOSTILE in reader.pages[2].extract_text()


def test_the_fonts_and_their_licence_ship_with_the_package() -> None:
    names = sorted(path.name for path in FONTS.iterdir())

    assert names == ["DejaVuSerif-Bold.ttf", "DejaVuSerif-Italic.ttf", "DejaVuSerif.ttf", "LICENSE"]
    assert "Bitstream" in (FONTS / "LICENSE").read_text()


# -- file names --------------------------------------------------------------------------------


def test_papers_are_saved_under_plain_names_keeping_the_number() -> None:
    letter = _letter()
    council_letter = ProposalLetter(
        "12/TTr-HĐTĐKT", letter.issued_on, COUNCIL, "UBND", letter.cases, CHAIRMAN, ()
    )

    assert file_name(council_letter) == "to-trinh-12-TTr-HDTDKT.docx"
    assert file_name(_minutes()) == "bien-ban-03-BB-HDTDKT.docx"
    assert file_name(_decision()) == "quyet-dinh-45-QD-UBND.docx"
    assert file_name(_certificate()) == "giay-chung-nhan-nguyen-thi-huong-45-QD-UBND.pdf"
