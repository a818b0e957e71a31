"""Printer's marks in the slug: crop marks, registration targets, a colour bar, fold marks and
a slug line. Pure drawing on a ReportLab canvas; knows nothing about the page's content.

Everything is drawn outside the BleedBox, so it is cut away with the trim and never counted in
the page's ink coverage. Marks are in the registration colour (/Separation /All), which prints
on every plate; the colour bar is process CMYK. The slug line is drawn as glyph outlines from the
sans font: it is not part of the document's text, so it must not turn up in text extraction,
search or a checker's reading of the page.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from fontTools.pens.basePen import BasePen
from fontTools.ttLib import TTFont
from reportlab.lib.colors import CMYKColorSep
from reportlab.pdfgen.canvas import FILL_NON_ZERO, Canvas

from briefing.fonts import FONT_FILES, FontBook
from briefing.profiles import PT_PER_MM, Box, Marks

REGISTRATION = CMYKColorSep(1, 1, 1, 1, spotName="All", alpha=None)
MARK_WIDTH_PT = 0.25
GAP = 1.0 * PT_PER_MM           # between the BleedBox and the nearest mark
CROP_LENGTH = 10.0 * PT_PER_MM
TARGET_RADIUS = 2.5 * PT_PER_MM
TARGET_ARM = 1.0 * PT_PER_MM    # cross hairs reach this far past the circle
BAR_CELL = (5.0 * PT_PER_MM, 4.0 * PT_PER_MM)
CLEARANCE = 3.0 * PT_PER_MM     # between slug items and the crop or registration marks
SLUG_FONT = "sans"
SLUG_SIZE = 6.0
FOLD_DASH = (2.0 * PT_PER_MM, 1.0 * PT_PER_MM)

# Solids, two-colour overprints (200 %) and 50 % tints: what a press operator reads densities from.
COLOUR_BAR: tuple[tuple[float, float, float, float], ...] = (
    (1, 0, 0, 0), (0, 1, 0, 0), (0, 0, 1, 0), (0, 0, 0, 1),
    (1, 1, 0, 0), (1, 0, 1, 0), (0, 1, 1, 0),
    (0.5, 0, 0, 0), (0, 0.5, 0, 0), (0, 0, 0.5, 0), (0, 0, 0, 0.5),
)


def slug_line(file_name: str, page: int, date: datetime) -> str:
    """The usual slug text: which file, which page, when it was made."""
    return f"{file_name}  第{page}页  {date:%Y-%m-%d %H:%M}"


def draw_marks(canvas: Canvas, trim: Box, bleed_pt: float, options: Marks, *,
               slug_text: str = "", folds: Sequence[float] = ()) -> None:
    """Draw the marks `options` asks for around `trim` (points, media coordinates), starting
    GAP outside the bleed. `slug_text` is drawn when options.slug_line is set; `folds` are the
    x positions of vertical folds (spreads), marked in the head and foot slug."""
    offset = bleed_pt + GAP
    canvas.saveState()
    canvas.setStrokeColor(REGISTRATION)
    canvas.setFillColor(REGISTRATION)
    canvas.setLineWidth(MARK_WIDTH_PT)
    canvas.setLineCap(0)
    if options.crop:
        _crop_marks(canvas, trim, offset)
    if options.registration:
        for centre in _target_centres(trim, offset):
            _target(canvas, *centre)
    if options.colour_bar:
        _colour_bar(canvas, trim, offset, _free_span(trim, options.registration, right=True))
    if options.slug_line and slug_text:
        _draw_slug_line(canvas, slug_text, trim, offset,
                   _free_span(trim, options.registration, right=False))
    canvas.setDash(*FOLD_DASH)
    for x in folds:
        _fold_mark(canvas, x, trim, offset)
    canvas.restoreState()


def _crop_marks(canvas: Canvas, trim: Box, offset: float) -> None:
    x0, y0, x1, y1 = trim
    for x, y, sx, sy in ((x0, y0, -1, -1), (x1, y0, 1, -1), (x0, y1, -1, 1), (x1, y1, 1, 1)):
        canvas.line(x + sx * offset, y, x + sx * (offset + CROP_LENGTH), y)
        canvas.line(x, y + sy * offset, x, y + sy * (offset + CROP_LENGTH))


def _target_centres(trim: Box, offset: float) -> list[tuple[float, float]]:
    x0, y0, x1, y1 = trim
    d = offset + TARGET_ARM + TARGET_RADIUS
    mx, my = (x0 + x1) / 2, (y0 + y1) / 2
    return [(mx, y1 + d), (mx, y0 - d), (x0 - d, my), (x1 + d, my)]


def _target(canvas: Canvas, x: float, y: float) -> None:
    arm = TARGET_RADIUS + TARGET_ARM
    canvas.circle(x, y, TARGET_RADIUS, stroke=1, fill=0)
    canvas.circle(x, y, TARGET_RADIUS / 2, stroke=0, fill=1)
    canvas.line(x - arm, y, x + arm, y)
    canvas.line(x, y - arm, x, y + arm)


def _free_span(trim: Box, registration: bool, right: bool) -> tuple[float, float]:
    """The stretch of the head or foot slug between the crop marks and the centre target."""
    x0, _, x1, _ = trim
    middle = (x0 + x1) / 2
    keep_clear = TARGET_RADIUS + TARGET_ARM + CLEARANCE if registration else 0.0
    if right:
        return max(middle + keep_clear, x0 + CLEARANCE), x1 - CLEARANCE
    return x0 + CLEARANCE, (middle - keep_clear) if registration else x1 - CLEARANCE


def _colour_bar(canvas: Canvas, trim: Box, offset: float, span: tuple[float, float]) -> None:
    width = min(BAR_CELL[0], (span[1] - span[0]) / len(COLOUR_BAR))
    y = trim[3] + offset + GAP
    x = span[1] - width * len(COLOUR_BAR)
    for i, cmyk in enumerate(COLOUR_BAR):
        canvas.setFillColorCMYK(*cmyk)
        canvas.rect(x + i * width, y, width, BAR_CELL[1], stroke=0, fill=1)
    canvas.setFillColor(REGISTRATION)


def _fold_mark(canvas: Canvas, x: float, trim: Box, offset: float) -> None:
    canvas.line(x, trim[3] + offset, x, trim[3] + offset + CROP_LENGTH)
    canvas.line(x, trim[1] - offset, x, trim[1] - offset - CROP_LENGTH)


def _draw_slug_line(canvas: Canvas, text: str, trim: Box, offset: float,
                    span: tuple[float, float]) -> None:
    """Left-aligned in `span` of the foot slug, shrunk below SLUG_SIZE only to fit it."""
    runs = _glyph_runs(text)
    natural = sum(_outlines(key).advance(ch) for key, ch in runs)
    size = min(SLUG_SIZE, (span[1] - span[0]) / natural) if natural else SLUG_SIZE
    x, baseline = span[0], trim[1] - offset - GAP - SLUG_SIZE
    path = canvas.beginPath()
    for key, ch in runs:
        font = _outlines(key)
        font.draw(ch, path, x, baseline, size)
        x += font.advance(ch) * size
    canvas.drawPath(path, stroke=0, fill=1, fillMode=FILL_NON_ZERO)


@lru_cache(maxsize=1)
def _font_book() -> FontBook:
    return FontBook()


def _glyph_runs(text: str) -> list[tuple[str, str]]:
    """(font key, character) for each character, with the font book's fallback."""
    book = _font_book()
    return [(book.font_for(SLUG_FONT, ch), book.drawable(SLUG_FONT, ch)) for ch in text]


