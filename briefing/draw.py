"""Draw stage: page plans -> PDF bytes with ReportLab. The only module that draws pages.

Knows geometry, fonts and colours; nothing about content, audiences or editions. The media
box is the trim plus bleed plus a slug for marks; the plan's coordinates are trim coordinates.
Every glyph is placed at the x the typesetter chose (one text matrix per glyph), in embedded
TrueType subsets; no base-14 font is ever referenced.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Callable

from reportlab.lib.rl_accel import fp_str
from reportlab.pdfgen.canvas import Canvas

from briefing.colour import ColourSpace, Palette
from briefing.fonts import FontBook, pdf_font_name
from briefing.plan import ChartSlot, DocumentPlan, PagePlan, Rect, Rule, TextLine, VerticalText

# Called after a page is drawn, with the canvas (origin at the media box corner) and the trim box.
PageDecorator = Callable[[Canvas, tuple[float, float, float, float], int], None]


@dataclass(frozen=True)
class Sheet:
    """How each page is mounted on its media: bleed and slug around the trim, in points."""

    bleed: float = 0.0
    slug: float = 0.0
    overprint_black: bool = False
    min_line: float = 0.0             # thinnest rule the output can print; thinner ones are thickened
    edge: float = 0.0                 # unprintable margin at the trim when there is no bleed

    @property
    def offset(self) -> float:
        return self.bleed + self.slug


def draw_document(plan: DocumentPlan, fonts: FontBook, palette: Palette, sheet: Sheet,
                  decorate: PageDecorator | None = None) -> bytes:
    """Draw every page; chart slots are left empty for the post-processing stage to fill."""
    buffer = io.BytesIO()
    first = plan.pages[0]
    canvas = Canvas(buffer, pagesize=_media(first, sheet), invariant=1, pageCompression=1,
                    initialFontName=pdf_font_name(_registered(fonts, "serif")), initialFontSize=10)
    canvas.setTitle(plan.title)
    canvas.setAuthor(plan.author)
    canvas.setSubject(plan.subject)
    canvas.setCreator("briefing")
    painter = _Painter(canvas, fonts, palette, sheet)
    for number, page in enumerate(plan.pages):
        canvas.setPageSize(_media(page, sheet))
        trim = (sheet.offset, sheet.offset, sheet.offset + page.width, sheet.offset + page.height)
        canvas.setTrimBox(trim)
        canvas.setBleedBox((trim[0] - sheet.bleed, trim[1] - sheet.bleed,
                            trim[2] + sheet.bleed, trim[3] + sheet.bleed))
        painter.page(page)
        if decorate is not None:
            decorate(canvas, trim, number)
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def _media(page: PagePlan, sheet: Sheet) -> tuple[float, float]:
    return page.width + 2 * sheet.offset, page.height + 2 * sheet.offset


def _registered(fonts: FontBook, key: str) -> str:
    """The font key, after making sure ReportLab knows the font (it must before a canvas uses it)."""
    fonts.ttfont(key)
    return key


class _Painter:
    def __init__(self, canvas: Canvas, fonts: FontBook, palette: Palette, sheet: Sheet):
        self.c, self.fonts, self.palette, self.sheet = canvas, fonts, palette, sheet

    def page(self, page: PagePlan) -> None:
        c = self.c
        c.saveState()
        c.translate(self.sheet.offset, self.sheet.offset)
        for item in page.items:
            if isinstance(item, Rect):
                self.rect(item)
            elif isinstance(item, Rule):
                self.rule(item)
            elif isinstance(item, TextLine):
                self.text(item)
            elif isinstance(item, VerticalText):
                self.vertical(item)
            elif not isinstance(item, ChartSlot):
                raise TypeError(f"cannot draw {type(item).__name__}")
        c.restoreState()

    def _fill(self, name: str) -> None:
        self._set_colour(name, stroke=False)

    def _stroke(self, name: str) -> None:
        self._set_colour(name, stroke=True)

    def _set_colour(self, name: str, *, stroke: bool) -> None:
        """Set a palette colour in the output space."""
        values = self.palette.values(name)
        space = self.palette.space
        c = self.c
        if space is ColourSpace.CMYK:
            (c.setStrokeColorCMYK if stroke else c.setFillColorCMYK)(*values)
        elif space is ColourSpace.RGB:
            (c.setStrokeColorRGB if stroke else c.setFillColorRGB)(*values)
        else:
            (c.setStrokeGray if stroke else c.setFillGray)(values[0])

    def rect(self, r: Rect) -> None:
        """A filled or stroked box. Art meant to run off the page runs into the bleed; with no
        bleed (web presses, office printers) it stops where the device can still print."""
        x, y, w, h = r.x, r.y, r.w, r.h
        bleed = self.sheet.bleed if self.sheet.bleed > 0 else -self.sheet.edge
        if "left" in r.bleed:
            x, w = x - bleed, w + bleed
        if "right" in r.bleed:
            w += bleed
        if "bottom" in r.bleed:
            y, h = y - bleed, h + bleed
        if "top" in r.bleed:
            h += bleed
        if r.fill:
            self._fill(r.fill)
        if r.stroke:
            self._stroke(r.stroke)
            self.c.setLineWidth(max(r.stroke_width, self.sheet.min_line))
        self.c.rect(x, y, w, h, stroke=int(bool(r.stroke)), fill=int(bool(r.fill)))

    def rule(self, r: Rule) -> None:
        self._stroke(r.colour)
        self.c.setLineWidth(max(r.width, self.sheet.min_line))
        self.c.line(r.x0, r.y0, r.x1, r.y1)

    def _text_fill(self, colour: str) -> None:
        """Text colour; K100 text overprints with OPM 1 where the sheet asks (press rules)."""
        self._fill(colour)
        if self.sheet.overprint_black and self.palette.get(colour).cmyk == (0, 0, 0, 1):
            self.c.setFillOverprint(True)
            self.c.setOverprintMask(True)

    def vertical(self, column: VerticalText) -> None:
        """Upright glyphs at their pen positions; turned ones rotated 90° clockwise about theirs."""
        c = self.c
        c.saveState()
        self._text_fill(column.colour)
        for glyph in column.glyphs:
            c.saveState()
            c.translate(column.x + glyph.x, column.top - glyph.y)
            if glyph.rotate:
                c.rotate(-90)
            self.fonts.ttfont(glyph.font)
            c.setFont(pdf_font_name(glyph.font), glyph.size)
            c.drawString(0, 0, self.fonts.drawable(glyph.font, glyph.char))
            c.restoreState()
        c.restoreState()

    def text(self, line: TextLine) -> None:
        """One text object per line: the pen is set once, then each glyph is shown with the
        TJ adjustment that puts it where the typesetter placed it (compact and fast to parse)."""
        if not line.glyphs:
            return
        c = self.c
        c.saveState()
        self._text_fill(line.colour)
        first = line.glyphs[0]
        ops = [f"BT 1 0 0 1 {fp_str(line.x + first.x)} {fp_str(line.baseline)} Tm"]
        pen = line.x + first.x
        current: tuple[object, float, int] | None = None
        shown: list[str] = []
        for glyph in line.glyphs:
            font = self.fonts.ttfont(glyph.font)
            char = self.fonts.drawable(glyph.font, glyph.char)
            subset, code = font.splitString(char, c._doc)[0]
            if (font, glyph.size, subset) != current:
                ops.extend(_shown(shown))
                ops.append(f"{font.getSubsetInternalName(subset, c._doc)} {fp_str(glyph.size)} Tf")
                current, shown = (font, glyph.size, subset), []
            gap = line.x + glyph.x - pen
            if abs(gap) > 1e-4:
                shown.append(fp_str(-gap * 1000 / glyph.size))
            shown.append(f"({c._escape(code)})")
            pen = line.x + glyph.x + font.stringWidth(char, glyph.size)
        ops.extend(_shown(shown))
        ops.append("ET")
        c._code.append(" ".join(ops))
        c.restoreState()


def _shown(parts: list[str]) -> list[str]:
    return [f"[{' '.join(parts)}] TJ"] if parts else []
