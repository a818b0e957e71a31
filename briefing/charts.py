"""Charts (stage 7): a chart block's data drawn by matplotlib as a one-page PDF of exact size.

A `ChartSpec` says what to draw (kind, data file, columns, labels); a `ChartStyle` says how
(fonts, palette colours, line weights, colour mode, and a `scale` for large print). `render_chart`
draws only the plot (the page layout sets the title and source line with the typesetter) and
returns PDF bytes in the palette's colour space: matplotlib writes DeviceRGB, `to_colour_space`
rewrites it to the palette's exact CMYK (or gray) values, and black to K only. Output is
byte-for-byte repeatable.

Every chart is laid out in points for its box: bars and rows keep a sensible thickness and
spacing however large the box, labels break at natural points and stay inside it, narrow boxes
get labels above the bars and key figures stacked. Text is embedded from small subsets of the
Noto fonts (`font_subset`).

matplotlib is imported only when a chart is drawn; `ChartCache` serves a chart unchanged in
spec, data, style, size and code without importing it.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import math
import os
import re
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import Enum
from functools import lru_cache, partial
from importlib import metadata
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Mapping

from briefing.colour import DEFAULT_PALETTE, ColourSpace, Palette
from briefing.data import Table, cell_text, format_number, load_table, split_header
from briefing.errors import BriefingWarning, DataError, FitError, InputError, SourceRef
from briefing.fonts import FONT_DIR, FONT_FILES

KINDS = ("bar", "hbar", "line", "pie", "donut", "range", "kpi", "table")
CHANGE_STYLES = ("absolute", "percent", "none")
PRODUCER = "briefing charts"
# Keys of a chart block, with what each expects (shown when a block has an unknown key).
CHART_KEYS: dict[str, str] = {
    "kind": "one of " + ", ".join(KINDS),
    "data": "data file (CSV, TSV, YAML or JSON), relative to the content file",
    "encoding": "the data file's encoding when not utf-8 or gb18030",
    "header_row": "row number of the header",
    "rows": "data rows, 'first:last' (inclusive) or 'first:'",
    "columns": "columns to keep, in order",
    "transpose": "true to swap rows and columns (wide tables with years as columns)",
    "x": "column of category labels",
    "y": "value column, or a list of them (one series each)",
    "low": "range: column of lower bounds",
    "high": "range: column of upper bounds (empty cells draw a single value)",
    "previous": "kpi: column of the previous value the change is measured against",
    "change": "kpi: " + ", ".join(CHANGE_STYLES),
    "label": "value label template with {value}, one per series, or false for none",
    "unit": "unit of the values (default: from the column header, like 收入(元))",
    "unit_column": "column holding each row's unit",
    "format": "mapping: scale (auto, 万, 亿, none), decimals, thousands",
    "title": "title, set by the page layout",
    "source": "资料来源 line, set by the page layout",
    "highlight": "category or list of categories drawn in the accent colour",
}
_REQUIRED = {"bar": ("x", "y"), "hbar": ("x", "y"), "line": ("x", "y"), "pie": ("x", "y"),
             "donut": ("x", "y"), "range": ("x", "low"), "kpi": ("y",), "table": ()}
_SINGLE_SERIES = ("pie", "donut", "kpi")
_NUMBER_FORMAT_KEYS = ("scale", "decimals", "thousands")


class ColourMode(str, Enum):
    """colour: palette colours; grayscale: gray tints plus hatches; mono: black ink only."""

    COLOUR = "colour"
    GRAYSCALE = "grayscale"
    MONO = "mono"


@dataclass(frozen=True)
class NumberFormat:
    scale: str | None = "auto"
    decimals: int | None = None
    thousands: bool = True

    def __call__(self, value: float | None, unit: str = "") -> str:
        return format_number(value, unit=unit, scale=self.scale, decimals=self.decimals,
                             thousands=self.thousands)


@dataclass(frozen=True)
class ChartSpec:
    """One chart block, validated. `ref` (the block's place in its file) is not part of equality."""

    kind: str
    data: Path | None = None
    encoding: str | None = None
    header_row: int | None = None
    rows: str | None = None
    columns: tuple[str, ...] = ()
    transpose: bool = False
    x: str | None = None
    y: tuple[str, ...] = ()
    low: str | None = None
    high: str | None = None
    previous: str | None = None
    change: str = "absolute"
    label: tuple[str, ...] = ("{value}",)
    unit: str | None = None
    unit_column: str | None = None
    format: NumberFormat = NumberFormat()
    title: str | None = None
    source: str | None = None
    highlight: tuple[str, ...] = ()
    ref: SourceRef | None = field(default=None, compare=False)

    @classmethod
    def from_mapping(cls, mapping: Mapping[str, Any], ref: SourceRef, base_dir: Path) -> "ChartSpec":
        return _parse_spec(mapping, ref, Path(base_dir))

    def load_table(self) -> Table:
        if self.data is None:
            raise InputError(f"{self.kind} chart has no `data` file", self.ref)
        return load_table(self.data, encoding=self.encoding, header_row=self.header_row,
                          data_rows=self.rows, columns=self.columns or None,
                          transpose=self.transpose, ref=self.ref)


# -- spec validation ------------------------------------------------------------------------------

def _parse_spec(mapping: Mapping[str, Any], ref: SourceRef, base_dir: Path) -> ChartSpec:
    if not isinstance(mapping, Mapping):
        raise InputError("a chart block must be a mapping of keys", ref, hint=_expected_keys())
    unknown = sorted(str(k) for k in mapping if k not in CHART_KEYS)
    if unknown:
        raise InputError(f"unknown chart key {unknown[0]!r}", ref, hint=_expected_keys())
    kind = mapping.get("kind")
    if kind not in KINDS:
        raise InputError(f"chart kind {kind!r} is not known", ref, hint=f"use one of: {', '.join(KINDS)}")
    for key in _REQUIRED[kind]:
        if mapping.get(key) in (None, "", []):
            raise InputError(f"a {kind} chart needs `{key}`: {CHART_KEYS[key]}", ref)
    get = _Getter(mapping, ref)
    y = get.names("y")
    if kind in _SINGLE_SERIES and len(y) > 1:
        raise InputError(f"a {kind} chart takes one `y` column, not {len(y)}", ref)
    data = get.text("data")
    return ChartSpec(
        kind=kind, data=(base_dir / data) if data else None, encoding=get.text("encoding"),
        header_row=get.integer("header_row"), rows=get.text("rows", allow_list=True),
        columns=get.names("columns"), transpose=get.flag("transpose"), x=get.text("x"), y=y,
        low=get.text("low"), high=get.text("high"), previous=get.text("previous"),
        change=get.choice("change", CHANGE_STYLES, "absolute"), label=get.labels(len(y) or 1),
        unit=get.text("unit"), unit_column=get.text("unit_column"), format=get.number_format(),
        title=get.text("title"), source=get.text("source"), highlight=get.names("highlight"), ref=ref)


def _expected_keys() -> str:
    return "chart keys: " + "; ".join(f"{k} ({v})" for k, v in CHART_KEYS.items())


@dataclass(frozen=True)
class _Getter:
    """Typed reads of a chart block's values, each failing with the key and what it expects."""

    mapping: Mapping[str, Any]
    ref: SourceRef

    def _fail(self, key: str, expected: str) -> InputError:
        return InputError(f"`{key}`: expected {expected}, found {self.mapping[key]!r}", self.ref)

    def text(self, key: str, allow_list: bool = False) -> str | None:
        value = self.mapping.get(key)
        if value is None:
            return None
        if allow_list and isinstance(value, list) and len(value) == 2:
            return f"{value[0]}:{value[1] if value[1] is not None else ''}"
        if isinstance(value, (str, int, float)) and not isinstance(value, bool):
            return str(value)
        raise self._fail(key, "text")

    def names(self, key: str) -> tuple[str, ...]:
        value = self.mapping.get(key)
        if value is None:
            return ()
        values = value if isinstance(value, list) else [value]
        if not all(isinstance(v, (str, int)) and not isinstance(v, bool) for v in values):
            raise self._fail(key, "a column name or a list of them")
        return tuple(str(v) for v in values)

    def integer(self, key: str) -> int | None:
        value = self.mapping.get(key)
        if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 1):
            raise self._fail(key, "a row number (1 or more)")
        return value

    def flag(self, key: str) -> bool:
        value = self.mapping.get(key, False)
        if not isinstance(value, bool):
            raise self._fail(key, "true or false")
        return value

    def choice(self, key: str, choices: tuple[str, ...], default: str) -> str:
        value = self.mapping.get(key, default)
        if value not in choices:
            raise self._fail(key, "one of " + ", ".join(choices))
        return value

    def labels(self, series: int) -> tuple[str, ...]:
        value = self.mapping.get("label", "{value}")
        if value is False:
            return ()
        values = value if isinstance(value, list) else [value] * series
        if len(values) != series or not all(isinstance(v, str) and "{value}" in v for v in values):
            raise self._fail("label", f"a template containing {{value}} (or {series} of them, one per series), or false")
        return tuple(values)

    def number_format(self) -> NumberFormat:
        value = self.mapping.get("format", {})
        if not isinstance(value, Mapping) or set(value) - set(_NUMBER_FORMAT_KEYS):
            raise self._fail("format", "a mapping with keys " + ", ".join(_NUMBER_FORMAT_KEYS))
        scale = value.get("scale", "auto")
        scale = None if scale in (None, "none", False) else scale
        decimals = value.get("decimals")
        if scale not in ("auto", "万", "亿", None) or not (decimals is None or isinstance(decimals, int)):
            raise self._fail("format", "scale auto, 万, 亿 or none; decimals a whole number")
        return NumberFormat(scale, decimals, bool(value.get("thousands", True)))


