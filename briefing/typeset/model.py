"""The typesetter's inputs and outputs: plain frozen data, no fonts, no canvas.

A paragraph is a sequence of Spans (text plus a font role). `compose` (in compose.py) turns it
into Lines for a given measure; every Glyph has its x offset from the line's left edge, so the
layout engine only adds the line's origin and the drawing only draws.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Protocol


class Align(str, Enum):
    JUSTIFY = "justify"
    LEFT = "left"
    CENTER = "center"
    RIGHT = "right"


class PunctStyle(str, Enum):
    """clreq punctuation styles: GB full-width (default), kaiming (open), banjiao (half-width)."""

    QUANJIAO = "quanjiao"
    KAIMING = "kaiming"
    BANJIAO = "banjiao"


@dataclass(frozen=True)
class Span:
    """A run of text in one font role ("regular", "strong", ...), mapped to a font by the style."""

    text: str
    role: str = "regular"


@dataclass(frozen=True)
class TextStyle:
    """Everything the typesetter needs to know about how a paragraph looks.

    `fonts` maps a Span role to a font key known to the Metrics. Sizes are in points.
    """

    size: float
    fonts: dict[str, str] = field(default_factory=lambda: {"regular": "serif"})
    align: Align = Align.JUSTIFY
    indent_em: float = 0.0            # first-line indent (body text: 2 em, clreq R12)
    punct_style: PunctStyle = PunctStyle.QUANJIAO
    cjk_latin_gap_em: float = 0.25    # clreq R6
    hanging: bool = False             # clreq R9, off by default (mainland practice)
    letter_spacing_em: float = 0.0    # display type tracking
    colour: str = "black"

    def __hash__(self) -> int:  # dict field: hash by value
        return hash((self.size, tuple(sorted(self.fonts.items())), self.align, self.indent_em,
                     self.punct_style, self.cjk_latin_gap_em, self.hanging,
                     self.letter_spacing_em, self.colour))


@dataclass(frozen=True)
class Glyph:
    """One drawn character: x is the pen position (text origin) from the line's left edge."""

    char: str
    font: str
    size: float
    x: float
    advance: float      # the width the glyph occupies on the line after compression (pt)
    role: str = "regular"


@dataclass(frozen=True)
class VGlyph:
    """One glyph of vertical setting (竖排), in a column one em wide. x is the pen position from
    the column's left edge; y the pen position down from the column's top (the baseline of an
    upright glyph, the start of a rotated one's baseline); `top` and `advance` give the stretch
    of the column it occupies. A rotated glyph is turned 90° clockwise about its pen position."""

    char: str
    font: str
    size: float
    x: float
    y: float
    top: float
    advance: float
    rotate: bool = False
    role: str = "regular"


@dataclass(frozen=True)
class Line:
    """One composed line. `start`/`end` index the paragraph's plain text (concatenated spans),
    so a paragraph can be recomposed from any line at a new measure."""

    glyphs: tuple[Glyph, ...]
    width: float          # measure the line was set to
    natural: float        # width before justification
    start: int
    end: int
    first: bool           # first line of the paragraph (carries the indent)
    last: bool            # paragraph-final line (not justified)


class Metrics(Protocol):
    """Font metrics the typesetter reads; implemented by briefing.fonts.FontBook."""

    def advance(self, font: str, char: str) -> float:
        """Advance width of `char` in `font`, in em (1.0 = font size)."""

    def font_for(self, font: str, char: str) -> str:
        """`font`, or the fallback font key that has a glyph for `char`."""
