"""Charts: spec validation, geometry read back from the PDF, print rules, colour rewrite, caching."""

from __future__ import annotations

import io
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pdfplumber
import pikepdf
import pytest

from fontTools.ttLib import TTFont

from briefing.charts import (CHART_KEYS, ChartCache, ChartSpec, ChartStyle, ColourMode, font_subset,
                             render_chart, to_colour_space)
from briefing.colour import ColourSpace
from briefing.data import load_table
from briefing.errors import DataError, FitError, InputError, SourceRef

ROOT = Path(__file__).parent.parent
JILIN = ROOT / "data" / "jilin-2023"
FIXTURES = Path(__file__).parent / "fixtures" / "data"
REF = SourceRef("content/briefing.yaml", 20, 3)

BLOCKS = {
    "bar": ({"kind": "bar", "data": "income-2022.csv", "x": "类别", "y": "人均可支配收入"}, 160, 150),
    "hbar": ({"kind": "hbar", "data": "environment.csv", "x": "指标", "y": ["2022年", "2023年目标"],
              "label": ["{value}", "≥{value}"]}, 260, 120),
    "grouped": ({"kind": "bar", "data": "investment.csv", "x": "项目规模", "y": ["2022年开工", "2023年计划"]}, 240, 150),
    "range": ({"kind": "range", "data": "targets-2023.csv", "x": "指标", "low": "下限", "high": "上限",
               "highlight": "地区生产总值增长"}, 260, 130),
    "kpi": ({"kind": "kpi", "data": "agriculture.csv", "x": "指标", "y": "2023年目标", "previous": "2022年",
             "unit_column": "单位"}, 330, 80),
    "line": ({"kind": "line", "data": "../../tests/fixtures/data/series.csv", "x": "年份", "y": ["甲地", "乙地"]},
             240, 140),
    "donut": ({"kind": "donut", "data": "../../tests/fixtures/data/parts.csv", "x": "规模", "y": "项目数"}, 240, 120),
    "pie": ({"kind": "pie", "data": "../../tests/fixtures/data/parts.csv", "x": "规模", "y": "项目数"}, 240, 120),
    "table": ({"kind": "table", "data": "agriculture.csv"}, 240, 90),
}
CMYK = ChartStyle()
GRAY_MODE = ChartStyle(mode=ColourMode.GRAYSCALE)


def spec_of(mapping: dict) -> ChartSpec:
    return ChartSpec.from_mapping(mapping, REF, JILIN)


def render(name: str, style: ChartStyle = CMYK) -> bytes:
    mapping, width, height = BLOCKS[name]
    spec = spec_of(mapping)
    return render_chart(spec, spec.load_table(), style, width, height)


@pytest.fixture(scope="module")
def charts() -> dict[str, bytes]:
    return {name: render(name) for name in BLOCKS}


def content_streams(pdf: pikepdf.Pdf):
    """Every content stream: pages, Form XObjects and tiling patterns (hatches), with its resources."""
    def walk(resources):
        for group in ("/XObject", "/Pattern"):
            for obj in (resources.get(group) or {}).values():
                if isinstance(obj, pikepdf.Stream) and obj.get("/Subtype") != "/Image":
                    yield obj
                    yield from walk(obj.get("/Resources", pikepdf.Dictionary()))
    for page in pdf.pages:
        yield page
        yield from walk(page.Resources)


def operators(pdf_bytes: bytes) -> list[tuple[str, list]]:
    with pikepdf.open(io.BytesIO(pdf_bytes)) as pdf:
        return [(str(op), [float(o) if isinstance(o, (int, float, Decimal)) else o for o in operands])
                for stream in content_streams(pdf) for operands, op in pikepdf.parse_content_stream(stream)]


# -- spec validation ------------------------------------------------------------------------------

def test_unknown_key_names_the_block_and_the_expected_keys():
    with pytest.raises(InputError) as err:
        spec_of({"kind": "bar", "x": "类别", "y": "值", "colour": "red"})
    assert err.value.ref == REF
    assert "unknown chart key 'colour'" in err.value.message
    assert all(key in err.value.hint for key in CHART_KEYS)


