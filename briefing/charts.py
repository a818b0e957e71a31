"""Charts (stage 7): a chart block's data drawn by matplotlib as a one-page PDF of exact size.

A `ChartSpec` says what to draw (kind, data file, columns, labels); a `ChartStyle` says how
(fonts, palette colours, line weights, colour mode). `render_chart` draws only the plot (the
page layout sets the title and source line with the typesetter) and returns PDF bytes in the
palette's colour space: matplotlib writes DeviceRGB, `to_colour_space` rewrites it to the
palette's exact CMYK (or gray) values, and black to K only. Output is byte-for-byte repeatable.

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
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import Enum
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Mapping

from briefing.colour import DEFAULT_PALETTE, Colour, ColourSpace, Palette
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
    with matplotlib.rc_context({**_RC, "hatch.linewidth": style.edge_width * 2}):
        kit = _Kit.create(style, width, height)
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


def _for_mode(style: ChartStyle) -> ChartStyle:
    """Mono prints one ink at full strength: quiet text and grid lines take the text colour."""
    if style.mode is not ColourMode.MONO:
        return style
    return dataclasses.replace(style, quiet_text=style.text, grid=style.text)


@dataclass(frozen=True)
class _Role:
    font: str
    size: float
    colour: str


@dataclass
class _Kit:
    """A figure of width × height points, with a full-size canvas axes whose units are points."""

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
        kit = cls(fig, None, _for_mode(style), width, height)
        kit.canvas = kit.axes(0, 0, 0, 0)
        kit.canvas.set_xlim(0, width)
        kit.canvas.set_ylim(0, height)
        kit.canvas.set_axis_off()
        return kit

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

    def font(self, key: str, size: float) -> Any:
        from matplotlib.font_manager import FontProperties

        return FontProperties(fname=str(FONT_DIR / FONT_FILES[key]), size=size)

    def measure(self, text: str, role: str, size: float | None = None) -> float:
        """Width of a text in points."""
        from matplotlib.textpath import text_to_path

        r = self.role(role)
        return text_to_path.get_text_width_height_descent(text, self.font(r.font, size or r.size), ismath=False)[0]

    def axes(self, left: float, bottom: float, right: float, top: float) -> Any:
        """An axes inset by margins in points, with no background patch and no spines."""
        w, h = self.width, self.height
        ax = self.fig.add_axes((left / w, bottom / h, max(w - left - right, 1) / w, max(h - bottom - top, 1) / h))
        ax.patch.set_visible(False)
        for spine in ax.spines.values():
            spine.set_visible(False)
        ax.tick_params(length=0, labelbottom=False, labelleft=False)
        return ax

    def write(self, ax: Any, x: float, y: float, text: str, role: str = "label", *,
              colour: str | None = None, size: float | None = None, **kwargs: Any) -> Any:
        r = self.role(role)
        return ax.text(x, y, text, fontproperties=self.font(r.font, size or r.size),
                       color=self.rgb(colour or r.colour), **kwargs)

    def patch_style(self, fill: Fill) -> dict[str, Any]:
        return {"facecolor": self.rgb(fill.face), "edgecolor": self.rgb(fill.edge),
                "linewidth": self.style.edge_width, "hatch": fill.hatch or None,
                "hatchcolor": self.rgb(self.style.text)}

    def fill(self, data: ChartData, s: int, i: int) -> Fill:
        index = data.fill_index(s, i)
        fills = series_fills(self.style)
        return muted_fill(self.style) if index is None else fills[index % len(fills)]

    def baseline(self, ax: Any, side: str) -> None:
        spine = ax.spines[side]
        spine.set_visible(True)
        spine.set_color(self.rgb(self.style.rule))
        spine.set_linewidth(self.style.rule_width)

    def ticklabels(self, ax: Any, axis: str, positions: Iterable[float], labels: Iterable[str],
                   role: str = "label", pad: float = 4.0) -> None:
        r = self.role(role)
        getattr(ax, f"set_{axis}ticks")(list(positions), list(labels), fontproperties=self.font(r.font, r.size),
                                         color=self.rgb(r.colour))
        which = {"x": "labelbottom", "y": "labelleft"}[axis]
        ax.tick_params(axis=axis, pad=pad, **{which: True})

    def wrap(self, text: str, width: float, role: str = "label") -> str:
        """Break a label into lines no wider than `width` points (CJK text breaks between any characters)."""
        lines, line = [], ""
        for char in text:
            if line and self.measure(line + char, role) > width:
                lines.append(line)
                line = ""
            line += char
        return "\n".join([*lines, line])

    def legend(self, data: ChartData, top: float) -> None:
        """A row of swatches and series names along the top edge (hatched in gray and mono modes)."""
        x, size = 0.0, self.style.label_size
        fills = series_fills(self.style)
        for s, series in enumerate(data.series):
            fill = fills[s % len(fills)]
            self.canvas.add_patch(self.rectangle((x, top - size), size * 0.9, size * 0.9, fill))
            self.write(self.canvas, x + size * 1.3, top - size * 0.55, series.name, va="center")
            x += size * 2.5 + self.measure(series.name, "label")

    def rectangle(self, xy: tuple[float, float], w: float, h: float, fill: Fill) -> Any:
        from matplotlib.patches import Rectangle

        return Rectangle(xy, w, h, **self.patch_style(fill))


def _legend_height(kit: _Kit, data: ChartData) -> float:
    return kit.style.label_size * 2.0 if data.grouped else 0.0


def _values(data: ChartData) -> list[float]:
    return [v for s in data.series for v in s.values if v is not None]


def _value_limits(data: ChartData, room: float) -> tuple[float, float]:
    """Axis limits from 0 (or the lowest negative value) leaving `room` (a fraction) for labels."""
    values = _values(data)
    low, high = min(0.0, *values), max(0.0, *values)
    span = (high - low) or 1.0
    pad = span * room / max(1 - 2 * room, 0.2)
    return low - (pad if low < 0 else 0.0), high + (pad if high > 0 or low == 0 else 0.0)


def _slots(n_series: int, bar_fraction: float, cap: float) -> tuple[float, list[float]]:
    """Bar thickness and each series' offset inside a category slot of width 1; grouped bars
    keep a hairline of paper between them."""
    pitch = min(bar_fraction / n_series, cap)
    thickness = pitch * (0.88 if n_series > 1 else 1.0)
    return thickness, [(s - (n_series - 1) / 2) * pitch for s in range(n_series)]


def _label_size(kit: _Kit, data: ChartData, room: float) -> float:
    """Value label size: the style's, made smaller (to the small size at least) to fit `room` points."""
    st = kit.style
    widest = max(kit.measure(data.label(s, i), "value") for s in range(len(data.series))
                 for i in range(len(data.categories)))
    return max(st.small_size, min(st.value_size, st.value_size * room / widest)) if widest else st.value_size


