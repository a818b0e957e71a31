"""End to end: real PDFs built through the pipeline and the CLI, read back with pypdf/pdfplumber."""

from __future__ import annotations

import hashlib
import re
import subprocess
import sys
from pathlib import Path

import pdfplumber
import pytest
from pypdf import PdfReader

from briefing.cli import main
from briefing.layoutspec import MM

ROOT = Path(__file__).resolve().parent.parent
CHECKER = ROOT.parent / "shared" / "tools" / "pdfcheck" / "pdfcheck.py"
SEED = ROOT.parent / "shared" / "reference" / "seed-spread.plain.txt"


def page_text(pdf: Path) -> list[str]:
    with pdfplumber.open(pdf) as doc:
        return ["".join(c["text"] for c in page.chars) for page in doc.pages]


def fonts_of(pdf: Path) -> list[dict]:
    found = []
    for page in PdfReader(pdf).pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"] \
                if "/DescendantFonts" in font else font.get("/FontDescriptor")
            found.append({"name": str(font["/BaseFont"]), "subtype": str(font["/Subtype"]),
                          "embedded": descriptor is not None and "/FontFile2" in descriptor.get_object()})
    return found


def test_flagship_is_two_broadsheet_pages(flagship_pdf):
    reader = PdfReader(flagship_pdf)
    assert len(reader.pages) == 2
    for page in reader.pages:
        trim = page.trimbox
        assert round(float(trim.width) / MM) == 390 and round(float(trim.height) / MM) == 540


def test_flagship_text_round_trips(flagship_pdf):
    left, right = (re.sub(r"\s", "", t) for t in page_text(flagship_pdf))
    for text in ("回眸2022", "直面风险挑战", "写在前面", "关键词1", "稳定经济", "安全发展",
                 "工业经济稳中向好；"):
        assert text in left
    for text in ("启航2023", "把握历史机遇", "总体要求", "战略重点", "6%—7%", "统筹发展和安全", "本版撰稿："):
        assert text in right


def test_half_width_punctuation_is_normalised(flagship_pdf):
    text = "".join(page_text(flagship_pdf))
    assert not re.search(r"[\u4e00-\u9fff][,;:(]|[,;:)][\u4e00-\u9fff]", text)
    assert "，" in text and "；" in text


def test_every_font_is_an_embedded_truetype_subset(flagship_pdf):
    fonts = fonts_of(flagship_pdf)
    assert fonts
    assert all(f["embedded"] for f in fonts), fonts
    assert not any("Helvetica" in f["name"] for f in fonts)
    assert all(re.match(r"^/[A-Z]{6}\+", f["name"]) for f in fonts)


def test_spread_puts_facing_pages_on_one_sheet(tmp_path):
    out = tmp_path / "spread.pdf"
    assert main(["build", str(ROOT / "data" / "jilin-2023"), "--spread", "-o", str(out)]) == 0
    reader = PdfReader(out)
    assert len(reader.pages) == 1
    assert round(float(reader.pages[0].trimbox.width) / MM) == 780


def test_digest_paginates_with_running_heads(digest_pdf):
    texts = page_text(digest_pdf)
    assert len(texts) >= 3
    for number, text in enumerate(texts, 1):
        assert "吉林市政府工作报告速览" in text
        assert f"第{number}页/共{len(texts)}页" in re.sub(r"\s", "", text)


def test_build_is_reproducible(tmp_path):
    digests = set()
    for n in range(2):
        out = tmp_path / f"b{n}.pdf"
        assert main(["build", str(ROOT / "data" / "digest" / "notes.md"), "-o", str(out)]) == 0
        digests.add(hashlib.sha256(out.read_bytes()).hexdigest())
    assert len(digests) == 1


def test_bad_yaml_exits_2_with_position_and_keeps_last_good_pdf(tmp_path, capsys):
    out = tmp_path / "out.pdf"
    out.write_bytes(b"%PDF-last-good")
    bad = tmp_path / "briefing.yaml"
    bad.write_text("title: x\npages:\n  - layout: a4-digest\n   regions: {}\n", encoding="utf-8")
    assert main(["build", str(bad), "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert f"{bad}:4:" in err and "Traceback" not in err
    assert out.read_bytes() == b"%PDF-last-good"


def test_overflow_exits_3_and_says_by_how_much(tmp_path, capsys):
    src = tmp_path / "big.yaml"
    body = "长" * 20000
    src.write_text("title: x\npages:\n  - layout: broadsheet\n    regions:\n      lead:\n"
                   f"        - section: {{id: huge, heading: 太长, body: {body}}}\n", encoding="utf-8")
    assert main(["build", str(src), "-o", str(tmp_path / "o.pdf")]) == 3
    err = capsys.readouterr().err
    assert "huge" in err and "mm) over" in err and "hint:" in err


def test_missing_glyph_is_reported_and_never_tofu(tmp_path, capsys):
    src = tmp_path / "g.md"
    src.write_text("# 测试\n\n这里有一个字形缺失的字符\U0001F600在中间。\n", encoding="utf-8")
    out = tmp_path / "g.pdf"
    assert main(["build", str(src), "-o", str(out)]) == 0
    err = capsys.readouterr().err
    assert "U+1F600" in err and "GRINNING FACE" in err
    assert "〓" in "".join(page_text(out))


@pytest.mark.skipif(not CHECKER.exists(), reason="the shared pdfcheck checker is not beside the project")
def test_shared_checker_passes_the_flagship(flagship_pdf):
    result = subprocess.run(
        [sys.executable, str(CHECKER), "all", str(flagship_pdf), "--profile", "office", "--source",
         str(SEED), "--fold-punct", "--fail-on", "R1,R2,R5,B1,T1,T2,T3", "--compact"],
        capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]


def test_press_build_is_reproducible_and_read_by_independent_readers(tmp_path):
    """This test ensures that the same inputs give the same bytes for press, and that qpdf,
    Ghostscript and poppler (where installed) read the file without complaint."""
    import shutil

    outs = [tmp_path / f"press{n}.pdf" for n in range(2)]
    for out in outs:
        assert main(["build", str(ROOT / "data" / "jilin-2023"), "--profile", "press", "-o", str(out)]) == 0
    assert hashlib.sha256(outs[0].read_bytes()).digest() == hashlib.sha256(outs[1].read_bytes()).digest()
    if shutil.which("qpdf"):
        assert subprocess.run(["qpdf", "--check", str(outs[0])], capture_output=True).returncode == 0
    if shutil.which("gs"):
        run = subprocess.run(["gs", "-dBATCH", "-dNOPAUSE", "-sDEVICE=nullpage", "-dPDFSTOPONERROR",
                              str(outs[0])], capture_output=True, text=True)
        assert run.returncode == 0 and "error" not in (run.stdout + run.stderr).lower()
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", str(outs[0]), "-"], capture_output=True, text=True).stdout
        assert "回眸" in text and "启航" in text


def test_preview_shows_the_trimmed_page_or_the_whole_sheet(flagship_pdf, tmp_path):
    from PIL import Image

    from briefing.preview import write_pngs

    trimmed = write_pngs(flagship_pdf, tmp_path / "trim", dpi=20)
    sheet = write_pngs(flagship_pdf, tmp_path / "sheet", dpi=20, sheet=True)
    assert len(trimmed) == len(sheet) == 2
    with Image.open(trimmed[0]) as trim_png, Image.open(sheet[0]) as sheet_png:
        width = trim_png.size[0]
        assert abs(width - 390 / 25.4 * 20) <= 2        # the 390 mm trim at 20 dpi
        assert sheet_png.size[0] > width                 # bleed and slug around it