@pytest.mark.parametrize("mapping, message", [
    ({"kind": "bubble"}, "chart kind 'bubble' is not known"),
    ({"kind": "bar", "x": "类别"}, "a bar chart needs `y`"),
    ({"kind": "range", "x": "指标"}, "a range chart needs `low`"),
    ({"kind": "donut", "x": "a", "y": ["b", "c"]}, "a donut chart takes one `y` column, not 2"),
    ({"kind": "bar", "x": "a", "y": ["b", "c"], "label": ["{value}"]}, "`label`: expected a template"),
    ({"kind": "bar", "x": "a", "y": "b", "header_row": 0}, "`header_row`: expected a row number"),
    ({"kind": "bar", "x": "a", "y": "b", "format": {"scale": "千"}}, "`format`: expected scale auto"),
    ({"kind": "kpi", "y": "b", "change": "ratio"}, "`change`: expected one of absolute, percent, none"),
])
def test_invalid_blocks(mapping, message):
    with pytest.raises(InputError) as err:
        spec_of(mapping)
    assert message in err.value.message and err.value.ref == REF


def test_valid_block_resolves_data_relative_to_base_dir():
    spec = spec_of({"kind": "hbar", "data": "environment.csv", "x": "指标", "y": ["2022年", "2023年目标"],
                    "label": ["{value}", "≥{value}"], "rows": "2:3", "format": {"decimals": 1},
                    "title": "生态环境", "source": "资料来源：吉林市政府工作报告"})
    assert spec.data == JILIN / "environment.csv"
    assert spec.y == ("2022年", "2023年目标") and spec.label == ("{value}", "≥{value}")
    assert spec.format.decimals == 1 and spec.rows == "2:3"
    assert spec == spec_of({**BLOCKS["hbar"][0], "rows": "2:3", "format": {"decimals": 1},
                            "title": "生态环境", "source": "资料来源：吉林市政府工作报告"})


# -- data errors through a chart ------------------------------------------------------------------

def test_missing_column_in_chart():
    spec = spec_of({"kind": "bar", "data": "income-2022.csv", "x": "类别", "y": "收入"})
    with pytest.raises(DataError) as err:
        render_chart(spec, spec.load_table(), CMYK, 100, 100)
    assert err.value.ref == REF and "income-2022.csv: no column '收入'" in err.value.message
    assert "'人均可支配收入'" in err.value.hint


def test_non_numeric_cell_in_chart(tmp_path):
    (tmp_path / "d.csv").write_text("年份,产量(万吨)\n2021,12\n2022,约5\n", encoding="utf-8")
    spec = ChartSpec.from_mapping({"kind": "line", "data": "d.csv", "x": "年份", "y": "产量"}, REF, tmp_path)
    with pytest.raises(DataError) as err:
        render_chart(spec, spec.load_table(), CMYK, 100, 100)
    assert err.value.message == f"{tmp_path / 'd.csv'} row 3, column '产量(万吨)': expected a number, found '约5'"


def test_empty_series_in_chart(tmp_path):
    (tmp_path / "d.csv").write_text("类别,值\n甲,…\n乙,\n", encoding="utf-8")
    spec = ChartSpec.from_mapping({"kind": "bar", "data": "d.csv", "x": "类别", "y": "值"}, REF, tmp_path)
    with pytest.raises(DataError, match=r"d.csv, column '值': no values"):
        render_chart(spec, spec.load_table(), CMYK, 100, 100)


def test_no_data_rows_says_what_was_skipped(tmp_path):
    (tmp_path / "d.csv").write_text("类别,值\n\n注：数据暂缺。\n", encoding="utf-8")
    spec = ChartSpec.from_mapping({"kind": "bar", "data": "d.csv", "x": "类别", "y": "值"}, REF, tmp_path)
    with pytest.raises(DataError) as err:
        render_chart(spec, spec.load_table(), CMYK, 100, 100)
    assert "d.csv: no data rows" in err.value.message
    assert err.value.hint == "row 2: blank; row 3: footnote '注：数据暂缺。'"


