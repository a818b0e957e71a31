"""Block kinds -> pieces: how each kind of content block is set on the grid.

Every kind names the layout styles it uses; a layout that lacks one is an error naming the
block and the style. Display lines sit centred in bands of whole grid rows, so body text
after them lands on the grid again.
"""

from __future__ import annotations

import math
from typing import Callable, Protocol

from briefing.errors import InputError
from briefing.layoutspec import Layout, Style
from briefing.model import (Banner, Block, Byline, Chart, Heading, Headline, Inline, KeyFigures,
                            KeywordBox, LeadBox, ListBlock, Paragraphs, Section)
from briefing.pieces import BoxTag, GapPiece, Piece, Slot, TextPiece, UnitPiece
from briefing.plan import ChartSlot, Item, Rect, Rule, TextLine, VerticalText
from briefing.typeset import compose, compose_vertical
from briefing.typeset.model import Align, Metrics, Span


class BlockContext(Protocol):
    metrics: Metrics

    def new_box(self, style: Style) -> BoxTag: ...


def pieces_for(block: Block, layout: Layout, ctx: BlockContext) -> list[Piece]:
    builder = _BUILDERS.get(type(block))
    if builder is None:
        raise InputError(f"block kind {type(block).__name__} cannot be placed", ref=block.ref)
    return builder(_Kit(block, layout, ctx))


class _Kit:
    """What a block builder needs: its block, styles with good errors, display-line setting."""

    def __init__(self, block: Block, layout: Layout, ctx: BlockContext):
        self.block, self.layout, self.ctx = block, layout, ctx

    def style(self, name: str) -> Style:
        chosen = self.block.style if self.block.style and name == self.default_style else name
        try:
            return self.layout.style(chosen)
        except KeyError:
            raise InputError(f"layout {self.layout.name!r} has no style {chosen!r}, needed by "
                             f"{type(self.block).__name__}", ref=self.block.ref,
                             hint="add it under styles: in the layout, or name another with style:") from None

    @property
    def default_style(self) -> str:
        return _DEFAULT_STYLE.get(type(self.block), "body")

    def lines(self, spans: Inline, style: Style, width: float, align: Align | None = None):
        return compose(spans, style.text_style(align), width, self.ctx.metrics)

    def rows_of(self, spans: Inline, style: Style, width: float) -> int:
        return len(self.lines(spans, style, width)) * style.rows

    def band(self, slot: Slot, row: int, spans: Inline, style: Style, *, x: float | None = None,
             width: float | None = None, align: Align | None = None,
             rows: int | None = None) -> list[Item]:
        """Set display text in bands of `rows` (default `style.rows`) grid rows from `row`."""
        x = slot.x if x is None else x
        width = slot.width if width is None else width
        rows = rows or style.rows
        items: list[Item] = []
        for n, line in enumerate(self.lines(spans, style, width, align)):
            base = slot.grid.band_baseline(row + n * rows, rows, style.size)
            items.append(TextLine(line.glyphs, x, base, style.colour))
        return items

    def text(self, spans: Inline, style_name: str, box: BoxTag | None = None) -> TextPiece:
        return TextPiece(self.block, spans, self.style(style_name), box=box)

    def gap_after(self, style: Style) -> GapPiece:
        return GapPiece(style.space_after, self.block)


def _plain(text: str) -> Inline:
    return (Span(text),)


# ------------------------------------------------------------------ page-top blocks
def _banner(kit: _Kit) -> list[Piece]:
    block: Banner = kit.block  # type: ignore[assignment]
    style = kit.style("banner")

    def render(slot: Slot) -> list[Item]:
        sub = kit.style("banner-sub") if block.subtitle else None
        title_rows = style.rows - sub.rows if sub and style.rows > sub.rows else style.rows
        items = kit.band(slot, slot.row, _plain(block.text), style, rows=title_rows)
        if (block.companion or block.teaser) and items:
            items += _beside_banner(kit, slot, block, style, items[0].baseline)
        if sub:
            last = slot.row + slot.rows - sub.rows
            items += kit.band(slot, last, _plain(block.subtitle), sub, align=Align.RIGHT)
        if style.rule_below:
            y = slot.bottom + 2
            items.append(Rule(slot.x, y, slot.x + slot.width, y, style.rule_below, style.rule_width))
        return items

    return [UnitPiece(block, style.rows, render, span=True), kit.gap_after(style)]