# -- style ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ChartStyle:
    """How charts look. Colours are palette names; sizes in points; fonts are keys of FONT_FILES."""

    palette: Palette = field(default_factory=lambda: Palette(DEFAULT_PALETTE))
    mode: ColourMode = ColourMode.COLOUR
    series: tuple[str, ...] = ("red", "gray60", "gold", "blue", "teal")
    muted: str = "gray40"
    gray_series: tuple[str, ...] = ("gray80", "gray20", "gray40", "white")
    hatches: tuple[str, ...] = ("", "////", "xxxx", "....")
    text: str = "black"
    quiet_text: str = "gray60"
    rule: str = "black"
    grid: str = "gray20"
    track: str = "gray10"
    up: str = "red"
    down: str = "green"
    label_font: str = "sans"
    value_font: str = "sans-bold"
    label_size: float = 8.0
    value_size: float = 9.0
    small_size: float = 6.5
    kpi_size: float = 26.0
    rule_width: float = 0.5
    grid_width: float = 0.3
    line_width: float = 1.5
    edge_width: float = 0.3
    scale: float = 1.0      # multiplies every type size, line width and spacing (large print)

    def __post_init__(self) -> None:
        if not (isinstance(self.scale, (int, float)) and math.isfinite(self.scale) and self.scale > 0):
            raise InputError(f"chart style scale {self.scale!r}: expected a positive number")


# Style fields that `scale` multiplies.
_SCALED = ("label_size", "value_size", "small_size", "kpi_size", "rule_width", "grid_width", "line_width",
           "edge_width")


@dataclass(frozen=True)
class Fill:
    face: str
    edge: str
    hatch: str = ""


def series_fills(style: ChartStyle) -> tuple[Fill, ...]:
    """One fill per series position, by colour mode: colours; gray tints + hatches; black + hatches."""
    if style.mode is ColourMode.COLOUR:
        return tuple(Fill(c, c) for c in style.series)
    if style.mode is ColourMode.GRAYSCALE:
        return tuple(Fill(c, style.text if c == "white" else c, h)
                     for c, h in zip(style.gray_series, style.hatches))
    return (Fill(style.text, style.text),
            *(Fill("white", style.text, h) for h in style.hatches[1:]))


def muted_fill(style: ChartStyle) -> Fill:
    """The fill of bars that are not highlighted."""
    if style.mode is ColourMode.COLOUR:
        return Fill(style.muted, style.muted)
    if style.mode is ColourMode.GRAYSCALE:
        return Fill(style.gray_series[1], style.gray_series[1])
    return Fill("white", style.text, style.hatches[1])


# -- binding data to a spec -----------------------------------------------------------------------

@dataclass(frozen=True)
class Series:
    name: str
    values: tuple[float | None, ...]
    unit: str
    template: str | None


@dataclass(frozen=True)
class ChartData:
    """The numbers a chart draws, checked: categories and one or more series of equal length."""

    categories: tuple[str, ...]
    series: tuple[Series, ...]
    row_units: tuple[str, ...]
    number: NumberFormat
    highlight: frozenset[str]
    change: str = "absolute"
    grouped: bool = False    # several series side by side, told apart by a legend

    def unit(self, s: int, i: int) -> str:
        return self.row_units[i] if self.row_units else self.series[s].unit

    def text(self, s: int, i: int) -> str:
        """The value alone, formatted with its unit (e.g. 32,977元)."""
        return self.number(self.series[s].values[i], self.unit(s, i))

    def label(self, s: int, i: int) -> str:
        """The value label drawn on the chart, or '' where the series has none or the value is missing."""
        template = self.series[s].template
        if template is None or self.series[s].values[i] is None:
            return ""
        return template.replace("{value}", self.text(s, i))

    def fill_index(self, s: int, i: int) -> int | None:
        """Series position for the fill, or None for a muted (not highlighted) category."""
        if not self.grouped and self.highlight and self.categories[i] not in self.highlight:
            return None
        return s if self.grouped else 0


def bind(spec: ChartSpec, table: Table) -> ChartData:
    """Take the spec's columns from the table; every missing column or bad cell is a DataError."""
    ref = spec.ref
    _require_rows(table, ref)
    names = _series_columns(spec)
    categories = tuple(cell_text(c) for c in table.column(spec.x, ref)) if spec.x else \
        tuple(str(i + 1) for i in range(len(table.rows)))
    templates = spec.label or (None,) * len(names)
    series = tuple(
        Series(split_header(name)[0], table.numeric(name, ref),
               spec.unit if spec.unit is not None else table.unit(name, ref),
               templates[min(k, len(templates) - 1)])
        for k, name in enumerate(names))
    row_units = tuple(cell_text(c) for c in table.column(spec.unit_column, ref)) if spec.unit_column else ()
    grouped = spec.kind in ("bar", "hbar", "line") and len(spec.y) > 1
    return ChartData(categories, series, row_units, spec.format, frozenset(spec.highlight), spec.change, grouped)


def _series_columns(spec: ChartSpec) -> tuple[str, ...]:
    if spec.kind == "range":
        return (spec.low, spec.high) if spec.high else (spec.low,)
    if spec.kind == "kpi" and spec.previous:
        return (*spec.y, spec.previous)
    return spec.y


@dataclass(frozen=True)
class TableCells:
    """A `table` chart's text: header and body cells, which columns are numeric, highlighted rows."""

    header: tuple[str, ...]
    body: tuple[tuple[str, ...], ...]
    numeric: tuple[bool, ...]
    highlight: tuple[bool, ...]


def _require_rows(table: Table, ref: SourceRef | None) -> None:
    if not table.rows:
        raise DataError(f"{table.source}: no data rows", ref,
                        hint="; ".join(table.skipped) if table.skipped else None)


def table_cells(spec: ChartSpec, table: Table) -> TableCells:
    _require_rows(table, spec.ref)
    names = tuple(n for n in (spec.x, *spec.y) if n) or table.columns
    picked = table.select(names, spec.ref)
    header = tuple(f"{name}（{unit}）" if unit else name for name, unit in zip(picked.columns, picked.units))
    body = tuple(tuple(_table_text(c, spec.format) for c in row) for row in picked.rows)
    numeric = tuple(j > 0 and any(isinstance(row[j], float) for row in picked.rows)
                    for j in range(len(picked.columns)))
    marked = tuple(bool(row) and cell_text(row[0]) in spec.highlight for row in picked.rows)
    return TableCells(header, body, numeric, marked)


def _table_text(cell: str | float | None, number: NumberFormat) -> str:
    return number(cell) if isinstance(cell, float) or cell is None else cell


# -- rendering ------------------------------------------------------------------------------------

def render_chart(spec: ChartSpec, table: Table, style: ChartStyle, width_pt: float, height_pt: float, *,
                 font_cache: Path | None = None) -> bytes:
    """A one-page PDF of exactly width × height points holding the plot (no title, no source line),
    in the colour space of the style's palette. Font subsets are kept in `font_cache` when given
    (see `font_subset`), else made afresh in a temporary folder."""
    if width_pt <= 0 or height_pt <= 0:
        raise InputError(f"chart size {width_pt}×{height_pt} pt: both must be positive", spec.ref)
    content = table_cells(spec, table) if spec.kind == "table" else bind(spec, table)
    if spec.kind in ("pie", "donut"):
        _check_parts(content, table, spec)
    pdf = _draw(spec.kind, content, style, width_pt, height_pt, font_cache)
    return to_colour_space(pdf, style.palette)


def _check_parts(data: ChartData, table: Table, spec: ChartSpec) -> None:
    column = table.index(spec.y[0], spec.ref)
    for i, value in enumerate(data.series[0].values):
        if value is not None and value < 0:
            raise DataError(f"{table.locate(i, column)}: a {spec.kind} chart needs parts of a whole, "
                            f"found the negative value {format_number(value)}", spec.ref)
    if not any(data.series[0].values):
        raise DataError(f"{table.source}, column {spec.y[0]!r}: the parts add up to zero", spec.ref)


_RC = {"pdf.fonttype": 42, "axes.unicode_minus": False, "pdf.compression": 6,
       "path.simplify": False, "font.family": "Noto Sans SC"}


def _draw(kind: str, content: ChartData | TableCells, style: ChartStyle, width: float, height: float,
          font_cache: Path | None) -> bytes:
    import matplotlib

    _register_fonts()
    look = _as_drawn(style)
    with matplotlib.rc_context({**_RC, "hatch.linewidth": look.edge_width * 2}):
        kit = _Kit.create(look, width, height)
        _DRAWERS[kind](kit, content)
        with _font_folder(font_cache) as folder:
            _use_font_subsets(kit.fig, folder)
            return kit.save()


_FONTS_REGISTERED: list[bool] = []


def _register_fonts() -> None:
    if not _FONTS_REGISTERED:
        from matplotlib import font_manager

        for name in FONT_FILES.values():
            font_manager.fontManager.addfont(str(FONT_DIR / name))
        _FONTS_REGISTERED.append(True)


def _as_drawn(style: ChartStyle) -> ChartStyle:
    """The style with `scale` applied to sizes and widths; mono prints one ink at full strength,
    so quiet text and grid lines take the text colour."""
    if style.mode is ColourMode.MONO:
        style = dataclasses.replace(style, quiet_text=style.text, grid=style.text)
    return dataclasses.replace(style, **{name: getattr(style, name) * style.scale for name in _SCALED})