class _Outlines:
    """Glyph outlines and advances of one font, in units of the font size."""

    def __init__(self, path: str):
        # Read from memory (no file handle left open) and name glyphs by index: deriving names
        # for the ~30,000 glyphs of a Noto SC file costs more than drawing the whole slug.
        font = TTFont(io.BytesIO(Path(path).read_bytes()), lazy=True)
        font.setGlyphOrder([f"glyph{i:05d}" for i in range(font["maxp"].numGlyphs)])
        self.glyphs = font.getGlyphSet()
        self.cmap = font.getBestCmap()
        self.unit = 1.0 / font["head"].unitsPerEm

    def advance(self, ch: str) -> float:
        name = self.cmap.get(ord(ch))
        return self.glyphs[name].width * self.unit if name else 0.0

    def draw(self, ch: str, path: Any, x: float, y: float, size: float) -> None:
        name = self.cmap.get(ord(ch))
        if name:
            self.glyphs[name].draw(_PathPen(self.glyphs, path, x, y, size * self.unit))


@lru_cache(maxsize=None)
def _outlines(key: str) -> _Outlines:
    return _Outlines(str(_font_book().font_dir / FONT_FILES[key]))


class _PathPen(BasePen):
    """Feeds glyph outlines into a ReportLab path, placed at (x, y) and scaled."""

    def __init__(self, glyph_set: Any, path: Any, x: float, y: float, scale: float):
        super().__init__(glyph_set)
        self.path, self.x, self.y, self.scale = path, x, y, scale

    def _pt(self, p: tuple[float, float]) -> tuple[float, float]:
        return self.x + p[0] * self.scale, self.y + p[1] * self.scale

    def _moveTo(self, p: tuple[float, float]) -> None:
        self.path.moveTo(*self._pt(p))

    def _lineTo(self, p: tuple[float, float]) -> None:
        self.path.lineTo(*self._pt(p))

    def _curveToOne(self, p1: tuple[float, float], p2: tuple[float, float],
                    p3: tuple[float, float]) -> None:
        self.path.curveTo(*self._pt(p1), *self._pt(p2), *self._pt(p3))

    def _closePath(self) -> None:
        self.path.close()
