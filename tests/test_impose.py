"""Imposition: spreads keep each half's trim and outer bleed; tiles cover the page at full size
with overlap, inside the office printer's safe margin. Geometry is read back from the output."""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

import pytest
from pypdf import PdfReader, PdfWriter
from pypdf.generic import ArrayObject, DecodedStreamObject, NameObject
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from test_marks import finished, needs, sample_pdf
from test_post import chart_pdf
from test_preflight import patched, with_content

from briefing.errors import InputError
from briefing.fonts import pdf_font_name
from briefing.impose import spread, tile
from briefing.post import Placement, merge_forms
from briefing.preflight import check_pdf, ink_by_operation, scan_document
from briefing.profiles import PT_PER_MM, PageGeometry, get_profile

CYAN, MAGENTA = (1, 0, 0, 0), (0, 1, 0, 0)


def _boxes(page) -> dict[str, tuple[float, ...]]:
    return {k: tuple(float(v) for v in getattr(page, k)) for k in ("mediabox", "bleedbox", "trimbox")}


def _flood_pages(colours: list[tuple[float, ...]]) -> bytes:
    """Press pages whose bleed box is filled with one solid ink each."""
    def fill(c: Canvas, g: PageGeometry) -> None:
        c.setFillColorCMYK(*colours[c.getPageNumber() - 1])
        c.rect(g.bleed[0], g.bleed[1], g.bleed[2] - g.bleed[0], g.bleed[3] - g.bleed[1], stroke=0, fill=1)
    return sample_pdf(pages=len(colours), fault=fill)


def _join(*pdfs: bytes) -> bytes:
    writer = PdfWriter()
    for pdf in pdfs:
        writer.append(PdfReader(io.BytesIO(pdf)))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


# ---------------------------------------------------------------- spreads

def test_spread_sheet_boxes():
    prof = get_profile("press")
    w, h = prof.trim_size("A4")
    off = prof.bleed_pt + prof.slug_pt
    sheet = PdfReader(io.BytesIO(spread(sample_pdf(pages=2), [(0, 1)]))).pages
    assert len(sheet) == 1
    b = prof.bleed_pt
    boxes = _boxes(sheet[0])
    assert boxes["mediabox"] == pytest.approx((0, 0, 2 * w + 2 * off, h + 2 * off), abs=0.01)
    assert boxes["trimbox"] == pytest.approx((off, off, off + 2 * w, off + h), abs=0.01)
    assert boxes["bleedbox"] == pytest.approx((off - b, off - b, off + 2 * w + b, off + h + b), abs=0.01)


def test_spread_halves_keep_their_trim_positions():
    prof = get_profile("press")
    w, _ = prof.trim_size("A4")
    off = prof.bleed_pt + prof.slug_pt
    scan = scan_document(PdfReader(io.BytesIO(spread(sample_pdf(pages=2), [(0, 1)]))))
    headlines = sorted(t.box[0] for t in scan.text if "Bold" in t.font)
    assert headlines == pytest.approx([off + 15 * mm, off + w + 15 * mm])


def test_spread_marks_crop_corners_and_fold():
    prof = get_profile("press")
    w, _ = prof.trim_size("A4")
    fold = prof.bleed_pt + prof.slug_pt + w
    scan = scan_document(PdfReader(io.BytesIO(spread(sample_pdf(pages=2), [(0, 1)]))))
    marks = [s for s in scan.strokes if s.paint.kind == "registration"]
    assert len([s for s in marks if s.box[0] == pytest.approx(fold) == s.box[2]]) == 2
    assert len(marks) == 8 + 2


