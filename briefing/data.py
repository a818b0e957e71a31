"""Data loading (stage 1): CSV, YAML and JSON files into one small `Table`.

CSV exports from statistics bureaus are messy: title lines above the header, a "单位：元" line,
footnotes (注：, 资料来源：) and blank lines below the data, thousands separators ("32,977"),
units in headers ("人均收入(元)", "增长（%）"), "…" or "-" for missing values, and GBK/GB18030
encodings. `load_table` takes such a file as it is and records what it skipped, so the user can
see why a row is not in a chart. Row numbers in messages are the file's own row numbers (1-based,
as a spreadsheet shows them); YAML and JSON rows are numbered by record.

`format_number` writes numbers the way a Chinese newspaper prints them (32,977; 12亿元; 116万头).
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import yaml

from briefing.errors import DataError, SourceRef

Cell = str | float | None

MISSING = frozenset({"", "…", "……", "...", "-", "--", "—", "——", "－", "–", "NA", "N/A", "n/a", "null"})
FOOTNOTE_PREFIXES = ("注", "资料来源", "数据来源", "来源", "说明", "备注", "附注", "*", "※")
_UNIT_LINE = re.compile(r"^\s*(?:计量)?单位\s*[:：]\s*(\S+)\s*$")
_HEADER_UNIT = re.compile(r"^(?P<name>.*?)\s*[(（](?P<unit>[^()（）]{1,8})[)）]\s*$")
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_THOUSANDS = re.compile(r"(?<=\d)[,，](?=\d{3}(\D|$))")
_ENCODINGS = ("utf-8-sig", "gb18030")


@dataclass(frozen=True)
class Table:
    """A loaded table: column names (units stripped), rows of cells, units per column.

    `source` names the file; `lines` holds the source row number of each data row and
    `source_columns` the header as written, so any cell can be located for an error message.
    After a transpose, rows come from source columns and columns from source rows.
    """

    source: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]
    units: tuple[str, ...]
    skipped: tuple[str, ...] = ()
    lines: tuple[int, ...] = ()
    source_columns: tuple[str, ...] = ()
    transposed: bool = False
    record_word: str = "row"

    def index(self, name: str, ref: SourceRef | None = None) -> int:
        """The position of a column, by its name or by its header as written ("收入(元)")."""
        for names in (self.columns, self.source_columns):
            if name in names:
                return names.index(name)
        available = ", ".join(repr(c) for c in self.columns)
        raise DataError(f"{self.source}: no column {name!r}", ref,
                        hint=f"available columns: {available}")

    def column(self, name: str, ref: SourceRef | None = None) -> tuple[Cell, ...]:
        j = self.index(name, ref)
        return tuple(row[j] for row in self.rows)

    def numeric(self, name: str, ref: SourceRef | None = None, *,
                allow_missing: bool = True) -> tuple[float | None, ...]:
        """A column's values as numbers; a text cell (or a missing one, if not allowed) is an error."""
        j = self.index(name, ref)
        values = []
        for i, row in enumerate(self.rows):
            cell = row[j]
            if isinstance(cell, str) or (cell is None and not allow_missing):
                found = f"{cell!r}" if cell is not None else "an empty cell"
                raise DataError(f"{self.locate(i, j)}: expected a number, found {found}", ref)
            values.append(cell)
        if all(v is None for v in values):
            raise DataError(f"{self.source}, column {self.columns[j]!r}: no values (every cell is empty)", ref)
        return tuple(values)

    def unit(self, name: str, ref: SourceRef | None = None) -> str:
        return self.units[self.index(name, ref)]

    def locate(self, i: int, j: int) -> str:
        """'file.csv row 7, column '2022'' for cell (i, j) of this table."""
        line, column = (j - 1, i + 1) if self.transposed else (i, j)
        number = self.lines[line] if 0 <= line < len(self.lines) else line + 1
        header = self.source_columns[column] if column < len(self.source_columns) else self.columns[j]
        return f"{self.source} {self.record_word} {number}, column {header!r}"

    def select(self, columns: tuple[str, ...] | list[str], ref: SourceRef | None = None) -> "Table":
        picked = [self.index(c, ref) for c in columns]
        return Table(self.source, tuple(self.columns[j] for j in picked),
                     tuple(tuple(row[j] for j in picked) for row in self.rows),
                     tuple(self.units[j] for j in picked), self.skipped, self.lines,
                     tuple(self.source_columns[j] for j in picked), self.transposed, self.record_word)

    def transpose(self) -> "Table":
        """Wide to long: the first column becomes the header, the header becomes the first column."""
        first = self.columns[0] if self.columns else ""
        header = (first, *(cell_text(row[0]) for row in self.rows))
        rows = tuple((name, *(row[j] for row in self.rows)) for j, name in enumerate(self.columns) if j)
        units = ("", *(_common_unit(self.units[1:]) for _ in self.rows))
        return Table(self.source, header, rows, units, self.skipped, self.lines,
                     self.source_columns, not self.transposed, self.record_word)