def _draw_bar(kit: _Kit, data: ChartData) -> None:
    n, st = len(data.categories), kit.style
    slot_pt = (kit.width - 4) / n
    labels = [kit.wrap(c, slot_pt * 0.95) for c in data.categories]
    lines = max(label.count("\n") + 1 for label in labels)
    bottom, top = lines * st.label_size * 1.25 + 6, _legend_height(kit, data)
    ax = kit.axes(2, bottom, 2, top)
    plot_h = kit.height - bottom - top
    ax.set_ylim(*_value_limits(data, (st.value_size + 4) / plot_h))
    ax.set_xlim(-0.5, n - 0.5)
    thickness, offsets = _slots(len(data.series), 0.62, 3.2 * st.value_size / slot_pt)
    size = _label_size(kit, data, ((offsets[1] - offsets[0]) if len(offsets) > 1 else 1.0) * slot_pt - 3)
    for s, series in enumerate(data.series):
        for i, value in enumerate(series.values):
            if value is None:
                continue
            x = i + offsets[s]
            ax.bar(x, value, thickness, **kit.patch_style(kit.fill(data, s, i)))
            kit.write(ax, x, value, data.label(s, i), "value", size=size, ha="center",
                      va="bottom" if value >= 0 else "top", transform=_offset(ax, 0, 2 if value >= 0 else -2))
    kit.baseline(ax, "bottom")
    kit.ticklabels(ax, "x", range(n), labels)
    if top:
        kit.legend(data, kit.height)


