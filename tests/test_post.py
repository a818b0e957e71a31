"""Post-processing: placing one-page PDFs, finishing for a profile, reproducibility; and the
press sample end to end through the shared checker, qpdf and Ghostscript."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from pypdf import PdfReader, PdfWriter
from pypdf.generic import ArrayObject, DictionaryObject, FloatObject, NameObject
from reportlab.pdfgen.canvas import Canvas
from test_marks import DATE, finished, needs, press_sample, sample_pdf

from briefing.errors import InputError
from briefing.fonts import pdf_font_name
from briefing.post import Placement, finalize, merge_forms, pdf_date
from briefing.preflight import check_pdf, scan_document
from briefing.profiles import get_profile

CHECKER = Path(__file__).resolve().parent.parent.parent / "shared" / "tools" / "pdfcheck" / "pdfcheck.py"


def chart_pdf(width: float = 200.0, height: float = 100.0) -> bytes:
    """A stand-in chart: a one-page PDF with a CMYK frame filling it and a K100 label."""
    buffer = io.BytesIO()
    c = Canvas(buffer, pagesize=(width, height), invariant=1, pageCompression=1,
               initialFontName=pdf_font_name("sans"))
    c.setFillColorCMYK(0, 0.3, 1, 0)
    c.rect(0, 0, width, height, stroke=0, fill=1)
    c.setFillColorCMYK(0, 0, 0, 1)
    c.setFillOverprint(True)
    c.setOverprintMask(1)
    c.setFont(pdf_font_name("sans"), 9)
    c.drawString(10, 10, "图1 产值")
    c.showPage()
    c.save()
    return buffer.getvalue()


# ---------------------------------------------------------------- merge_forms

def test_placed_page_is_fitted_centred_and_clipped():
    base = sample_pdf("office")
    merged = merge_forms(base, [Placement(0, chart_pdf(200, 100), x=100, y=100, width=300, height=300)])
    label = [t for t in scan_document(PdfReader(io.BytesIO(merged))).text if "Sans" in t.font
             and t.box[1] < 400]
    # 200x100 scaled by 1.5 into 300x300: 300x150, centred vertically at y 175..325
    assert len(label) == 1
    assert label[0].box[0] == pytest.approx(100 + 10 * 1.5, abs=0.01)
    content = PdfReader(io.BytesIO(merged)).pages[0].get_contents().get_data()
    assert b"1.5 0 0 1.5 100 175 cm" in content.replace(b".0 ", b" ")


def test_merge_is_deterministic_and_shares_repeated_resources():
    base = sample_pdf("press", pages=2)
    chart = chart_pdf()
    placements = [Placement(i, chart, x=80, y=120, width=200, height=100) for i in (0, 1)]
    first, second = merge_forms(base, placements), merge_forms(base, placements)
    assert first == second
    reader = PdfReader(io.BytesIO(first))
    fonts = {id(f.get_object()) for p in reader.pages for f in p["/Resources"]["/Font"].values()}
    names = [f.get_object()["/BaseFont"] for p in reader.pages for f in p["/Resources"]["/Font"].values()]
    assert len(fonts) == len(set(names))     # one font object per font, shared by both pages


def test_each_resource_keeps_one_name_per_page(tmp_path: Path):
    """Two placements of one chart on a page must not leave one font under two names
    (Ghostscript 10 calls that a circular reference)."""
    chart = chart_pdf()
    merged = merge_forms(sample_pdf("press", pages=2),
                         [Placement(i, chart, x, 120, 200, 100) for i in (0, 1) for x in (60, 300)])
    for page in PdfReader(io.BytesIO(merged)).pages:
        fonts = page["/Resources"]["/Font"]
        assert len({fonts.raw_get(n).idnum for n in fonts}) == len(fonts)
    path = tmp_path / "charts.pdf"
    path.write_bytes(finished(merged))
    assert check_pdf(path, "press").ok


def test_placed_pdf_must_have_one_page():
    two = sample_pdf("office", pages=2)
    with pytest.raises(ValueError, match="exactly one page"):
        merge_forms(sample_pdf("office"), [Placement(0, two, 0, 0, 10, 10)])


# ---------------------------------------------------------------- finalize

def test_press_gets_pdfx_1a_structure():
    reader = PdfReader(io.BytesIO(press_sample()))
    assert reader.pdf_header == "%PDF-1.4"
    info = reader.metadata
    assert info["/GTS_PDFXVersion"] == info["/GTS_PDFXConformance"] == "PDF/X-1a:2003"
    assert info["/Trapped"] == NameObject("/False") and isinstance(info["/Trapped"], NameObject)
    assert info["/Title"] == "吉林经济简报" and info["/CreationDate"] == "D:20230110083000Z"
    assert info["/ModDate"] == info["/CreationDate"]
    intents = reader.root_object["/OutputIntents"]
    assert len(intents) == 1
    intent = intents[0].get_object()
    assert intent["/S"] == "/GTS_PDFX" and intent["/OutputConditionIdentifier"] == "FOGRA39"
    assert intent["/RegistryName"] == "http://www.color.org" and "/DestOutputProfile" not in intent


def test_output_condition_can_be_japan_color():
    profile = get_profile("press").with_output_condition("JC200103")
    pdf = finalize(sample_pdf(), profile, title="t", author="a", subject="s", date=DATE)
    intent = PdfReader(io.BytesIO(pdf)).root_object["/OutputIntents"][0].get_object()
    assert intent["/OutputConditionIdentifier"] == "JC200103"
    with pytest.raises(InputError, match="FOGRA39"):
        get_profile("press").with_output_condition("FOGRA27")
    with pytest.raises(InputError, match="not PDF/X"):
        get_profile("office").with_output_condition("JC200103")


def test_office_and_screen_are_not_pdfx():
    for name in ("office", "screen"):
        reader = PdfReader(io.BytesIO(finished(sample_pdf(name), name)))
        assert "/OutputIntents" not in reader.root_object
        assert "/GTS_PDFXVersion" not in reader.metadata
        assert reader.metadata["/Trapped"] == "/False"


def test_finalize_is_byte_identical_and_the_id_follows_the_content():
    raw = sample_pdf()
    first, second = finished(raw), finished(raw)
    assert first == second
    other = finished(sample_pdf(pages=2))
    ids = [PdfReader(io.BytesIO(p)).trailer["/ID"] for p in (first, other)]
    assert ids[0][0] == ids[0][1] and ids[0][0] != ids[1][0]
    assert finished(raw, date=DATE + timedelta(days=1)) != first


def _with_link(pdf: bytes, rect: list[float]) -> bytes:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    annot = DictionaryObject({NameObject("/Type"): NameObject("/Annot"),
                              NameObject("/Subtype"): NameObject("/Link"),
                              NameObject("/Rect"): ArrayObject(FloatObject(v) for v in rect)})
    writer.pages[0][NameObject("/Annots")] = ArrayObject([writer._add_object(annot)])
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_press_strips_links_inside_the_bleed_but_office_keeps_them():
    inside = _with_link(sample_pdf(), [100, 100, 200, 120])
    assert "/Annots" not in PdfReader(io.BytesIO(finished(inside))).pages[0]
    in_slug = _with_link(sample_pdf(), [2, 2, 20, 20])
    assert len(PdfReader(io.BytesIO(finished(in_slug))).pages[0]["/Annots"]) == 1
    office = _with_link(sample_pdf("office"), [100, 100, 200, 120])
    assert len(PdfReader(io.BytesIO(finished(office, "office"))).pages[0]["/Annots"]) == 1


def test_screen_writes_a_nested_outline():
    outline = [("要闻", 0, 0), ("经济", 0, 1), ("民生", 1, 1), ("图表", 1, 0)]
    pdf = finished(sample_pdf("screen", pages=2), "screen", outline=outline)
    reader = PdfReader(io.BytesIO(pdf))
    top = reader.outline
    assert [top[0].title, top[2].title] == ["要闻", "图表"]
    assert [child.title for child in top[1]] == ["经济", "民生"]
    assert reader.get_destination_page_number(top[1][1]) == 1
    assert reader.root_object["/PageMode"] == "/UseOutlines"
    press = PdfReader(io.BytesIO(finished(sample_pdf(pages=2), outline=outline)))
    assert not press.outline     # only profiles with an outline get one


def test_outline_levels_must_nest():
    with pytest.raises(ValueError, match="no parent"):
        finished(sample_pdf("screen"), "screen", outline=[("a", 0, 1)])


def test_title_is_required():
    with pytest.raises(InputError, match="no title"):
        finished(sample_pdf(), title="  ")


def test_pdf_dates():
    assert pdf_date(datetime(2023, 1, 10, 8, 30, tzinfo=timezone.utc)) == "D:20230110083000Z"
    east8 = timezone(timedelta(hours=8))
    assert pdf_date(datetime(2023, 1, 10, 16, 30, tzinfo=east8)) == "D:20230110163000+08'00'"
    assert pdf_date(datetime(2023, 1, 10, 3, 0, tzinfo=timezone(-timedelta(hours=3, minutes=30)))) \
        == "D:20230110030000-03'30'"
    assert pdf_date(datetime(2023, 1, 10)) == "D:20230110000000"


# ---------------------------------------------------------------- end to end

@pytest.fixture(scope="module")
def press_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("press") / "press.pdf"
    path.write_bytes(press_sample())
    return path


@pytest.mark.skipif(not CHECKER.exists(), reason="the shared pdfcheck checker is not beside the project")
def test_shared_checker_passes_the_press_sample(press_file: Path):
    done = subprocess.run([sys.executable, str(CHECKER), "print", str(press_file), "--profile", "press"],
                          capture_output=True, text=True)
    report = json.loads(done.stdout)
    assert done.returncode == 0, report["failed"]
    assert all(r["violations"] == 0 for r in report["rules"].values())


@needs("qpdf")
def test_qpdf_finds_no_errors(press_file: Path):
    assert subprocess.run(["qpdf", "--check", str(press_file)], capture_output=True).returncode == 0


@needs("gs")
def test_ghostscript_interprets_without_errors(press_file: Path):
    # not -q: Ghostscript 10 repairs errors, exits 0 and says so only in a summary -q hides
    done = subprocess.run(["gs", "-dBATCH", "-dNOPAUSE", "-sDEVICE=nullpage", "-dPDFSTOPONERROR",
                           "-dPDFSTOPONWARNING", str(press_file)], capture_output=True, text=True)
    assert done.returncode == 0 and "encountered" not in done.stdout + done.stderr


def test_own_preflight_passes_the_press_sample(press_file: Path):
    report = check_pdf(press_file, "press")
    assert report.ok and not [f for f in report.findings if f.severity != "info"], report.format_text()