@needs("gs")
def test_spread_clips_each_half_at_the_fold_and_keeps_the_outer_bleed(tmp_path: Path):
    import numpy as np
    from PIL import Image

    prof = get_profile("press")
    w, h = prof.trim_size("A4")
    off, b = prof.bleed_pt + prof.slug_pt, prof.bleed_pt
    pdf = tmp_path / "spread.pdf"
    pdf.write_bytes(spread(_flood_pages([CYAN, MAGENTA]), [(0, 1)]))
    subprocess.run(["gs", "-q", "-dBATCH", "-dNOPAUSE", "-sDEVICE=tiff32nc", "-r72",
                    f"-sOutputFile={tmp_path}/s.tif", str(pdf)], check=True)
    ink = np.asarray(Image.open(tmp_path / "s.tif"))
    height = ink.shape[0]
    at = lambda x, y: tuple(int(v) for v in ink[int(height - y), int(x)])  # noqa: E731
    mid = off + h / 2
    assert at(off + w - 3, mid) == (255, 0, 0, 0)          # left half up to the fold
    assert at(off + w + 3, mid) == (0, 255, 0, 0)          # right half from the fold
    assert at(off - b / 2, mid) == (255, 0, 0, 0)          # outer bleed kept on the left
    assert at(off + 2 * w + b / 2, mid) == (0, 255, 0, 0)  # and on the right
    assert at(off - b - 2 * mm, mid) == (0, 0, 0, 0)       # nothing in the slug beside it


def test_spread_of_the_same_pages_twice_passes_preflight(tmp_path: Path):
    path = tmp_path / "spreads.pdf"
    path.write_bytes(finished(spread(sample_pdf(pages=2), [(0, 1), (0, 1)])))
    report = check_pdf(path, "press")
    assert report.ok and not [f for f in report.findings if f.severity != "info"], report.format_text()


def test_office_spread_has_no_bleed_or_marks():
    sheet = PdfReader(io.BytesIO(spread(sample_pdf("office", pages=2), [(0, 1)]))).pages[0]
    boxes = _boxes(sheet)
    assert boxes["mediabox"] == boxes["trimbox"] == boxes["bleedbox"]
    assert not scan_document(sheet.pdf).registration


def test_spread_pages_must_match():
    with pytest.raises(InputError, match="same trim size"):
        spread(_join(sample_pdf(), sample_pdf(size="A3")), [(0, 1)])
    with pytest.raises(InputError, match="pair of pages"):
        spread(sample_pdf(), [])


def test_spread_finalised_for_press_passes_preflight(tmp_path: Path):
    path = tmp_path / "spread.pdf"
    path.write_bytes(finished(spread(sample_pdf(pages=2), [(0, 1)])))
    report = check_pdf(path, "press")
    assert report.ok, report.format_text()


# ---------------------------------------------------------------- tiles

def _overlap_marker(c: Canvas, g: PageGeometry) -> None:
    """甲 inside the overlap between the first two tile columns of A4 portrait tiles."""
    c.setFont(pdf_font_name("sans-bold"), 10)
    c.setFillColorCMYK(0, 0, 0, 1)
    c.drawString(g.trim[0] + 182 * mm, g.trim[3] - 60 * mm, "甲")


@pytest.fixture(scope="module")
def tiled() -> PdfReader:
    return PdfReader(io.BytesIO(tile(sample_pdf("newsprint", size="2K", fault=_overlap_marker), "A4")))


def test_tiles_cover_a_2k_page_with_six_a4_sheets(tiled: PdfReader):
    a4 = (0, 0, 210 * PT_PER_MM, 297 * PT_PER_MM)
    assert len(tiled.pages) == 6
    for page in tiled.pages:
        for box in _boxes(page).values():
            assert box == pytest.approx(a4, abs=0.01)


def test_tile_labels_name_page_tile_row_and_column(tiled: PdfReader):
    assert "第1页 2/6 (行1 列2)" in tiled.pages[1].extract_text()
    assert "第1页 6/6 (行2 列3)" in tiled.pages[5].extract_text()
    scan = scan_document(tiled)
    for page in range(1, 7):
        label = [t.box for t in scan.text if t.page == page and t.fill.kind == "gray"]
        marks = [s.box for s in scan.strokes if s.page == page]
        assert len(label) == 1 and len(marks) >= 8
        x0, y0, x1, y1 = label[0]
        assert not [m for m in marks if m[0] <= x1 and m[2] >= x0 and m[1] <= y1 and m[3] >= y0], page