def _offset(ax: Any, dx_pt: float, dy_pt: float) -> Any:
    from matplotlib.transforms import offset_copy

    return offset_copy(ax.transData, fig=ax.figure, x=dx_pt, y=dy_pt, units="points")


def _category_column(kit: _Kit, data: ChartData) -> tuple[list[str], float]:
    """Category labels wrapped to at most 38% of the width, and the width they take."""
    labels = [kit.wrap(c, kit.width * 0.38) for c in data.categories]
    widest = max(kit.measure(line, "label") for label in labels for line in label.split("\n"))
    return labels, widest + 6


def _hbar_axes(kit: _Kit, data: ChartData, right: float, bottom: float = 2.0) -> tuple[Any, float, float]:
    """Axes for horizontal rows (first category on top) with the category labels on the left;
    also the height of a row and the width of the plot, in points."""
    labels, left = _category_column(kit, data)
    top = _legend_height(kit, data)
    ax = kit.axes(left, bottom, right, top)
    n = len(data.categories)
    ax.set_ylim(-0.5, n - 0.5)
    kit.ticklabels(ax, "y", [n - 1 - i for i in range(n)], labels, pad=6)
    if top:
        kit.legend(data, kit.height)
    return ax, (kit.height - bottom - top) / n, kit.width - left - right


def _draw_hbar(kit: _Kit, data: ChartData) -> None:
    st = kit.style
    right = max(kit.measure(data.label(s, i), "value") for s in range(len(data.series))
                for i in range(len(data.categories))) + 6
    ax, slot_pt, _ = _hbar_axes(kit, data, right)
    low, high = _value_limits(data, 0.0)
    ax.set_xlim(low, high or 1.0)
    thickness, offsets = _slots(len(data.series), 0.62, 2.4 * st.value_size / slot_pt)
    n = len(data.categories)
    for s, series in enumerate(data.series):
        for i, value in enumerate(series.values):
            if value is None:
                continue
            y = n - 1 - i - offsets[s]
            ax.barh(y, value, thickness, **kit.patch_style(kit.fill(data, s, i)))
            kit.write(ax, value, y, data.label(s, i), "value", va="center",
                      ha="left" if value >= 0 else "right", transform=_offset(ax, 3 if value >= 0 else -3, 0))
    kit.baseline(ax, "left")


def _range_label(data: ChartData, i: int) -> str:
    low = data.series[0].values[i]
    high = data.series[1].values[i] if len(data.series) > 1 else None
    template = data.series[0].template
    if low is None or template is None:
        return ""
    text = data.text(0, i) if high is None or high == low else f"{data.text(0, i)}—{data.text(1, i)}"
    return template.replace("{value}", text)


def _draw_range(kit: _Kit, data: ChartData) -> None:
    """Targets as ranges: a track from zero, a bar from low to high, or a dot for a single value."""
    from matplotlib.ticker import MaxNLocator

    st, n = kit.style, len(data.categories)
    labels = [_range_label(data, i) for i in range(n)]
    label_w = max(kit.measure(t, "value") for t in labels) + 8
    ax, slot_pt, plot_w = _hbar_axes(kit, data, 2, bottom=st.small_size * 2.2)
    top = max(_values(data)) / max(1 - label_w / plot_w, 0.3)
    ax.set_xlim(0, top)
    ticks = [t for t in MaxNLocator(nbins=5, steps=[1, 2, 5, 10]).tick_values(0, top) if 0 <= t <= top]
    kit.ticklabels(ax, "x", ticks, [data.number(t, data.series[0].unit) for t in ticks], "quiet", pad=3)
    ax.xaxis.grid(True, color=kit.rgb(st.grid), linewidth=st.grid_width)
    ax.set_axisbelow(True)
    bar = min(0.34, 1.4 * st.value_size / slot_pt)
    paper = {"boxstyle": "square,pad=0.2", "facecolor": kit.rgb("white"), "edgecolor": kit.rgb("white"),
             "linewidth": st.edge_width}    # the label knocks the track out behind it
    for i in range(n):
        _range_row(kit, ax, data, i, n - 1 - i, bar, top)
        kit.write(ax, _range_end(data, i), n - 1 - i, labels[i], "value", va="center",
                  transform=_offset(ax, bar * slot_pt * 0.6 + 4, 0), bbox=paper)


