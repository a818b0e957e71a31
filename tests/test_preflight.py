"""Preflight: each rule catches a PDF broken in one way, and passes the good press sample.

Faults are drawn into the sample with ReportLab or patched in with pypdf; every test states
which rules must fail, so a fault that trips a neighbouring rule by accident shows up too.
"""

from __future__ import annotations

import io
import json
import shutil
import zlib
from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image
from pypdf import PdfReader, PdfWriter
from pypdf.generic import (ArrayObject, DecodedStreamObject, DictionaryObject, FloatObject,
                           NameObject, NumberObject, StreamObject, TextStringObject)
from reportlab.lib.colors import CMYKColorSep
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen.canvas import Canvas
from test_marks import finished, needs, press_sample, sample_pdf

from briefing.errors import InputError
from briefing.fonts import pdf_font_name
from briefing.preflight import Report, check_pdf, main_check, scan_document
from briefing.profiles import PageGeometry, get_profile

Patch = Callable[[PdfWriter], None]


@pytest.fixture
def check(tmp_path: Path) -> Callable[..., Report]:
    def run(pdf: bytes, profile: str = "press") -> Report:
        path = tmp_path / "check.pdf"
        path.write_bytes(pdf)
        return check_pdf(path, profile)
    return run


def failing(report: Report, severity: str = "error") -> set[str]:
    return {f.rule_id for f in report.findings if f.severity == severity}


def drawn(fault: Callable[[Canvas, PageGeometry], None], profile: str = "press") -> bytes:
    """The sample with a fault drawn in, finalised for the profile."""
    return finished(sample_pdf(profile, fault=fault), profile)


def patched(pdf: bytes, patch: Patch) -> bytes:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    patch(writer)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _stream(writer: PdfWriter, data: bytes, **entries) -> object:
    stream = DecodedStreamObject()
    stream.set_data(data)
    stream.update({NameObject(k): v for k, v in entries.items()})
    return writer._add_object(stream)


def with_content(content: bytes, **resources: dict) -> Patch:
    """Append a content stream to page 1, adding resources by category (Font=..., Pattern=...)."""
    def patch(writer: PdfWriter) -> None:
        page = writer.pages[0]
        res = page["/Resources"]
        for category, entries in resources.items():
            key = NameObject("/" + category)
            if key not in res:
                res[key] = DictionaryObject()
            res[key].update({NameObject(n): v(writer) if callable(v) else v for n, v in entries.items()})
        old = page.raw_get("/Contents")
        page[NameObject("/Contents")] = ArrayObject([old, _stream(writer, content)])
    return patch


def cmyk_image(pixels: int) -> ImageReader:
    return ImageReader(Image.new("CMYK", (pixels, pixels), (0, 80, 200, 0)))


# ---------------------------------------------------------------- the good file

def test_press_sample_passes(check):
    report = check(press_sample())
    assert report.ok and report.findings == [], report.format_text()


def test_other_profiles_pass_their_samples(check):
    for name in ("newsprint", "office", "screen"):
        size = "2K" if name == "newsprint" else "A4"
        report = check(finished(sample_pdf(name, size=size), name), name)
        assert report.ok and not failing(report, "warning"), report.format_text()


# ---------------------------------------------------------------- drawn faults

def _rgb_fill(c: Canvas, g: PageGeometry) -> None:
    c.setFillColorRGB(0.8, 0.1, 0.1)
    c.rect(g.trim[0] + 20 * mm, g.trim[1] + 20 * mm, 30 * mm, 10 * mm, stroke=0, fill=1)


def _rgb_in_form(c: Canvas, g: PageGeometry) -> None:
    c.beginForm("logo")
    _rgb_fill(c, g)
    c.endForm()
    c.doForm("logo")


def _rgb_image(c: Canvas, g: PageGeometry) -> None:
    c.drawImage(ImageReader(Image.new("RGB", (300, 300), (200, 30, 30))), g.trim[0] + 20 * mm,
                g.trim[1] + 20 * mm, 72, 72)


