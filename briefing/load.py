"""Load stage: YAML with source positions, content -> model, layouts -> Layout.

Every mapping read from YAML remembers where it and each of its keys came from, so that any
error about the content names file, line and column. Unknown keys are errors that list the
keys expected there. Problems are collected and reported together.
"""

from __future__ import annotations

import re
from dataclasses import fields as dc_fields
from datetime import date
from pathlib import Path
from typing import Any, Callable

import yaml

from briefing.errors import InputError, SourceRef
from briefing.layoutspec import (MM, PAPER_SIZES_MM, Furniture, Layout, Region, Style)
from briefing.model import (Banner, Block, Briefing, Byline, Chart, Headline, Inline, KeyFigure,
                            KeyFigures, KeywordBox, KeywordItem, LeadBox, Page, Paragraphs, Section)
from briefing.typeset.model import Align, PunctStyle, Span

LAYOUT_DIR = Path(__file__).resolve().parent.parent / "layouts"


# ------------------------------------------------------------------ YAML with positions
class SourcedDict(dict):
    """A mapping that knows where it and each key came from."""

    ref: SourceRef
    key_refs: dict[str, SourceRef]


class SourcedList(list):
    ref: SourceRef


def _ref(path: str, mark: yaml.Mark | None) -> SourceRef:
    return SourceRef(path, mark.line + 1, mark.column + 1) if mark else SourceRef(path)


def _loader_for(path: str) -> type[yaml.SafeLoader]:
    class Loader(yaml.SafeLoader):
        pass

    def mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> SourcedDict:
        out = SourcedDict()
        out.ref = _ref(path, node.start_mark)
        out.key_refs = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            if not isinstance(key, (str, int, float)) or isinstance(key, bool):
                raise InputError("mapping keys must be plain text", ref=_ref(path, key_node.start_mark))
            key = str(key)
            if key in out:
                raise InputError(f"key {key!r} appears twice", ref=_ref(path, key_node.start_mark))
            out[key] = loader.construct_object(value_node, deep=True)
            out.key_refs[key] = _ref(path, value_node.start_mark)
        return out

    def sequence(loader: yaml.SafeLoader, node: yaml.SequenceNode) -> SourcedList:
        out = SourcedList(loader.construct_object(n, deep=True) for n in node.value)
        out.ref = _ref(path, node.start_mark)
        return out

    Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, mapping)
    Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, sequence)
    return Loader


