"""The content model: what a briefing says, with no coordinates and no file formats.

Loaders (briefing.load) build these frozen dataclasses from YAML or Markdown; the edition
stage filters and rewrites them; the layout engine (briefing.place) reads them. Every block
keeps the SourceRef it came from so errors can point at the author's file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, Union

from briefing.errors import SourceRef
from briefing.typeset.model import Span

Inline = tuple[Span, ...]  # a paragraph: text runs with their emphasis role


@dataclass(frozen=True)
class BlockBase:
    ref: SourceRef = field(default=SourceRef("<memory>"), compare=False)
    id: str | None = None
    tags: tuple[str, ...] = ()
    style: str | None = None          # layout style name overriding the block kind's default


@dataclass(frozen=True)
class Banner(BlockBase):
    """Super-title of a page (回眸2022). On a spread each page carries its half large and may
    carry the facing page's half (`companion`) small, on the same baseline at the other side."""

    text: str = ""
    subtitle: str = ""
    companion: str = ""
    teaser: str = ""                   # a pointer into the facing page, after the companion


@dataclass(frozen=True)
class Headline(BlockBase):
    """引题 (kicker) / 主题 (title) / 副题 (subtitle)."""

    title: str = ""
    kicker: str = ""
    subtitle: str = ""
    vertical: bool = False


@dataclass(frozen=True)
class Section(BlockBase):
    """Heading plus body paragraphs; `number` renders as a numbered section mark."""

    heading: str = ""
    paragraphs: tuple[Inline, ...] = ()
    number: str = ""
    summary: tuple[Inline, ...] = ()


@dataclass(frozen=True)
class KeywordItem:
    lead: str
    text: Inline


@dataclass(frozen=True)
class KeywordBox(BlockBase):
    """关键词 N: a boxed section of items, each opening with a bold lead phrase."""

    number: str = ""
    title: str = ""
    items: tuple[KeywordItem, ...] = ()
    summary: tuple[Inline, ...] = ()


@dataclass(frozen=True)
class KeyFigure:
    label: str
    value: str
    suffix: str = ""


@dataclass(frozen=True)
class KeyFigures(BlockBase):
    """A list of key figures: label, large bold value, suffix (左右)."""

    title: str = ""
    subtitle: str = ""
    items: tuple[KeyFigure, ...] = ()
    note: tuple[Inline, ...] = ()


@dataclass(frozen=True)
class LeadBox(BlockBase):
    """A boxed lead text with its title (总体要求, 战略重点)."""

    title: str = ""
    paragraphs: tuple[Inline, ...] = ()
    summary: tuple[Inline, ...] = ()


@dataclass(frozen=True)
class Byline(BlockBase):
    text: str = ""


@dataclass(frozen=True)
class Heading(BlockBase):
    """A Markdown heading (level 1 = article title, 2 = section, 3 = sub-section)."""

    text: str = ""
    level: int = 2


@dataclass(frozen=True)
class Paragraphs(BlockBase):
    """Running text without a heading (Markdown paragraphs, block quotes)."""

    paragraphs: tuple[Inline, ...] = ()
    quote: bool = False


@dataclass(frozen=True)
class ListBlock(BlockBase):
    items: tuple[Inline, ...] = ()
    ordered: bool = False


@dataclass(frozen=True)
class Chart(BlockBase):
    """A chart bound to data; `spec` is a briefing.charts.ChartSpec; its height is `rows` grid
    lines, or the rest of the column when `fill`, or else follows the width."""

    spec: Any = None
    title: str = ""
    source: str = ""
    rows: int | None = None
    fill: bool = False
    period: tuple[str, int] | None = None   # (date column, weeks): the weeks up to the issue date


Block = Union[Banner, Headline, Section, KeywordBox, KeyFigures, LeadBox, Byline, Heading,
              Paragraphs, ListBlock, Chart]


@dataclass(frozen=True)
class Page:
    """One page: the layout it uses and the blocks for each of its regions (in flow order)."""

    layout: str
    regions: dict[str, tuple[Block, ...]]
    label: str = ""                    # page label such as 第4版 or 回眸
    ref: SourceRef = field(default=SourceRef("<memory>"), compare=False)


@dataclass(frozen=True)
class Briefing:
    title: str
    pages: tuple[Page, ...]
    publication: str = ""
    issue_date: date | None = None
    issue_label: str = ""              # 第N期, set by schedules
    author: str = ""
    profile: str | None = None         # output profile the content asks for by default
    spread: bool = False               # pages face each other in pairs, the first a left page
    source_dir: str = "."
    ref: SourceRef = field(default=SourceRef("<memory>"), compare=False)