def _alpha(c: Canvas, g: PageGeometry) -> None:
    c.setFillColorCMYK(0, 1, 1, 0)
    c.setFillAlpha(0.5)
    c.rect(g.trim[0] + 20 * mm, g.trim[1] + 20 * mm, 30 * mm, 10 * mm, stroke=0, fill=1)


def _text(c: Canvas, g: PageGeometry, cmyk: tuple[float, ...], overprint: bool, opm: int = 1,
          x: float = 20 * mm) -> None:
    c.saveState()
    c.setFillColorCMYK(*cmyk)
    c.setFillOverprint(overprint)
    c.setOverprintMask(opm)
    c.setFont(pdf_font_name("serif"), 10)
    c.drawString(g.trim[0] + x, g.trim[1] + 30 * mm, "注：数据来源于省统计局。")
    c.restoreState()


def _low_res(c: Canvas, g: PageGeometry) -> None:
    c.drawImage(cmyk_image(30), g.trim[0] + 20 * mm, g.trim[1] + 20 * mm, 100, 100)


def _heavy_ink(c: Canvas, g: PageGeometry) -> None:
    c.setFillColorCMYK(1, 1, 1, 1)
    c.rect(g.trim[0] + 20 * mm, g.trim[1] + 20 * mm, 30 * mm, 30 * mm, stroke=0, fill=1)


def _registration_inside(c: Canvas, g: PageGeometry) -> None:
    c.setFillColor(CMYKColorSep(1, 1, 1, 1, spotName="All", alpha=None))
    c.rect(g.trim[0] + 20 * mm, g.trim[1] + 20 * mm, 5 * mm, 5 * mm, stroke=0, fill=1)


def _rule(width: float) -> Callable[[Canvas, PageGeometry], None]:
    def draw(c: Canvas, g: PageGeometry) -> None:
        c.setStrokeColorCMYK(0, 0, 0, 1)
        c.setLineWidth(width)
        c.line(g.trim[0] + 20 * mm, g.trim[1] + 20 * mm, g.trim[2] - 20 * mm, g.trim[1] + 20 * mm)
    return draw


def _two_ink_hairline(c: Canvas, g: PageGeometry) -> None:
    c.setStrokeColorCMYK(1, 0.6, 0, 0)
    c.setLineWidth(0.3)
    c.line(g.trim[0] + 20 * mm, g.trim[1] + 20 * mm, g.trim[2] - 20 * mm, g.trim[1] + 20 * mm)


DRAWN = {
    "rgb fill": (_rgb_fill, {"C1"}),
    "rgb inside a form": (_rgb_in_form, {"C1"}),
    "rgb image": (_rgb_image, {"C1"}),
    "constant alpha": (_alpha, {"C2"}),
    "rich black text": (lambda c, g: _text(c, g, (0.6, 0.4, 0.4, 1), True), {"C3"}),
    "K100 text knocking out": (lambda c, g: _text(c, g, (0, 0, 0, 1), False), {"C3"}),
    "K100 overprint with OPM 0": (lambda c, g: _text(c, g, (0, 0, 0, 1), True, opm=0), {"C3"}),
    "white text overprinting": (lambda c, g: _text(c, g, (0, 0, 0, 0), True), {"C3"}),
    "image under 300 ppi": (_low_res, {"C6"}),
    "text 1 mm from the trim": (lambda c, g: _text(c, g, (0, 0, 0, 1), True, x=1 * mm), {"D4"}),
    "registration colour inside the bleed": (_registration_inside, {"D5", "C4"}),   # and 400 % ink
    "zero-width stroke": (_rule(0), {"E1"}),
}


@pytest.mark.parametrize("name", DRAWN)
def test_drawn_fault_is_caught(check, name):
    fault, rules = DRAWN[name]
    expected = rules if shutil.which("gs") else rules - {"C4"}
    assert failing(check(drawn(fault))) == expected


@needs("gs")
def test_total_ink_over_300_percent(check):
    report = check(drawn(_heavy_ink))
    assert failing(report) == {"C4"}
    assert next(f for f in report.findings if f.rule_id == "C4").detail["max_percent"] == 400