def read_yaml(path: Path) -> Any:
    """Parse a YAML file; syntax errors become InputError with file, line, column and what was expected."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"file not found: {path}") from None
    except UnicodeDecodeError as exc:
        raise InputError(f"{path} is not UTF-8 text ({exc.reason} at byte {exc.start})",
                         ref=SourceRef(str(path)), hint="save the file as UTF-8") from None
    try:
        return yaml.load(text, Loader=_loader_for(str(path)))  # noqa: S506 - SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        what = exc.problem or "invalid YAML"
        context = f" ({exc.context})" if exc.context else ""
        raise InputError(f"YAML syntax: {what}{context}", ref=_ref(str(path), mark),
                         hint=_yaml_hint(what)) from None


def _yaml_hint(problem: str) -> str:
    if "expected <block end>" in problem or "indentation" in problem:
        return "check the indentation: items of one list or mapping must start in the same column"
    if "mapping values are not allowed" in problem:
        return "a value containing ': ' must be quoted, or use a block scalar (|)"
    if "found character '\\t'" in problem:
        return "YAML does not allow tabs for indentation; use spaces"
    return "see the line and column above"


# ------------------------------------------------------------------ field access with errors
class Fields:
    """Typed access to one YAML mapping; collects unknown or ill-typed keys as errors."""

    def __init__(self, data: Any, what: str, allowed: set[str], ref: SourceRef):
        if not isinstance(data, dict):
            raise InputError(f"{what} must be a mapping (key: value lines), found {_kind(data)}", ref=ref)
        self.data, self.what = data, what
        self.ref = getattr(data, "ref", ref)
        unknown = sorted(set(data) - allowed)
        if unknown:
            raise InputError(f"{what}: unknown key {unknown[0]!r}", ref=self.key_ref(unknown[0]),
                             hint=f"expected one of: {', '.join(sorted(allowed))}")

    def key_ref(self, key: str) -> SourceRef:
        refs = getattr(self.data, "key_refs", {})
        return refs.get(key, self.ref)

    def str(self, key: str, default: str | None = None) -> str:
        value = self.data.get(key, default)
        if value is None:
            raise InputError(f"{self.what}: missing key {key!r}", ref=self.ref)
        if isinstance(value, (dict, list)):
            raise InputError(f"{self.what}: {key!r} must be text, found {_kind(value)}", ref=self.key_ref(key))
        return str(value)

    def num(self, key: str, default: float | None = None) -> float:
        value = self.data.get(key, default)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise InputError(f"{self.what}: {key!r} must be a number, found {_kind(value)}",
                             ref=self.key_ref(key))
        return float(value)

    def bool(self, key: str, default: bool) -> bool:
        value = self.data.get(key, default)
        if not isinstance(value, bool):
            raise InputError(f"{self.what}: {key!r} must be true or false, found {value!r}",
                             ref=self.key_ref(key))
        return value

    def list(self, key: str) -> list:
        value = self.data.get(key, [])
        if value is None:
            return []
        if not isinstance(value, list):
            raise InputError(f"{self.what}: {key!r} must be a list (lines starting with '- '), "
                             f"found {_kind(value)}", ref=self.key_ref(key))
        return value

    def length(self, key: str, default: str | float | None = None, em: float | None = None) -> float:
        value = self.data.get(key, default)
        try:
            return parse_length(value, em)
        except ValueError as exc:
            raise InputError(f"{self.what}: {key!r}: {exc}", ref=self.key_ref(key)) from None


def _kind(value: Any) -> str:
    return {dict: "a mapping", SourcedDict: "a mapping", list: "a list", SourcedList: "a list",
            type(None): "nothing"}.get(type(value), f"{type(value).__name__} {value!r}")


_LENGTH = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*(mm|cm|pt|in|em)?\s*$")


def parse_length(value: Any, em: float | None = None) -> float:
    """'12mm', '10.5pt', '2em', 7 (points) -> points."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    match = _LENGTH.match(str(value)) if value is not None else None
    if not match:
        raise ValueError(f"expected a length such as 12mm, 10.5pt or 2em, found {value!r}")
    number, unit = float(match.group(1)), match.group(2) or "pt"
    if unit == "em":
        if em is None:
            raise ValueError("em lengths are not allowed here")
        return number * em
    return number * {"mm": MM, "cm": 10 * MM, "pt": 1.0, "in": 72.0}[unit]


# ------------------------------------------------------------------ inline text
_STRONG = re.compile(r"\*\*(.+?)\*\*", re.S)


def parse_inline(text: str) -> Inline:
    """`**bold**` -> strong spans; everything else regular. Line breaks inside a paragraph vanish."""
    text = re.sub(r"\s*\n\s*", "", text.strip())
    spans: list[Span] = []
    pos = 0
    for match in _STRONG.finditer(text):
        if match.start() > pos:
            spans.append(Span(text[pos:match.start()]))
        spans.append(Span(match.group(1), "strong"))
        pos = match.end()
    if pos < len(text):
        spans.append(Span(text[pos:]))
    return tuple(spans)


def parse_paragraphs(value: Any, ref: SourceRef, what: str) -> tuple[Inline, ...]:
    """A block scalar (paragraphs separated by blank lines) or a list of paragraph strings."""
    if value is None:
        return ()
    if isinstance(value, list):
        items = [str(v) for v in value]
    elif isinstance(value, str):
        items = re.split(r"\n\s*\n", value)
    else:
        raise InputError(f"{what} must be text or a list of paragraphs, found {_kind(value)}", ref=ref)
    return tuple(p for p in (parse_inline(i) for i in items) if p)


# ------------------------------------------------------------------ content
_COMMON = {"id", "tags", "style"}


def _common(f: Fields) -> dict[str, Any]:
    tags = f.data.get("tags", [])
    if isinstance(tags, str):
        tags = [tags]
    return {"ref": f.ref, "id": f.data.get("id"), "tags": tuple(str(t) for t in tags),
            "style": f.data.get("style")}


def _body(f: Fields, key: str = "body") -> tuple[Inline, ...]:
    return parse_paragraphs(f.data.get(key), f.key_ref(key), f"{f.what} {key}")


def _block_banner(f: Fields, ctx: "_ContentContext") -> Block:
    return Banner(text=f.str("text"), subtitle=f.str("subtitle", ""),
                  companion=f.str("companion", ""), teaser=f.str("teaser", ""), **_common(f))