# Text is placed by its em box: an ideograph's box runs from 0.12 em below the baseline to
# 0.88 em above it, and lines of a label are set `_LEADING` em apart.
_ASCENT = 0.88
_LEADING = 1.2


def _text_height(lines: int, size: float) -> float:
    """Height of `lines` lines of type of `size` points, first em box top to last em box bottom."""
    return size * (1 + (lines - 1) * _LEADING) if lines else 0.0


def _baseline(middle: float, size: float) -> float:
    """The baseline that centres one line's em box on `middle`."""
    return middle - (_ASCENT - 0.5) * size


@dataclass(frozen=True)
class _Role:
    font: str
    size: float
    colour: str


@lru_cache(maxsize=4096)
def _text_width(font_file: str, size: float, text: str) -> float:
    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import text_to_path

    return text_to_path.get_text_width_height_descent(text, FontProperties(fname=font_file, size=size),
                                                      ismath=False)[0]


@dataclass
class _Kit:
    """A figure of width × height points with one full-size canvas axes whose units are points:
    every chart is laid out in points and drawn on the canvas."""

    fig: Any
    canvas: Any
    style: ChartStyle
    width: float
    height: float

    @classmethod
    def create(cls, style: ChartStyle, width: float, height: float) -> "_Kit":
        from matplotlib.backends.backend_pdf import FigureCanvasPdf
        from matplotlib.figure import Figure

        fig = Figure(figsize=(width / 72, height / 72), dpi=72)
        FigureCanvasPdf(fig)
        fig.patch.set_visible(False)
        canvas = fig.add_axes((0, 0, 1, 1))
        canvas.set_xlim(0, width)
        canvas.set_ylim(0, height)
        canvas.set_axis_off()
        return cls(fig, canvas, style, width, height)

    @property
    def em(self) -> float:
        """The label size: the unit of every gap, so gaps grow with the type."""
        return self.style.label_size

    def save(self) -> bytes:
        buffer = io.BytesIO()
        self.fig.savefig(buffer, format="pdf", metadata={"CreationDate": None, "Producer": PRODUCER})
        return buffer.getvalue()

    def rgb(self, name: str) -> tuple[float, float, float]:
        return self.style.palette.get(name).rgb

    def role(self, name: str) -> _Role:
        s = self.style
        return {"label": _Role(s.label_font, s.label_size, s.text),
                "value": _Role(s.value_font, s.value_size, s.text),
                "quiet": _Role(s.label_font, s.small_size, s.quiet_text),
                "head": _Role(s.value_font, s.label_size, s.text),
                "kpi": _Role(s.value_font, s.kpi_size, s.text)}[name]

    def size(self, role: str, size: float | None = None) -> float:
        return size or self.role(role).size

    def measure(self, text: str, role: str = "label", size: float | None = None) -> float:
        """Width of a line of text in points."""
        return _text_width(str(FONT_DIR / FONT_FILES[self.role(role).font]), self.size(role, size), text)

    def widest(self, lines: Iterable[str], role: str = "label", size: float | None = None) -> float:
        return max((self.measure(line, role, size) for line in lines), default=0.0)

    def text(self, x: float, y: float, text: str, role: str = "label", *, colour: str | None = None,
             size: float | None = None, **kwargs: Any) -> Any:
        """One line of text with its baseline at y (unless told otherwise), never parsed as math."""
        from matplotlib.font_manager import FontProperties

        r = self.role(role)
        font = FontProperties(fname=str(FONT_DIR / FONT_FILES[r.font]), size=self.size(role, size))
        return self.canvas.text(x, y, text, fontproperties=font, color=self.rgb(colour or r.colour),
                                parse_math=False, **{"va": "baseline", **kwargs})

    def lines(self, x: float, top: float, lines: Iterable[str], role: str = "label", *,
              size: float | None = None, **kwargs: Any) -> float:
        """Lines set downwards from `top` (the first em box's top); returns the last em box's bottom."""
        size = self.size(role, size)
        count = 0
        for count, line in enumerate(lines, 1):
            self.text(x, top - _ASCENT * size - (count - 1) * _LEADING * size, line, role, size=size, **kwargs)
        return top - _text_height(count, size)

    def fit_labels(self, texts: Iterable[str], width: float, role: str = "label") -> tuple[list[list[str]], float]:
        """Labels broken to fit `width`, all at one size: on one line or two broken at a natural
        point, at the role's size or else the small size; failing that two lines broken anywhere
        the rules allow; failing that as many lines as it takes."""
        texts = list(texts)
        sizes = (self.size(role), min(self.size(role), self.style.small_size))
        for natural in (True, False):
            for size in sizes:
                measure = partial(self.measure, role=role, size=size)
                broken = [_two_lines(t, width, measure, natural) for t in texts]
                if all(b is not None for b in broken):
                    return broken, size
        measure = partial(self.measure, role=role, size=sizes[1])
        return [_greedy_lines(t, width, measure) for t in texts], sizes[1]

    def rule(self, xs: tuple[float, float], ys: tuple[float, float], colour: str | None = None,
             width: float | None = None) -> None:
        self.canvas.plot(xs, ys, color=self.rgb(colour or self.style.rule), solid_capstyle="butt",
                         linewidth=width or self.style.rule_width)

    def patch_style(self, fill: Fill) -> dict[str, Any]:
        return {"facecolor": self.rgb(fill.face), "edgecolor": self.rgb(fill.edge),
                "linewidth": self.style.edge_width, "hatch": fill.hatch or None,
                "hatchcolor": self.rgb(self.style.text)}

    def rectangle(self, x: float, y: float, w: float, h: float, fill: Fill) -> None:
        from matplotlib.patches import Rectangle

        self.canvas.add_patch(Rectangle((x, y), w, h, **self.patch_style(fill)))

    def fill(self, data: ChartData, s: int, i: int) -> Fill:
        index = data.fill_index(s, i)
        fills = series_fills(self.style)
        return muted_fill(self.style) if index is None else fills[index % len(fills)]

    def legend(self, data: ChartData, top: float, left: float = 0.0, draw: bool = True) -> float:
        """Swatches and series names from `top` down, starting at `left`, in as many rows as the
        width needs (hatched in gray and mono modes); returns the height taken, 0 for one series."""
        if not data.grouped:
            return 0.0
        em, x, row = self.em, left, 0
        fills = series_fills(self.style)
        for s, series in enumerate(data.series):
            item = em * 1.3 + self.measure(series.name)
            if x > left and x + item > self.width:
                x, row = left, row + 1
            middle = top - em * (0.5 + row * 1.5)
            if draw:
                self.rectangle(x, middle - em * 0.45, em * 0.9, em * 0.9, fills[s % len(fills)])
                self.text(x + em * 1.3, _baseline(middle, em), series.name)
            x += item + em * 1.2
        return em * (1.5 * row + 2.0)


# -- label breaking -------------------------------------------------------------------------------

# Words that often begin (heads) or end (tails) a part of a statistical label: a break beside
# them reads naturally ("规模以上 / 工业产值", "国考断面 / 优良水体比例").
_HEADS = ("增长", "增速", "增加值", "比例", "比重", "比率", "总额", "总量", "收入", "产值", "产量", "就业",
          "企业", "指数", "项目", "中心", "机构", "优良", "普及率", "覆盖率", "参保率", "零售", "投资",
          "工业", "服务业", "人口", "人数", "面积")
_TAILS = ("以上", "以下", "以内", "之间", "的", "和", "与", "及")


def _two_lines(text: str, width: float, measure: Callable[[str], float], natural: bool) -> list[str] | None:
    """The text on one line if it fits, else on two that fit, broken where the line-breaking
    rules allow: at a natural point if `natural` (the most even such break), else at the most
    even break. None if no break fits."""
    if measure(text) <= width:
        return [text]
    fits = []
    for i in _allowed_breaks(text):
        first, second = text[:i], text[i:].lstrip()
        if (natural and not _natural_break(text, i)) or min(len(first), len(second)) < 2:
            continue
        wide = (measure(first), measure(second))
        if max(wide) <= width:
            fits.append((abs(wide[0] - wide[1]), i))
    if not fits:
        return None
    i = min(fits)[1]
    return [text[:i].rstrip(), text[i:].lstrip()]


def _greedy_lines(text: str, width: float, measure: Callable[[str], float]) -> list[str]:
    """As much on each line as fits, breaking where the rules allow (a piece that fits nowhere
    stays whole)."""
    lines, start, last = [], 0, 0
    for i in [*_allowed_breaks(text), len(text)]:
        if last > start and measure(text[start:i].strip()) > width:
            lines.append(text[start:last].strip())
            start = last
        last = i
    return [*lines, text[start:].strip()]


def _allowed_breaks(text: str) -> list[int]:
    from briefing.typeset.breaks import break_opportunities

    allowed = break_opportunities(text)
    return [i for i in range(1, len(text)) if allowed[i]]


def _natural_break(text: str, i: int) -> bool:
    """Before an opening bracket, after a pause mark or space, where Latin letters meet Chinese,
    or beside a common head or tail word; never between a number and its unit."""
    from briefing.typeset.classes import CLOSING, OPENING, is_han

    before, after = text[i - 1], text[i]
    if after in OPENING or after == "(" or before in CLOSING or before.isspace():
        return True
    if before.isdigit() or before in ".,%":
        return False
    if is_han(before) != is_han(after):
        return True
    return text.startswith(_HEADS, i) or text[:i].endswith(_TAILS)