def test_tiles_place_the_page_at_full_size_with_overlap(tiled: PdfReader):
    scan = scan_document(tiled)
    marker = lambda page: [t.box[0] / PT_PER_MM for t in scan.text  # noqa: E731
                           if t.page == page and "Bold" in t.font and t.box[2] - t.box[0] < 11]
    margin = 10.0                                   # 5 mm safe + 5 mm for marks and label
    assert marker(1) == pytest.approx([margin + 182], abs=0.01)
    assert marker(2) == pytest.approx([margin + 182 - (190 - 10)], abs=0.01)
    assert marker(3) == []
    headline = [t.box for t in scan.text if t.page == 1 and "Bold" in t.font and t.box[2] - t.box[0] > 50]
    assert headline[0][0] / PT_PER_MM == pytest.approx(margin + 15, abs=0.01)


def test_tiles_keep_the_office_safe_margin(tmp_path: Path, tiled: PdfReader):
    scan = scan_document(tiled)
    w, h = 210 * PT_PER_MM, 297 * PT_PER_MM
    for t in scan.text:
        assert t.box[0] >= 5 * PT_PER_MM and t.box[1] >= 5 * PT_PER_MM
        assert t.box[2] <= w - 5 * PT_PER_MM and t.box[3] <= h - 5 * PT_PER_MM
    path = tmp_path / "tiles.pdf"
    out = io.BytesIO()
    PdfWriter(clone_from=tiled).write(out)
    path.write_bytes(finished(out.getvalue(), "office"))
    report = check_pdf(path, "office")
    assert report.ok and not [f for f in report.findings if f.severity != "info"], report.format_text()


def _charted_2k_page(page: bytes | None = None) -> bytes:
    """A 2K page with a chart merged near its bottom right corner: on the tiles that do not
    show that corner the chart's own clip lies wholly outside the tile's."""
    g = get_profile("newsprint").geometry(*get_profile("newsprint").trim_size("2K"))
    return merge_forms(page or sample_pdf("newsprint", size="2K"),
                       [Placement(0, chart_pdf(), x=g.trim[2] - 120 * mm, y=g.trim[1] + 20 * mm,
                                  width=100 * mm, height=50 * mm)])


def _with_loose_text(pdf: bytes) -> bytes:
    """A text run appended to the first tile outside every clip, starting off the sheet and
    reaching onto it at its lower left corner."""
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    page = writer.pages[0]
    font = next(iter(page["/Resources"]["/Font"]))
    loose = DecodedStreamObject()
    loose.set_data(f"BT {font} 10 Tf -30 4 Td (\\001\\002\\003\\004\\005\\006) Tj ET".encode())
    page[NameObject("/Contents")] = ArrayObject([page.raw_get("/Contents"), writer._add_object(loose)])
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.mark.parametrize("sheet", ["A4", "A3"])
def test_tiles_of_a_page_with_a_merged_chart_pass_office_preflight(tmp_path: Path, sheet: str):
    tiles = tile(_charted_2k_page(), sheet)
    scan = scan_document(PdfReader(io.BytesIO(tiles)))
    chart_label = {t.page for t in scan.text if t.overprint and "Sans" in t.font and "Bold" not in t.font}
    assert len(chart_label) == 1                    # on the tile with the page's lower right corner
    path = tmp_path / "tiles.pdf"
    path.write_bytes(finished(tiles, "office"))
    report = check_pdf(path, "office")
    assert report.ok and not [f for f in report.findings if f.severity != "info"], report.format_text()
    path.write_bytes(finished(_with_loose_text(tiles), "office"))
    loose = check_pdf(path, "office")
    assert {(f.rule_id, f.page) for f in loose.findings if f.severity == "error"} == {("D4", 1)}


