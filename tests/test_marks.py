"""Printer's marks; and the sample pages every print test (post, impose, preflight) builds on.

The sample is a realistic press page: K100 text overprinting in embedded Noto subsets (no
Helvetica anywhere), a CMYK band running off into the bleed, a rule, TrimBox and BleedBox,
and the profile's marks in the slug.
"""

from __future__ import annotations

import io
import math
import shutil
import subprocess
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

import pytest
from pypdf import PdfReader
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from briefing.errors import InputError
from briefing.fonts import FontBook, pdf_font_name
from briefing.marks import CROP_LENGTH, GAP, draw_marks, slug_line
from briefing.post import finalize
from briefing.preflight import scan_document
from briefing.profiles import Marks, PageGeometry, get_profile

DATE = datetime(2023, 1, 10, 8, 30, tzinfo=timezone.utc)
BODY = "全省地区生产总值增长百分之六点三，工业生产稳步回升，消费市场持续恢复。"
Fault = Callable[[Canvas, PageGeometry], None]
_FONTS = FontBook()


def draw_sample(c: Canvas, g: PageGeometry, page: int = 1) -> None:
    """The content of a sample page, in media coordinates."""
    x0, y0, x1, y1 = g.trim
    c.saveState()
    c.setFillColorCMYK(1, 0.6, 0, 0.1)                   # masthead band, bleeding off 3 sides
    c.rect(g.bleed[0], y1 - 25 * mm, g.bleed[2] - g.bleed[0], g.bleed[3] - y1 + 25 * mm, stroke=0, fill=1)
    c.setFillColorCMYK(0, 0, 0, 1)
    c.setFillOverprint(True)
    c.setOverprintMask(1)
    c.setFont(pdf_font_name("sans-bold"), 22)
    c.drawString(x0 + 15 * mm, y1 - 40 * mm, f"吉林经济简报 第{page}版")
    c.setFont(pdf_font_name("serif"), 10)
    for line in range(12):
        c.drawString(x0 + 15 * mm, y1 - 55 * mm - line * 17, BODY)
    c.setStrokeColorCMYK(0, 0, 0, 1)
    c.setStrokeOverprint(True)
    c.setLineWidth(0.5)
    c.line(x0 + 15 * mm, y1 - 45 * mm, x1 - 15 * mm, y1 - 45 * mm)
    c.restoreState()


def sample_pdf(profile: str = "press", *, pages: int = 1, size: str = "A4", marks: Marks | None = None,
               fault: Fault | None = None, initial_font: str | None = "serif") -> bytes:
    """Sample pages drawn for a profile: MediaBox = trim + bleed + slug, boxes set, marks drawn."""
    prof = get_profile(profile)
    for key in ("serif", "sans-bold", "sans"):
        _FONTS.ttfont(key)
    g = prof.geometry(*prof.trim_size(size))
    buffer = io.BytesIO()
    extra = {"initialFontName": pdf_font_name(initial_font)} if initial_font else {}
    c = Canvas(buffer, pagesize=g.media, invariant=1, pageCompression=1, **extra)
    for page in range(1, pages + 1):
        c.setTrimBox(g.trim)
        c.setBleedBox(g.bleed)
        draw_sample(c, g, page)
        if fault is not None:
            fault(c, g)
        chosen = prof.marks if marks is None else marks
        if chosen:
            draw_marks(c, g.trim, prof.bleed_pt, chosen, slug_text=slug_line("sample.pdf", page, DATE))
        c.showPage()
    c.save()
    return buffer.getvalue()


def finished(pdf: bytes, profile: str = "press", **kwargs) -> bytes:
    """A drawn PDF finalised for a profile with the sample's metadata."""
    args = {"title": "吉林经济简报", "author": "编辑部", "subject": "2023年第1期", "date": DATE} | kwargs
    return finalize(pdf, get_profile(profile), **args)


def press_sample() -> bytes:
    return finished(sample_pdf())


def needs(tool: str):
    return pytest.mark.skipif(shutil.which(tool) is None, reason=f"{tool} is not installed")


# ---------------------------------------------------------------- marks

FULL = Marks(crop=True, registration=True, colour_bar=True, slug_line=True)


def _geometry() -> PageGeometry:
    prof = get_profile("press")
    return prof.geometry(*prof.trim_size("A4"))


