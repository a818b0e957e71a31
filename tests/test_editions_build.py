"""End to end: every edition of the weekly example built through the pipeline and read back
(pages and paper, preflight, large-print type, gray ink, full pages, the issue's weeks)."""

from __future__ import annotations

import math
from datetime import date
from pathlib import Path

import pdfplumber
import pikepdf
import pytest
from pypdf import PdfReader

from briefing.edition import edition_names, resolve_edition
from briefing.grid import PageGrid
from briefing.layoutspec import MM, Layout
from briefing.pipeline import BuildRequest, build
from briefing.preflight import check_pdf
from briefing.sources import load_source

SOURCE = Path(__file__).resolve().parent.parent / "data" / "weekly-economy"
# edition: pages, trim in mm, output profile
EDITIONS: dict[str, tuple[int, tuple[int, int], str]] = {
    "public": (2, (270, 390), "newsprint"),
    "leadership": (1, (210, 297), "office"),
    "large-print": (1, (210, 297), "office"),
    "office-gray": (2, (297, 420), "office"),
}
Colour = tuple[float, ...]


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("weekly")
    return {name: build(BuildRequest(source=SOURCE, edition=name, output=folder / f"{name}.pdf")).output
            for name in EDITIONS}


def page_layouts(edition: str) -> list[Layout]:
    """The layout of each page of an edition, reshaped as the edition reshapes it."""
    loaded = load_source(SOURCE)
    resolved = resolve_edition(loaded.editions, edition, ref=loaded.briefing.ref)
    briefing, layouts = resolved.apply(loaded.briefing, loaded.layouts)
    return [layouts[page.layout] for page in briefing.pages]


def test_the_example_defines_these_editions():
    assert edition_names(load_source(SOURCE).editions) == list(EDITIONS)


@pytest.mark.parametrize("edition", EDITIONS)
def test_pages_and_paper(built, edition):
    pages, (width, height), _ = EDITIONS[edition]
    read = PdfReader(built[edition]).pages
    assert len(read) == pages
    for page in read:
        box = page.trimbox
        assert (round(float(box.width) / MM), round(float(box.height) / MM)) == (width, height)


@pytest.mark.parametrize("edition", EDITIONS)
def test_each_edition_passes_preflight_for_its_profile(built, edition):
    report = check_pdf(built[edition], EDITIONS[edition][2])
    assert report.ok, report.format_text()


def test_large_print_sets_the_body_at_16pt_in_wide_columns(built):
    with pdfplumber.open(built["large-print"]) as pdf:
        chars = pdf.pages[0].chars
    body = [c for c in chars if c["fontname"].endswith("NotoSerifSC-Regular")]
    assert len(body) > 100
    assert min(c["size"] for c in body) >= 16
    # reflowed, not magnified: a full line holds 15 characters of 16 pt (the 12-character
    # columns of the A4 brief magnified 1.6 times would hold 7)
    assert max(len(run) for run in _runs(body)) >= 14
    assert not [c for c in chars if c["text"] == "/"]      # no chart (tick labels like 1/11)


def _runs(chars: list[dict]) -> list[list[dict]]:
    """Characters grouped into runs on one baseline without a gap wider than one em."""
    runs: list[list[dict]] = []
    for char in sorted(chars, key=lambda c: (round(c["bottom"]), c["x0"])):
        last = runs[-1][-1] if runs else None
        if last and round(last["bottom"]) == round(char["bottom"]) and char["x0"] - last["x1"] < char["size"]:
            runs[-1].append(char)
        else:
            runs.append([char])
    return runs


def _colours(obj: dict) -> list[Colour | str]:
    out: list[Colour | str] = []
    for key in ("non_stroking_color", "stroking_color"):
        value = obj.get(key)
        if value is None:
            continue
        out.append(value if isinstance(value, str) else
                   tuple(float(v) for v in (value if isinstance(value, (tuple, list)) else (value,))))
    return out


def _is_gray(colour: Colour) -> bool:
    if len(colour) == 1:
        return True
    if len(colour) == 3:
        return colour[0] == colour[1] == colour[2]
    return len(colour) == 4 and colour[:3] == (0.0, 0.0, 0.0)