def _block_headline(f: Fields, ctx: "_ContentContext") -> Block:
    return Headline(title=f.str("title"), kicker=f.str("kicker", ""), subtitle=f.str("subtitle", ""),
                    vertical=f.bool("vertical", False), **_common(f))


def _block_section(f: Fields, ctx: "_ContentContext") -> Block:
    return Section(heading=f.str("heading", ""), paragraphs=_body(f), number=f.str("number", ""),
                   summary=_body(f, "summary"), **_common(f))


def _block_keywords(f: Fields, ctx: "_ContentContext") -> Block:
    items = []
    for n, raw in enumerate(f.list("items"), 1):
        item = Fields(raw, f"{f.what} item {n}", {"lead", "text"}, f.key_ref("items"))
        items.append(KeywordItem(item.str("lead"), parse_inline(item.str("text"))))
    return KeywordBox(number=f.str("number", ""), title=f.str("title"), items=tuple(items),
                      summary=_body(f, "summary"), **_common(f))


def _block_figures(f: Fields, ctx: "_ContentContext") -> Block:
    items = []
    for n, raw in enumerate(f.list("items"), 1):
        item = Fields(raw, f"{f.what} item {n}", {"label", "value", "suffix"}, f.key_ref("items"))
        items.append(KeyFigure(item.str("label"), item.str("value"), item.str("suffix", "")))
    return KeyFigures(title=f.str("title", ""), subtitle=f.str("subtitle", ""), items=tuple(items),
                      note=_body(f, "note"), **_common(f))


def _block_lead(f: Fields, ctx: "_ContentContext") -> Block:
    return LeadBox(title=f.str("title"), paragraphs=_body(f), summary=_body(f, "summary"), **_common(f))


def _block_byline(f: Fields, ctx: "_ContentContext") -> Block:
    return Byline(text=f.str("text"), **_common(f))


def _block_text(f: Fields, ctx: "_ContentContext") -> Block:
    return Paragraphs(paragraphs=_body(f), quote=f.bool("quote", False), **_common(f))


def _block_chart(f: Fields, ctx: "_ContentContext") -> Block:
    from briefing.charts import ChartSpec

    data = {k: v for k, v in f.data.items() if k not in _COMMON | {"height", "period"}}
    spec = ChartSpec.from_mapping(data, f.ref, ctx.base_dir)
    height = f.data.get("height")
    fill = height == "fill"
    return Chart(spec=spec, title=spec.title or "", source=spec.source or "", fill=fill,
                 rows=int(f.num("height")) if height is not None and not fill else None,
                 period=_period(f), **_common(f))


def _period(f: Fields) -> tuple[str, int] | None:
    """`period: {date: 周, weeks: 8}`: draw only the weeks up to the issue date."""
    if "period" not in f.data:
        return None
    p = Fields(f.data["period"], "chart period", {"date", "weeks"}, f.key_ref("period"))
    weeks = int(p.num("weeks", 1))
    if weeks < 1:
        raise InputError("chart period: weeks must be 1 or more", ref=p.key_ref("weeks"))
    return p.str("date"), weeks


_BLOCKS: dict[str, tuple[Callable[[Fields, "_ContentContext"], Block], set[str] | None]] = {
    "banner": (_block_banner, {"text", "subtitle", "companion", "teaser"}),
    "headline": (_block_headline, {"title", "kicker", "subtitle", "vertical"}),
    "section": (_block_section, {"heading", "body", "number", "summary"}),
    "keywords": (_block_keywords, {"number", "title", "items", "summary"}),
    "figures": (_block_figures, {"title", "subtitle", "items", "note"}),
    "lead": (_block_lead, {"title", "body", "summary"}),
    "byline": (_block_byline, {"text"}),
    "text": (_block_text, {"body", "quote"}),
    "chart": (_block_chart, None),        # chart keys are checked by ChartSpec
}


class _ContentContext:
    def __init__(self, base_dir: Path):
        self.base_dir = base_dir


