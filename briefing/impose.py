"""Imposition: pages placed on other sheets.

* ``spread``: two pages side by side on one sheet (a 跨版 centre spread). Each half keeps its
  trim position and its bleed on the three outer sides; at the fold the halves meet at their
  trim. The sheet gets its own TrimBox and BleedBox and, when the pages had a slug, crop marks,
  fold marks and a slug line.
* ``tile``: a page too large for an office printer (a 对开 newspaper page) cut into A4/A3 tiles
  at full size, with overlap, alignment marks and a label on each tile, all inside the office
  printer's safe margin.

The sheets are drawn with ReportLab (marks, labels) and the pages merged onto them with pypdf,
clipped to the part each sheet shows. Each sheet gets only the content that shows through its
clip: whatever the clip hides in full (objects, glyphs of a line cut by a tile's edge) is left
out, so a tile does not send the whole page to the printer, nor give search and text extraction
the whole page's text on every tile.
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from pypdf import PageObject, PdfReader, Transformation
from pypdf.generic import (ArrayObject, ByteStringObject, ContentStream, DictionaryObject,
                           FloatObject, NameObject, RectangleObject, StreamObject)
from reportlab.pdfgen.canvas import Canvas

from briefing.errors import InputError
from briefing.fonts import FontBook, pdf_font_name
from briefing.marks import CROP_LENGTH, GAP, draw_marks
from briefing.post import compact, merge_onto, pdf_writer, to_bytes
from briefing.preflight import Ink, ink_by_operation
from briefing.profiles import PAGE_SIZES_MM, PT_PER_MM, Box, Marks, get_profile

OFFICE_SAFE = get_profile("office").safe_pt
MARK_BAND = 5.0 * PT_PER_MM     # tile marks and label sit between the safe margin and the content
TICK = 4.0 * PT_PER_MM
TILE_MARK_WIDTH_PT = 0.25
LABEL_FONT = "sans"
LABEL_SIZE = 7.0
LABEL_INDENT = 2.0 * PT_PER_MM  # clear of the corner mark or the overlap tick

DrawSheet = Callable[[Canvas, int], None]
Operation = tuple[list, bytes]

PATH_OPS = {b"m", b"l", b"c", b"v", b"y", b"h", b"re", b"W", b"W*"}
PAINT_OPS = {b"S", b"s", b"f", b"F", b"f*", b"B", b"B*", b"b", b"b*", b"n"}
SHOW_OPS = {b"Tj", b"TJ", b"'", b'"'}
DRAW_OPS = {b"Do", b"sh", b"INLINE IMAGE"}
NESTING = {b"BT": 1, b"ET": -1, b"BMC": 1, b"BDC": 1, b"EMC": -1}
TEXT_OPS = SHOW_OPS | {b"Td", b"TD", b"Tm", b"T*"}   # they move the text matrix, which Q keeps


@dataclass(frozen=True)
class _Page:
    """A source page's boxes, as (x0, y0, x1, y1) tuples."""

    page: PageObject
    media: Box
    bleed: Box
    trim: Box

    @classmethod
    def of(cls, page: PageObject) -> _Page:
        return cls(page, _box(page.mediabox), _box(page.bleedbox), _box(page.trimbox))

    @property
    def size(self) -> tuple[float, float]:
        return self.trim[2] - self.trim[0], self.trim[3] - self.trim[1]


# ---------------------------------------------------------------- spreads

def spread(pdf_bytes: bytes, pairs: Sequence[tuple[int, int]]) -> bytes:
    """One sheet per (left, right) pair of page indexes, the right page's trim continuing the
    left one's at the fold."""
    if not pairs:
        raise InputError("a spread needs at least one pair of pages", hint="the document has fewer than two")
    pages = PdfReader(io.BytesIO(pdf_bytes)).pages
    sides = [(_Page.of(pages[left]), _Page.of(pages[right])) for left, right in pairs]
    first = sides[0][0]
    width, height = first.size
    for left, right in sides:
        if not (_same_size(left.size, first.size) and _same_size(right.size, first.size)):
            raise InputError("pages of a spread must all have the same trim size",
                             hint=f"found {_mm(left.size)} and {_mm(right.size)} mm")
    bleed = first.trim[0] - first.bleed[0]
    offset = first.trim[0] - first.media[0]
    trim = (offset, offset, offset + 2 * width, offset + height)
    fold = offset + width
    with_marks = offset - bleed >= GAP + CROP_LENGTH

    def decorate(canvas: Canvas, index: int) -> None:
        canvas.setTrimBox(trim)
        canvas.setBleedBox(_grow(trim, bleed))
        if with_marks:
            left, right = pairs[index]
            draw_marks(canvas, trim, bleed, Marks(crop=True, slug_line=True),
                       slug_text=f"第{left + 1}–{right + 1}页 跨版", folds=(fold,))

    media = (2 * width + 2 * offset, height + 2 * offset)
    writer = pdf_writer(_sheets([media] * len(sides), decorate))
    for sheet, (left, right) in zip(writer.pages, sides):
        _place(sheet, left, (left.bleed[0], left.bleed[1], left.trim[2], left.bleed[3]),
               fold - left.trim[2], offset - left.trim[1])
        _place(sheet, right, (right.trim[0], right.bleed[1], right.bleed[2], right.bleed[3]),
               fold - right.trim[0], offset - right.trim[1])
    compact(writer)
    return to_bytes(writer)