def load_table(path: str | Path, *, encoding: str | None = None, header_row: int | None = None,
               data_rows: str | tuple[int, int | None] | None = None,
               columns: list[str] | tuple[str, ...] | None = None, transpose: bool = False,
               ref: SourceRef | None = None) -> Table:
    """Load a CSV (or TSV), YAML or JSON data file.

    header_row and data_rows are the file's row numbers (1-based, inclusive: "3:12" is rows 3 to
    12, "3:" runs to the end). Without them, title lines, unit lines, blank rows and footnotes are
    found and skipped. `columns` picks and orders columns; `transpose` turns wide data long.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f"data file {str(path)!r} not found", ref,
                        hint="paths in a chart block are relative to the file that contains it")
    suffix = path.suffix.lower()
    if suffix in (".yaml", ".yml", ".json"):
        table = _load_records(path, suffix, ref)
    else:
        text = _decode(path, path.read_bytes(), encoding, ref)
        table = _parse_csv(str(path), text, "\t" if suffix == ".tsv" else ",", header_row,
                           _row_range(data_rows, ref), ref)
    if not table.columns:
        raise DataError(f"{path}: no table found (no header row)", ref)
    if columns:
        table = table.select(tuple(columns), ref)
    return table.transpose() if transpose else table


# -- decoding and cells ---------------------------------------------------------------------------

def _decode(path: Path, raw: bytes, encoding: str | None, ref: SourceRef | None) -> str:
    for name in (encoding,) if encoding else _ENCODINGS:
        try:
            return raw.decode(name)
        except LookupError:
            raise DataError(f"{path}: unknown encoding {name!r}", ref,
                            hint="use utf-8, gb18030 (covers GBK and GB2312) or big5") from None
        except UnicodeDecodeError as exc:
            if encoding:
                line = raw[:exc.start].count(b"\n") + 1
                raise DataError(f"{path} row {line}: bytes are not valid {name}", ref,
                                hint="leave out `encoding` to detect utf-8 or gb18030") from None
    raise DataError(f"{path}: not utf-8 and not gb18030 text", ref, hint="give the file's `encoding`")


def parse_cell(text: str) -> Cell:
    """A cell's value: a float for numbers ("32,977", "７.5", "12%"), None for missing, else text."""
    value = unicodedata.normalize("NFKC", text).strip()
    if value in MISSING:
        return None
    number = _THOUSANDS.sub("", value).replace("−", "-").removesuffix("%").strip()
    if _NUMBER.match(number):
        return float(number)
    return text.strip()


def split_header(text: str) -> tuple[str, str]:
    """'人均收入(元)' -> ('人均收入', '元'); a header without a unit keeps '' as its unit."""
    header = text.strip()
    match = _HEADER_UNIT.match(header)
    if match and match["name"]:
        return match["name"].strip(), unicodedata.normalize("NFKC", match["unit"]).strip()
    return header, ""


def cell_text(cell: Cell) -> str:
    """A cell as label text: numbers without separators or scaling (2022 -> '2022'), missing -> ''."""
    if isinstance(cell, float):
        return format_number(cell, scale=None, thousands=False)
    return cell or ""


def _common_unit(units: tuple[str, ...]) -> str:
    distinct = set(units) - {""}
    return distinct.pop() if len(distinct) == 1 else ""


# -- CSV ------------------------------------------------------------------------------------------

def _row_range(spec: str | tuple[int, int | None] | list[int] | None,
               ref: SourceRef | None) -> tuple[int, int | None] | None:
    if spec is None:
        return None
    if isinstance(spec, str):
        start, sep, stop = spec.partition(":")
        try:
            bounds = (int(start), int(stop) if stop.strip() else None) if sep else None
        except ValueError:
            bounds = None
    else:
        bounds = (spec[0], spec[1]) if len(spec) == 2 else None
    if not bounds or bounds[0] < 1 or (bounds[1] is not None and bounds[1] < bounds[0]):
        raise DataError(f"rows {spec!r}: expected 'first:last' row numbers, like '3:12' or '3:'", ref)
    return bounds


def _is_blank(row: list[str]) -> bool:
    return not any(c.strip() for c in row)


def _is_footnote(row: list[str]) -> bool:
    first = next((c.strip() for c in row if c.strip()), "")
    return first.startswith(FOOTNOTE_PREFIXES)