# -- shared geometry ------------------------------------------------------------------------------

def _values(data: ChartData) -> list[float]:
    return [v for s in data.series for v in s.values if v is not None]


def _centred(kit: _Kit, block: float) -> float:
    """The top of a block `block` points tall centred in the box (its top edge if it is taller).
    Charts with a reading order hang from the top of the box, under the title the page sets
    above it; key figures, which have none, sit in the middle."""
    return kit.height - max(0.0, (kit.height - block) / 2)


def _split_unit(text: str) -> tuple[str, str]:
    """'120万头' -> ('120', '万头')."""
    end = len(text)
    while end and not (text[end - 1].isdigit() or text[end - 1] == "—"):
        end -= 1
    return text[:end], text[end:]


@dataclass(frozen=True)
class _ValueLabels:
    """Value labels at one size: each one line, or two (number over unit) if one is too wide."""

    lines: list[list[str]]
    size: float

    def height(self) -> float:
        return _text_height(max((len(lines) for lines in self.lines), default=1), self.size)


def _value_labels(kit: _Kit, texts: list[str], room: float) -> _ValueLabels:
    """The largest size down to the small size at which the labels fit `room` points."""
    st = kit.style
    widest = kit.widest(texts, "value")
    size = st.value_size if widest <= room else max(st.small_size, st.value_size * room / widest)
    return _ValueLabels([_number_over_unit(kit, t, room, size) for t in texts], size)


def _number_over_unit(kit: _Kit, text: str, room: float, size: float) -> list[str]:
    number, unit = _split_unit(text)
    if kit.measure(text, "value", size) <= room or not (number and unit):
        return [text]
    return [number, unit]


def _scale(values: list[float], ends: list[float], start: float, end: float) -> tuple[float, float]:
    """Where zero goes and points per unit, so that every bar, with `ends[i]` points beyond its
    end (for its label) on the side it points to, fits between `start` and `end`."""
    low, high = min(0.0, *values), max(0.0, *values)
    left = max((e for v, e in zip(values, ends) if v < 0), default=0.0)
    right = max((e for v, e in zip(values, ends) if v > 0), default=0.0)
    if high == low:
        return start + left, 1.0
    limits = [(end - start - left - e) / (v - low) for v, e in zip(values, ends) if v > 0]
    per = max(min(limits) if limits else (end - start - left - right) / (high - low), 1e-9)
    return start + left - low * per, per


def _tick_texts(number: NumberFormat, ticks: list[float], unit: str = "") -> list[str]:
    """Tick labels with the same number of decimals, as many as the least round tick needs."""
    shown = [dataclasses.replace(number, decimals=None)(t) for t in ticks]
    decimals = max(len(m.group(1)) if (m := re.search(r"\.(\d+)", t)) else 0 for t in shown)
    return [dataclasses.replace(number, decimals=decimals)(t, unit) for t in ticks]


def _nice_ticks(low: float, high: float, room: float, spacing: float) -> list[float]:
    """A few round ticks covering low..high, about one per `spacing` points of `room`."""
    from matplotlib.ticker import MaxNLocator

    bins = max(2, min(5, int(room / spacing)))
    if high - low < 1e-9 * max(abs(high), 1.0):      # one value: a range around it
        low, high = low - max(abs(low) * 0.1, 1.0), high + max(abs(high) * 0.1, 1.0)
    return [float(t) for t in MaxNLocator(nbins=bins, steps=[1, 2, 5, 10]).tick_values(low, high)]


def _short_dates(categories: tuple[str, ...]) -> list[str]:
    """ISO dates as a newspaper prints them on an axis (2026-01-11 -> 1/11); other labels as they are."""
    dates = [re.fullmatch(r"\d{4}-(\d{1,2})-(\d{1,2})", c) for c in categories]
    if all(dates):
        return [f"{int(m.group(1))}/{int(m.group(2))}" for m in dates if m]
    return list(categories)


# -- vertical bars --------------------------------------------------------------------------------

def _bar_share(data: ChartData) -> float:
    """The part of a category's slot its bars take: groups of bars get more, gaps part the groups."""
    return 0.62 if len(data.series) == 1 else 0.8


def _bar_cap(kit: _Kit, data: ChartData) -> float:
    """The widest a bar may be: wide bars look heavy and say nothing more."""
    return kit.style.value_size * (3.0 if len(data.series) == 1 else 2.4)


def _bar_pitch(kit: _Kit, data: ChartData, categories: list[str]) -> float:
    """Slot width per category: what the box allows, but no more than bars of the widest
    sensible thickness or category labels on one line need."""
    natural = max(len(data.series) * _bar_cap(kit, data) / _bar_share(data), kit.widest(categories) + kit.em * 0.8)
    return min((kit.width - 2) / len(categories), natural)


def _draw_bar(kit: _Kit, data: ChartData) -> None:
    """Bars side by side, centred across the box, category labels (wrapped) under them, values on top."""
    em, n, k = kit.em, len(data.categories), len(data.series)
    categories = _short_dates(data.categories)
    pitch = _bar_pitch(kit, data, categories)
    step = min(pitch * _bar_share(data) / k, _bar_cap(kit, data))
    labels, label_size = kit.fit_labels(categories, pitch - em * 0.4)
    values = _value_labels(kit, [data.label(s, i) for s in range(k) for i in range(n)],
                           step - em * 0.3 if k > 1 else pitch - em * 0.7)
    left = (kit.width - n * pitch) / 2
    legend = kit.legend(data, kit.height, left, draw=False)
    foot = _text_height(max(len(lines) for lines in labels), label_size) + em * 0.5
    room = values.height() + em * 0.3
    low, high = min(0.0, *_values(data)), max(0.0, *_values(data))
    below = room if low < 0 else 0.0
    plot = max(min(kit.height - legend - room - below - foot, 3 * kit.width), em)
    top = kit.height
    kit.legend(data, top, left)
    per = plot / ((high - low) or 1.0)
    zero = top - legend - room - high * per
    for s in range(k):
        for i, value in enumerate(data.series[s].values):
            if value is not None:
                x = left + (i + 0.5) * pitch + (s - (k - 1) / 2) * step
                _vertical_bar(kit, data, s, i, (x, step * (0.88 if k > 1 else 1.0)), zero, value * per,
                              values.lines[s * n + i], values.size)
    kit.rule((left, left + n * pitch), (zero, zero))
    bottom = top - legend - room - plot - below
    for i, lines in enumerate(labels):
        kit.lines(left + (i + 0.5) * pitch, bottom - em * 0.5, lines, size=label_size, ha="center")


def _vertical_bar(kit: _Kit, data: ChartData, s: int, i: int, slot: tuple[float, float], zero: float,
                  length: float, label: list[str], size: float) -> None:
    """One bar from zero at `slot` (middle, width), its value label above it (below if negative),
    kept inside the box."""
    x, width = slot
    kit.rectangle(x - width / 2, zero, width, length, kit.fill(data, s, i))
    gap, half = kit.em * 0.3, kit.widest(label, "value", size) / 2
    top = zero + length + gap + _text_height(len(label), size) if length >= 0 else zero + length - gap
    kit.lines(min(max(x, half), kit.width - half), top, label, "value", size=size, ha="center")


# -- horizontal rows (hbar, range) ----------------------------------------------------------------

@dataclass(frozen=True)
class _Rows:
    """Rows of a horizontal chart: the category labels above each row's bars (narrow boxes) or
    in a column on their left; the y of each row's bar middle; the bars' thickness, the x where
    they start, and the top and bottom of the rows."""

    above: bool
    labels: list[list[str]]
    label_size: float
    start: float
    middles: list[float]
    thickness: float
    top: float
    bottom: float

    def spans(self, kit: _Kit) -> list[tuple[float, float]]:
        """Where a rule across the rows (zero line, grid) may run without crossing a label: the
        whole block, or with labels above the bars, each row's bars only."""
        margin = kit.em * 0.3
        if not self.above:
            return [(self.bottom + margin, self.top - margin)]
        return [(m - self.thickness / 2 - margin, m + self.thickness / 2 + margin) for m in self.middles]

    def draw_labels(self, kit: _Kit) -> None:
        for lines, middle in zip(self.labels, self.middles):
            height = _text_height(len(lines), self.label_size)
            if self.above:
                kit.lines(0, middle + self.thickness / 2 + kit.em * 0.3 + height, lines, size=self.label_size)
            else:
                kit.lines(self.start - kit.em * 0.5, middle + height / 2, lines, size=self.label_size, ha="right")


def _rows(kit: _Kit, data: ChartData, thickness: float, right: float, head: float, foot: float) -> _Rows:
    """One row per category, bars `thickness` thick, `right` points kept right of the longest
    bar, `head` points above the rows (legend) and `foot` below them (scale). Labels go above
    the bars when a label column would leave the bars less than half the width, or would need
    two lines in a narrow box. Rows grow into a tall box (bars to 1.4 times their thickness,
    rows to four times their height) and the block is centred."""
    em, n = kit.em, len(data.categories)
    side, side_size = kit.fit_labels(data.categories, kit.width * 0.38)
    column = kit.widest((line for lines in side for line in lines), size=side_size) + em * 0.6
    wrapped = side_size < kit.style.label_size or any(len(lines) > 1 for lines in side)
    above = kit.width - column - right < kit.width * 0.45 or (wrapped and kit.width < em * 30)
    labels, size = kit.fit_labels(data.categories, kit.width) if above else (side, side_size)
    text = _text_height(max(len(lines) for lines in labels), size)
    fixed = text + em * 0.3 if above else 0.0
    natural = fixed + max(thickness, 0.0 if above else text) + em * 0.9
    room = kit.height - head - foot
    if n * natural <= room:
        grow = min(room / (n * natural), 4.0)
        pitch, thickness = natural * grow, thickness * min(grow, 1.4)
    else:
        pitch = room / n
        thickness = max(min(thickness, (pitch - fixed) * 0.7), kit.style.rule_width)
    top = kit.height - head
    content = fixed + thickness if above else 0.0
    middles = [top - (i + 0.5) * pitch - (content / 2 - thickness / 2 if above else 0.0) for i in range(n)]
    start = kit.style.rule_width if above else column
    return _Rows(above, labels, size, start, middles, thickness, top, top - n * pitch)