# ---------------------------------------------------------------- tiles

@dataclass(frozen=True)
class _Grid:
    """How one page is cut into tiles of a sheet."""

    sheet: tuple[float, float]
    margin: float
    overlap: float
    rows: int
    cols: int

    @property
    def content(self) -> tuple[float, float]:
        return self.sheet[0] - 2 * self.margin, self.sheet[1] - 2 * self.margin

    def source_rect(self, trim: Box, row: int, col: int) -> Box:
        """The part of the page's trim that tile (row, col) shows; row 0 is the top."""
        cw, ch = self.content
        x0 = trim[0] + col * (cw - self.overlap)
        y1 = trim[3] - row * (ch - self.overlap)
        return x0, max(trim[1], y1 - ch), min(trim[2], x0 + cw), y1


def tile(pdf_bytes: bytes, sheet: str = "A3", overlap_mm: float = 10.0, marks: bool = True) -> bytes:
    """Every page cut into full-size tiles of an office sheet (A4 or A3), row by row from the
    top left, neighbours sharing `overlap_mm` of the page."""
    if sheet not in get_profile("office").sizes:
        raise InputError(f"cannot tile onto {sheet!r}", hint="use A4 or A3")
    pages = [_Page.of(p) for p in PdfReader(io.BytesIO(pdf_bytes)).pages]
    margin = OFFICE_SAFE + (MARK_BAND if marks else 0.0)
    grids = [_grid(p.size, sheet, margin, overlap_mm * PT_PER_MM) for p in pages]
    jobs = [(n, p, g, r, c) for n, (p, g) in enumerate(zip(pages, grids), 1)
            for r in range(g.rows) for c in range(g.cols)]

    def decorate(canvas: Canvas, index: int) -> None:
        number, _, grid, row, col = jobs[index]
        w, h = grid.sheet
        canvas.setTrimBox((0, 0, w, h))
        canvas.setBleedBox((0, 0, w, h))
        if marks:
            _tile_marks(canvas, grid, row, col)
            canvas.setFont(pdf_font_name(LABEL_FONT), LABEL_SIZE)
            left = grid.margin + (grid.overlap if col > 0 else 0.0)   # past the overlap tick
            canvas.drawString(left + LABEL_INDENT, OFFICE_SAFE + 1.0 * PT_PER_MM,
                              f"第{number}页 {row * grid.cols + col + 1}/{grid.rows * grid.cols}"
                              f" (行{row + 1} 列{col + 1})")

    writer = pdf_writer(_sheets([j[2].sheet for j in jobs], decorate))
    for out, (_, page, grid, row, col) in zip(writer.pages, jobs):
        src = grid.source_rect(page.trim, row, col)
        _place(out, page, src, grid.margin - src[0], grid.sheet[1] - grid.margin - src[3])
    compact(writer)
    return to_bytes(writer)


def _grid(size: tuple[float, float], sheet: str, margin: float, overlap: float) -> _Grid:
    """The orientation of the sheet that needs fewer tiles (portrait on a tie)."""
    w, h = (v * PT_PER_MM for v in PAGE_SIZES_MM[sheet])
    options = []
    for sheet_size in ((w, h), (h, w)):
        cw, ch = sheet_size[0] - 2 * margin, sheet_size[1] - 2 * margin
        if not 0 <= overlap < min(cw, ch) / 2:
            raise InputError(f"an overlap of {overlap / PT_PER_MM:.0f} mm does not fit a tile",
                             hint=f"use less than {min(cw, ch) / 2 / PT_PER_MM:.0f} mm")
        rows, cols = _count(size[1], ch, overlap), _count(size[0], cw, overlap)
        options.append(_Grid(sheet_size, margin, overlap, rows, cols))
    return min(options, key=lambda g: g.rows * g.cols)