def _beside_banner(kit: _Kit, slot: Slot, block: Banner, style: Style, baseline: float) -> list[Item]:
    """The companion title and the teaser, on the banner's baseline at its other side
    (teaser outermost), so a spread's super-title reads across in one line."""
    parts = [(text, kit.style(name)) for text, name in
             ((block.companion, "banner-companion"), (block.teaser, "banner-teaser")) if text]
    lines = [(kit.lines(_plain(text), st, slot.width, Align.LEFT)[0], st) for text, st in parts]
    gap = style.size * 0.25
    width = sum(line.natural for line, _ in lines) + gap * (len(lines) - 1)
    x = slot.x + slot.width - width if style.align is not Align.RIGHT else slot.x
    items: list[Item] = []
    for line, st in lines:
        items.append(TextLine(line.glyphs, x, baseline, st.colour))
        x += line.natural + gap
    return items


def _headline(kit: _Kit) -> list[Piece]:
    block: Headline = kit.block  # type: ignore[assignment]
    if block.vertical:
        return _vertical_headline(kit, block)
    parts = [(text, kit.style(name)) for text, name in
             ((block.kicker, "kicker"), (block.title, "headline"), (block.subtitle, "subtitle")) if text]

    def rows_for(width: float) -> int:
        return sum(kit.rows_of(_plain(t), s, width) for t, s in parts)

    def render(slot: Slot) -> list[Item]:
        items: list[Item] = []
        row = slot.row
        for text, style in parts:
            items += kit.band(slot, row, _plain(text), style)
            row += kit.rows_of(_plain(text), style, slot.width)
        title_style = kit.style("headline")
        if title_style.rule_below:
            y = slot.bottom + 1
            items.append(Rule(slot.x, y, slot.x + slot.width, y, title_style.rule_below,
                              title_style.rule_width))
        return items

    last = kit.style("headline")
    return [UnitPiece(block, 0, render, span=True, rows_for_width=rows_for), kit.gap_after(last)]


def _vertical_headline(kit: _Kit, block: Headline) -> list[Piece]:
    """竖排 headline in a column: read right to left, the kicker first (rightmost), then the
    title, then the subtitle; each line top to bottom, centred in the column's width."""
    parts = [(text, kit.style(name)) for text, name in
             ((block.kicker, "kicker"), (block.title, "headline"), (block.subtitle, "subtitle")) if text]
    columns = [(compose_vertical(_plain(text), st.text_style(), kit.ctx.metrics), st) for text, st in parts]
    pitch = kit.layout.pitch
    height = max((max(g.top + g.advance for g in glyphs) for glyphs, _ in columns if glyphs), default=0.0)
    rows = math.ceil(height / pitch) + 1

    def render(slot: Slot) -> list[Item]:
        gap = [st.size * 0.4 for _, st in columns]
        total = sum(st.size for _, st in columns) + sum(gap[1:])
        x = slot.x + (slot.width + total) / 2          # right edge of the first (rightmost) line
        items: list[Item] = []
        for (glyphs, st), space in zip(columns, gap):
            x -= st.size
            items.append(VerticalText(tuple(glyphs), x, slot.top - pitch / 2, st.colour))
            x -= space
        return items

    return [UnitPiece(block, rows, render), kit.gap_after(kit.style("headline"))]


# ------------------------------------------------------------------ running text
def _heading_unit(kit: _Kit, text: str, style: Style, number: str = "", box: BoxTag | None = None,
                  keep: int = 2) -> UnitPiece:
    def render(slot: Slot) -> list[Item]:
        items: list[Item] = []
        x, width = slot.x, slot.width
        if number:
            mark = kit.style("section-number")
            side = style.rows * slot.grid.layout.pitch * 0.7
            top = slot.top - (slot.top - slot.bottom - side) / 2
            items.append(Rect(x, top - side, side, side, fill=mark.background))
            items += kit.band(slot, slot.row, _plain(number), mark, x=x, width=side, align=Align.CENTER)
            x, width = x + side + style.size * 0.5, width - side - style.size * 0.5
        items += kit.band(slot, slot.row, _plain(text), style, x=x, width=width)
        if style.rule_below:
            y = slot.bottom + 1.5
            items.append(Rule(slot.x, y, slot.x + slot.width, y, style.rule_below, style.rule_width))
        return items

    def rows_for(width: float) -> int:
        return max(style.rows, kit.rows_of(_plain(text), style, width - (style.rows * 14 if number else 0)))

    return UnitPiece(kit.block, style.rows, render, keep_with_next=keep, box=box, rows_for_width=rows_for)