def _range_end(data: ChartData, i: int) -> float:
    values = [s.values[i] for s in data.series if s.values[i] is not None]
    return max(values) if values else 0.0


def _range_row(kit: _Kit, ax: Any, data: ChartData, i: int, y: float, bar: float, top: float) -> None:
    st = kit.style
    track = Fill("white", st.text) if st.mode is ColourMode.MONO else Fill(st.track, st.track)
    ax.barh(y, top, bar * 0.35, **kit.patch_style(track))
    low = data.series[0].values[i]
    high = data.series[1].values[i] if len(data.series) > 1 else None
    fill = kit.fill(data, 0, i)
    if low is None:
        return
    if high is not None and high != low:
        ax.barh(y, high - low, bar, left=low, **kit.patch_style(fill))
    else:
        ax.plot([low], [y], marker="o", markersize=bar * 0.8 * _points_per_unit(ax, kit), linestyle="none",
                markerfacecolor=kit.rgb(fill.face), markeredgecolor=kit.rgb(fill.edge),
                markeredgewidth=max(st.edge_width, 0.5))


def _points_per_unit(ax: Any, kit: _Kit) -> float:
    """Points per data unit on an axes' y axis."""
    low, high = ax.get_ylim()
    return ax.get_position().height * kit.height / (high - low)


_DASHES = ("-", "--", ":", "-.")
_MARKERS = ("o", "s", "^", "D")


def _draw_line(kit: _Kit, data: ChartData) -> None:
    from matplotlib.ticker import MaxNLocator

    st, n = kit.style, len(data.categories)
    ends = [_end_label(data, s) for s in range(len(data.series))]
    right = max(kit.measure(e[1], "value") for e in ends if e) + 8 if any(ends) else 4
    values = _values(data)
    low, high = min(values), max(values)
    ticks = list(MaxNLocator(nbins=4).tick_values(low, high))
    left = max(kit.measure(data.number(t), "quiet") for t in ticks) + 6
    ax = kit.axes(left, st.label_size * 2, right, st.value_size)
    ax.set_ylim(ticks[0], ticks[-1])
    ax.set_xlim(-0.3, n - 0.7)
    kit.ticklabels(ax, "y", ticks, [data.number(t) for t in ticks], "quiet")
    ax.yaxis.grid(True, color=kit.rgb(st.grid), linewidth=st.grid_width)
    ax.set_axisbelow(True)
    kit.baseline(ax, "bottom")
    kit.ticklabels(ax, "x", range(n), data.categories)
    for s, series in enumerate(data.series):
        _line(kit, ax, data, s)
    _end_labels(kit, ax, ends)


def _line(kit: _Kit, ax: Any, data: ChartData, s: int) -> None:
    st = kit.style
    mono = st.mode is not ColourMode.COLOUR
    fills = series_fills(st)
    colour = kit.rgb(_line_colour(st, s) if mono else fills[s % len(fills)].face)
    ax.plot(range(len(data.categories)), [math.nan if v is None else v for v in data.series[s].values],
            color=colour, linewidth=st.line_width, linestyle=_DASHES[s % 4] if mono else "-",
            marker=_MARKERS[s % 4] if mono else "o", markersize=st.line_width * 2.6,
            markerfacecolor=colour, markeredgecolor=colour, markeredgewidth=st.edge_width)


def _line_colour(style: ChartStyle, s: int) -> str:
    """Lines in gray and mono modes stay dark enough to read; dashes and markers tell them apart."""
    return style.quiet_text if style.mode is ColourMode.GRAYSCALE and s % 2 else style.text