_SET_COLOUR = {"g", "G", "rg", "RG", "k", "K", "sc", "SC", "scn", "SCN"}


def _pattern_colours(path: Path) -> list[Colour]:
    """The colours set inside the tiling patterns of a PDF (the charts' hatches)."""
    found: list[Colour] = []
    with pikepdf.open(path) as pdf:
        for obj in pdf.objects:
            if isinstance(obj, pikepdf.Stream) and obj.get("/PatternType") == 1:
                found += [tuple(float(v) for v in operands if not isinstance(v, pikepdf.Name))
                          for operands, operator in pikepdf.parse_content_stream(obj)
                          if str(operator) in _SET_COLOUR]
    return found


def _drawn_colours(path: Path) -> list[Colour | str]:
    """The fill and stroke colours of every character, rectangle, line and curve (a pattern's name
    for patterned fills)."""
    with pdfplumber.open(path) as pdf:
        return [colour for page in pdf.pages for obj in page.chars + page.rects + page.lines + page.curves
                for colour in _colours(obj)]


def test_the_gray_edition_prints_no_colour(built):
    drawn, patterns = _drawn_colours(built["office-gray"]), _pattern_colours(built["office-gray"])
    assert patterns and [c for c in drawn if isinstance(c, str)], "the gray charts hatch the second series"
    assert [c for c in drawn + patterns if not isinstance(c, str) and not _is_gray(c)] == []
    assert [c for c in _drawn_colours(built["public"]) if not isinstance(c, str) and not _is_gray(c)], \
        "the same check finds the colour of the public edition"


def test_gray_charts_label_in_black(built):
    """Tick labels and the direct labels at the line ends (no legend) print in black."""
    with pdfplumber.open(built["office-gray"]) as pdf:
        page = pdf.pages[0]
        ticks = [c for c in page.chars if c["text"] == "/"]          # 1/11 and the like
        ends = page.search(r"(全社会|工业) \d\.\d\d")
    assert [m["text"] for m in ends] == ["全社会 8.67", "工业 5.77"]
    assert ticks and all(_colours(c)[0] == (0.0,) for c in ticks + [c for m in ends for c in m["chars"]])


@pytest.mark.parametrize("edition", EDITIONS)
def test_every_column_runs_to_the_foot_of_the_page(built, edition):
    """The side column and the main column each end at most two grid rows above the foot of
    the type area: charts fill their columns, the main text is set level above its charts."""
    with pdfplumber.open(built[edition]) as pdf:
        for page, layout in zip(pdf.pages, page_layouts(edition), strict=True):
            grid = PageGrid(layout)
            foot = grid.cell_bottom(grid.rows)
            split = grid.column_x(layout.regions["side"].col_end + 1) - grid.gutter / 2
            lowest = {"side": math.inf, "main": math.inf}
            for obj in page.chars + page.rects + page.lines + page.curves:
                y = page.height - obj["bottom"]
                if y > foot - layout.pitch / 2:
                    band = "side" if (obj["x0"] + obj["x1"]) / 2 < split else "main"
                    lowest[band] = min(lowest[band], y)
            empty = {band: int((y - foot) // layout.pitch) for band, y in lowest.items()}
            assert max(empty.values()) <= 2, f"{edition} page {page.page_number}: empty grid rows {empty}"


@pytest.mark.parametrize("issue, label, newest, dropped", [
    (date(2026, 1, 19), "第3期", "1/18", "11/23"),
    (date(2026, 1, 5), "第1期", "1/4", "1/11"),
])
def test_charts_show_the_eight_weeks_up_to_the_issue_date(tmp_path, issue, label, newest, dropped):
    """A scheduled issue is dated by its slot (not by the content's date:) and its charts end
    with the week before it."""
    result = build(BuildRequest(source=SOURCE, edition="leadership", output=tmp_path / "issue.pdf",
                                as_of=issue, issue_label=label))
    with pdfplumber.open(result.output) as pdf:
        words = pdf.pages[0].extract_text().split()
    assert label in words and f"{issue.year}年{issue.month}月{issue.day}日" in "".join(words)
    assert newest in words and dropped not in words
