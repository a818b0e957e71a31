"""Place blocks on the page grid: content model + layout -> page plans.

Each block becomes a short list of pieces (text to flow line by line, indivisible units of
whole grid rows, gaps). Pieces flow through the text columns of a region, then through the
regions it continues in, and onto new pages where the layout repeats. Everything lands on the
baseline grid because everything is measured in grid rows. What does not fit is a FitError
that names the block, the region and the overflow; nothing is clipped.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

from briefing.blocks import pieces_for
from briefing.errors import FitError, InputError
from briefing.grid import Frame, PageGrid
from briefing.layoutspec import MM, Layout, Style
from briefing.model import (Banner, Block, Briefing, Chart, Heading, Headline, Inline,
                            KeyFigures, KeywordBox, LeadBox, Page, Section)
from briefing.pieces import BoxTag, GapPiece, Piece, Slot, TextPiece, UnitPiece
from briefing.plan import DocumentPlan, Item, PagePlan, Rect, Rule, TextLine
from briefing.typeset import compose
from briefing.typeset.model import Align, Line, Metrics, Span


@dataclass
class _Cursor:
    frames: list[Frame]
    index: int = 0
    rows_used: dict[int, int] = field(default_factory=dict)   # frame index -> next free row
    below_spans: int = 0               # first row under units that span all columns

    @property
    def frame(self) -> Frame:
        return self.frames[self.index]

    @property
    def row(self) -> int:
        return self.rows_used.get(self.index, self.frame.first)

    @row.setter
    def row(self, value: int) -> None:
        self.rows_used[self.index] = value

    @property
    def free(self) -> int:
        return self.frame.last - self.row + 1

    def at_top(self) -> bool:
        return self.row == self.frame.first

    def advance(self) -> bool:
        if self.index + 1 >= len(self.frames):
            return False
        self.index += 1
        return True


class Placer:
    """Places one briefing; holds the typesetter metrics and the layouts it may use."""

    def __init__(self, layouts: dict[str, Layout], metrics: Metrics):
        self.layouts = layouts
        self.metrics = metrics
        self._box_keys = 0

    # ---------------------------------------------------------------- document
    def place(self, briefing: Briefing, *, first_page_left: bool = False) -> DocumentPlan:
        placed: list[tuple[Layout, PagePlan]] = []
        for page in briefing.pages:
            layout = self._layout(page)
            placed += [(layout, plan) for plan in
                       self._place_page(page, layout, len(placed), first_page_left)]
        pages = tuple(replace(plan, items=plan.items + tuple(
            self._furniture(briefing, layout, plan, n, len(placed))))
            for n, (layout, plan) in enumerate(placed))
        return DocumentPlan(pages, briefing.title, briefing.author, briefing.publication)

    def _layout(self, page: Page) -> Layout:
        try:
            return self.layouts[page.layout]
        except KeyError:
            raise InputError(f"unknown layout {page.layout!r}", ref=page.ref,
                             hint=f"known layouts: {', '.join(sorted(self.layouts))}") from None

    def _place_page(self, page: Page, layout: Layout, number: int, first_left: bool) -> list[PagePlan]:
        unknown = set(page.regions) - set(layout.regions)
        if unknown:
            raise InputError(f"page uses regions {sorted(unknown)} that layout {layout.name!r} lacks",
                             ref=page.ref, hint=f"regions of {layout.name!r}: {', '.join(layout.regions)}")
        plans: list[list[Item]] = []
        bookmarks: list[list[tuple[str, int]]] = []
        bottoms: dict[str, int] = {}
        template = layout
        for name in _placement_order(template):
            region = template.regions[name]
            if not page.regions.get(name) and region.after and not region.background:
                bottoms[name] = bottoms.get(region.after, 0)   # an empty region takes no room
                continue
            layout = _anchored(layout, name, bottoms)
            pieces = self._pieces(page.regions.get(name, ()), layout)
            flow = self._flow_regions(layout, name)
            page_index = 0
            while True:
                while len(plans) <= page_index:
                    plans.append([])
                    bookmarks.append([])
                left = first_left == ((number + page_index) % 2 == 0)
                # continuation pages have nothing above: the region starts where the template says
                grid = PageGrid(layout if page_index == 0 else template, left_page=left)
                plans[page_index].extend(self._backgrounds(grid, flow))
                rest, bottom = self._flow(grid, flow, pieces, plans[page_index],
                                          last_page_of_repeat=layout.repeat_region == name)
                bottoms.update((region, bottom) for region in flow)
                bookmarks[page_index].extend(_bookmarks(pieces[:len(pieces) - len(rest)]))
                if not rest:
                    break
                if layout.repeat_region != name:
                    raise self._overflow(grid, flow, rest, page)
                if len(rest) == len(pieces) and not isinstance(rest[0], TextPiece):
                    raise self._overflow(grid, flow, rest, page)
                pieces = rest
                page_index += 1
        return [PagePlan(layout.width, layout.height, tuple(items), page.label, tuple(marks))
                for items, marks in zip(plans, bookmarks)]

    def _flow_regions(self, layout: Layout, start: str) -> list[str]:
        names, seen = [start], {start}
        while (nxt := layout.regions[names[-1]].next) is not None:
            if nxt not in layout.regions or nxt in seen:
                raise InputError(f"layout {layout.name!r}: region {names[-1]!r} continues in "
                                 f"{nxt!r}, which is unknown or already in the flow")
            names.append(nxt)
            seen.add(nxt)
        return names

    def _backgrounds(self, grid: PageGrid, flow: list[str]) -> list[Item]:
        items: list[Item] = []
        for name in flow:
            region = grid.layout.regions[name]
            if region.background:
                x, y, w, h = grid.region_box(region)
                bleed: tuple[str, ...] = ()
                if region.bleed:
                    x, y, w, h, bleed = _to_trim_edges(grid, region, (x, y, w, h))
                items.append(Rect(x, y, w, h, fill=region.background, bleed=bleed))
        return items

    # ---------------------------------------------------------------- flow
    def _flow(self, grid: PageGrid, flow: list[str], pieces: list[Piece], out: list[Item], *,
              last_page_of_repeat: bool = False) -> tuple[list[Piece], int]:
        """Place pieces into the frames of `flow`; return what did not fit and the last row used.

        Balanced regions, and the last page of a repeating region, spread their text evenly
        over the columns (a last page of a long text ends level, not with one full column)."""
        frames = [f for name in flow for f in grid.frames(grid.layout.regions[name])]
        cursor = _Cursor(frames)
        balance = any(grid.layout.regions[n].balance for n in flow)
        if balance or (last_page_of_repeat and not self._run(grid, _Cursor(frames), pieces, [], {})):
            cursor = self._balanced_cursor(grid, frames, pieces)
        boxes: dict[int, dict[int, list[int]]] = {}
        items: list[Item] = []
        rest = self._run(grid, cursor, pieces, items, boxes)
        bottom = max(cursor.rows_used.values(), default=frames[0].first) - 1
        out.extend(self._box_items(grid, frames, pieces, boxes))
        out.extend(items)
        out.extend(self._column_rules(grid, frames, cursor, bottom))
        return rest, bottom

    def _balanced_cursor(self, grid: PageGrid, frames: list[Frame], pieces: list[Piece]) -> _Cursor:
        """Shortest equal column height that takes all pieces (falls back to full height).

        Taller columns never take less, so the height is found by bisection."""
        def capped(height: int) -> list[Frame]:
            return [replace(f, last=min(f.last, f.first + height - 1)) for f in frames]

        def fits(height: int) -> bool:
            return not self._run(grid, _Cursor(capped(height)), pieces, [], {})

        low, high = 1, max(f.rows for f in frames)
        if not fits(high):
            return _Cursor(frames)
        while low < high:
            middle = (low + high) // 2
            if fits(middle):
                high = middle
            else:
                low = middle + 1
        return _Cursor(capped(high))

    def _run(self, grid: PageGrid, cursor: _Cursor, pieces: list[Piece], items: list[Item],
             boxes: dict[int, dict[int, list[int]]]) -> list[Piece]:
        queue = list(pieces)
        started = None
        while queue:
            piece = queue[0]
            if piece.block is not started and not isinstance(piece, GapPiece):
                started = piece.block
                if self._block_goes_to_next_column(grid, cursor, queue):
                    if not cursor.advance():
                        return queue
                    continue
            if isinstance(piece, GapPiece):
                if not cursor.at_top():
                    cursor.row = min(cursor.row + piece.rows, cursor.frame.last + 1)
                queue.pop(0)
                continue
            if isinstance(piece, UnitPiece):
                placed = self._place_unit(grid, cursor, piece, queue[1:], items, boxes)
            else:
                placed = self._place_text(grid, cursor, piece, queue, items, boxes)
            if placed:
                queue.pop(0)
            elif not cursor.advance():
                return queue
        return []

    def _block_goes_to_next_column(self, grid: PageGrid, cursor: _Cursor, queue: list[Piece]) -> bool:
        """In a region that keeps blocks whole, a block that does not fit what is left of the
        column but would fit a fresh one starts the next column."""
        frame = cursor.frame
        if cursor.at_top() or not grid.layout.regions[frame.region].keep_blocks:
            return False
        block = queue[0].block
        own = [p for p in _leading(queue, block) if not isinstance(p, GapPiece)]
        rows = self._rows_of(own, frame.measure)
        # a repeating region goes on to a fresh page, where a column is as tall as it gets
        fits_fresh = rows <= frame.rows or grid.layout.repeat_region == frame.region
        return cursor.free < rows and fits_fresh

    def _place_unit(self, grid: PageGrid, cursor: _Cursor, piece: UnitPiece, following: list[Piece],
                    items: list[Item], boxes: dict[int, dict[int, list[int]]]) -> bool:
        if piece.span and cursor.at_top() and cursor.index == 0:
            return self._place_span(grid, cursor, piece, items)
        frame = cursor.frame
        x, width = self._extent(frame, piece.box)
        rows = piece.rows_for_width(width) if piece.rows_for_width else piece.rows
        if piece.fill:
            rows = self._fill_rows(rows, cursor.free, self._rows_of(following, width))
        need = rows + self._keep_rows(piece.keep_with_next, following)
        if need > cursor.free and not (cursor.at_top() and rows <= cursor.free and need > frame.rows):
            return False
        slot = Slot(grid, frame, cursor.row, rows, x, width)
        items.extend(piece.render(slot))
        self._mark_box(piece.box, cursor, rows, boxes)
        cursor.row += rows
        return True

    def _place_span(self, grid: PageGrid, cursor: _Cursor, piece: UnitPiece, items: list[Item]) -> bool:
        """A unit across every column that starts on the same row as the first."""
        first = cursor.frame
        row_frames = [i for i, f in enumerate(cursor.frames) if f.first == first.first and f.region == first.region]
        last = cursor.frames[row_frames[-1]]
        rows = piece.rows_for_width(last.x + last.width - first.x) if piece.rows_for_width else piece.rows
        if rows > cursor.free:
            return False
        width = last.x + last.width - first.x
        slot = Slot(grid, first, cursor.row, rows, first.x, width)
        items.extend(piece.render(slot))
        start = cursor.row
        for i in row_frames:
            cursor.rows_used[i] = start + rows
        cursor.below_spans = start + rows
        return True

    @staticmethod
    def _fill_rows(natural: int, free: int, after: int) -> int:
        """A filling unit takes the rest of its column; when everything after it fits in the
        column too, it leaves them room, otherwise they start the next column."""
        if natural + after <= free:
            return free - after
        return max(natural, free)

    def _rows_of(self, pieces: list[Piece], width: float) -> int:
        """Grid rows the pieces would take in a column of this width (gaps at the top count too)."""
        rows = 0
        for piece in pieces:
            if isinstance(piece, TextPiece):
                rows += len(self._lines(piece, width))
            elif isinstance(piece, UnitPiece) and piece.rows_for_width:
                rows += piece.rows_for_width(width)
            else:
                rows += piece.rows
        return rows

    @staticmethod
    def _keep_rows(keep: int, following: list[Piece]) -> int:
        if not keep or not following:
            return 0
        nxt = following[0]
        if isinstance(nxt, UnitPiece):
            return min(keep, nxt.rows)
        return keep

    def _place_text(self, grid: PageGrid, cursor: _Cursor, piece: TextPiece, queue: list[Piece],
                    items: list[Item], boxes: dict[int, dict[int, list[int]]]) -> bool:
        frame = cursor.frame
        x, width = self._extent(frame, piece.box)
        lines = self._lines(piece, width)
        fit = _lines_that_fit(len(lines), cursor.free, cursor.at_top())
        if fit == 0:
            return False
        text_style = piece.style
        for n, line in enumerate(lines[:fit]):
            items.append(TextLine(line.glyphs, x, grid.baseline(cursor.row + n), text_style.colour,
                                  body=text_style.size == grid.em))
        self._mark_box(piece.box, cursor, fit, boxes)
        cursor.row += fit
        if fit == len(lines):
            return True
        start = lines[fit].start
        rest = TextPiece(piece.block, _slice_spans(piece.spans, start), piece.style,
                         first_line=False, box=piece.box,
                         composed=(width, _rebase(lines[fit:], start)))
        queue[0] = rest
        return False

    def _lines(self, piece: TextPiece, width: float) -> list[Line]:
        measure = math.floor(width / piece.style.size + 1e-6) * piece.style.size
        if piece.composed and abs(piece.composed[0] - width) < 0.01:
            return piece.composed[1]
        lines = compose(piece.spans, piece.style.text_style(), measure, self.metrics,
                        first_line=piece.first_line)
        piece.composed = (width, lines)
        return lines

    @staticmethod
    def _extent(frame: Frame, box: BoxTag | None) -> tuple[float, float]:
        """x and width for content in a frame: the full measure, boxed or not (a box's padding
        lies outside the measure, in the gutter, so boxed lines keep the column's measure)."""
        return frame.x, frame.measure

    @staticmethod
    def _mark_box(box: BoxTag | None, cursor: _Cursor, rows: int,
                  boxes: dict[int, dict[int, list[int]]]) -> None:
        if box is None:
            return
        rows_in = boxes.setdefault(box.key, {}).setdefault(cursor.index, [])
        rows_in.extend(range(cursor.row, cursor.row + rows))

    def _box_items(self, grid: PageGrid, frames: list[Frame], pieces: list[Piece],
                   boxes: dict[int, dict[int, list[int]]]) -> list[Item]:
        styles = {p.box.key: p.box.style for p in pieces if p.box is not None}
        items: list[Item] = []
        for key, per_frame in boxes.items():
            style = styles[key]
            pad = grid.box_padding(style.padding_em * style.size)
            for index, rows in per_frame.items():
                frame = frames[index]
                top, bottom = grid.cell_top(min(rows)), grid.cell_bottom(max(rows))
                items.append(Rect(frame.x - pad, bottom, frame.measure + 2 * pad, top - bottom,
                                  fill=style.background, stroke=style.border,
                                  stroke_width=style.border_width))
        return items

    def _column_rules(self, grid: PageGrid, frames: list[Frame], cursor: _Cursor,
                      bottom: int) -> list[Item]:
        rules: list[Item] = []
        for i in range(1, len(frames)):
            left, right = frames[i - 1], frames[i]
            region = grid.layout.regions[right.region]
            if left.region != right.region or not region.column_rules or left.first != right.first:
                continue
            if i not in cursor.rows_used and (i - 1) not in cursor.rows_used:
                continue
            top = max(right.first, cursor.below_spans)
            if top > min(bottom, right.last):
                continue                  # nothing but spanning units here: no gutter to rule
            x = (left.x + left.width + right.x) / 2
            rules.append(Rule(x, grid.cell_bottom(min(bottom, right.last)), x, grid.cell_top(top),
                              colour="gray60", width=0.3))
        return rules

    # ---------------------------------------------------------------- overflow
    def _overflow(self, grid: PageGrid, flow: list[str], rest: list[Piece], page: Page) -> FitError:
        frame = grid.frames(grid.layout.regions[flow[-1]])[-1]
        rows = self._rows_of(rest, frame.measure)
        first = next((p.block for p in rest if p.block is not None), None)
        pitch = grid.layout.pitch
        chars = rows * int(frame.measure / grid.em)
        name = _block_name(first)
        return FitError(
            f"{name} does not fit region {' → '.join(flow)!r} of layout {grid.layout.name!r} "
            f"(page {page.label or page.layout}): {rows} grid lines ({rows * pitch / MM:.1f} mm) over",
            ref=first.ref if first is not None else page.ref,
            hint=(f"shorten the text by about {chars} characters, " if not isinstance(first, Chart)
                  else "give charts a smaller height:, ")
            + "give the region more rows or columns in the layout, or move blocks to another region")

    # ---------------------------------------------------------------- furniture
    def _furniture(self, briefing: Briefing, layout: Layout, plan: PagePlan, number: int,
                   total: int) -> list[Item]:
        if layout.furniture is None or "furniture" not in layout.styles:
            return []
        grid = PageGrid(layout, left_page=False)
        style = layout.style("furniture")
        fields = {"publication": briefing.publication, "title": briefing.title,
                  "date": _chinese_date(briefing), "label": plan.label,
                  "issue": briefing.issue_label, "folio": str(number + 1), "pages": str(total)}
        furn = layout.furniture
        x0, x1 = layout.margin_inside, layout.width - layout.margin_inside
        pitch = layout.pitch
        lines = {grid.type_top + 0.5 * pitch: ((furn.head_left, Align.LEFT), (furn.head_centre, Align.CENTER),
                                               (furn.head_right, Align.RIGHT)),
                 layout.margin_bottom - 1.5 * pitch: ((furn.foot_left, Align.LEFT),
                                                      (furn.foot_right, Align.RIGHT))}
        head = max(lines)
        items: list[Item] = []
        for base, parts in lines.items():
            texts = [(text.format(**fields).strip(), align) for text, align in parts]
            if not any(text for text, _ in texts):
                continue
            rule_y = base - 0.35 * pitch if base == head else base + 1.1 * style.size
            items.append(Rule(x0, rule_y, x1, rule_y, colour=furn.rule, width=0.6))
            for text, align in texts:
                if text:
                    items.extend(self._display(text, style, x0, x1 - x0, base, align))
        return items

    def _display(self, text: str, style: Style, x: float, width: float, baseline: float,
                 align: Align | None = None) -> list[Item]:
        lines = compose((Span(text),), style.text_style(align or style.align), width, self.metrics)
        return [TextLine(line.glyphs, x, baseline - n * style.size * 1.2, style.colour)
                for n, line in enumerate(lines)]

    # ---------------------------------------------------------------- blocks -> pieces
    def _pieces(self, blocks: tuple[Block, ...], layout: Layout) -> list[Piece]:
        pieces: list[Piece] = []
        for block in blocks:
            pieces.extend(pieces_for(block, layout, self))
        return pieces

    def new_box(self, style: Style) -> BoxTag:
        self._box_keys += 1
        return BoxTag(self._box_keys, style)


def _placement_order(layout: Layout) -> list[str]:
    """Regions in layout order, a region placed `after` another coming once its anchor is placed;
    regions that a flow continues into are filled by that flow, not on their own."""
    chained = {r.next for r in layout.regions.values() if r.next}
    pending = [name for name in layout.regions if name not in chained]
    order: list[str] = []
    while pending:
        ready = [n for n in pending if layout.regions[n].after in (None, *order)]
        if not ready:
            raise InputError(f"layout {layout.name!r}: regions {pending} are placed after regions "
                             f"that are unknown or placed after them in turn", ref=None)
        order.extend(ready)
        pending = [n for n in pending if n not in ready]
    return order


def _anchored(layout: Layout, name: str, bottoms: dict[str, int]) -> Layout:
    """The layout with region `name` starting below the last row its anchor region used."""
    region = layout.regions[name]
    if region.after is None:
        return layout
    start = bottoms.get(region.after, 0) + 1 + region.gap
    rows = PageGrid(layout).rows
    if start > rows:
        raise FitError(f"region {name!r} of layout {layout.name!r} has no room: region "
                       f"{region.after!r} above it fills the page to row {start - 1 - region.gap} of {rows}",
                       hint=f"shorten what is in {region.after!r} or give it more columns")
    return replace(layout, regions={**layout.regions, name: replace(region, row_start=start)})


def _leading(queue: list[Piece], block) -> list[Piece]:
    """The pieces at the head of the queue that belong to `block`."""
    out = []
    for piece in queue:
        if piece.block is not block:
            break
        out.append(piece)
    return out


def _lines_that_fit(total: int, free: int, at_top: bool) -> int:
    """How many lines of a paragraph go in this column: never leave its last line alone at the
    top of the next column (clreq widow rule), never start a paragraph with one line at the
    bottom unless the column is fresh."""
    if total <= free:
        return total
    fit = free
    if total - fit == 1 and fit >= 2:
        fit -= 1                      # take one more line over so the final line is not alone
    if fit == 1 and not at_top and total > 2:
        return 0
    return max(fit, 0)


def _slice_spans(spans: Inline, start: int) -> Inline:
    out: list[Span] = []
    pos = 0
    for span in spans:
        end = pos + len(span.text)
        if end > start:
            out.append(Span(span.text[max(0, start - pos):], span.role))
        pos = end
    return tuple(out)


def _rebase(lines: list[Line], start: int) -> list[Line]:
    return [replace(ln, start=ln.start - start, end=ln.end - start) for ln in lines]


def _bookmarks(pieces: list[Piece]) -> list[tuple[str, int]]:
    marks = []
    seen: set[int] = set()
    for piece in pieces:
        block = piece.block
        if block is None or id(block) in seen:
            continue
        seen.add(id(block))
        title = _block_title(block)
        if title:
            marks.append((title, 1 if isinstance(block, (Banner, Headline)) else 2))
    return marks


def _block_title(block: Block) -> str:
    """The title a reader would use for a block (bookmarks, error messages), or ''."""
    if isinstance(block, KeywordBox):
        return f"关键词{block.number} {block.title}".strip()
    if isinstance(block, Section):
        return block.heading
    if isinstance(block, (Banner, Heading)):
        return block.text
    if isinstance(block, (Headline, LeadBox, KeyFigures, Chart)):
        return block.title
    return ""


def _block_name(block: Block | None) -> str:
    if block is None:
        return "content"
    kind = type(block).__name__
    label = block.id or _block_title(block)
    return f"{kind} {label!r}" if label else kind


def _to_trim_edges(grid: PageGrid, region, box: tuple[float, float, float, float]):
    """Extend a region box to the trim on the sides where it meets the type area's edge, and
    name those sides so the drawing carries the fill on into the bleed."""
    lay = grid.layout
    x, y, w, h = box
    sides = []
    if region.col_start == 1:
        w, x = w + x, 0.0
        sides.append("left")
    if region.col_end == lay.columns:
        w = lay.width - x
        sides.append("right")
    if grid.row_index(region.row_start) == 1:
        h = lay.height - y
        sides.append("top")
    return x, y, w, h, tuple(sides)


def _chinese_date(briefing: Briefing) -> str:
    d = briefing.issue_date
    if d is None:
        return ""
    weekday = "一二三四五六日"[d.weekday()]
    return f"{d.year}年{d.month}月{d.day}日 星期{weekday}"