def _filled(row: list[str]) -> int:
    return sum(1 for c in row if c.strip())


def _shorten(text: str, limit: int = 12) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


def _parse_csv(source: str, text: str, delimiter: str, header_row: int | None,
               data_rows: tuple[int, int | None] | None, ref: SourceRef | None) -> Table:
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    numbered: list[tuple[int, list[str]]] = []
    for row in reader:
        numbered.append((reader.line_num - _row_span(row) + 1, row))
    notes = _Notes()
    header_at = _find_header(numbered, header_row, data_rows, notes, source, ref)
    if header_at is None:
        return Table(source, (), (), (), notes.done())
    line, header = numbered[header_at]
    data = _data_rows(numbered[header_at + 1:], data_rows, notes)
    default_unit = notes.unit
    width = max([len(header), *(len(r) for _, r in data)])
    heads = [split_header(h) for h in header + [""] * (width - len(header))]
    names = tuple(name or f"列{j + 1}" for j, (name, _) in enumerate(heads))
    _check_unique(names, source, line, ref)
    rows = tuple(tuple(parse_cell(c) for c in r + [""] * (width - len(r))) for _, r in data)
    units = tuple(unit or (default_unit if j else "") for j, (_, unit) in enumerate(heads))
    return Table(source, names, rows, units, notes.done(), tuple(n for n, _ in data),
                 tuple(h.strip() or names[j] for j, h in enumerate(header + [""] * (width - len(header)))))


def _row_span(row: list[str]) -> int:
    """How many physical lines a parsed CSV row took (quoted cells may hold newlines)."""
    return 1 + sum(c.count("\n") for c in row)


def _check_unique(names: tuple[str, ...], source: str, line: int, ref: SourceRef | None) -> None:
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise DataError(f"{source} row {line}: column {name!r} appears twice in the header", ref)
        seen.add(name)


class _Notes:
    """Collects what was skipped, merging runs of consecutive rows of the same kind."""

    def __init__(self) -> None:
        self.runs: list[list] = []   # [first, last, kind, text]
        self.unit = ""

    def add(self, line: int, kind: str, row: list[str] | None = None) -> None:
        text = _shorten(next((c.strip() for c in row if c.strip()), "")) if row else ""
        last = self.runs[-1] if self.runs else None
        if last and last[2] == kind and last[1] == line - 1 and kind != "footnote":
            last[1] = line
            return
        self.runs.append([line, line, kind, text])

    def done(self) -> tuple[str, ...]:
        out = []
        for first, last, kind, text in self.runs:
            where = f"row {first}" if first == last else f"rows {first}–{last}"
            label = f"{kind} {text!r}" if kind in ("footnote", "unit line") else kind
            out.append(f"{where}: {label}")
        return tuple(out)


def _find_header(numbered: list[tuple[int, list[str]]], header_row: int | None,
                 data_rows: tuple[int, int | None] | None, notes: _Notes,
                 source: str, ref: SourceRef | None) -> int | None:
    """Index of the header row in `numbered`; rows above it are noted as skipped."""
    for k, (line, row) in enumerate(numbered):
        unit = _UNIT_LINE.match(row[0]) if _filled(row) == 1 and row and row[0].strip() else None
        if header_row is not None:
            if line == header_row:
                return k
        elif _filled(row) >= 2 and not (data_rows and line >= data_rows[0]):
            return k
        if unit:
            notes.unit = unicodedata.normalize("NFKC", unit[1])
            notes.add(line, "unit line", row)
        elif _is_blank(row):
            notes.add(line, "blank")
        else:
            notes.add(line, "title lines" if header_row is None else "above the header")
    if header_row is not None:
        raise DataError(f"{source}: header row {header_row} is past the end of the file "
                        f"({numbered[-1][0] if numbered else 0} rows)", ref)
    return None


def _data_rows(rows: list[tuple[int, list[str]]], data_rows: tuple[int, int | None] | None,
               notes: _Notes) -> list[tuple[int, list[str]]]:
    kept: list[tuple[int, list[str]]] = []
    in_footer = False
    for line, row in rows:
        if data_rows and not (data_rows[0] <= line and (data_rows[1] is None or line <= data_rows[1])):
            notes.add(line, "outside the selected rows")
        elif _is_blank(row):
            notes.add(line, "blank")
        elif in_footer or _is_footnote(row):
            in_footer = True
            notes.add(line, "footnote", row)
        else:
            kept.append((line, row))
    return kept


# -- YAML and JSON --------------------------------------------------------------------------------