def _section(kit: _Kit) -> list[Piece]:
    block: Section = kit.block  # type: ignore[assignment]
    pieces: list[Piece] = []
    if block.heading:
        pieces.append(_heading_unit(kit, block.heading, kit.style("heading"), block.number))
    pieces += [kit.text(p, "body") for p in block.paragraphs]
    return pieces + [kit.gap_after(kit.style("body"))]


def _heading(kit: _Kit) -> list[Piece]:
    block: Heading = kit.block  # type: ignore[assignment]
    style = kit.style(f"h{min(max(block.level, 1), 3)}")
    if block.level == 1:
        def rows_for(width: float) -> int:
            return kit.rows_of(_plain(block.text), style, width)

        def render(slot: Slot) -> list[Item]:
            return kit.band(slot, slot.row, _plain(block.text), style)

        return [UnitPiece(block, style.rows, render, span=True, rows_for_width=rows_for),
                kit.gap_after(style)]
    return [_heading_unit(kit, block.text, style)]


def _paragraphs(kit: _Kit) -> list[Piece]:
    block: Paragraphs = kit.block  # type: ignore[assignment]
    if block.quote:
        box = kit.ctx.new_box(kit.style("quote-box"))
        return [kit.text(p, "quote", box) for p in block.paragraphs] + [kit.gap_after(box.style)]
    return [kit.text(p, "body") for p in block.paragraphs]


def _list(kit: _Kit) -> list[Piece]:
    block: ListBlock = kit.block  # type: ignore[assignment]
    pieces: list[Piece] = []
    for n, item in enumerate(block.items, 1):
        mark = f"{n}. " if block.ordered else "◆ "
        pieces.append(kit.text((Span(mark, "strong"), *item), "list"))
    return pieces + [kit.gap_after(kit.style("list"))]


def _byline(kit: _Kit) -> list[Piece]:
    block: Byline = kit.block  # type: ignore[assignment]
    style = kit.style("byline")

    def render(slot: Slot) -> list[Item]:
        return kit.band(slot, slot.row, _plain(block.text), style)

    def rows_for(width: float) -> int:
        return kit.rows_of(_plain(block.text), style, width)

    return [UnitPiece(block, style.rows, render, rows_for_width=rows_for)]


# ------------------------------------------------------------------ boxes
def _titled_box(kit: _Kit, box_style: str, title_style: str, label: str, title: str,
                paragraphs: tuple[Inline, ...], body_style: str) -> list[Piece]:
    box = kit.ctx.new_box(kit.style(box_style))
    tstyle = kit.style(title_style)

    def render(slot: Slot) -> list[Item]:
        items: list[Item] = []
        if tstyle.background:
            pad = slot.grid.box_padding(box.style.padding_em * box.style.size)
            items.append(Rect(slot.x - pad, slot.bottom, slot.width + 2 * pad, slot.top - slot.bottom,
                              fill=tstyle.background))
        x, width = slot.x, slot.width
        if label:
            lstyle = kit.style("box-label")
            pad = lstyle.size * 0.4
            label_width = kit.lines(_plain(label), lstyle, width, Align.LEFT)[0].natural + 2 * pad
            if lstyle.background:
                height = lstyle.size * 1.6
                middle = (slot.top + slot.bottom) / 2
                items.append(Rect(x, middle - height / 2, label_width, height, fill=lstyle.background))
            items += kit.band(slot, slot.row, _plain(label), lstyle, x=x, width=label_width,
                              align=Align.CENTER)
            x, width = x + label_width + pad, width - label_width - pad
        items += kit.band(slot, slot.row, _plain(title), tstyle, x=x, width=width)
        return items

    pieces: list[Piece] = [UnitPiece(kit.block, tstyle.rows, render, keep_with_next=2, box=box)]
    pieces += [kit.text(p, body_style, box) for p in paragraphs]
    return pieces + [kit.gap_after(box.style)]


def _keyword_box(kit: _Kit) -> list[Piece]:
    block: KeywordBox = kit.block  # type: ignore[assignment]
    label = f"关键词{block.number}" if block.number else "关键词"
    paragraphs = tuple((Span(item.lead, "strong"), *item.text) for item in block.items)
    return _titled_box(kit, "keyword-box", "keyword-title", label, block.title, paragraphs, "box-body")


