"""Pieces: what blocks become before placement (text to flow, indivisible units, gaps)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from briefing.grid import Frame, PageGrid
from briefing.layoutspec import Style
from briefing.model import Block, Inline
from briefing.plan import Item
from briefing.typeset.model import Line

Render = Callable[["Slot"], list[Item]]


@dataclass(frozen=True)
class Slot:
    """Where a unit landed: its frame, first row, rows, and the horizontal extent to use."""

    grid: PageGrid
    frame: Frame
    row: int
    rows: int
    x: float
    width: float

    @property
    def top(self) -> float:
        return self.grid.cell_top(self.row)

    @property
    def bottom(self) -> float:
        return self.grid.cell_bottom(self.row + self.rows - 1)


@dataclass(frozen=True)
class BoxTag:
    key: int
    style: Style


@dataclass
class TextPiece:
    """A paragraph to set line by line; lines may be split across columns."""

    block: Block
    spans: Inline
    style: Style
    first_line: bool = True
    box: BoxTag | None = None
    composed: tuple[float, list[Line]] | None = None   # (measure, lines) cache


@dataclass
class UnitPiece:
    """An indivisible block of whole grid rows drawn by `render`."""

    block: Block
    rows: int
    render: Render
    keep_with_next: int = 0           # rows of what follows that must share the column
    span: bool = False                # across all columns of the region (at its top only)
    box: BoxTag | None = None
    rows_for_width: Callable[[float], int] | None = None
    fill: bool = False                # grow to the bottom of the column


@dataclass
class GapPiece:
    rows: int
    block: Block | None = None
    box: None = None


Piece = TextPiece | UnitPiece | GapPiece