def test_thin_rules_are_warnings(check):
    assert failing(check(drawn(_rule(0.1))), "warning") == {"E1"}
    assert failing(check(drawn(_two_ink_hairline)), "warning") == {"E1"}   # two inks need 0.5 pt
    assert failing(check(drawn(_rule(0.3))), "warning") == set()


def test_image_at_300_ppi_passes(check):
    fine = drawn(lambda c, g: c.drawImage(cmyk_image(300), g.trim[0] + 20 * mm, g.trim[1] + 20 * mm, 72, 72))
    assert check(fine).ok


def test_unembedded_helvetica(check):
    report = check(finished(sample_pdf(initial_font=None)))
    assert failing(report) == {"B1"}
    assert [f.message for f in report.findings] == ["font Helvetica is not embedded"]


def test_office_allows_rgb_and_knockout_and_only_warns_about_rich_black(check):
    assert check(drawn(_rgb_fill, "office"), "office").ok
    assert check(drawn(lambda c, g: _text(c, g, (0, 0, 0, 1), False), "office"), "office").ok
    rich = check(drawn(lambda c, g: _text(c, g, (0.6, 0.4, 0.4, 1), False), "office"), "office")
    assert rich.ok and failing(rich, "warning") == {"C3"}


def test_clipped_text_and_slug_text_are_not_in_the_safe_area_check(check):
    def clipped(c: Canvas, g: PageGeometry) -> None:
        c.saveState()
        path = c.beginPath()
        path.rect(g.trim[0] + 20 * mm, g.trim[1] + 20 * mm, 50 * mm, 50 * mm)
        c.clipPath(path, stroke=0, fill=0)
        _text(c, g, (0, 0, 0, 1), True, x=-1 * mm)      # starts outside the clip, in the bleed
        c.restoreState()
        c.setFont(pdf_font_name("sans"), 6)              # live slug text beyond the bleed
        c.drawString(g.trim[0], g.bleed[1] - 6 * mm, "slug")
    assert check(drawn(clipped)).ok


def _near_edge_text(writer: PdfWriter) -> bytes:
    """Showing a 10 pt run 2 mm from the trim's lower left corner, in the sample's serif."""
    fonts = writer.pages[0]["/Resources"]["/Font"]
    name = next(n for n in fonts if "Serif" in str(fonts[n].get_object()["/BaseFont"]))
    return f"BT {name} 10 Tf 6 6 Td (\\001\\002) Tj ET".encode()


def _clip_case(content: Callable[[bytes], bytes]) -> Patch:
    def patch(writer: PdfWriter) -> None:
        with_content(content(_near_edge_text(writer)))(writer)
    return patch


def _disjoint_form(writer: PdfWriter) -> None:
    """A form whose BBox lies away from the current clip, with text near the edge inside."""
    form = _stream(writer, _near_edge_text(writer), **{
        "/Type": NameObject("/XObject"), "/Subtype": NameObject("/Form"),
        "/BBox": ArrayObject([FloatObject(v) for v in (300, 300, 400, 400)])})
    with_content(b"q 0 0 100 100 re W n /Far Do Q", XObject={"/Far": form})(writer)


def test_clips_that_do_not_meet_hide_everything(check):
    """Clipping to two regions that do not meet leaves nothing visible (merged charts inside
    a tile's clip far from the tile); Q brings the outer clip back, and text outside every
    clip is still judged."""
    office = finished(sample_pdf("office"), "office")
    assert check(office, "office").ok

    def hidden(text: bytes) -> bytes:
        return b"q 0 0 100 100 re W n q 300 300 100 100 re W n " + text + b" Q Q"

    def after_q(text: bytes) -> bytes:
        return b"q 0 0 100 100 re W n q 300 300 100 100 re W n Q " + text + b" Q"

    assert check(patched(office, _clip_case(hidden)), "office").ok
    assert check(patched(office, _disjoint_form), "office").ok
    assert failing(check(patched(office, _clip_case(after_q)), "office")) == {"D4"}
    assert failing(check(patched(office, _clip_case(lambda text: text)), "office")) == {"D4"}