def test_marks_stay_outside_the_bleed_box_in_registration_colour():
    g = _geometry()
    scan = scan_document(PdfReader(io.BytesIO(sample_pdf(marks=FULL))))
    assert scan.registration, "no marks were drawn"
    for _, box in scan.registration:
        outside = box[2] <= g.bleed[0] or box[0] >= g.bleed[2] or box[3] <= g.bleed[1] or box[1] >= g.bleed[3]
        assert outside, box
        assert g.media[0] >= box[2] and box[0] >= 0 and g.media[1] >= box[3] and box[1] >= 0


def test_crop_marks_are_quarter_point_10mm_lines_starting_past_the_bleed():
    g = _geometry()
    scan = scan_document(PdfReader(io.BytesIO(sample_pdf(marks=Marks(crop=True)))))
    marks = [s for s in scan.strokes if s.paint.kind == "registration"]
    assert len(marks) == 8 and all(s.width == pytest.approx(0.25) for s in marks)
    x0, y0 = g.trim[0], g.trim[1]
    lower_left = [s.box for s in marks if s.box[2] <= x0 + 0.2 and s.box[3] <= y0 + 0.2]
    horizontal = [b for b in lower_left if b[1] == pytest.approx(y0)]
    assert horizontal == [pytest.approx((x0 - 3 * mm - GAP - CROP_LENGTH, y0, x0 - 3 * mm - GAP, y0))]


def test_registration_colour_is_a_separation_all():
    pdf = PdfReader(io.BytesIO(sample_pdf(marks=FULL)))
    spaces = [cs.get_object() for cs in pdf.pages[0]["/Resources"]["/ColorSpace"].values()]
    assert any(cs[0] == "/Separation" and cs[1] == "/All" and cs[2] == "/DeviceCMYK" for cs in spaces)


def test_slug_line_is_outlines_not_text():
    reader = PdfReader(io.BytesIO(sample_pdf(marks=Marks(slug_line=True))))
    text = reader.pages[0].extract_text()
    assert "sample.pdf" not in text and "吉林经济简报" in text
    fonts = {f.name.split("+")[-1] for f in scan_document(reader).fonts.values()}
    assert fonts == {"NotoSerifSC-Regular", "NotoSansSC-Bold"}
    assert len(scan_document(reader).registration) == 1     # the filled glyph outlines


def test_colour_bar_is_process_cmyk_in_the_head_slug():
    g = _geometry()
    reader = PdfReader(io.BytesIO(sample_pdf(marks=Marks(colour_bar=True))))
    scan = scan_document(reader)
    assert not [k for (_, _, k) in scan.colours if k not in ("cmyk", "registration")]
    content = reader.pages[0].get_contents().get_data().decode("latin-1")
    assert "1 1 0 0 k" in content and "0 0 0 .5 k" in content
    assert not scan.registration     # nothing else was asked for


def test_no_marks_without_flags():
    scan = scan_document(PdfReader(io.BytesIO(sample_pdf(marks=Marks()))))
    assert not scan.registration and not Marks()


def test_slug_line_names_file_page_and_date():
    assert slug_line("jilin.pdf", 2, DATE) == "jilin.pdf  第2页  2023-01-10 08:30"


def test_marks_need_a_slug():
    assert get_profile("press").with_marks(FULL).marks == FULL
    with pytest.raises(InputError, match="no slug"):
        get_profile("newsprint").with_marks(Marks(crop=True))


@needs("pdftoppm")
def test_press_page_renders_with_bleed_and_marks(tmp_path: Path):
    """The whole media box renders: the band fills the bleed, the slug beside it stays clear."""
    pdf = tmp_path / "press.pdf"
    pdf.write_bytes(finished(sample_pdf(marks=FULL)))
    subprocess.run(["pdftoppm", "-r", "50", "-png", str(pdf), str(tmp_path / "page")], check=True)
    from PIL import Image

    image = Image.open(tmp_path / "page-1.png").convert("RGB")
    g = _geometry()
    assert image.size == (math.ceil(g.media[0] * 50 / 72), math.ceil(g.media[1] * 50 / 72))
    px = lambda x, y: image.getpixel((int(x * 50 / 72), int((g.media[1] - y) * 50 / 72)))  # noqa: E731
    band = px(g.bleed[0] + 1 * mm / 2, g.trim[3] - 5 * mm)          # inside the bleed strip
    assert band[2] > 100 and band[0] < 80                             # blue
    assert px(g.bleed[0] - 2 * mm, g.trim[3] - 5 * mm) == (255, 255, 255)   # slug beside it is clear