def _count(length: float, span: float, overlap: float) -> int:
    return 1 if length <= span else math.ceil((length - overlap) / (span - overlap) - 1e-9)


def _tile_marks(canvas: Canvas, grid: _Grid, row: int, col: int) -> None:
    """Corner marks at the content area and ticks at the edges of the overlap strips."""
    m = grid.margin
    x0, y0, x1, y1 = m, m, grid.sheet[0] - m, grid.sheet[1] - m
    canvas.saveState()
    canvas.setLineWidth(TILE_MARK_WIDTH_PT)
    canvas.setStrokeGray(0)
    for x, sx in ((x0, -1), (x1, 1)):
        for y, sy in ((y0, -1), (y1, 1)):
            canvas.line(x + sx * TICK, y, x, y)
            canvas.line(x, y + sy * TICK, x, y)
    ov = grid.overlap
    xs = ([x0 + ov] if col > 0 else []) + ([x1 - ov] if col < grid.cols - 1 else [])
    ys = ([y1 - ov] if row > 0 else []) + ([y0 + ov] if row < grid.rows - 1 else [])
    for x in xs:
        canvas.line(x, y1, x, y1 + TICK)
        canvas.line(x, y0, x, y0 - TICK)
    for y in ys:
        canvas.line(x0, y, x0 - TICK, y)
        canvas.line(x1, y, x1 + TICK, y)
    canvas.restoreState()


# ---------------------------------------------------------------- shared

def _sheets(sizes: Sequence[tuple[float, float]], decorate: DrawSheet) -> bytes:
    """Empty sheets of the given sizes, each decorated (boxes, marks) by `decorate`."""
    FontBook().ttfont(LABEL_FONT)
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=sizes[0], invariant=1, pageCompression=1,
                    initialFontName=pdf_font_name(LABEL_FONT), initialFontSize=LABEL_SIZE)
    for index, size in enumerate(sizes):
        canvas.setPageSize(size)
        decorate(canvas, index)
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def _place(sheet: PageObject, source: _Page, clip: Box, dx: float, dy: float) -> None:
    """Merge the part `clip` of a source page onto the sheet, moved by (dx, dy)."""
    page = _showing(source.page, clip)
    page.cropbox = RectangleObject(clip)
    merge_onto(sheet, page, Transformation().translate(dx, dy))


def _box(rect: RectangleObject) -> Box:
    return float(rect.left), float(rect.bottom), float(rect.right), float(rect.top)


def _grow(box: Box, by: float) -> Box:
    return box[0] - by, box[1] - by, box[2] + by, box[3] + by


def _same_size(a: tuple[float, float], b: tuple[float, float]) -> bool:
    return abs(a[0] - b[0]) < 0.5 and abs(a[1] - b[1]) < 0.5


def _mm(size: tuple[float, float]) -> str:
    return f"{size[0] / PT_PER_MM:.1f}×{size[1] / PT_PER_MM:.1f}"


# ---------------------------------------------------------------- what shows through a clip

def _showing(page: PageObject, clip: Box) -> PageObject:
    """A copy of `page` drawing only what can show inside `clip`, exactly as the page would
    inside it: paths, images and forms wholly outside are left out, a clipping path outside
    becomes an empty clip, and glyphs outside become the TJ adjustment that moves as far, so
    the text matrix (and every glyph still shown) stays where it was. Groups (q … Q) left
    painting nothing go, and so do the fonts and XObjects nothing names any more."""
    content = page.get_contents()
    resources = page.get("/Resources")
    if content is None or resources is None:
        return page
    resources = resources.get_object()
    operations = _idle_groups_removed(_culled(content.operations, ink_by_operation(content, resources, clip)))
    shown = PageObject()
    for key in page:
        if key not in ("/Contents", "/Resources", "/Parent"):
            shown[NameObject(key)] = page.raw_get(key)
    stream = ContentStream(None, None)
    stream.operations = operations
    shown[NameObject("/Contents")] = stream
    shown[NameObject("/Resources")] = _named_resources(resources, operations)
    return shown


