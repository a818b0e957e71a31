"""The layout engine: grid geometry, flow across columns, keeps, widows and overflow errors."""

from __future__ import annotations

import pytest

from briefing.errors import FitError
from briefing.fonts import FontBook
from briefing.grid import PageGrid
from briefing.layoutspec import MM, Layout, Region, Style
from briefing.model import Briefing, Page, Paragraphs, Section
from briefing.place import Placer
from briefing.plan import TextLine
from briefing.typeset.model import Align, Span

TEXT = "岁月常易，华章日新。在攻坚克难、风兴浪涌的砥砺前行中，在踔厉奋发、铿锵前行的坚定步伐中，我们告别难忘的一年。"


def layout(rows_mm: float = 120, columns: int = 2, region_rows: str = "1-end") -> Layout:
    styles = {
        "body": Style("body", size=10.0, indent_em=2),
        "heading": Style("heading", font="sans-bold", size=14, rows=2, align=Align.LEFT),
        "section-number": Style("section-number", font="sans-bold", size=12, rows=2, background="red"),
    }
    first, _, last = region_rows.partition("-")
    return Layout(name="test", width=150 * MM, height=rows_mm * MM, margin_top=10 * MM,
                  margin_bottom=10 * MM, margin_inside=10 * MM, margin_outside=10 * MM,
                  columns=columns, gutter=4 * MM, pitch=16.0, body_style="body",
                  regions={"body": Region("body", 1, columns, int(first), -1 if last == "end" else int(last))},
                  styles=styles, furniture=None)


def place(blocks, lay: Layout):
    briefing = Briefing(title="t", pages=(Page(layout=lay.name, regions={"body": tuple(blocks)}),))
    return Placer({lay.name: lay}, FontBook()).place(briefing)


def body_lines(plan) -> list[TextLine]:
    return [i for p in plan.pages for i in p.items if isinstance(i, TextLine) and i.body]


def test_columns_are_whole_ems_and_gutters_take_the_rest():
    grid = PageGrid(layout())
    assert grid.column_width / grid.em == pytest.approx(round(grid.column_width / grid.em))
    assert grid.column_x(2) - grid.column_x(1) - grid.column_width == pytest.approx(grid.gutter)
    assert grid.gutter >= 4 * MM - 1e-6


def test_every_body_line_sits_on_the_baseline_grid():
    lay = layout()
    plan = place([Section(heading="写在前面", paragraphs=((Span(TEXT * 3),),) * 3)], lay)
    grid = PageGrid(lay)
    baselines = {round(grid.baseline(r), 3) for r in range(1, grid.rows + 1)}
    lines = body_lines(plan)
    assert len(lines) > 10
    assert all(round(line.baseline, 3) in baselines for line in lines)


def test_text_flows_into_the_next_column():
    lay = layout(rows_mm=80)
    plan = place([Paragraphs(paragraphs=((Span(TEXT * 6),),))], lay)
    xs = sorted({round(line.x, 1) for line in body_lines(plan)})
    assert len(xs) == 2


def test_overflow_names_block_region_and_amount():
    lay = layout(rows_mm=60)
    with pytest.raises(FitError) as err:
        place([Section(id="report", heading="总体要求", paragraphs=((Span(TEXT * 20),),))], lay)
    message = str(err.value)
    assert "report" in message and "'body'" in message
    assert "grid lines" in message and "mm" in message
    assert "shorten the text" in err.value.hint


def test_a_heading_never_ends_a_column():
    """A heading that would sit in the last rows of a column moves to the next column with its text."""
    lay = layout(rows_mm=80)
    grid = PageGrid(lay)
    filler = Paragraphs(paragraphs=((Span(TEXT),),))
    room = grid.rows - len(body_lines(place([filler], lay)))
    # fill the first column so that only two rows stay free, then start a section
    pad = Paragraphs(paragraphs=tuple((Span("短句。"),) for _ in range(room - 2)))
    plan = place([filler, pad, Section(heading="新的一节", paragraphs=((Span(TEXT),),))], lay)
    heading = next(i for i in plan.pages[0].items if isinstance(i, TextLine) and i.text == "新的一节")
    first_col_x = min(line.x for line in body_lines(plan))
    assert heading.x > first_col_x + grid.column_width


def test_no_paragraph_final_line_alone_at_the_top_of_a_column():
    lay = layout(rows_mm=80)
    grid = PageGrid(lay)
    for extra in range(0, 6):
        pad = Paragraphs(paragraphs=tuple((Span("短句。"),) for _ in range(grid.rows - 3 + extra)))
        plan = place([pad, Paragraphs(paragraphs=((Span(TEXT * 2),),))], lay)
        lines = body_lines(plan)
        second_col = [ln for ln in lines if ln.x > lines[0].x + 1]
        if second_col:
            top = max(second_col, key=lambda ln: ln.baseline)
            next_lines = [ln for ln in second_col if ln.baseline < top.baseline]
            # the top line of the column is either a pad line or followed by its own paragraph's lines
            assert top.text == "短句。" or next_lines, f"widow with {extra} extra rows"
