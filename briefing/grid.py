"""The page grid: column positions, baseline rows and region frames, computed from a Layout.

Columns are a whole number of body em wide (clreq: line length a multiple of the character
size); the gutters take what is left. Row r (1-based) has its baseline on the page's one
baseline grid, so every text column of every region shares it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from briefing.errors import InputError
from briefing.layoutspec import Layout, Region

# Centre of the ideographic em box above the baseline, in em (Noto CJK: -0.12 .. 0.88 em).
EM_BOX_CENTRE = 0.38
DISPLAY_CLEARANCE = 2.0  # pt between a display baseline and the nearest body baseline


@dataclass(frozen=True)
class Frame:
    """One text column of a region: a measure-wide strip from row `first` to row `last`."""

    region: str
    x: float
    width: float                      # the column's width (text measure is a whole number of em)
    measure: float
    first: int
    last: int

    @property
    def rows(self) -> int:
        return self.last - self.first + 1


@dataclass(frozen=True)
class PageGrid:
    layout: Layout
    left_page: bool = False           # a verso: the inside margin is on the right

    @property
    def em(self) -> float:
        return self.layout.body.size

    @property
    def type_left(self) -> float:
        lay = self.layout
        return lay.margin_outside if self.left_page else lay.margin_inside

    @property
    def type_width(self) -> float:
        lay = self.layout
        return lay.width - lay.margin_inside - lay.margin_outside

    @property
    def type_top(self) -> float:
        return self.layout.height - self.layout.margin_top

    @property
    def column_chars(self) -> int:
        lay = self.layout
        chars = math.floor((self.type_width - (lay.columns - 1) * lay.gutter) / lay.columns / self.em)
        if chars < 4:
            raise InputError(f"layout {lay.name!r}: columns are only {chars} characters wide",
                             hint="use fewer columns, a smaller gutter or a smaller body size")
        return chars

    @property
    def column_width(self) -> float:
        return self.column_chars * self.em

    @property
    def gutter(self) -> float:
        cols = self.layout.columns
        return 0.0 if cols == 1 else (self.type_width - cols * self.column_width) / (cols - 1)

    @property
    def rows(self) -> int:
        lay = self.layout
        return math.floor((lay.height - lay.margin_top - lay.margin_bottom) / lay.pitch)

    def column_x(self, col: int) -> float:
        return self.type_left + (col - 1) * (self.column_width + self.gutter)

    def cell_top(self, row: int) -> float:
        return self.type_top - (row - 1) * self.layout.pitch

    def cell_bottom(self, row: int) -> float:
        return self.cell_top(row) - self.layout.pitch

    def baseline(self, row: int) -> float:
        """Body baseline of a row: the body em box centred in the row's cell."""
        return self.cell_top(row) - self.layout.pitch / 2 - EM_BOX_CENTRE * self.em

    def band_baseline(self, first: int, rows: int, size: float) -> float:
        """Baseline that centres an em box of `size` in the band of `rows` rows from `first`.

        Display type (any size but the body's) is kept at least DISPLAY_CLEARANCE off the body
        grid, so it never shares a baseline with body text beside it: text extraction would
        read the two as one line.
        """
        centre = self.cell_top(first) - rows * self.layout.pitch / 2
        base = centre - EM_BOX_CENTRE * size
        if abs(size - self.em) < 0.01:
            return base                   # body-size lines stay on the grid
        pitch = self.layout.pitch
        offset = (base - self.baseline(1)) % pitch
        if offset < DISPLAY_CLEARANCE:
            base += DISPLAY_CLEARANCE - offset
        elif offset > pitch - DISPLAY_CLEARANCE:
            base -= DISPLAY_CLEARANCE - (pitch - offset)
        return base

    def box_padding(self, wanted: float) -> float:
        """Padding of a box around the text measure: as wanted, but never past mid-gutter."""
        return min(wanted, max(self.gutter / 2 - 1.5, 0.0))

    def row_index(self, row: int) -> int:
        """Resolve a negative row (counted from the bottom) to a 1-based row."""
        return self.rows + 1 + row if row < 0 else row

    def region_box(self, region: Region) -> tuple[float, float, float, float]:
        """x, y (bottom), width, height of a region's cells."""
        first, last = self.row_index(region.row_start), self.row_index(region.row_end)
        x0 = self.column_x(region.col_start)
        x1 = self.column_x(region.col_end) + self.column_width
        return x0, self.cell_bottom(last), x1 - x0, self.cell_top(first) - self.cell_bottom(last)

    def frames(self, region: Region) -> list[Frame]:
        self._check(region)
        first, last = self.row_index(region.row_start), self.row_index(region.row_end)
        span = region.col_end - region.col_start + 1
        count = region.text_columns or span
        x0 = self.column_x(region.col_start)
        total = self.column_x(region.col_end) + self.column_width - x0
        width = (total - (count - 1) * self.gutter) / count
        measure = math.floor(width / self.em + 1e-6) * self.em
        return [Frame(region.name, x0 + i * (width + self.gutter), width, measure, first, last)
                for i in range(count)]

    def _check(self, region: Region) -> None:
        lay = self.layout
        first, last = self.row_index(region.row_start), self.row_index(region.row_end)
        problems = []
        if not 1 <= region.col_start <= region.col_end <= lay.columns:
            problems.append(f"columns {region.col_start}-{region.col_end} outside 1-{lay.columns}")
        if not 1 <= first <= last <= self.rows:
            problems.append(f"rows {region.row_start}..{region.row_end} outside 1-{self.rows}")
        if problems:
            raise InputError(f"layout {lay.name!r}, region {region.name!r}: " + "; ".join(problems),
                             ref=None, hint=f"this page has {lay.columns} columns and {self.rows} grid rows")