def _draw_hbar(kit: _Kit, data: ChartData) -> None:
    """Horizontal bars, first category on top, values at the bar ends."""
    st, em, n, k = kit.style, kit.em, len(data.categories), len(data.series)
    texts = [data.label(s, i) for s in range(k) for i in range(n)]
    widths = [kit.measure(t, "value") + em * 0.4 for t in texts]
    bar, gap = st.value_size * (1.3 if k == 1 else 1.1), em * 0.12 * (k > 1)
    legend = kit.legend(data, kit.height, draw=False)
    rows = _rows(kit, data, k * bar + (k - 1) * gap, max(widths), legend, 0.0)
    kit.legend(data, rows.top + legend)
    grow = rows.thickness / (k * bar + (k - 1) * gap)
    values = [data.series[s].values[i] for s in range(k) for i in range(n)]
    zero, per = _scale([v or 0.0 for v in values], widths, rows.start, kit.width)
    for j, value in enumerate(values):
        s, i = divmod(j, n)
        if value is None:
            continue
        middle = rows.middles[i] + ((k - 1) / 2 - s) * (bar + gap) * grow
        kit.rectangle(zero, middle - bar * grow / 2, value * per, bar * grow, kit.fill(data, s, i))
        side = 1 if value >= 0 else -1
        kit.text(zero + value * per + side * em * 0.3, _baseline(middle, st.value_size), texts[j], "value",
                 ha="left" if side > 0 else "right")
    for span in rows.spans(kit):
        kit.rule((zero, zero), span)
    rows.draw_labels(kit)


# -- ranges ---------------------------------------------------------------------------------------

def _range_label(data: ChartData, i: int) -> str:
    low = data.series[0].values[i]
    high = data.series[1].values[i] if len(data.series) > 1 else None
    template = data.series[0].template
    if low is None or template is None:
        return ""
    text = data.text(0, i) if high is None or high == low else f"{data.text(0, i)}—{data.text(1, i)}"
    return template.replace("{value}", text)


def _range_end(data: ChartData, i: int) -> float:
    values = [s.values[i] for s in data.series if s.values[i] is not None]
    return max(values) if values else 0.0


def _draw_range(kit: _Kit, data: ChartData) -> None:
    """Targets as ranges: a track from zero, a bar from low to high, or a dot for a single value,
    the target written at its end, a light scale underneath."""
    st, em, n = kit.style, kit.em, len(data.categories)
    labels = [_range_label(data, i) for i in range(n)]
    bar = st.value_size * 0.9
    ends = [kit.measure(t, "value") + bar * 0.7 + em * 0.5 for t in labels]    # rows grow bars 1.4 times
    rows = _rows(kit, data, bar, max(ends), 0.0, st.small_size + em * 0.4)
    _, per = _scale([_range_end(data, i) for i in range(n)], ends, rows.start, kit.width)
    ticks = [t for t in _nice_ticks(0, (kit.width - rows.start) / per, kit.width - rows.start, em * 3.5)
             if rows.start + t * per <= kit.width + 0.01]
    for tick, text in zip(ticks, _tick_texts(data.number, ticks, data.series[0].unit)):
        x = rows.start + tick * per
        for span in rows.spans(kit):
            kit.rule((x, x), span, st.grid, st.grid_width)
        half = kit.measure(text, "quiet") / 2
        kit.text(min(max(x, half), kit.width - half), rows.bottom - em * 0.4 - _ASCENT * st.small_size, text,
                 "quiet", ha="center")
    paper = {"boxstyle": "square,pad=0.2", "facecolor": kit.rgb("white"), "edgecolor": kit.rgb("white"),
             "linewidth": st.edge_width}    # the label knocks the track out behind it
    for i in range(n):
        _range_row(kit, data, i, rows, per)
        kit.text(rows.start + _range_end(data, i) * per + rows.thickness / 2 + em * 0.4,
                 _baseline(rows.middles[i], st.value_size), labels[i], "value", bbox=paper)
    rows.draw_labels(kit)


def _range_row(kit: _Kit, data: ChartData, i: int, rows: _Rows, per: float) -> None:
    st, middle, bar = kit.style, rows.middles[i], rows.thickness
    track = Fill("white", st.text) if st.mode is ColourMode.MONO else Fill(st.track, st.track)
    kit.rectangle(rows.start, middle - bar * 0.175, kit.width - rows.start, bar * 0.35, track)
    low = data.series[0].values[i]
    high = data.series[1].values[i] if len(data.series) > 1 else None
    fill = kit.fill(data, 0, i)
    if low is None:
        return
    if high is not None and high != low:
        kit.rectangle(rows.start + low * per, middle - bar / 2, (high - low) * per, bar, fill)
    else:
        kit.canvas.plot([rows.start + low * per], [middle], marker="o", markersize=bar * 0.8, linestyle="none",
                        markerfacecolor=kit.rgb(fill.face), markeredgecolor=kit.rgb(fill.edge),
                        markeredgewidth=max(st.edge_width, 0.5 * st.scale))


# -- lines ----------------------------------------------------------------------------------------

_DASHES = ("-", "--", ":", "-.")
_MARKERS = ("o", "s", "^", "D")


@dataclass(frozen=True)
class _Plot:
    """A line chart's plot area in points and its value range."""

    left: float
    right: float
    bottom: float
    top: float
    low: float
    high: float
    first: float     # x of the first category
    pitch: float     # points between categories

    def x(self, i: int) -> float:
        return self.first + i * self.pitch

    def y(self, value: float) -> float:
        return self.bottom + (value - self.low) / (self.high - self.low) * (self.top - self.bottom)


def _draw_line(kit: _Kit, data: ChartData) -> None:
    """Lines with markers, a few round values on a light grid, thinned category labels under the
    axis, and each line's last value written at its end; where those labels would take too
    much of a narrow box, they go in a key above the plot instead."""
    st, em, n = kit.style, kit.em, len(data.categories)
    categories = _short_dates(data.categories)
    ends = _line_ends(kit, data, categories, kit.width / 3)
    keyed = max((kit.widest(e.lines, "value") for e in ends), default=0.0) + em * 0.9 > kit.width * 0.3
    if keyed:
        ends = _line_ends(kit, data, categories, kit.width - em * 2.2)
    head = _key_height(kit, ends) if keyed else em * 0.6
    foot = _text_height(1, st.label_size) + em * 0.6
    height = min(kit.height - foot - head, max(kit.width * 1.2, em * 6))
    values = _values(data)
    ticks = _nice_ticks(min(values), max(values), height, em * 2.4)
    texts = _tick_texts(data.number, ticks)
    left = kit.widest(texts, "quiet") + em * 0.5
    right = kit.width if keyed else kit.width - max(kit.widest(e.lines, "value") for e in ends) - em * 0.9
    first = max(left + em * 0.5, kit.measure(categories[0]) / 2)
    last = min(right - em * 0.3, kit.width - kit.measure(categories[-1]) / 2)
    top = kit.height - head
    plot = _Plot(left, right, top - height, top, ticks[0], ticks[-1], first, (last - first) / max(n - 1, 1))
    for tick, text in zip(ticks, texts):
        y = plot.y(tick)
        if tick != ticks[0]:
            kit.rule((plot.left, plot.right), (y, y), st.grid, st.grid_width)
        kit.text(plot.left - em * 0.5, _baseline(y, st.small_size), text, "quiet", ha="right")
    kit.rule((plot.left, plot.right), (plot.bottom, plot.bottom))
    _category_axis(kit, plot, categories)
    for s in range(len(data.series)):
        values_at = [math.nan if v is None else plot.y(v) for v in data.series[s].values]
        kit.canvas.plot([plot.x(i) for i in range(n)], values_at, **_line_style(kit, s))
    if keyed:
        _line_key(kit, ends)
    else:
        _end_labels(kit, plot, data, ends)


def _category_axis(kit: _Kit, plot: _Plot, categories: list[str]) -> None:
    """A tick under every category; labels on every k-th one, counted back from the last, with
    k the smallest step at which no two labels touch."""
    em, n = kit.em, len(categories)
    widest = kit.widest(categories) + em * 0.8
    step = next((k for k in range(1, n) if k * plot.pitch >= widest), n)
    for i, category in enumerate(categories):
        x = plot.x(i)
        kit.rule((x, x), (plot.bottom, plot.bottom - em * 0.3))
        if (n - 1 - i) % step == 0:
            kit.text(x, plot.bottom - em * 0.6 - _ASCENT * em, category, ha="center")