def test_mismatched_lengths_in_chart_data():
    spec = ChartSpec.from_mapping({"kind": "bar", "data": "uneven.json", "x": "城市", "y": "人口"}, REF, FIXTURES)
    with pytest.raises(DataError, match=r"uneven.json: columns have different lengths"):
        spec.load_table()


def test_negative_part_of_a_pie(tmp_path):
    (tmp_path / "d.csv").write_text("类别,值\n甲,3\n乙,-1\n", encoding="utf-8")
    spec = ChartSpec.from_mapping({"kind": "pie", "data": "d.csv", "x": "类别", "y": "值"}, REF, tmp_path)
    with pytest.raises(DataError, match=r"d.csv row 3, column '值': a pie chart needs parts"):
        render_chart(spec, spec.load_table(), CMYK, 100, 100)


def test_table_too_large_for_its_box_is_a_fit_error():
    spec = spec_of({"kind": "table", "data": "agriculture.csv"})
    with pytest.raises(FitError, match="needs about"):
        render_chart(spec, spec.load_table(), CMYK, 80, 40)


# -- geometry -------------------------------------------------------------------------------------

def bars(pdf_bytes: bytes, min_size: float = 3.0) -> list[dict]:
    with pdfplumber.open(io.BytesIO(pdf_bytes)) as pdf:
        return [r for r in pdf.pages[0].rects if r["width"] > min_size and r["height"] > min_size]


def test_every_chart_is_one_page_of_the_asked_size(charts):
    for name, pdf_bytes in charts.items():
        with pikepdf.open(io.BytesIO(pdf_bytes)) as pdf:
            assert len(pdf.pages) == 1
            assert [float(v) for v in pdf.pages[0].MediaBox] == [0, 0, BLOCKS[name][1], BLOCKS[name][2]], name


def test_bars_in_order_and_in_proportion(charts):
    """This test ensures that bar heights are proportional to the values, left to right in data order."""
    found = sorted(bars(charts["bar"]), key=lambda r: r["x0"])
    assert len(found) == 2
    assert found[0]["height"] / found[1]["height"] == pytest.approx(32977 / 17759, rel=1e-3)
    assert found[0]["bottom"] == pytest.approx(found[1]["bottom"], abs=0.01)      # common baseline
    with pdfplumber.open(io.BytesIO(charts["bar"])) as pdf:
        words = [w["text"] for w in pdf.pages[0].extract_words()]
    assert words == ["32,977元", "17,759元", "城镇常住居民", "农村常住居民"]


def test_grouped_bars_skip_missing_values(charts):
    found = sorted(bars(charts["grouped"], 5), key=lambda r: (r["x0"]))
    heights = [round(r["height"], 2) for r in found if r["top"] > 20]          # legend swatches are on top
    assert len(heights) == 4                                                  # 401, 405, 260, 40 ('…' skipped)
    assert heights[0] / heights[3] == pytest.approx(401 / 40, rel=1e-3)
    assert heights[1] / heights[2] == pytest.approx(405 / 260, rel=1e-3)


def test_hbar_first_category_on_top(charts):
    found = [r for r in bars(charts["hbar"]) if r["x0"] > 60]
    by_top = sorted(found, key=lambda r: r["top"])
    widths = [r["width"] for r in by_top]
    assert widths[0] / widths[2] == pytest.approx(88 / 94.7, rel=1e-3)
    assert widths[1] / widths[3] == pytest.approx(88 / 89.5, rel=1e-3)


def test_range_bar_spans_low_to_high_on_the_track(charts):
    """This test ensures that the 6%—7% target is drawn from 6 to 7 on a track that starts at zero."""
    found = bars(charts["range"], 1.0)
    tracks = sorted((r for r in found if r["width"] > 100), key=lambda r: r["top"])
    span = next(r for r in found if 5 < r["width"] < 100)
    track = tracks[0]
    assert span["x0"] > track["x0"]
    scale = (span["x1"] - span["x0"]) / 1.0                                   # points per percentage point
    assert (span["x0"] - track["x0"]) / scale == pytest.approx(6.0, rel=1e-3)
    assert abs((span["top"] + span["bottom"]) / 2 - (track["top"] + track["bottom"]) / 2) < 0.01