def test_glyph_outlines_are_read_from_the_embedded_fonts():
    """Where a glyph can put ink comes from the embedded TrueType program (tiles leave out
    the glyphs wholly outside them): a Han character keeps inside its em, a space has none."""
    scan = scan_document(PdfReader(io.BytesIO(sample_pdf("office"))))
    serif = next(f for f in scan.fonts.values() if "Serif" in f.name)
    boxes = [serif.outline(code) for code in serif.widths if code != 32]
    inked = [b for b in boxes if b]
    assert len(inked) > 100
    assert all(-0.1 < x0 < x1 < 1.1 and -0.3 < y0 < y1 < 1.0 for x0, y0, x1, y1 in inked)
    assert serif.outline(32) is None


# ---------------------------------------------------------------- patched faults

def _set(key: str, value) -> Patch:
    def patch(writer: PdfWriter) -> None:
        writer._info[NameObject(key)] = value
    return patch


def _page_box(key: str, box: list[float] | None) -> Patch:
    def patch(writer: PdfWriter) -> None:
        page = writer.pages[0]
        if box is None:
            del page[NameObject(key)]
        else:
            page[NameObject(key)] = ArrayObject(FloatObject(v) for v in box)
    return patch


def _bleed_1mm(writer: PdfWriter) -> None:
    t = [float(v) for v in writer.pages[0]["/TrimBox"]]
    _page_box("/BleedBox", [t[0] - 1 * mm, t[1] - 1 * mm, t[2] + 1 * mm, t[3] + 1 * mm])(writer)


def _art_box(writer: PdfWriter) -> None:
    _page_box("/ArtBox", [float(v) for v in writer.pages[0]["/TrimBox"]])(writer)


def _header_17(writer: PdfWriter) -> None:
    writer.pdf_header = "%PDF-1.7"


def _annotation(writer: PdfWriter, subtype: str, rect: tuple[float, ...], **extra) -> None:
    annot = DictionaryObject({NameObject("/Type"): NameObject("/Annot"),
                              NameObject("/Subtype"): NameObject(subtype),
                              NameObject("/Rect"): ArrayObject(FloatObject(v) for v in rect)})
    annot.update({NameObject(k): v for k, v in extra.items()})
    writer.pages[0][NameObject("/Annots")] = ArrayObject([writer._add_object(annot)])


def _link_inside(writer: PdfWriter) -> None:
    _annotation(writer, "/Link", (200, 300, 260, 320))


def _rgb_appearance_in_slug(writer: PdfWriter) -> None:
    ap = _stream(writer, b"1 0 0 rg 0 0 10 10 re f", **{
        "/Type": NameObject("/XObject"), "/Subtype": NameObject("/Form"),
        "/BBox": ArrayObject(NumberObject(v) for v in (0, 0, 10, 10))})
    _annotation(writer, "/Square", (2, 2, 12, 12), **{"/AP": DictionaryObject({NameObject("/N"): ap})})


def _javascript(writer: PdfWriter) -> None:
    writer.root_object[NameObject("/OpenAction")] = DictionaryObject({
        NameObject("/S"): NameObject("/JavaScript"), NameObject("/JS"): TextStringObject("app.alert(1)")})


def _rename_font(new: Callable[[str], str]) -> Patch:
    def patch(writer: PdfWriter) -> None:
        font = next(iter(writer.pages[0]["/Resources"]["/Font"].values())).get_object()
        font[NameObject("/BaseFont")] = NameObject("/" + new(str(font["/BaseFont"])[1:]))
    return patch


def _icc_intent(header: bytes) -> Patch:
    def patch(writer: PdfWriter) -> None:
        intent = writer.root_object["/OutputIntents"][0].get_object()
        intent[NameObject("/DestOutputProfile")] = _stream(writer, b"\0" * 12 + header + b"\0" * 108,
                                                          **{"/N": NumberObject(4)})
    return patch