def _lead_box(kit: _Kit) -> list[Piece]:
    block: LeadBox = kit.block  # type: ignore[assignment]
    return _titled_box(kit, "lead-box", "lead-title", "", block.title, block.paragraphs, "box-body")


def _key_figures(kit: _Kit) -> list[Piece]:
    block: KeyFigures = kit.block  # type: ignore[assignment]
    label_style, value_style, suffix_style = (kit.style(n) for n in
                                              ("figure-label", "figure-value", "figure-suffix"))
    pieces: list[Piece] = []
    if block.title:
        pieces.append(_heading_unit(kit, block.title, kit.style("heading")))
    if block.subtitle:
        pieces.append(_heading_unit(kit, block.subtitle, kit.style("figure-subtitle"), keep=3))
    for item in block.items:
        label = (Span("◆ ", "strong"), Span(item.label))

        def rows_for(width: float, label=label) -> int:
            return kit.rows_of(label, label_style, width) + value_style.rows

        def render(slot: Slot, item=item, label=label) -> list[Item]:
            items = kit.band(slot, slot.row, label, label_style, align=Align.LEFT)
            value_row = slot.row + kit.rows_of(label, label_style, slot.width)
            value = kit.band(slot, value_row, _plain(item.value), value_style, align=Align.LEFT)
            items += value
            if item.suffix and value:
                end = value[-1].x + value[-1].glyphs[-1].x + value[-1].glyphs[-1].advance
                base = value[-1].baseline
                lines = kit.lines(_plain(item.suffix), suffix_style, slot.width, Align.LEFT)
                items.append(TextLine(lines[0].glyphs, end + suffix_style.size * 0.25, base, suffix_style.colour))
            return items

        pieces.append(UnitPiece(block, label_style.rows + value_style.rows, render, rows_for_width=rows_for))
    pieces += [kit.text(p, "list") for p in block.note]
    return pieces + [kit.gap_after(kit.style("body"))]


# ------------------------------------------------------------------ charts
def _chart(kit: _Kit) -> list[Piece]:
    block: Chart = kit.block  # type: ignore[assignment]
    title_style, source_style = kit.style("chart-title"), kit.style("chart-source")
    pitch = kit.layout.pitch

    def plot_rows(width: float) -> int:
        return block.rows or max(4, math.ceil(width * 0.62 / pitch))

    def title_rows(width: float) -> int:
        return kit.rows_of(_plain(block.title), title_style, width) if block.title else 0

    def source_rows(width: float) -> int:
        return kit.rows_of(_plain(block.source), source_style, width) if block.source else 0

    def rows_for(width: float) -> int:
        return title_rows(width) + plot_rows(width) + source_rows(width)

    def render(slot: Slot) -> list[Item]:
        items: list[Item] = []
        row = slot.row
        if block.title:
            items += kit.band(slot, row, _plain(block.title), title_style)
            row += title_rows(slot.width)
        plot = slot.rows - title_rows(slot.width) - source_rows(slot.width)
        top, bottom = slot.grid.cell_top(row), slot.grid.cell_bottom(row + plot - 1)
        items.append(ChartSlot(block, slot.x, bottom, slot.width, top - bottom,
                                style=kit.layout.styles.get("chart-label")))
        if block.source:
            items += kit.band(slot, row + plot, _plain(block.source), source_style)
        return items

    return [UnitPiece(block, 0, render, rows_for_width=rows_for, fill=block.fill),
            kit.gap_after(title_style)]


_BUILDERS: dict[type, Callable[[_Kit], list[Piece]]] = {
    Banner: _banner, Headline: _headline, Section: _section, Heading: _heading,
    Paragraphs: _paragraphs, ListBlock: _list, Byline: _byline, KeywordBox: _keyword_box,
    LeadBox: _lead_box, KeyFigures: _key_figures, Chart: _chart,
}
_DEFAULT_STYLE: dict[type, str] = {
    Banner: "banner", Headline: "headline", Section: "body", Heading: "h2", Paragraphs: "body",
    ListBlock: "list", Byline: "byline", KeywordBox: "keyword-box", LeadBox: "lead-box",
    KeyFigures: "figure-value", Chart: "chart-title",
}