def _line_style(kit: _Kit, s: int) -> dict[str, Any]:
    """Series s: palette colours in colour mode; dark lines told apart by dashes and markers in
    gray and mono modes."""
    st = kit.style
    mono = st.mode is not ColourMode.COLOUR
    fills = series_fills(st)
    colour = kit.rgb(_line_colour(st, s) if mono else fills[s % len(fills)].face)
    return {"color": colour, "linewidth": st.line_width, "linestyle": _DASHES[s % 4] if mono else "-",
            "marker": _MARKERS[s % 4] if mono else "o", "markersize": st.line_width * 2.6,
            "markerfacecolor": colour, "markeredgecolor": colour, "markeredgewidth": st.edge_width}


def _line_colour(style: ChartStyle, s: int) -> str:
    """Lines in gray and mono modes stay dark enough to read; dashes and markers tell them apart."""
    return style.quiet_text if style.mode is ColourMode.GRAYSCALE and s % 2 else style.text


@dataclass(frozen=True)
class _End:
    """A series' last point and its label lines ('城镇 32,977元', or name over value)."""

    series: int
    last: int
    lines: list[str]


def _line_ends(kit: _Kit, data: ChartData, categories: list[str], width: float) -> list[_End]:
    """The label of each series' last point, on one line if it fits `width`, else on two. A
    single series is labelled by its value (with the category in a key, where no point shows it)."""
    ends = []
    for s, series in enumerate(data.series):
        last = max((i for i, v in enumerate(series.values) if v is not None), default=None)
        value = data.label(s, last) if last is not None else ""
        if not value:
            continue
        keyed = width > kit.width / 3
        name = series.name if len(data.series) > 1 else (categories[last] if keyed else "")
        text = f"{name} {value}".strip()
        ends.append(_End(s, last, [text] if kit.measure(text, "value") <= width else [name, value]))
    return ends


def _end_labels(kit: _Kit, plot: _Plot, data: ChartData, ends: list[_End]) -> None:
    """Labels at the line ends, pushed apart so they never overlap and kept inside the box."""
    size, em = kit.style.value_size, kit.em
    placed = sorted((plot.y(data.series[e.series].values[e.last] or 0.0), k) for k, e in enumerate(ends))
    middles, floor = [], -math.inf
    for y, k in placed:
        half = _text_height(len(ends[k].lines), size) / 2
        middles.append(max(y, floor + half + em * 0.3, half))
        floor = middles[-1] + half
    shift = max(0.0, floor - kit.height)
    for (_, k), middle in zip(placed, middles):
        end = ends[k]
        top = middle - shift + _text_height(len(end.lines), size) / 2
        kit.lines(plot.x(end.last) + em * 0.6, top, end.lines, "value")


def _key_height(kit: _Kit, ends: list[_End]) -> float:
    return sum(_text_height(len(e.lines), kit.style.value_size) + kit.em * 0.4 for e in ends) + kit.em * 0.4


def _line_key(kit: _Kit, ends: list[_End]) -> None:
    """A key above the plot: a sample of each line and its label."""
    em, size, top = kit.em, kit.style.value_size, kit.height
    for end in ends:
        middle = top - size / 2
        kit.canvas.plot([0, em * 0.8, em * 1.6], [middle] * 3, markevery=[1], **_line_style(kit, end.series))
        top = kit.lines(em * 2.2, top, end.lines, "value") - em * 0.4


# -- pies -----------------------------------------------------------------------------------------

def _draw_pie(kit: _Kit, data: ChartData, hole: float = 0.0) -> None:
    """Wedges clockwise from twelve o'clock with a key of category, value and share: the key on
    the right in a wide box, under the pie in a tall one."""
    em = kit.em
    values = [v or 0.0 for v in data.series[0].values]
    tall = kit.height > kit.width * 0.9
    diameter = min(kit.width - 2, em * 14, kit.height * 0.55) if tall else min(kit.height - 2, kit.width * 0.45)
    key_left = 0.0 if tall else diameter + em * 1.2
    key = _pie_key(kit, data, values, kit.width - key_left - em * 1.5)
    key_height = sum(_key_entry_height(kit, lines) for lines in key) + em * 0.6 * (len(key) - 1)
    corner = ((kit.width - diameter) / 2 if tall else 1.0, kit.height - 1 - diameter)
    if tall:
        key_left = (kit.width - kit.widest(line for lines in key for line in lines) - em * 1.5) / 2
        key_top = corner[1] - em * 1.2
    else:
        key_top = min(kit.height, corner[1] + (diameter + key_height) / 2)
    _wedges(kit, data, values, corner, diameter, hole)
    for i, lines in enumerate(key):
        _key_entry(kit, _category_fill(kit, data, i), lines, key_left, key_top)
        key_top -= _key_entry_height(kit, lines) + em * 0.6


def _category_fill(kit: _Kit, data: ChartData, i: int) -> Fill:
    if data.highlight:
        return kit.fill(data, 0, i)
    fills = series_fills(kit.style)
    return fills[i % len(fills)]


def _wedges(kit: _Kit, data: ChartData, values: list[float], corner: tuple[float, float], diameter: float,
            hole: float) -> None:
    ax = kit.fig.add_axes((corner[0] / kit.width, corner[1] / kit.height, diameter / kit.width,
                           diameter / kit.height))
    ax.set_axis_off()
    wedges, _ = ax.pie(values, startangle=90, counterclock=False,
                       wedgeprops={"width": 1 - hole} if hole else None)
    ax.set(xlim=(-1, 1), ylim=(-1, 1))     # the pie fills its square (matplotlib leaves a margin)
    for i, wedge in enumerate(wedges):
        wedge.set(**{**kit.patch_style(_category_fill(kit, data, i)), "edgecolor": kit.rgb("white"),
                     "linewidth": 0.8 * kit.style.scale, "clip_on": False})
    if hole:
        middle = (corner[0] + diameter / 2, corner[1] + diameter / 2)
        total = data.number(sum(values), data.series[0].unit)
        room = diameter * hole * 0.9
        size = min(kit.style.value_size, kit.style.value_size * room / max(kit.measure(total, "value"), 1))
        kit.text(middle[0], middle[1] + kit.em * 0.1, total, "value", size=size, ha="center")
        kit.text(middle[0], middle[1] - kit.em * 0.1 - _ASCENT * kit.style.small_size, "合计", "quiet",
                 ha="center")


def _pie_key(kit: _Kit, data: ChartData, values: list[float], width: float) -> list[list[str]]:
    """Each key entry's lines: the category (wrapped to `width`), then value and share."""
    total = sum(values)
    names, _ = kit.fit_labels(data.categories, width)
    return [[*name, f"{data.label(0, i)}  {format_number(value / total * 100, decimals=1)}%".strip()]
            for i, (name, value) in enumerate(zip(names, values))]


def _key_entry_height(kit: _Kit, lines: list[str]) -> float:
    return _text_height(len(lines) - 1, kit.em) + kit.em * 0.25 + kit.style.small_size


def _key_entry(kit: _Kit, fill: Fill, lines: list[str], left: float, top: float) -> None:
    """A swatch, the category's lines and, small and quiet, its value and share."""
    em = kit.em
    kit.rectangle(left, top - em * 0.9, em * 0.9, em * 0.9, fill)
    bottom = kit.lines(left + em * 1.5, top, lines[:-1])
    kit.lines(left + em * 1.5, bottom - em * 0.25, lines[-1:], "quiet")


def _draw_donut(kit: _Kit, data: ChartData) -> None:
    _draw_pie(kit, data, hole=0.42)


# -- key figures ----------------------------------------------------------------------------------

# A piece of a key-figure line: text, role and colour (None: the role's colour).
_Piece = tuple[str, str, str | None]


@dataclass(frozen=True)
class _Tile:
    """One key figure: header lines (the category, what the figure is), the figure with its
    unit, and the change lines; each line is pieces set one after another."""

    header: list[list[_Piece]]
    figure: tuple[str, str]
    change: list[list[_Piece]]