def test_kpi_text(charts):
    with pdfplumber.open(io.BytesIO(charts["kpi"])) as pdf:
        text = pdf.pages[0].extract_text()
    for piece in ("肉牛饲养量", "120", "万头", "▲4万头", "较2022年", "1000", "▲700万只", "100", "亿斤", "▲10亿斤"):
        assert piece in text


def test_table_has_three_rules(charts):
    with pdfplumber.open(io.BytesIO(charts["table"])) as pdf:
        page = pdf.pages[0]
        rules = sorted(round(line["linewidth"], 2) for line in page.lines)
        text = page.extract_text()
    assert rules == [0.5, 1.0, 1.0]
    assert "1000" in text and "万只" in text and "2023年目标" in text


# -- print rules ----------------------------------------------------------------------------------

def test_fonts_are_embedded_truetype_and_nothing_else(charts):
    for name, pdf_bytes in charts.items():
        with pikepdf.open(io.BytesIO(pdf_bytes)) as pdf:
            fonts = list(pdf.pages[0].Resources.Font.values())
            assert fonts, name
            for font in fonts:
                assert font.Subtype == "/Type0", name
                descendant = font.DescendantFonts[0]
                assert descendant.Subtype == "/CIDFontType2"
                assert "/FontFile2" in descendant.FontDescriptor
                assert "NotoS" in str(font.BaseFont)


def embedded_fonts(pdf_bytes: bytes) -> list[tuple[str, TTFont, str]]:
    """(font name, the embedded TrueType program, its ToUnicode CMap) for every font of a chart."""
    found = []
    with pikepdf.open(io.BytesIO(pdf_bytes)) as pdf:
        for font in pdf.pages[0].Resources.Font.values():
            program = font.DescendantFonts[0].FontDescriptor.FontFile2.read_bytes()
            found.append((str(font.BaseFont).split("+")[1], TTFont(io.BytesIO(program)),
                          font.ToUnicode.read_bytes().decode()))
    return found


def test_embedded_fonts_are_small_subsets_with_the_noto_glyphs(charts):
    """This test ensures that the pre-subset fonts keep the Noto outlines and advances of every drawn glyph."""
    for name, program, to_unicode in embedded_fonts(charts["kpi"]):
        assert "beginbfrange" in to_unicode or "beginbfchar" in to_unicode
        assert program["maxp"].numGlyphs < 40
        with TTFont(ROOT / "fonts" / f"{name}.ttf", lazy=True) as original:
            names = original.getBestCmap()
            for code, glyph in program.getBestCmap().items():
                ours, theirs = program["glyf"][glyph], original["glyf"][names[code]]
                assert ours.getCoordinates(program["glyf"])[0] == theirs.getCoordinates(original["glyf"])[0]
                assert program["hmtx"][glyph] == original["hmtx"][names[code]], chr(code)


def test_font_subsets_are_cached_by_font_and_characters(tmp_path, charts):
    mapping, width, height = BLOCKS["bar"]
    spec = spec_of(mapping)
    first = render_chart(spec, spec.load_table(), CMYK, width, height, font_cache=tmp_path)
    made = {path: path.stat().st_mtime_ns for path in tmp_path.glob("*.ttf")}
    assert sorted(path.name.split("-")[0] for path in made) == ["NotoSansSC"] * 2
    again = render_chart(spec, spec.load_table(), GRAY_MODE, width, height, font_cache=tmp_path)
    assert {path: path.stat().st_mtime_ns for path in tmp_path.glob("*.ttf")} == made     # reused
    assert first == charts["bar"] and again != first
    subset = next(iter(made))
    assert font_subset(ROOT / "fonts" / "NotoSansSC-Regular.ttf", "城镇", tmp_path).read_bytes() != subset.read_bytes()