def parse_block(raw: Any, ref: SourceRef, ctx: _ContentContext) -> Block:
    if not isinstance(raw, dict) or len(raw) != 1:
        raise InputError("a block is one key naming its kind, e.g. 'section:' or 'keywords:'",
                         ref=getattr(raw, "ref", ref), hint=f"kinds: {', '.join(_BLOCKS)}")
    kind, body = next(iter(raw.items()))
    kref = raw.key_refs.get(kind, ref) if isinstance(raw, SourcedDict) else ref
    if kind not in _BLOCKS:
        raise InputError(f"unknown block kind {kind!r}", ref=getattr(raw, "ref", ref),
                         hint=f"kinds: {', '.join(_BLOCKS)}")
    if isinstance(body, str) and kind in ("byline", "banner", "text"):
        body = {"text": body} if kind != "text" else {"body": body}
    build, allowed = _BLOCKS[kind]
    keys = (allowed | _COMMON) if allowed is not None else set(body or {}) | _COMMON
    return build(Fields(body, kind, keys, kref), ctx)


def parse_briefing(data: Any, path: Path) -> Briefing:
    top = Fields(data, "briefing", {"title", "publication", "date", "author", "pages", "issue",
                                    "editions", "schedule", "punctuation", "profile", "spread"},
                 SourceRef(str(path)))
    ctx = _ContentContext(path.parent)
    pages = []
    for n, raw in enumerate(top.list("pages"), 1):
        pf = Fields(raw, f"page {n}", {"layout", "label", "regions"}, top.key_ref("pages"))
        regions_raw = pf.data.get("regions") or {}
        rf = Fields(regions_raw, f"page {n} regions", set(regions_raw), pf.key_ref("regions"))
        regions = {}
        for name in regions_raw:
            blocks = rf.list(name)
            regions[name] = tuple(parse_block(b, rf.key_ref(name), ctx) for b in blocks)
        pages.append(Page(layout=pf.str("layout"), regions=regions, label=pf.str("label", ""), ref=pf.ref))
    if not pages:
        raise InputError("the briefing has no pages", ref=top.ref, hint="add a 'pages:' list")
    return Briefing(title=top.str("title"), pages=tuple(pages), publication=top.str("publication", ""),
                    issue_date=_date(top), author=top.str("author", ""), issue_label=top.str("issue", ""),
                    profile=top.data.get("profile"), spread=top.bool("spread", False),
                    source_dir=str(path.parent), ref=top.ref)


def _date(f: Fields) -> date | None:
    value = f.data.get("date")
    if value is None or isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise InputError(f"date must be YYYY-MM-DD, found {value!r}", ref=f.key_ref("date")) from None


# ------------------------------------------------------------------ layouts
_STYLE_KEYS = {f.name for f in dc_fields(Style)} - {"name"}
_REGION_KEYS = {"columns", "rows", "text_columns", "next", "column_rules", "background", "bleed", "balance",
                "after", "gap", "keep_blocks"}


def load_layout(name_or_path: str, search: Path = LAYOUT_DIR) -> Layout:
    path = Path(name_or_path)
    if path.suffix not in (".yaml", ".yml"):
        path = search / f"{name_or_path}.yaml"
    if not path.exists():
        known = sorted(p.stem for p in search.glob("*.yaml"))
        raise InputError(f"no layout {name_or_path!r}", hint=f"layouts in {search}: {', '.join(known)}")
    return parse_layout(read_yaml(path), path)


def parse_layout(data: Any, path: Path) -> Layout:
    f = Fields(data, f"layout {path.stem}", {"name", "paper", "margins", "columns", "gutter", "pitch",
                                              "body", "regions", "styles", "furniture", "repeat"},
               SourceRef(str(path)))
    width, height = paper_size(f)
    styles = {name: _style(name, raw, f) for name, raw in (f.data.get("styles") or {}).items()}
    body = f.str("body", "body")
    if body not in styles:
        raise InputError(f"layout {path.stem}: body style {body!r} is not defined under styles",
                         ref=f.key_ref("body"))
    em = styles[body].size
    margins = Fields(f.data.get("margins", {}), "margins", {"top", "bottom", "inside", "outside"},
                     f.key_ref("margins"))
    regions = {name: _region(name, raw, f) for name, raw in (f.data.get("regions") or {}).items()}
    repeat = f.data.get("repeat")
    if repeat is not None and repeat not in regions:
        raise InputError(f"repeat names unknown region {repeat!r}", ref=f.key_ref("repeat"))
    furniture = f.data.get("furniture", {})
    return Layout(
        name=f.str("name", path.stem), width=width, height=height,
        margin_top=margins.length("top", "15mm"), margin_bottom=margins.length("bottom", "15mm"),
        margin_inside=margins.length("inside", "15mm"), margin_outside=margins.length("outside", "15mm"),
        columns=int(f.num("columns", 1)), gutter=f.length("gutter", "4mm"),
        pitch=f.length("pitch", "1.6em", em=em), body_style=body, regions=regions, styles=styles,
        furniture=None if furniture is False else _furniture(furniture, f),
        repeat_region=repeat, source=str(path))