def _draw_kpi(kit: _Kit, data: ChartData) -> None:
    """One tile per row of the data, in the number of columns that sets the figures largest:
    side by side in a wide box, stacked in a tall narrow one; tiles parted by thin rules, the
    whole centred in the box."""
    n, em = len(data.categories), kit.em
    columns, size = _kpi_columns(kit, data)
    rows = -(-n // columns)
    width = _tile_width(kit, columns)
    tiles = _tiles(kit, data, width)
    natural = max(_walk_tile(kit, t, 0.0, 0.0, size, draw=False) for t in tiles)
    pitch = min(kit.height / rows, natural * 2.5 if rows > 1 else kit.height, natural + em * 10)
    top = _centred(kit, rows * pitch)
    for i, tile in enumerate(tiles):
        row, column = divmod(i, columns)
        x, tile_top = column * (width + em), top - row * pitch - (pitch - natural) / 2
        _walk_tile(kit, tile, x, tile_top, size)
        if column:
            kit.rule((x - em / 2,) * 2, (tile_top - natural, tile_top), kit.style.grid)
        if row:
            kit.rule((x, x + width), (top - row * pitch,) * 2, kit.style.grid)


def _kpi_columns(kit: _Kit, data: ChartData) -> tuple[int, float]:
    """The number of columns and the figure size: the largest size, where sizes within a tenth
    of it count as equal and a wide box then takes more columns, a tall box fewer."""
    sizes = {c: _kpi_size(kit, data, c) for c in range(1, len(data.categories) + 1)}
    good = [c for c, size in sizes.items() if size >= 0.9 * max(sizes.values())]
    columns = max(good) if kit.width >= kit.height else min(good)
    return columns, sizes[columns]


def _tile_width(kit: _Kit, columns: int) -> float:
    return (kit.width - (columns - 1) * kit.em) / columns


def _kpi_size(kit: _Kit, data: ChartData, columns: int) -> float:
    """The figure size with the tiles in `columns` columns: the style's, or less to fit the tile
    width and the height of the box."""
    n, st = len(data.categories), kit.style
    width = _tile_width(kit, columns)
    size = st.kpi_size
    for i in range(n):
        number, unit = _split_unit(data.text(0, i))
        natural = kit.measure(number, "kpi") + kit.measure(unit, "head") + kit.em * 0.2
        size = min(size, st.kpi_size * width / natural)
    rows = -(-n // columns)
    other = max(_walk_tile(kit, tile, 0.0, 0.0, 0.0, draw=False) for tile in _tiles(kit, data, width))
    return max(0.0, min(size, kit.height / rows - other - kit.em * 0.6))


def _tiles(kit: _Kit, data: ChartData, width: float) -> list[_Tile]:
    """The tiles, set alike: what stands beside the category (the figure's name when it is
    compared with a previous one) or beside the change goes on a line of its own in every tile
    when it does not fit in one."""
    names = [_greedy_lines(c, width, kit.measure) for c in data.categories]
    heads: list[list[_Piece]] = [[(name[-1], "label", None)] for name in names]
    if len(data.series) > 1:
        heads = [[*head, (data.series[0].name, "quiet", None)] for head in heads]
    changes = [_change_pieces(kit, data, i) for i in range(len(names))]
    split_heads, split_changes = (any(_too_wide(kit, pieces, width) for pieces in group) for group in (heads, changes))
    return [_Tile([[(line, "label", None)] for line in name[:-1]] + _piece_lines(head, split_heads),
                  _split_unit(data.text(0, i)), _piece_lines(change, split_changes))
            for i, (name, head, change) in enumerate(zip(names, heads, changes))]


def _too_wide(kit: _Kit, pieces: list[_Piece], width: float) -> bool:
    return sum(kit.measure(text, role) for text, role, _ in pieces) + kit.em * 0.4 * (len(pieces) - 1) > width


def _piece_lines(pieces: list[_Piece], split: bool) -> list[list[_Piece]]:
    return [[piece] for piece in pieces] if split else [pieces] if pieces else []


def _walk_tile(kit: _Kit, tile: _Tile, x: float, top: float, size: float, draw: bool = True) -> float:
    """Set a tile from `top` down (or only measure it); returns its height."""
    em, y = kit.em, top
    for line in tile.header:
        y = _pieces(kit, line, x, y, draw) - em * 0.25
    baseline = y - em * 0.1 - size * _ASCENT
    if draw:
        number, unit = tile.figure
        kit.text(x, baseline, number, "kpi", size=size)
        kit.text(x + kit.measure(number, "kpi", size) + em * 0.15, baseline, unit, "head")
    y = baseline - size * (1 - _ASCENT) - em * 0.3
    for line in tile.change:
        y = _pieces(kit, line, x, y, draw) - em * 0.25
    return top - y


def _pieces(kit: _Kit, line: list[_Piece], x: float, top: float, draw: bool) -> float:
    """One line of pieces, each after the last with a small gap; returns the line's bottom."""
    size = max(kit.size(role) for _, role, _ in line)
    for text, role, colour in line:
        if draw:
            kit.text(x, top - _ASCENT * size, text, role, colour=colour)
        x += kit.measure(text, role) + kit.em * 0.4
    return top - size


def _change_pieces(kit: _Kit, data: ChartData, i: int) -> list[_Piece]:
    """'▲4万头' and '较2022年'; nothing without a comparison."""
    if len(data.series) < 2:
        return []
    text, colour = _change_text(kit, data, i)
    return [(text, "value", colour), (f"较{data.series[1].name}", "quiet", None)] if text else []


def _change_text(kit: _Kit, data: ChartData, i: int) -> tuple[str, str]:
    """'▲4万头' (or '▲3.4%'), and the colour: up and down colours in colour mode, else text colour."""
    current, previous = data.series[0].values[i], data.series[1].values[i]
    if current is None or previous is None or data.change == "none":
        return "", kit.style.text
    diff = current - previous
    colourful = kit.style.mode is ColourMode.COLOUR
    if diff == 0:
        return "持平", kit.style.quiet_text
    arrow, colour = ("▲", kit.style.up) if diff > 0 else ("▼", kit.style.down)
    amount = (f"{format_number(abs(diff) / abs(previous) * 100, decimals=1)}%" if data.change == "percent" and previous
              else data.number(abs(diff), data.unit(0, i)))
    return arrow + amount, colour if colourful else kit.style.text


# -- tables ---------------------------------------------------------------------------------------

def _draw_table(kit: _Kit, cells: TableCells) -> None:
    """A three-line table (三线表): thick rules above and below, a thin rule under the header."""
    st = kit.style
    rows = (cells.header, *cells.body)
    roles = ["head", *("head" if marked else "label" for marked in cells.highlight)]
    widths = [max(kit.measure(row[j], role) for row, role in zip(rows, roles)) for j in range(len(cells.header))]
    gap = (kit.width - sum(widths)) / len(widths)
    row_h = min((kit.height - 4 * st.rule_width) / len(rows), st.label_size * 2.2)
    if gap < kit.em * 0.5 or row_h < st.label_size * 1.3:
        raise FitError(f"a table of {len(widths)} columns and {len(rows)} rows needs about "
                       f"{sum(widths) + kit.em * 0.5 * len(widths):.0f}×{len(rows) * st.label_size * 1.3:.0f} pt, "
                       f"the chart box is {kit.width:.0f}×{kit.height:.0f} pt",
                       hint="make the box larger, pick fewer columns or rows, or use smaller type")
    top = kit.height - st.rule_width
    lefts = [sum(widths[:j]) + gap * (j + 0.5) for j in range(len(widths))]
    for k, (row, role) in enumerate(zip(rows, roles)):
        baseline = _baseline(top - (k + 0.5) * row_h, kit.size(role))
        for j, text in enumerate(row):
            right = cells.numeric[j]
            kit.text(lefts[j] + (widths[j] if right else 0), baseline, text, role, ha="right" if right else "left")
    bottom = top - len(rows) * row_h
    for y, weight in ((top, 2.0), (top - row_h, 1.0), (bottom, 2.0)):
        kit.rule((0, kit.width), (y, y), width=st.rule_width * weight)


_DRAWERS: dict[str, Callable[[_Kit, Any], None]] = {
    "bar": _draw_bar, "hbar": _draw_hbar, "line": _draw_line, "pie": _draw_pie, "donut": _draw_donut,
    "range": _draw_range, "kpi": _draw_kpi, "table": _draw_table,
}


# -- font subsets ---------------------------------------------------------------------------------

# Tables a chart's glyphs do not need: vertical metrics, baselines and style attributes.
_SUBSET_DROP = ("BASE", "JSTF", "STAT", "VORG", "vhea", "vmtx", "DSIG", "meta")


@contextmanager
def _font_folder(font_cache: Path | None) -> Iterator[Path]:
    if font_cache is not None:
        yield font_cache
        return
    with tempfile.TemporaryDirectory(prefix="briefing-fonts-") as folder:
        yield Path(folder)


def _use_font_subsets(fig: Any, folder: Path) -> None:
    """Point every text of the figure at a subset of its font holding just the figure's characters.

    matplotlib's PDF backend subsets each font it embeds with fontTools, which for the 10–15 MB
    Noto files costs about half a second a font; subsetting them here first (lazily, without
    deriving 30,000 glyph names, and cached on disk) is several times quicker, and the backend's
    own subsetting of the small file is then nearly free. Glyphs, metrics and shaping tables are
    the original font's, so the layout, already measured with the full font, does not change.
    """
    from matplotlib.font_manager import findfont
    from matplotlib.text import Text

    fig.draw_without_rendering()          # tick labels get their final text
    by_file: dict[str, list[Any]] = {}
    for text in fig.findobj(lambda a: isinstance(a, Text) and a.get_visible() and a.get_text()):
        by_file.setdefault(findfont(text.get_fontproperties()), []).append(text)
    for file, texts in by_file.items():
        chars = "".join(sorted({c for t in texts for c in t.get_text()}))
        subset = str(font_subset(Path(file), chars, folder))
        for text in texts:
            properties = text.get_fontproperties().copy()
            properties.set_file(subset)
            text.set_fontproperties(properties)


def font_subset(font: Path, chars: str, folder: Path) -> Path:
    """A TrueType file under `folder` with the glyphs of `font` for `chars` (and what shaping can
    reach from them), named by the font file's hash and the characters: made once, then reused."""
    key = hashlib.sha256(f"{_file_digest(font)}\n{chars}".encode()).hexdigest()[:32]
    path = folder / f"{font.stem}-{key}.ttf"
    if not path.is_file():
        _write_atomically(path, _subset_bytes(font, chars))
    return path


@lru_cache(maxsize=None)
def _file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _subset_bytes(font_path: Path, chars: str) -> bytes:
    from fontTools import subset
    from fontTools.ttLib import TTFont

    options = subset.Options(hinting=False, notdef_outline=True, recalc_timestamp=False)
    options.drop_tables += list(_SUBSET_DROP)
    with TTFont(str(font_path), lazy=True, recalcBBoxes=False, recalcTimestamp=False) as font:
        # The Noto files carry no glyph names (post format 3): fontTools would derive one per
        # glyph from the whole cmap; names by glyph index serve as well and cost nothing.
        font.setGlyphOrder([".notdef", *(f"glyph{i:05d}" for i in range(1, font["maxp"].numGlyphs))])
        subsetter = subset.Subsetter(options)
        subsetter.populate(text=chars)
        subsetter.subset(font)
        buffer = io.BytesIO()
        font.save(buffer)
    return buffer.getvalue()


def _write_atomically(path: Path, data: bytes) -> None:
    """Write through a temporary file in the same folder, so a reader never sees a partial file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=path.parent, suffix=".tmp", delete=False) as handle:
        handle.write(data)
    os.replace(handle.name, path)


# -- colour space ---------------------------------------------------------------------------------

_SET_COLOUR = {b"rg": (False, 3), b"RG": (True, 3), b"g": (False, 1), b"G": (True, 1)}
_SET_SPACE = {b"cs": False, b"CS": True}
_SET_IN_SPACE = {b"sc": False, b"scn": False, b"SC": True, b"SCN": True}


@dataclass(frozen=True)
class _ColourMap:
    """RGB (or gray) values as matplotlib wrote them -> components in the palette's space.

    A colour that came from the palette gets the palette's exact values; a neutral r = g = b is
    K only (or its gray level); anything else is converted naively, with a warning.
    """

    palette: Palette
    exact: dict[tuple[float, ...], tuple[float, ...]]

    @classmethod
    def of(cls, palette: Palette) -> "_ColourMap":
        return cls(palette, {_rounded(c.rgb): c.in_space(palette.space) for c in palette.colours.values()})

    def convert(self, rgb: tuple[float, ...]) -> tuple[float, ...]:
        if len(rgb) == 1:
            rgb = rgb * 3
        found = self.exact.get(_rounded(rgb))
        if found is not None:
            return found
        r, g, b = rgb
        if r == g == b:
            return (0.0, 0.0, 0.0, round(1 - r, 4)) if self.palette.space is ColourSpace.CMYK else (r,)
        import warnings

        warnings.warn(f"chart colour rgb({r:g}, {g:g}, {b:g}) is not in the palette; converted without "
                      "colour management", BriefingWarning, stacklevel=4)
        if self.palette.space is ColourSpace.GRAY:
            return (round(0.299 * r + 0.587 * g + 0.114 * b, 4),)
        k = 1 - max(rgb)
        return tuple(round((1 - v - k) / (1 - k), 4) if k < 1 else 0.0 for v in rgb) + (round(k, 4),)

    def operator(self, stroking: bool) -> bytes:
        op = b"k" if self.palette.space is ColourSpace.CMYK else b"g"
        return op.upper() if stroking else op

    def space_name(self) -> str:
        return "/DeviceCMYK" if self.palette.space is ColourSpace.CMYK else "/DeviceGray"


def _rounded(values: Iterable[float]) -> tuple[float, ...]:
    return tuple(round(float(v), 3) for v in values)


def to_colour_space(pdf_bytes: bytes, palette: Palette) -> bytes:
    """Rewrite a PDF's DeviceRGB (and DeviceGray) colours to the palette's space (CMYK or gray).

    Covers rg/RG, g/G and sc/scn after a /DeviceRGB cs/CS, in page content, Form XObjects and
    tiling patterns (matplotlib's hatches). RGB output is returned unchanged.
    """
    if palette.space is ColourSpace.RGB:
        return pdf_bytes
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf_bytes)))
    colours = _ColourMap.of(palette)
    seen: set[int] = set()
    for page in writer.pages:
        content = _rewrite(page.get_contents(), colours, writer)
        # matplotlib leaves the default 1 pt line width unstated; checkers that read an unset
        # width as 0 would flag every 1 pt rule, so state it.
        content.operations.insert(0, (_operands((1.0,)), b"w"))
        if palette.space is ColourSpace.CMYK:
            _overprint_black_text(page, content)
        page.replace_contents(content)
        _rewrite_resources(page.get("/Resources"), colours, writer, seen)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


_BLACK_K = (0.0, 0.0, 0.0, 1.0)


def _overprint_black_text(page: Any, content: Any) -> None:
    """Black (K100) text overprints with OPM 1, as press rules want; other text knocks out.

    Only text objects drawn in pure K get the overprinting graphics state, so a white label on
    a bar or a gray gridline under a bar keeps knocking out.
    """
    from pypdf.generic import BooleanObject, DictionaryObject, NameObject, NumberObject

    def state(on: bool) -> DictionaryObject:
        return DictionaryObject({NameObject("/Type"): NameObject("/ExtGState"),
                                 NameObject("/OP"): BooleanObject(on), NameObject("/op"): BooleanObject(on),
                                 NameObject("/OPM"): NumberObject(1 if on else 0)})

    resources = page[NameObject("/Resources")].get_object()
    states = resources.setdefault(NameObject("/ExtGState"), DictionaryObject()).get_object()
    states[NameObject("/BriefingOP")] = state(True)
    states[NameObject("/BriefingKO")] = state(False)
    fill: tuple[float, ...] = ()
    in_text = overprinting = False
    operations = []
    for operands, operator in content.operations:
        operations.append((operands, operator))
        if operator == b"k":
            fill = tuple(float(o) for o in operands)
        if operator in (b"BT", b"k") and (operator == b"BT" or in_text):
            in_text = True
            wanted = fill == _BLACK_K
            if wanted != overprinting:
                operations.append(([NameObject("/BriefingOP" if wanted else "/BriefingKO")], b"gs"))
                overprinting = wanted
        elif operator == b"ET":
            in_text = False
            if overprinting:
                operations.append(([NameObject("/BriefingKO")], b"gs"))
                overprinting = False
    content.operations = operations


def _rewrite_resources(resources: Any, colours: _ColourMap, writer: Any, seen: set[int]) -> None:
    """Rewrite every Form XObject and tiling pattern reachable from a resource dictionary."""
    if resources is None:
        return
    resources = resources.get_object()
    for group in ("/XObject", "/Pattern"):
        for ref in (resources.get(group) or {}).values():
            stream = ref.get_object()
            key = id(stream)
            if key in seen or stream.get("/Subtype") == "/Image" or stream.get("/PatternType") == 2:
                continue
            seen.add(key)
            stream.set_data(_rewrite(stream, colours, writer).get_data())
            _rewrite_resources(stream.get("/Resources"), colours, writer, seen)


def _rewrite(stream: Any, colours: _ColourMap, writer: Any) -> Any:
    from pypdf.generic import ContentStream, NameObject

    content = ContentStream(stream, writer)
    in_rgb = {False: False, True: False}
    operations = []
    for operands, operator in content.operations:
        if operator in _SET_COLOUR and len(operands) == _SET_COLOUR[operator][1]:
            stroking = _SET_COLOUR[operator][0]
            operands = _operands(colours.convert(tuple(float(o) for o in operands)))
            operator = colours.operator(stroking)
        elif operator in _SET_SPACE:
            in_rgb[_SET_SPACE[operator]] = operands and operands[0] == "/DeviceRGB"
            if in_rgb[_SET_SPACE[operator]]:
                operands = [NameObject(colours.space_name())]
        elif operator in _SET_IN_SPACE and in_rgb[_SET_IN_SPACE[operator]] and len(operands) == 3:
            operands = _operands(colours.convert(tuple(float(o) for o in operands)))
        operations.append((operands, operator))
    content.operations = operations
    return content


def _operands(values: tuple[float, ...]) -> list[Any]:
    """Colour components as PDF numbers: 0 and 1 as integers, others with up to four decimals."""
    from pypdf.generic import FloatObject, NumberObject

    return [NumberObject(int(v)) if float(v).is_integer() else FloatObject(round(v, 4)) for v in values]


# -- cache ----------------------------------------------------------------------------------------

def _code_version() -> str:
    """This module's and the colour module's source, matplotlib's version and the font files:
    a change to any redraws."""
    digest = hashlib.sha256(Path(__file__).read_bytes())
    digest.update((Path(__file__).parent / "colour.py").read_bytes())
    digest.update(metadata.version("matplotlib").encode())
    for name in sorted(FONT_FILES.values()):
        digest.update(f"{name}:{(FONT_DIR / name).stat().st_size}".encode())
    return digest.hexdigest()


def _canonical(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _canonical(getattr(value, f.name)) for f in dataclasses.fields(value)
                if f.compare and f.name != "data"}
    if isinstance(value, dict):
        return {str(k): _canonical(v) for k, v in sorted(value.items())}
    if isinstance(value, (tuple, list)):
        return [_canonical(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value)
    return value if value is None or isinstance(value, (str, int, float, bool)) else str(value)


class ChartCache:
    """Rendered charts on disk, keyed by everything that decides their bytes."""

    def __init__(self, directory: str | Path):
        self.directory = Path(directory)
        self._version: str | None = None

    def key(self, spec: ChartSpec, table: Table, style: ChartStyle, width_pt: float, height_pt: float) -> str:
        if self._version is None:
            self._version = _code_version()
        content = {"spec": _canonical(spec), "columns": list(table.columns), "units": list(table.units),
                   "rows": _canonical(table.rows), "style": _canonical(style),
                   "size": [round(width_pt, 3), round(height_pt, 3)], "code": self._version}
        text = json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()

    def path(self, key: str) -> Path:
        return self.directory / f"{key}.pdf"

    def render(self, spec: ChartSpec, table: Table, style: ChartStyle, width_pt: float, height_pt: float) -> bytes:
        """The cached chart, or a freshly drawn one (stored for next time)."""
        path = self.path(self.key(spec, table, style, width_pt, height_pt))
        if path.is_file():
            return path.read_bytes()
        pdf = render_chart(spec, table, style, width_pt, height_pt, font_cache=self.directory / "fonts")
        _write_atomically(path, pdf)
        return pdf
