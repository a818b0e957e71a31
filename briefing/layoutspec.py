"""Layout templates as data: paper, margins, column grid, baseline grid, regions, styles.

Loaded from layouts/*.yaml by briefing.load; this module knows nothing about YAML. Lengths
are points. Regions are defined on the grid (grid columns × grid rows), never in coordinates.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from briefing.typeset.model import Align, PunctStyle, TextStyle

MM = 72.0 / 25.4

# Named paper sizes (width × height, mm): Chinese newspaper trims as dailies print them.
PAPER_SIZES_MM: dict[str, tuple[float, float]] = {
    "对开": (390.0, 540.0), "broadsheet": (390.0, 540.0),
    "四开": (270.0, 390.0), "tabloid": (270.0, 390.0),
    "A3": (297.0, 420.0), "A4": (210.0, 297.0), "A5": (148.0, 210.0),
}


@dataclass(frozen=True)
class Style:
    """A named style: type (for the typesetter) plus the decoration the layout draws around it."""

    name: str
    font: str = "serif"
    strong_font: str = "sans-bold"
    size: float = 10.0
    rows: int = 1                     # grid rows a display line (or a box title) occupies
    align: Align = Align.JUSTIFY
    colour: str = "black"
    indent_em: float = 0.0
    letter_spacing_em: float = 0.0
    punct_style: PunctStyle = PunctStyle.QUANJIAO
    hanging: bool = False
    cjk_latin_gap_em: float = 0.25    # space between Han and Latin letters or digits (clreq)
    background: str | None = None     # fill colour of a box or band
    border: str | None = None         # stroke colour of a box
    border_width: float = 0.75
    rule_below: str | None = None     # colour of a rule under the block
    rule_width: float = 0.75
    padding_em: float = 0.5           # inner horizontal padding of a box, in body em
    space_after: int = 1              # grid rows after the block

    def text_style(self, align: Align | None = None) -> TextStyle:
        return TextStyle(size=self.size, fonts={"regular": self.font, "strong": self.strong_font},
                         align=align or self.align, indent_em=self.indent_em,
                         punct_style=self.punct_style, hanging=self.hanging,
                         cjk_latin_gap_em=self.cjk_latin_gap_em,
                         letter_spacing_em=self.letter_spacing_em, colour=self.colour)

    def scaled(self, factor: float) -> "Style":
        return replace(self, size=round(self.size * factor, 2))


@dataclass(frozen=True)
class Region:
    """A named area of the page grid. Columns and rows are 1-based and inclusive."""

    name: str
    col_start: int
    col_end: int
    row_start: int
    row_end: int                      # may be negative: counted from the last row (-1 = last)
    text_columns: int | None = None   # text columns inside the region (default: one per grid column)
    next: str | None = None           # region the flow continues in when this one is full
    column_rules: bool = True         # hairlines in the gutters between its text columns
    background: str | None = None
    bleed: bool = False               # background runs off the page edge into the bleed
    balance: bool = False             # spread the text evenly over its columns
    after: str | None = None          # start below the last row this other region used
    gap: int = 1                      # rows between an `after` region and its anchor
    keep_blocks: bool = False         # never split a block across columns if a column can hold it


@dataclass(frozen=True)
class Furniture:
    """Running elements: what to print in the head and foot, from the briefing's fields."""

    head_left: str = "{publication}"
    head_centre: str = ""
    head_right: str = "{date}"
    foot_left: str = ""
    foot_right: str = "{folio}"
    rule: str = "black"


@dataclass(frozen=True)
class Layout:
    name: str
    width: float
    height: float
    margin_top: float
    margin_bottom: float
    margin_inside: float
    margin_outside: float
    columns: int
    gutter: float                     # minimum gutter; widened so a column is a whole number of em
    pitch: float                      # baseline grid step
    body_style: str
    regions: dict[str, Region]
    styles: dict[str, Style]
    furniture: Furniture | None = field(default_factory=Furniture)
    repeat_region: str | None = None  # region whose overflow starts a new page of this layout
    source: str = ""

    def style(self, name: str) -> Style:
        return self.styles[name]

    @property
    def body(self) -> Style:
        return self.styles[self.body_style]