def _type3_font(writer: PdfWriter) -> DictionaryObject:
    glyph = _stream(writer, b"1000 0 0 0 1000 1000 d1 0 0 1000 1000 re f")
    return writer._add_object(DictionaryObject({
        NameObject("/Type"): NameObject("/Font"), NameObject("/Subtype"): NameObject("/Type3"),
        NameObject("/FontBBox"): ArrayObject(NumberObject(v) for v in (0, 0, 1000, 1000)),
        NameObject("/FontMatrix"): ArrayObject(FloatObject(v) for v in (0.001, 0, 0, 0.001, 0, 0)),
        NameObject("/CharProcs"): DictionaryObject({NameObject("/a"): glyph}),
        NameObject("/Encoding"): DictionaryObject({NameObject("/Differences"): ArrayObject(
            [NumberObject(97), NameObject("/a")])}),
        NameObject("/FirstChar"): NumberObject(97), NameObject("/LastChar"): NumberObject(97),
        NameObject("/Widths"): ArrayObject([NumberObject(1000)])}))


def _rgb_pattern(writer: PdfWriter) -> StreamObject:
    return _stream(writer, b"1 0 0 rg 0 0 5 5 re f", **{
        "/Type": NameObject("/Pattern"), "/PatternType": NumberObject(1), "/PaintType": NumberObject(1),
        "/TilingType": NumberObject(1), "/XStep": NumberObject(10), "/YStep": NumberObject(10),
        "/BBox": ArrayObject(NumberObject(v) for v in (0, 0, 10, 10)), "/Resources": DictionaryObject()})


def _transfer_function(writer: PdfWriter) -> DictionaryObject:
    return DictionaryObject({NameObject("/TR"): _stream(writer, b"{1 exch sub}", **{
        "/FunctionType": NumberObject(4), "/Domain": ArrayObject([NumberObject(0), NumberObject(1)]),
        "/Range": ArrayObject([NumberObject(0), NumberObject(1)])})})


def _transparency_group(writer: PdfWriter) -> None:
    writer.pages[0][NameObject("/Group")] = DictionaryObject({
        NameObject("/S"): NameObject("/Transparency"), NameObject("/CS"): NameObject("/DeviceCMYK")})


PATCHED = {
    "PDF 1.7 header": (_header_17, {"A1"}),
    "no TrimBox": (_page_box("/TrimBox", None), {"D1"}),
    "1 mm bleed": (_bleed_1mm, {"D1"}),
    "TrimBox and ArtBox": (_art_box, {"D1"}),
    "placeholder title": (_set("/Title", TextStringObject("untitled")), {"A3"}),
    "Trapped as a string": (_set("/Trapped", TextStringObject("False")), {"A3"}),
    "wrong PDF/X version": (_set("/GTS_PDFXVersion", TextStringObject("PDF/X-3:2002")), {"A3"}),
    "RGB monitor profile as output intent": (_icc_intent(b"mntrRGB "), {"A2"}),
    "link inside the bleed": (_link_inside, {"A6"}),
    "RGB annotation appearance": (_rgb_appearance_in_slug, {"C1"}),
    "JavaScript": (_javascript, {"A5"}),
    "LastResort font": (_rename_font(lambda n: "LastResortHE"), {"B2"}),
    "RGB tiling pattern": (with_content(b"q /Pattern cs /P0 scn 100 100 50 50 re f Q",
                                        Pattern={"/P0": _rgb_pattern}), {"C1"}),
    "Type 3 font": (with_content(b"q 0.5 g BT /T3 10 Tf 1 0 0 1 150 400 Tm (a) Tj ET Q",
                                 Font={"/T3": _type3_font}), {"B3"}),
    "transparency group": (_transparency_group, {"C2"}),
    "undefined font": (with_content(b"q 0.5 g BT /F99 10 Tf 150 400 Td (a) Tj ET Q"), {"A5", "F1"}),
    "transfer function": (with_content(b"q /TR0 gs Q", ExtGState={"/TR0": _transfer_function}), {"A5"}),
}