def test_no_images_no_transparency(charts):
    for name, pdf_bytes in charts.items():
        with pikepdf.open(io.BytesIO(pdf_bytes)) as pdf:
            for stream in content_streams(pdf):
                resources = stream.get("/Resources", pikepdf.Dictionary())
                for state in (resources.get("/ExtGState") or {}).values():
                    assert float(state.get("/CA", 1)) == 1 and float(state.get("/ca", 1)) == 1, name
                    assert "/SMask" not in state or state.SMask == "/None", name
                for xobject in (resources.get("/XObject") or {}).values():
                    assert xobject.get("/Subtype") != "/Image", name
            assert "/Group" not in pdf.pages[0]


def test_no_rgb_after_conversion_and_black_is_k_only(charts):
    for name, pdf_bytes in charts.items():
        ops = operators(pdf_bytes)
        assert not [op for op, _ in ops if op in ("rg", "RG", "g", "G")], name
        assert ("k", [0, 0, 0, 1]) in ops, name
        assert not [operands for op, operands in ops if op == "w" and operands[0] == 0], name
    with pdfplumber.open(io.BytesIO(charts["bar"])) as pdf:
        colours = {tuple(c["non_stroking_color"]) for c in pdf.pages[0].chars}
    assert colours == {(0, 0, 0, 1)}


def test_palette_colours_are_exact(charts):
    ops = operators(charts["range"])
    fills = {tuple(operands) for op, operands in ops if op == "k"}
    assert (0, 1, 1, 0) in fills               # red, the highlighted target
    assert (0, 0, 0, 0.4) in fills             # gray40, the other targets
    assert (0, 0, 0, 0.1) in fills             # gray10 track


def test_grayscale_mode_hatches_are_converted_too():
    pdf_bytes = render("grouped", GRAY_MODE)
    with pikepdf.open(io.BytesIO(pdf_bytes)) as pdf:
        patterns = pdf.pages[0].Resources.get("/Pattern")
        assert patterns and len(patterns) >= 1
        pattern_ops = [str(op) for p in patterns.values() for _, op in pikepdf.parse_content_stream(p)]
    assert "K" in pattern_ops and "rg" not in pattern_ops and "RG" not in pattern_ops


@pytest.mark.parametrize("name", ["grouped", "line", "range"])
def test_mono_mode_uses_black_ink_only(name):
    """This test ensures that mono charts print with one ink at full strength: black or paper."""
    inks = {tuple(operands) for op, operands in operators(render(name, ChartStyle(mode=ColourMode.MONO)))
            if op in ("k", "K")}
    assert inks <= {(0, 0, 0, 1), (0, 0, 0, 0)}
    assert (0, 0, 0, 1) in inks


def test_rgb_colour_space_operators_and_forms_are_rewritten():
    """This test ensures that sc/scn after '/DeviceRGB cs' and colours inside Form XObjects become CMYK."""
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(50, 50))
    form = pdf.make_stream(b"0.85 0.11 0.14 RG 0 0 m 5 5 l S",
                           {"/Type": pikepdf.Name.XObject, "/Subtype": pikepdf.Name.Form, "/BBox": [0, 0, 50, 50]})
    page = pdf.pages[0]
    page.Resources = pikepdf.Dictionary({"/XObject": pikepdf.Dictionary({"/Fm0": form})})
    page.Contents = pdf.make_stream(b"/DeviceRGB cs 0.85 0.11 0.14 scn 0 0 10 10 re f 0.5 0.5 0.5 RG /Fm0 Do")
    buffer = io.BytesIO()
    pdf.save(buffer)
    ops = operators(to_colour_space(buffer.getvalue(), CMYK.palette))
    assert ("cs", [pikepdf.Name("/DeviceCMYK")]) in ops
    assert ("scn", [0, 1, 1, 0]) in ops and ("K", [0, 0, 0, 0.5]) in ops and ("K", [0, 1, 1, 0]) in ops
    assert not [op for op, _ in ops if op in ("rg", "RG")]


def test_gray_output_space():
    style = ChartStyle(palette=CMYK.palette.with_space(ColourSpace.GRAY))
    ops = {op for op, _ in operators(render("range", style))}
    assert {"g", "G"} <= ops and not ops & {"rg", "RG", "k", "K"}


