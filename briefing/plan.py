"""The page plan: positioned things to draw, in points, origin at the trim's lower-left corner.

The layout engine produces it; the drawing stage consumes it. No reportlab types, no content
model beyond an opaque chart reference, so the plan can be dumped and tested as text.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Union

from briefing.typeset.model import Glyph, VGlyph


@dataclass(frozen=True)
class TextLine:
    glyphs: tuple[Glyph, ...]
    x: float
    baseline: float
    colour: str = "black"
    body: bool = False                # body text on the baseline grid

    @property
    def text(self) -> str:
        return "".join(g.char for g in self.glyphs)


@dataclass(frozen=True)
class VerticalText:
    """A column of vertical setting (竖排): glyph positions are from (x, top), y downward."""

    glyphs: tuple[VGlyph, ...]
    x: float
    top: float
    colour: str = "black"

    @property
    def text(self) -> str:
        return "".join(g.char for g in self.glyphs)


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    w: float
    h: float
    fill: str | None = None
    stroke: str | None = None
    stroke_width: float = 0.5
    bleed: tuple[str, ...] = ()       # sides ("left", "right", "top", "bottom") that run into the bleed


@dataclass(frozen=True)
class Rule:
    x0: float
    y0: float
    x1: float
    y1: float
    colour: str = "black"
    width: float = 0.5


@dataclass(frozen=True)
class ChartSlot:
    chart: Any                        # briefing.model.Chart
    x: float
    y: float
    w: float
    h: float
    style: Any = None                 # the layout's chart-label Style, if any


Item = Union[TextLine, VerticalText, Rect, Rule, ChartSlot]


@dataclass(frozen=True)
class PagePlan:
    width: float
    height: float
    items: tuple[Item, ...]
    label: str = ""
    bookmarks: tuple[tuple[str, int], ...] = ()   # (title, level) in reading order

    def text(self) -> str:
        return "\n".join(i.text for i in self.items if isinstance(i, (TextLine, VerticalText)))


@dataclass(frozen=True)
class DocumentPlan:
    pages: tuple[PagePlan, ...]
    title: str
    author: str = ""
    subject: str = ""
    notes: tuple[str, ...] = field(default=())    # what the layout stage wants the user to know

    @property
    def charts(self) -> list[tuple[int, ChartSlot]]:
        return [(n, i) for n, p in enumerate(self.pages) for i in p.items if isinstance(i, ChartSlot)]