def _end_label(data: ChartData, s: int) -> tuple[int, str] | None:
    """The last point of a series with its direct label ('城镇 32,977元')."""
    values = data.series[s].values
    last = max((i for i, v in enumerate(values) if v is not None), default=None)
    if last is None:
        return None
    value = data.label(s, last)
    return last, f"{data.series[s].name} {value}".strip() if len(data.series) > 1 else value


def _end_labels(kit: _Kit, ax: Any, ends: list[tuple[int, str] | None]) -> None:
    """Labels at line ends, pushed apart vertically so they never overlap."""
    placed: list[tuple[float, float, int, str]] = []
    per_unit = _points_per_unit(ax, kit)
    for s, end in enumerate(ends):
        if end:
            y = ax.lines[s].get_ydata()[end[0]]
            placed.append((float(y) * per_unit, float(y), end[0], end[1]))
    placed.sort()
    gap, floor = kit.style.value_size * 1.2, -math.inf
    for y_pt, y, x, text in placed:
        shift = max(y_pt, floor + gap) - y_pt
        floor = y_pt + shift
        kit.write(ax, x, y, text, "value", va="center", transform=_offset(ax, 6, shift))


def _draw_pie(kit: _Kit, data: ChartData, hole: float = 0.0) -> None:
    """Wedges clockwise from twelve o'clock, with a key of category, value and share on the right."""
    st = kit.style
    side = min(kit.height - 4, kit.width * 0.48)
    ax = kit.fig.add_axes((2 / kit.width, (kit.height - side) / 2 / kit.height, side / kit.width, side / kit.height))
    ax.set_axis_off()
    values = [v or 0.0 for v in data.series[0].values]
    wedges, _ = ax.pie(values, startangle=90, counterclock=False,
                       wedgeprops={"width": 1 - hole} if hole else None)
    for i, wedge in enumerate(wedges):
        fill = kit.fill(data, 0, i) if data.highlight else _category_fill(kit, i)
        wedge.set(**{**kit.patch_style(fill), "edgecolor": kit.rgb("white"), "linewidth": 0.8})
    if hole:
        total = sum(values)
        kit.write(ax, 0, 0, data.number(total, data.series[0].unit), "value", ha="center", va="bottom")
        kit.write(ax, 0, 0, "合计", "quiet", ha="center", va="top", transform=_offset(ax, 0, -2))
    _pie_key(kit, data, values, side + 12)


def _category_fill(kit: _Kit, i: int) -> Fill:
    fills = series_fills(kit.style)
    return fills[i % len(fills)]


def _pie_key(kit: _Kit, data: ChartData, values: list[float], left: float) -> None:
    st, total = kit.style, sum(values)
    row = st.label_size * 2.6
    y = kit.height / 2 + row * (len(values) - 1) / 2
    for i, value in enumerate(values):
        fill = kit.fill(data, 0, i) if data.highlight else _category_fill(kit, i)
        size = st.label_size * 0.9
        kit.canvas.add_patch(kit.rectangle((left, y + 1), size, size, fill))
        kit.write(kit.canvas, left + size * 1.5, y + 1, data.categories[i], va="baseline")
        share = f"{format_number(value / total * 100, decimals=1)}%"
        kit.write(kit.canvas, left + size * 1.5, y - 2, f"{data.label(0, i)}  {share}".strip(), "quiet", va="top")
        y -= row


def _draw_donut(kit: _Kit, data: ChartData) -> None:
    _draw_pie(kit, data, hole=0.42)


def _draw_kpi(kit: _Kit, data: ChartData) -> None:
    """One tile per row: label, the figure set large with its unit small, and the change."""
    st, n = kit.style, len(data.categories)
    tile = kit.width / n
    figures = [_split_unit(data.text(0, i)) for i in range(n)]
    size = min(st.kpi_size, *(_fit_size(kit, f, tile - 8) for f in figures))
    block = st.label_size * 1.4 + size * 0.95 + (st.value_size * 1.7 if len(data.series) > 1 else 0)
    top = kit.height - max(0.0, (kit.height - block) / 2)
    for i, (number, unit) in enumerate(figures):
        x = i * tile + (4 if i else 0)
        kit.write(kit.canvas, x, top, data.categories[i], va="top")
        if len(data.series) > 1:   # the figure is compared with a previous one: say which it is
            kit.write(kit.canvas, x + kit.measure(data.categories[i], "label") + 3, top - 1,
                      data.series[0].name, "quiet", va="top")
        base = top - st.label_size * 1.4 - size * 0.85
        kit.write(kit.canvas, x, base, number, "kpi", size=size, va="baseline")
        kit.write(kit.canvas, x + kit.measure(number, "kpi", size) + 1.5, base, unit, "head", va="baseline")
        _kpi_change(kit, data, i, x, base - st.value_size * 1.7)
        if i:
            kit.canvas.plot([i * tile - 2] * 2, [2, kit.height - 2], color=kit.rgb(st.grid),
                            linewidth=st.rule_width)