def test_gray_output_writes_levels_not_tints():
    """This test ensures that black text is gray level 0 and a 20% tint is level 0.8 in DeviceGray."""
    style = ChartStyle(palette=CMYK.palette.with_space(ColourSpace.GRAY), mode=ColourMode.GRAYSCALE)
    pdf_bytes = render("bar", style)
    with pdfplumber.open(io.BytesIO(pdf_bytes)) as pdf:
        assert {tuple(c["non_stroking_color"]) for c in pdf.pages[0].chars} == {(0,)}
    fills = {tuple(operands) for op, operands in operators(pdf_bytes) if op == "g"}
    assert (0.2,) in fills and (0.8,) not in fills       # the gray80 bar; no inverted gray20


def test_rgb_output_is_left_as_drawn():
    style = ChartStyle(palette=CMYK.palette.with_space(ColourSpace.RGB))
    pdf_bytes = render("bar", style)
    assert to_colour_space(pdf_bytes, style.palette) is pdf_bytes
    assert ("rg", [0.85, 0.11, 0.14]) in operators(pdf_bytes)


def test_colour_outside_the_palette_warns():
    rgb_pdf = render("bar", ChartStyle(palette=CMYK.palette.with_space(ColourSpace.RGB)))
    from briefing.colour import Palette
    with pytest.warns(UserWarning, match="not in the palette"):
        to_colour_space(rgb_pdf, Palette({}, ColourSpace.CMYK))


# -- determinism and equivalence ------------------------------------------------------------------

def test_same_bytes_twice(charts):
    assert render("range") == charts["range"]


def test_messy_export_builds_the_same_chart(charts):
    """This test ensures that the GB18030 export with titles and footnotes draws the clean file's chart."""
    spec = spec_of({"kind": "bar", "data": "income-messy-gbk.csv", "x": "类别", "y": "2022年"})
    assert render_chart(spec, spec.load_table(), CMYK, 160, 150) == charts["bar"]


# -- cache ----------------------------------------------------------------------------------------

def test_cache_key_follows_what_changes_the_chart():
    cache = ChartCache("unused")
    spec = spec_of(BLOCKS["bar"][0])
    table = spec.load_table()
    key = cache.key(spec, table, CMYK, 160, 150)
    moved = ChartSpec.from_mapping(BLOCKS["bar"][0], SourceRef("other.yaml", 99), JILIN)
    assert cache.key(moved, table, CMYK, 160, 150) == key                     # where the block sits: no
    assert cache.key(spec, table, CMYK, 160, 151) != key
    assert cache.key(spec, table, GRAY_MODE, 160, 150) != key
    assert cache.key(spec_of({**BLOCKS["bar"][0], "unit": "元/人"}), table, CMYK, 160, 150) != key
    messy = load_table(JILIN / "income-messy-gbk.csv", columns=["类别", "2022年"])
    assert cache.key(spec, messy, CMYK, 160, 150) != key


def test_cache_hit_does_not_import_matplotlib(tmp_path, charts):
    """This test ensures that a cached chart is served without drawing, in a fresh process."""
    script = f"""
import sys
from decimal import Decimal
from pathlib import Path
from briefing.charts import ChartCache, ChartSpec, ChartStyle
from briefing.errors import SourceRef
spec = ChartSpec.from_mapping({BLOCKS['bar'][0]!r}, SourceRef('b.yaml', 1), Path({str(JILIN)!r}))
pdf = ChartCache({str(tmp_path)!r}).render(spec, spec.load_table(), ChartStyle(), 160, 150)
sys.stdout.buffer.write(pdf)
print('matplotlib' in sys.modules, file=sys.stderr)
"""
    def run() -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-c", script], capture_output=True, cwd=ROOT, check=True)
    cold, warm = run(), run()
    assert cold.stderr.decode().strip() == "True"
    assert warm.stderr.decode().strip() == "False"
    assert cold.stdout == warm.stdout == charts["bar"]
    assert len(list(tmp_path.glob("*.pdf"))) == 1


# -- fitting the box ------------------------------------------------------------------------------