def _load_records(path: Path, suffix: str, ref: SourceRef | None) -> Table:
    text = _decode(path, path.read_bytes(), None, ref)
    try:
        doc = json.loads(text) if suffix == ".json" else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as exc:
        raise DataError(f"{path}: cannot parse: {exc}", ref) from None
    if isinstance(doc, dict):
        return _from_mapping(str(path), doc, ref)
    if isinstance(doc, list) and all(isinstance(r, dict) for r in doc):
        return _from_records(str(path), doc)
    raise DataError(f"{path}: expected a list of records or a mapping of column to list of values", ref)


def _value(value: object) -> Cell:
    if value is None or isinstance(value, bool):
        return None if value is None else str(value)
    if isinstance(value, (int, float)):
        return float(value) if math.isfinite(value) else None
    return parse_cell(str(value))


def _from_records(source: str, records: list[dict]) -> Table:
    named = [{str(k): v for k, v in record.items()} for record in records]
    headers: list[str] = []
    for record in named:
        headers.extend(k for k in record if k not in headers)
    rows = tuple(tuple(_value(r.get(h)) for h in headers) for r in named)
    return _records_table(source, headers, rows)


def _from_mapping(source: str, doc: dict, ref: SourceRef | None) -> Table:
    headers = [str(k) for k in doc]
    values = [v if isinstance(v, list) else [v] for v in doc.values()]
    lengths = {len(v) for v in values}
    if len(lengths) > 1:
        counts = ", ".join(f"{h!r}: {len(v)}" for h, v in zip(headers, values))
        raise DataError(f"{source}: columns have different lengths ({counts})", ref,
                        hint="every column must have one value per row")
    rows = tuple(zip(*([_value(x) for x in v] for v in values))) if values else ()
    return _records_table(source, headers, rows)


def _records_table(source: str, headers: list[str], rows: tuple[tuple[Cell, ...], ...]) -> Table:
    heads = [split_header(h) for h in headers]
    return Table(source, tuple(n for n, _ in heads), rows, tuple(u for _, u in heads), (),
                 tuple(range(1, len(rows) + 1)), tuple(headers), record_word="record")


# -- number formatting ----------------------------------------------------------------------------

_SCALES = {"万": 1e4, "亿": 1e8}


def format_number(value: float | None, *, unit: str = "", scale: str | None = "auto",
                  decimals: int | None = None, thousands: bool = True) -> str:
    """A number as a Chinese newspaper prints it.

    32977 -> "32,977"; 1.2e9 with unit "元" -> "12亿元"; 1160000 头 -> "116万头"; 116 with unit
    "万头" -> "116万头" (a unit may already carry 万 or 亿: auto scale may promote 40000万元 to
    4亿元, but never demotes 4万头 to 40,000头). scale: "auto" (万 from 100,000, 亿 from 100,000,000), "万", "亿" or None. decimals None
    shows up to two, without trailing zeros. Thousands separators go in five-digit and longer
    integer parts only, so years and 4-digit amounts (5000万元) stay unsplit. Missing -> "—".
    """
    if value is None:
        return "—"
    base, bare_unit = _unscale(value, unit)
    prefix = _pick_scale(base, scale, _unit_prefix(unit)) if scale is not None else _unit_prefix(unit)
    shown = base / _SCALES.get(prefix, 1.0)
    return _digits(shown, decimals, thousands) + prefix + (bare_unit if scale is not None else unit[len(prefix):])


def _unit_prefix(unit: str) -> str:
    return next((p for p in _SCALES if unit.startswith(p) and len(unit) > 1), "")


def _unscale(value: float, unit: str) -> tuple[float, str]:
    prefix = _unit_prefix(unit)
    return value * _SCALES.get(prefix, 1.0), unit[len(prefix):]


def _pick_scale(base: float, scale: str, unit_prefix: str) -> str:
    """The forced scale, or by size, never smaller than the unit's own (4万头 stays 4万头)."""
    if scale in _SCALES:
        return scale
    if scale != "auto":
        raise ValueError(f"scale must be 'auto', '万', '亿' or None, not {scale!r}")
    size = abs(base)
    by_size = "亿" if size >= 1e8 else "万" if size >= 1e5 else ""
    return max(by_size, unit_prefix, key=lambda p: _SCALES.get(p, 1.0))


def _digits(value: float, decimals: int | None, thousands: bool) -> str:
    if decimals is None:
        text = f"{value:.2f}".rstrip("0").rstrip(".")
    else:
        text = f"{value:.{decimals}f}"
    if text in ("-0", "-0.0", "-0.00"):
        text = text[1:]
    sign, digits = ("-", text[1:]) if text.startswith("-") else ("", text)
    whole, dot, frac = digits.partition(".")
    if thousands and len(whole) >= 5:
        whole = f"{int(whole):,}"
    return sign + whole + dot + frac