def _cut_lines(writer: PdfWriter) -> None:
    """Text across the first tile column's right edge (A4 portrait tiles of a 2K page) in
    every text-showing operator, with character and word spacing and horizontal scaling."""
    fonts = writer.pages[0]["/Resources"]["/Font"]
    serif = next(n for n in fonts if "Serif" in str(fonts[n].get_object()["/BaseFont"]))
    g = get_profile("newsprint").geometry(*get_profile("newsprint").trim_size("2K"))
    line = "(\\001\\002\\003\\004\\005 \\006\\007\\010\\011\\012\\013\\014)"
    with_content(f"q 0 0 0 1 k BT {serif} 12 Tf 16 TL 1.5 Tc 4 Tw 90 Tz "
                 f"1 0 0 1 {g.trim[0] + 150 * mm} {g.trim[3] - 100 * mm} Tm {line} Tj {line} ' "
                 f"6 0.5 {line} \" [(\\001\\002\\003) -300 {line} 120 (\\004)] TJ ET Q".encode())(writer)


def test_tiles_carry_only_what_shows_through_them(tiled: PdfReader):
    """Nothing a tile's clip hides in full is left in it: no path, image or form, and no
    glyph of a line the tile's edge cuts."""
    assert ["甲" in page.extract_text() for page in tiled.pages] == [True, True] + [False] * 4
    for page in tiled.pages:
        content = page.get_contents()
        ink = ink_by_operation(content, page["/Resources"], tuple(float(v) for v in page.mediabox))
        painting = {i for i, (_, op) in enumerate(content.operations)
                    if op in (b"S", b"s", b"f", b"F", b"f*", b"B", b"B*", b"b", b"b*", b"Do", b"sh")}
        assert painting <= set(ink)
        assert not [i for i, entry in ink.items() if entry.hidden]


@needs("gs")
def test_tiles_show_exactly_what_the_whole_page_clipped_shows(tmp_path: Path, monkeypatch):
    import numpy as np
    from PIL import Image

    import briefing.impose

    page = _charted_2k_page(patched(sample_pdf("newsprint", size="2K"), _cut_lines))
    culled = tile(page, "A4")
    monkeypatch.setattr(briefing.impose, "_showing", lambda source, clip: source)
    whole = tile(page, "A4")
    assert len(culled) < len(whole)
    renders = []
    for name, pdf in (("culled", culled), ("whole", whole)):
        (tmp_path / f"{name}.pdf").write_bytes(pdf)
        subprocess.run(["gs", "-q", "-dBATCH", "-dNOPAUSE", "-sDEVICE=png16m", "-r100",
                        f"-sOutputFile={tmp_path}/{name}-%d.png", str(tmp_path / f"{name}.pdf")], check=True)
        renders.append([np.asarray(Image.open(tmp_path / f"{name}-{n}.png")) for n in range(1, 7)])
    for cut, full in zip(*renders):
        assert np.array_equal(cut, full)
    first, second = (PdfReader(io.BytesIO(culled)).pages[n].extract_text() for n in (0, 1))
    full_first = PdfReader(io.BytesIO(whole)).pages[0].extract_text()
    assert len(first) < len(full_first) and len(second) < len(full_first)


def test_tiles_without_marks_use_the_bare_safe_margin():
    reader = PdfReader(io.BytesIO(tile(sample_pdf("newsprint", size="2K"), "A3", marks=False)))
    assert "第1页" not in reader.pages[0].extract_text()
    headline = [t.box for t in scan_document(reader).text if t.page == 1 and "Bold" in t.font]
    assert headline[0][0] / PT_PER_MM == pytest.approx(5 + 15, abs=0.01)


def test_a3_tiles_turn_landscape_when_that_needs_fewer():
    reader = PdfReader(io.BytesIO(tile(sample_pdf("newsprint", size="2K"), "A3")))
    assert len(reader.pages) == 2
    a3_landscape = (0, 0, 420 * PT_PER_MM, 297 * PT_PER_MM)
    assert _boxes(reader.pages[0])["mediabox"] == pytest.approx(a3_landscape, abs=0.01)


def test_tiling_is_deterministic():
    page = sample_pdf("newsprint", size="2K")
    assert tile(page, "A4") == tile(page, "A4")


def test_tile_arguments_are_checked():
    page = sample_pdf("newsprint", size="2K")
    with pytest.raises(InputError, match="A5"):
        tile(page, "A5")
    with pytest.raises(InputError, match="overlap"):
        tile(page, "A4", overlap_mm=120)