def _split_unit(text: str) -> tuple[str, str]:
    """'120万头' -> ('120', '万头')."""
    end = len(text)
    while end and not (text[end - 1].isdigit() or text[end - 1] == "—"):
        end -= 1
    return text[:end], text[end:]


def _fit_size(kit: _Kit, figure: tuple[str, str], width: float) -> float:
    """The largest KPI size at which the figure and its unit fit the tile width."""
    size = kit.style.kpi_size
    natural = kit.measure(figure[0], "kpi", size) + kit.measure(figure[1], "head") + 2
    return size * min(1.0, width / natural) if natural else size


def _kpi_change(kit: _Kit, data: ChartData, i: int, x: float, y: float) -> None:
    if len(data.series) < 2:
        return
    text, colour = _change_text(kit, data, i)
    if not text:
        return
    kit.write(kit.canvas, x, y, text, "value", colour=colour, va="baseline")
    kit.write(kit.canvas, x + kit.measure(text, "value") + 3, y, f"较{data.series[1].name}", "quiet", va="baseline")


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


def _draw_table(kit: _Kit, cells: TableCells) -> None:
    """A three-line table (三线表): thick rules above and below, a thin rule under the header."""
    st = kit.style
    rows = (cells.header, *cells.body)
    roles = ["head", *("head" if marked else "label" for marked in cells.highlight)]
    widths = [max(kit.measure(row[j], role) for row, role in zip(rows, roles)) for j in range(len(cells.header))]
    gap = (kit.width - sum(widths)) / len(widths)
    row_h = min((kit.height - 4) / len(rows), st.label_size * 2.2)
    if gap < 4 or row_h < st.label_size * 1.3:
        raise FitError(f"a table of {len(widths)} columns and {len(rows)} rows needs about "
                       f"{sum(widths) + 4 * len(widths):.0f}×{len(rows) * st.label_size * 1.3:.0f} pt, "
                       f"the chart box is {kit.width:.0f}×{kit.height:.0f} pt",
                       hint="make the box larger, pick fewer columns or rows, or use smaller type")
    top = kit.height - st.rule_width
    lefts = [sum(widths[:j]) + gap * (j + 0.5) for j in range(len(widths))]
    for k, (row, role) in enumerate(zip(rows, roles)):
        y = top - (k + 0.5) * row_h
        for j, text in enumerate(row):
            right = cells.numeric[j]
            kit.write(kit.canvas, lefts[j] + (widths[j] if right else 0), y, text, role,
                      ha="right" if right else "left", va="center_baseline")
    bottom = top - len(rows) * row_h
    for y, weight in ((top, 2.0), (top - row_h, 1.0), (bottom, 2.0)):
        kit.canvas.plot([0, kit.width], [y, y], color=kit.rgb(st.rule), linewidth=st.rule_width * weight,
                        solid_capstyle="butt")


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
        return cls(palette, {_rounded(c.rgb): _device_values(c, palette.space) for c in palette.colours.values()})

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


def _device_values(colour: Colour, space: ColourSpace) -> tuple[float, ...]:
    """A palette colour's operands: DeviceGray takes a level (0 black), the inverse of the K tint."""
    if space is ColourSpace.GRAY:
        return (round(1 - colour.gray_k, 4),)
    return colour.in_space(space)


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
    """This module's source, matplotlib's version and the font files: a change to any redraws."""
    digest = hashlib.sha256(Path(__file__).read_bytes())
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