def paper_size(f: Fields) -> tuple[float, float]:
    """Width and height in points of the `paper:` of a mapping (a named size or width × height)."""
    paper = f.data.get("paper", "A4")
    if isinstance(paper, dict):
        pf = Fields(paper, "paper", {"width", "height"}, f.key_ref("paper"))
        return pf.length("width"), pf.length("height")
    orientation = "portrait"
    name = str(paper)
    if name.endswith(" landscape"):
        name, orientation = name[:-10], "landscape"
    if name not in PAPER_SIZES_MM:
        raise InputError(f"unknown paper {paper!r}", ref=f.key_ref("paper"),
                         hint=f"use one of {', '.join(PAPER_SIZES_MM)} or {{width: 300mm, height: 400mm}}")
    w, h = (v * MM for v in PAPER_SIZES_MM[name])
    return (h, w) if orientation == "landscape" else (w, h)


def _style(name: str, raw: Any, layout: Fields) -> Style:
    f = Fields(raw, f"style {name}", _STYLE_KEYS, layout.key_ref("styles"))
    values: dict[str, Any] = {}
    size = f.length("size", "10pt")
    for key in f.data:
        if key in ("size",):
            continue
        if key in ("align",):
            values[key] = _enum(Align, f, key)
        elif key == "punct_style":
            values[key] = _enum(PunctStyle, f, key)
        elif key in ("rows", "space_after"):
            values[key] = int(f.num(key))
        elif key in ("indent_em", "letter_spacing_em", "padding_em", "cjk_latin_gap_em"):
            values[key] = f.num(key)
        elif key in ("border_width", "rule_width"):
            values[key] = f.length(key)
        elif key == "hanging":
            values[key] = f.bool(key, False)
        else:
            values[key] = f.str(key)
    return Style(name=name, size=size, **values)


def _enum(enum: type, f: Fields, key: str):
    try:
        return enum(f.data[key])
    except ValueError:
        raise InputError(f"{f.what}: {key} must be one of {', '.join(e.value for e in enum)}",
                         ref=f.key_ref(key)) from None


def _region(name: str, raw: Any, layout: Fields) -> Region:
    f = Fields(raw, f"region {name}", _REGION_KEYS, layout.key_ref("regions"))
    c0, c1 = _span(f, "columns")
    r0, r1 = _span(f, "rows") if "rows" in f.data or "after" not in f.data else (1, -1)
    tc = f.data.get("text_columns")
    return Region(name=name, col_start=c0, col_end=c1, row_start=r0, row_end=r1,
                  text_columns=int(tc) if tc is not None else None, next=f.data.get("next"),
                  column_rules=f.bool("column_rules", True), background=f.data.get("background"),
                  bleed=f.bool("bleed", False), balance=f.bool("balance", False),
                  after=f.data.get("after"), gap=int(f.num("gap", 1)),
                  keep_blocks=f.bool("keep_blocks", False))


def _span(f: Fields, key: str) -> tuple[int, int]:
    """'3-6' or 3 or '12-end' / '12--1' -> (first, last); 'end' is -1 (the last row)."""
    value = str(f.str(key)).strip()
    match = re.fullmatch(r"(-?\d+)(?:\s*(?:-|to|\.\.)\s*(-?\d+|end))?", value)
    if not match:
        raise InputError(f"{f.what}: {key} must look like 3 or 3-6 or 12-end, found {value!r}",
                         ref=f.key_ref(key))
    first = int(match.group(1))
    last = match.group(2)
    return first, (-1 if last == "end" else int(last) if last else first)


def _furniture(raw: Any, layout: Fields) -> Furniture:
    f = Fields(raw, "furniture", {"head_left", "head_centre", "head_right", "foot_left",
                                  "foot_right", "rule"}, layout.key_ref("furniture"))
    return Furniture(**{k: str(v) for k, v in f.data.items()})