def _culled(operations: list[Operation], ink: dict[int, Ink]) -> list[Operation]:
    out: list[Operation] = []
    path: list[Operation] = []                 # the path being built, with its W or W*
    for index, (operands, op) in enumerate(operations):
        if op in PATH_OPS:
            path.append((operands, op))
            continue
        if op in PAINT_OPS:
            if index in ink:
                out += path + [(operands, op)]
            elif any(o in (b"W", b"W*") for _, o in path):
                out += path + [([], b"n")]      # the clip still applies, nothing is painted
            path = []
            continue
        out += path                            # a path some other operator ends: kept as it was
        path = []
        if op in SHOW_OPS:
            out += _shown_text(operands, op, ink.get(index))
        elif op not in DRAW_OPS or index in ink:
            out.append((operands, op))
    return out + path


def _shown_text(operands: list, op: bytes, ink: Ink | None) -> list[Operation]:
    """A text-showing operator with the glyphs that do not show replaced by TJ adjustments."""
    if ink is None or ink.glyphs is None or not ink.hidden:
        return [(operands, op)]
    array, text, shift = ArrayObject(), b"", 0.0
    for piece in ink.glyphs:
        if isinstance(piece, bytes):
            if shift:
                array.append(FloatObject(shift))
            text, shift = text + piece, 0.0
        else:
            if text:
                array.append(ByteStringObject(text))
            text, shift = b"", shift + piece
    if text:
        array.append(ByteStringObject(text))
    if shift:
        array.append(FloatObject(shift))
    moves: list[Operation] = []                # what ' and " do besides showing
    if op == b'"':
        moves = [([operands[0]], b"Tw"), ([operands[1]], b"Tc")]
    if op in (b"'", b'"'):
        moves.append(([], b"T*"))
    return moves + [([array], b"TJ")]


def _idle_groups_removed(operations: list[Operation]) -> list[Operation]:
    """Without the groups (q … Q) that paint nothing and keep to themselves: Q restores the
    graphics state but not the text matrix, so a group that moves it outside a text object
    of its own stays, and so does one opening a text or marked-content object it does not
    close."""
    out: list[Operation] = []
    groups: list[list] = []                   # [index of q in out, paints]
    for operands, op in operations:
        if op == b"q":
            groups.append([len(out), False])
        elif op == b"Q" and groups:
            start, paints = groups.pop()
            if not paints and _closed(out[start + 1:]):
                del out[start:]
                continue
            if groups:
                groups[-1][1] = True            # kept: its parent is kept too
        elif _paints(operands, op):
            for group in groups:
                group[1] = True
        out.append((operands, op))
    return out


def _paints(operands: list, op: bytes) -> bool:
    if op in SHOW_OPS:
        shown = operands[0] if op == b"TJ" else [operands[-1]]
        return any(not isinstance(item, (int, float)) and len(item) for item in shown)
    return op in DRAW_OPS or (op in PAINT_OPS and op != b"n")


def _closed(operations: list[Operation]) -> bool:
    depth = {b"BT": 0, b"BMC": 0}
    for _, op in operations:
        if op in TEXT_OPS and not depth[b"BT"]:
            return False
        if op in NESTING:
            kind = b"BT" if op in (b"BT", b"ET") else b"BMC"
            depth[kind] += NESTING[op]
            if depth[kind] < 0:
                return False
    return not any(depth.values())


def _named_resources(resources: DictionaryObject, operations: list[Operation]) -> DictionaryObject:
    """The resources with only the fonts and XObjects the operations name (all of them when a
    form drawn borrows the page's resources, having none of its own)."""
    own = DictionaryObject({NameObject(k): resources.raw_get(k) for k in resources})
    named = {op: {operands[0] for operands, o in operations if o == op and operands} for op in (b"Tf", b"Do")}
    xobjects = resources.get("/XObject")
    xobjects = xobjects.get_object() if xobjects is not None else DictionaryObject()
    if any(isinstance(x, StreamObject) and x.get("/Subtype") == "/Form" and "/Resources" not in x
           for x in (xobjects[n].get_object() for n in named[b"Do"] if n in xobjects)):
        return own
    for category, op in (("/Font", b"Tf"), ("/XObject", b"Do")):
        entries = resources.get(category)
        if entries is not None:
            entries = entries.get_object()
            own[NameObject(category)] = DictionaryObject(
                {NameObject(n): entries.raw_get(n) for n in entries if n in named[op]})
    return own