def weekly_csv(folder: Path, weeks: int = 18) -> Path:
    """A weekly series dated by ISO dates, two lines."""
    from datetime import date, timedelta

    rows = [f"{date(2025, 10, 12) + timedelta(weeks=k)},{8 + (k % 5) * 0.13:.2f},{5 + (k % 3) * 0.21:.2f}"
            for k in range(weeks)]
    path = folder / "weekly.csv"
    path.write_text("date,全社会(亿千瓦时),工业(亿千瓦时)\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def em_boxes(pdf_bytes: bytes) -> tuple[list[tuple[str, float, float, float, float]], float, float]:
    """Every character with its em box (x0, x1, top, bottom, from the page top), and the page size."""
    with pdfplumber.open(io.BytesIO(pdf_bytes)) as pdf:
        page = pdf.pages[0]
        height = float(page.height)
        boxes = [(c["text"], c["x0"], c["x1"], height - c["matrix"][5] - 0.88 * c["size"],
                  height - c["matrix"][5] + 0.12 * c["size"]) for c in page.chars]
        return boxes, float(page.width), height


def layout_problems(pdf_bytes: bytes) -> list[str]:
    """Characters outside the page, and characters that overlap other characters."""
    boxes, width, height = em_boxes(pdf_bytes)
    found = [f"{t!r} outside at {x0:.1f},{top:.1f}" for t, x0, x1, top, bottom in boxes
             if x0 < -0.3 or x1 > width + 0.3 or top < -0.3 or bottom > height + 0.3]
    for k, a in enumerate(boxes):
        for b in boxes[k + 1:]:
            if min(a[2], b[2]) - max(a[1], b[1]) > 0.6 and min(a[4], b[4]) - max(a[3], b[3]) > 0.6:
                found.append(f"{a[0]!r} at {a[1]:.1f},{a[3]:.1f} overlaps {b[0]!r} at {b[1]:.1f},{b[3]:.1f}")
    return found


def render_in(name: str, width: float, height: float, style: ChartStyle = CMYK) -> bytes:
    spec = spec_of(BLOCKS[name][0])
    return render_chart(spec, spec.load_table(), style, width, height)


@pytest.mark.parametrize("name, width, height, scale", [
    ("hbar", 157, 600, 1.0), ("grouped", 157, 600, 1.0), ("range", 157, 240, 1.0), ("kpi", 157, 600, 1.0),
    ("donut", 157, 300, 1.0), ("line", 157, 170, 1.0), ("grouped", 260, 220, 1.6), ("kpi", 260, 220, 1.6),
    ("range", 260, 220, 1.6), ("pie", 240, 150, 1.6),
])
def test_every_label_inside_the_box_and_clear_of_the_others(name, width, height, scale):
    pdf_bytes = render_in(name, width, height, ChartStyle(scale=scale))
    assert layout_problems(pdf_bytes) == []


@pytest.mark.parametrize("width, height", [(157, 170), (330, 110), (157, 600)])
def test_long_line_thins_its_date_labels_and_keeps_round_values(tmp_path, width, height):
    """This test ensures that 18 weekly points get short, thinned x labels ending at the last week,
    a few round y values, and no label touching another or the box edge."""
    weekly_csv(tmp_path)
    spec = ChartSpec.from_mapping({"kind": "line", "data": "weekly.csv", "x": "date", "y": ["全社会", "工业"],
                                   "format": {"decimals": 2}}, REF, tmp_path)
    pdf_bytes = render_chart(spec, spec.load_table(), CMYK, width, height)
    assert layout_problems(pdf_bytes) == []
    with pdfplumber.open(io.BytesIO(pdf_bytes)) as pdf:
        words = pdf.pages[0].extract_words()
    axis = max(w["bottom"] for w in words)
    dates = [w["text"] for w in sorted(words, key=lambda w: w["x0"]) if w["bottom"] == axis]
    assert dates[-1] == "2/8" and 2 <= len(dates) < 18
    assert all(d.count("/") == 1 and not d.startswith("20") for d in dates)
    values = sorted({float(w["text"]) for w in words if w["x0"] < 5 and w["text"].replace(".", "").isdigit()})
    steps = {round(b - a, 6) for a, b in zip(values, values[1:])}
    assert 2 <= len(values) <= 5 and len(steps) == 1 and steps.pop() in (0.2, 0.5, 1.0, 2.0)


def test_hbar_in_a_narrow_column_sets_labels_above_bars_of_sensible_thickness():
    pdf_bytes = render_in("hbar", 157, 600)
    found = sorted((r for r in bars(pdf_bytes, 8.0) if r["x0"] < 2), key=lambda r: r["top"])   # not the legend
    assert len(found) == 4
    assert max(r["height"] for r in found) < 2 * CMYK.value_size * 1.2
    assert found[-1]["bottom"] < 300                                # rows hang from the top, not spread
    with pdfplumber.open(io.BytesIO(pdf_bytes)) as pdf:
        lines = pdf.pages[0].extract_text_lines()
    labels = [line for line in lines if line["text"].startswith(("空气", "国考"))]
    assert [round(line["x0"]) for line in labels] == [0, 0]
    for label, pair in zip(labels, (found[:2], found[2:])):
        assert label["bottom"] <= min(r["top"] for r in pair) + 0.5


def test_key_figures_stack_in_a_tall_box_and_sit_in_its_middle():
    pdf_bytes = render_in("kpi", 157, 600)
    with pdfplumber.open(io.BytesIO(pdf_bytes)) as pdf:
        chars = pdf.pages[0].chars
        figures = [w for w in pdf.pages[0].extract_words() if w["text"] in ("120", "1000", "100")]
    assert [round(w["x0"]) for w in figures] == [0, 0, 0]
    assert figures[0]["top"] < figures[1]["top"] < figures[2]["top"]
    middle = (min(c["top"] for c in chars) + max(c["bottom"] for c in chars)) / 2
    assert middle == pytest.approx(300, abs=12)


def test_key_figures_sit_side_by_side_in_a_wide_box(charts):
    with pdfplumber.open(io.BytesIO(charts["kpi"])) as pdf:
        figures = [w for w in pdf.pages[0].extract_words() if w["text"] in ("120", "1000", "100")]
    assert len({round(w["top"]) for w in figures}) == 1
    assert figures[0]["x0"] < figures[1]["x0"] < figures[2]["x0"]


def test_category_labels_wrap_at_natural_points():
    spec = ChartSpec.from_mapping({"kind": "bar", "data": "growth-2022.csv", "x": "指标", "y": "2022年增长"},
                                  REF, JILIN)
    pdf_bytes = render_chart(spec, spec.load_table(), CMYK, 157, 300)
    with pdfplumber.open(io.BytesIO(pdf_bytes)) as pdf:
        words = {w["text"] for w in pdf.pages[0].extract_words()}
    assert {"规模以上", "工业产值", "服务业营业收入", "跨境电商交易额"} <= words


def test_narrow_bars_stay_narrow_and_together():
    pdf_bytes = render_in("bar", 157, 400)
    found = sorted(bars(pdf_bytes), key=lambda r: r["x0"])
    assert max(r["width"] for r in found) <= 3 * CMYK.value_size + 0.01
    assert found[1]["x0"] - found[0]["x1"] < 30
    assert (found[0]["x0"] + found[1]["x1"]) / 2 == pytest.approx(157 / 2, abs=0.5)   # centred across the box


def test_scale_multiplies_type_sizes_and_line_widths():
    plain, large = render_in("line", 240, 140), render_in("line", 240, 140, ChartStyle(scale=1.5))

    def sizes_and_widths(pdf_bytes: bytes) -> tuple[set[float], set[float]]:
        with pdfplumber.open(io.BytesIO(pdf_bytes)) as pdf:
            sizes = {round(c["size"], 2) for c in pdf.pages[0].chars}
        widths = {round(operands[0], 2) for op, operands in operators(pdf_bytes) if op == "w" and operands[0] != 1}
        return sizes, widths

    (plain_sizes, plain_widths), (large_sizes, large_widths) = sizes_and_widths(plain), sizes_and_widths(large)
    assert large_sizes == {round(s * 1.5, 2) for s in plain_sizes}
    assert {round(w * 1.5, 2) for w in plain_widths} <= large_widths


def test_scale_must_be_positive():
    with pytest.raises(InputError, match="scale"):
        ChartStyle(scale=0)