@pytest.mark.parametrize("name", PATCHED)
def test_patched_fault_is_caught(check, name):
    patch, rules = PATCHED[name]
    expected = rules if shutil.which("gs") else rules - {"F1"}
    assert failing(check(patched(press_sample(), patch))) == expected


def test_fonts_embedded_whole_are_a_warning(check):
    report = check(patched(press_sample(), _rename_font(lambda n: n.split("+")[-1])))
    assert report.ok and failing(report, "warning") == {"B4"}


def test_other_output_condition_is_a_warning(check):
    profile = get_profile("press").with_output_condition("JC200103")
    from briefing.post import finalize

    pdf = finalize(sample_pdf(), profile, title="t", author="a", subject="s",
                   date=__import__("test_marks").DATE)
    report = check(pdf)
    assert report.ok and failing(report, "warning") == {"A2"}


def test_unfinished_file_lacks_pdfx_structure(check):
    report = check(sample_pdf())
    assert failing(report) == {"A2", "A3"}
    messages = " ".join(f.message for f in report.findings)
    assert "GTS_PDFXVersion" in messages and "title" in messages


def test_office_needs_trim_equal_to_media(check):
    report = check(finished(sample_pdf("press"), "office"), "office")
    assert failing(report) == {"D1"}


@needs("qpdf")
def test_damaged_cross_reference(check):
    good = press_sample()
    damaged = good[:good.rindex(b"startxref")] + b"startxref\n123\n%%EOF\n"
    report = check(damaged)
    assert "A5" in failing(report, "warning")


def test_transparent_image_mask(check):
    def smask(c: Canvas, g: PageGeometry) -> None:
        rgba = Image.new("RGBA", (300, 300), (0, 0, 0, 0))
        c.drawImage(ImageReader(rgba), g.trim[0] + 20 * mm, g.trim[1] + 20 * mm, 72, 72, mask="auto")
    assert failing(check(drawn(smask))) >= {"C2"}


# ---------------------------------------------------------------- without the external tools

def test_missing_tools_are_reported_as_not_checked(check, monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    report = check(press_sample())
    assert report.ok
    notes = {f.rule_id for f in report.findings if f.severity == "info"}
    assert notes == {"A5", "B1", "C4", "F1"}
    assert all("not installed" in f.message for f in report.findings)


# ---------------------------------------------------------------- report and command line

def test_report_json_and_text(check):
    report = check(drawn(_rgb_fill))
    data = json.loads(report.to_json())
    assert data["ok"] is False and data["counts"]["error"] == 1
    assert data["findings"][0]["rule_id"] == "C1" and data["findings"][0]["page"] == 1
    text = report.format_text()
    assert "C1 colour spaces p1" in text and text.endswith("FAILS: 1 errors, 0 warnings, 0 notes")


def test_main_check_exit_codes(tmp_path: Path, capsys):
    good, bad = tmp_path / "good.pdf", tmp_path / "bad.pdf"
    good.write_bytes(press_sample())
    bad.write_bytes(drawn(_rgb_fill))
    assert main_check([str(good)]) == 0
    assert main_check([str(bad), "--profile", "press"]) == 5
    capsys.readouterr()
    assert main_check([str(bad), "--json"]) == 5
    assert json.loads(capsys.readouterr().out)["findings"][0]["rule_id"] == "C1"
    office = tmp_path / "office.pdf"
    office.write_bytes(drawn(_rgb_fill, "office"))
    assert main_check([str(office), "--profile", "office"]) == 0
    assert main_check([str(good), "--profile", "poster"]) == 2
    assert "press, newsprint, office, screen" in capsys.readouterr().err
    assert main_check([str(tmp_path / "missing.pdf")]) == 2
    (tmp_path / "not.pdf").write_bytes(zlib.compress(b"not a pdf"))
    assert main_check([str(tmp_path / "not.pdf")]) == 2


def test_unknown_profile_lists_known_names():
    with pytest.raises(InputError) as err:
        get_profile("poster")
    assert "press, newsprint, office, screen" in str(err.value)
