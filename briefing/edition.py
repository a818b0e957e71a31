"""Audience editions (stage 3): one content source, many editions, each a pure function of it.

An edition is data in the content file's `editions:` mapping. It may extend another edition
(a deep merge of mappings, the child winning, down to the base edition), select blocks by tag,
id or page, swap bodies for their summaries, and change the page: another layout, other paper,
fewer columns, larger type, grey or black ink, another output profile. Large print reflows: the
grid gets fewer, wider columns and every style and the baseline pitch grow together, so text
wraps anew; the page is not magnified.

    editions:
      public:      {description: 全文版, layout: tabloid, profile: newsprint}
      large-print: {extends: public, paper: A4, columns: 2, type_scale: 1.6}
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any, Callable

from briefing.errors import InputError, SourceRef
from briefing.layoutspec import Layout, Region
from briefing.load import Fields, SourcedDict, paper_size
from briefing.model import Block, Briefing, KeywordBox, KeywordItem, LeadBox, Page, Section
from briefing.profiles import PROFILES

BASE = "base"
COLOUR_MODES = ("colour", "grayscale", "mono")
_EDITION_KEYS = {"extends", "description", "select", "summary", "layout", "paper", "columns",
                 "type_scale", "colour", "profile"}
_SELECT_KEYS = {"tags", "ids", "exclude_tags", "pages"}


@dataclass(frozen=True)
class Selection:
    """Which blocks an edition keeps. Empty tags and ids keep every block."""

    tags: tuple[str, ...] = ()
    ids: tuple[str, ...] = ()
    exclude_tags: tuple[str, ...] = ()
    pages: tuple[int, ...] = ()         # 1-based page numbers of the content; empty keeps all

    def keeps(self, block: Block) -> bool:
        if set(block.tags) & set(self.exclude_tags):
            return False
        if not (self.tags or self.ids):
            return True
        return block.id in self.ids or bool(set(block.tags) & set(self.tags))


@dataclass(frozen=True)
class Edition:
    """A resolved edition: its own settings merged over those of the editions it extends."""

    name: str = BASE
    description: str = ""
    profile: str | None = None
    colour: str | None = None
    chain: tuple[str, ...] = ()         # this edition, then each one it extends
    select: Selection = Selection()
    summary: bool = False
    layout: str | None = None
    paper: str | None = None            # paper as written (for describe)
    size: tuple[float, float] | None = None   # that paper's width and height in points
    columns: int | None = None
    type_scale: float = 1.0
    refs: dict[str, SourceRef] = field(default_factory=dict, compare=False)

    def apply(self, briefing: Briefing, layouts: dict[str, Layout]) -> tuple[Briefing, dict[str, Layout]]:
        """This edition of a briefing and the layouts its pages use (inputs are not changed)."""
        pages = _select_pages(briefing, self) if self.select != Selection() else briefing.pages
        if self.summary:
            pages = tuple(_map_blocks(page, _summarised) for page in pages)
        if self.layout:
            pages = self._relayout(pages, layouts)
        used = {page.layout for page in pages}
        reshaped = {name: self._reshape(layout) if name in used else layout
                    for name, layout in layouts.items()}
        return replace(briefing, pages=pages), reshaped

    def _relayout(self, pages: tuple[Page, ...], layouts: dict[str, Layout]) -> tuple[Page, ...]:
        ref = self.refs.get("layout")
        target = layouts.get(self.layout or "")
        if target is None:
            raise InputError(f"edition {self.name!r}: no layout {self.layout!r}", ref=ref,
                             hint=f"known layouts: {', '.join(sorted(layouts))}")
        for page in pages:
            missing = sorted(set(page.regions) - set(target.regions))
            if missing:
                raise InputError(f"edition {self.name!r}: layout {self.layout!r} has no region "
                                 f"{missing[0]!r}, used by the page at {page.ref}", ref=ref,
                                 hint=f"regions of {self.layout!r}: {', '.join(target.regions)}; "
                                      "add the region to the layout or leave its blocks out with select:")
        return tuple(replace(page, layout=target.name) for page in pages)

    def _reshape(self, layout: Layout) -> Layout:
        if self.size:
            layout = replace(layout, width=self.size[0], height=self.size[1])
        if self.columns and self.columns != layout.columns:
            layout = _regrid(layout, self.columns, self.name, self.refs.get("columns"))
        if self.type_scale != 1.0:
            layout = _scale_type(layout, self.type_scale)
        return layout


# ------------------------------------------------------------------ resolving
def edition_names(editions: SourcedDict | None) -> list[str]:
    """The editions a content file defines, in file order."""
    return list(editions or {})


def resolve_edition(editions: SourcedDict | None, name: str | None, *, ref: SourceRef) -> Edition:
    """The named edition with everything it extends merged in; None is the base edition."""
    if editions is not None and not isinstance(editions, dict):
        raise InputError("editions must be a mapping of edition names to settings",
                         ref=getattr(editions, "ref", ref))
    table = editions or {}
    if BASE in table:
        raise InputError(f"an edition may not be called {BASE!r}: that is the content as written",
                         ref=getattr(table, "key_refs", {}).get(BASE, ref), hint="choose another name")
    if name is None or name == BASE:
        return Edition()
    if name not in table:
        known = ", ".join(table) or "none are defined"
        raise InputError(f"no edition {name!r}", ref=getattr(editions, "ref", ref),
                         hint=f"editions: {known}")
    chain, merged = _merge_chain(table, name, ref)
    return _parse_edition(merged, name, chain, ref)


def _merge_chain(table: dict, name: str, ref: SourceRef) -> tuple[tuple[str, ...], SourcedDict]:
    """Follow `extends:` from `name` to the base; merge the mappings from the base up."""
    chain = [name]
    layers = [_mapping(table, name, ref)]
    while (parent := _parent(layers[-1], chain[-1])) is not None:
        where = layers[-1].key_refs.get("extends", layers[-1].ref)
        if parent in chain:
            loop = " → ".join([*chain, parent])
            raise InputError(f"editions extend each other in a loop: {loop}", ref=where,
                             hint="the chain of extends: must end at an edition that extends nothing")
        if parent not in table:
            raise InputError(f"edition {chain[-1]!r} extends unknown edition {parent!r} "
                             f"(chain: {' → '.join(chain)})", ref=where,
                             hint=f"editions: {', '.join(table)}")
        chain.append(parent)
        layers.append(_mapping(table, parent, ref))
    merged = layers[-1]
    for layer in reversed(layers[:-1]):
        merged = deep_merge(merged, layer)
    return tuple(chain), merged


def _mapping(table: dict, name: str, ref: SourceRef) -> SourcedDict:
    """One edition's own settings, checked; errors point at its name when it is not a mapping."""
    where = getattr(table, "key_refs", {}).get(name, ref)
    raw = {} if table[name] is None else table[name]
    Fields(raw, f"edition {name}", _EDITION_KEYS, where)
    return _sourced(raw, getattr(raw, "ref", where))


def _parent(layer: SourcedDict, name: str) -> str | None:
    """The name of the edition a layer extends; None at the base."""
    if layer.get("extends") in (None, BASE):
        return None
    return Fields(layer, f"edition {name}", _EDITION_KEYS, layer.ref).str("extends")


def _sourced(data: dict, ref: SourceRef) -> SourcedDict:
    out = SourcedDict(data)
    out.ref = getattr(data, "ref", ref)
    out.key_refs = dict(getattr(data, "key_refs", {}))
    return out


def deep_merge(base: dict, over: dict) -> SourcedDict:
    """`over` on top of `base`: mappings merge key by key, anything else is replaced.

    Source positions go with the values, so an error names the file and line that set it."""
    out = _sourced(base, SourceRef("<memory>"))
    out.ref = getattr(over, "ref", out.ref)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            value = deep_merge(out[key], value)
        out[key] = value
        if key in getattr(over, "key_refs", {}):
            out.key_refs[key] = over.key_refs[key]
    return out


def _parse_edition(data: SourcedDict, name: str, chain: tuple[str, ...], ref: SourceRef) -> Edition:
    f = Fields(data, f"edition {name}", _EDITION_KEYS, ref)
    colour = _choice(f, "colour", COLOUR_MODES)
    profile = _choice(f, "profile", tuple(PROFILES))
    paper = data.get("paper")
    scale = f.num("type_scale", 1.0)
    if scale <= 0:
        raise InputError(f"edition {name}: type_scale must be more than 0, found {scale}",
                         ref=f.key_ref("type_scale"))
    return Edition(
        name=name, description=f.str("description", ""), profile=profile, colour=colour, chain=chain,
        select=_selection(f), summary=f.bool("summary", False),
        layout=f.str("layout") if "layout" in data else None,
        paper=None if paper is None else _paper_text(paper), size=paper_size(f) if paper is not None else None,
        columns=_count(f, "columns"), type_scale=scale,
        refs={key: f.key_ref(key) for key in data})


def _choice(f: Fields, key: str, choices: tuple[str, ...]) -> str | None:
    if key not in f.data:
        return None
    value = f.str(key)
    if value not in choices:
        raise InputError(f"{f.what}: {key} must be one of {', '.join(choices)}, found {value!r}",
                         ref=f.key_ref(key))
    return value


def _count(f: Fields, key: str) -> int | None:
    if key not in f.data:
        return None
    value = f.num(key)
    if value < 1 or value != int(value):
        raise InputError(f"{f.what}: {key} must be a whole number of 1 or more, found {value:g}",
                         ref=f.key_ref(key))
    return int(value)


def _paper_text(paper: Any) -> Any:
    return {k: str(v) for k, v in paper.items()} if isinstance(paper, dict) else str(paper)


def _selection(f: Fields) -> Selection:
    raw = f.data.get("select")
    if raw is None:
        return Selection()
    s = Fields(raw, f"{f.what} select", _SELECT_KEYS, f.key_ref("select"))
    pages = []
    for value in s.list("pages"):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise InputError(f"{s.what}: pages are page numbers (1, 2, ...), found {value!r}",
                             ref=s.key_ref("pages"))
        pages.append(value)
    return Selection(tags=_words(s, "tags"), ids=_words(s, "ids"),
                     exclude_tags=_words(s, "exclude_tags"), pages=tuple(pages))


def _words(f: Fields, key: str) -> tuple[str, ...]:
    value = f.data.get(key)
    return (str(value),) if isinstance(value, str) else tuple(str(v) for v in f.list(key))


# ------------------------------------------------------------------ content
def _select_pages(briefing: Briefing, edition: Edition) -> tuple[Page, ...]:
    selection = edition.select
    _check_selection(briefing, edition)
    kept = []
    for number, page in enumerate(briefing.pages, 1):
        if selection.pages and number not in selection.pages:
            continue
        regions = {name: tuple(b for b in blocks if selection.keeps(b))
                   for name, blocks in page.regions.items()}
        regions = {name: blocks for name, blocks in regions.items() if blocks}
        if regions:
            kept.append(replace(page, regions=regions))
    if not kept:
        raise InputError(f"edition {edition.name!r} selects no blocks at all",
                         ref=edition.refs.get("select"), hint="check the tags, ids and pages under select:")
    return tuple(kept)


def _check_selection(briefing: Briefing, edition: Edition) -> None:
    """Every id, tag and page an edition names must exist: a typo would drop content silently."""
    blocks = [b for page in briefing.pages for bs in page.regions.values() for b in bs]
    ids = {b.id for b in blocks if b.id}
    tags = {t for b in blocks for t in b.tags}
    sel = edition.select
    problems = [f"id {i!r}" for i in sel.ids if i not in ids]
    problems += [f"tag {t!r}" for t in (*sel.tags, *sel.exclude_tags) if t not in tags]
    problems += [f"page {p}" for p in sel.pages if p > len(briefing.pages)]
    if problems:
        raise InputError(f"edition {edition.name!r} selects {problems[0]}, which the content does not have",
                         ref=edition.refs.get("select"),
                         hint=f"ids: {', '.join(sorted(ids)) or 'none'}; tags: {', '.join(sorted(tags)) or 'none'}; "
                              f"pages: 1-{len(briefing.pages)}")


def _map_blocks(page: Page, change: Callable[[Block], Block]) -> Page:
    return replace(page, regions={name: tuple(change(b) for b in blocks) for name, blocks in page.regions.items()})


def _summarised(block: Block) -> Block:
    """A block with a summary gets the summary as its body."""
    summary = getattr(block, "summary", ())
    if not summary:
        return block
    if isinstance(block, KeywordBox):
        return replace(block, items=tuple(KeywordItem("", paragraph) for paragraph in summary))
    if isinstance(block, (Section, LeadBox)):
        return replace(block, paragraphs=summary)
    return block


# ------------------------------------------------------------------ layouts
def _regrid(layout: Layout, columns: int, edition: str, ref: SourceRef | None) -> Layout:
    """The layout on a grid of `columns` columns: each region keeps its share of the width."""
    regions = {}
    for name, region in layout.regions.items():
        first, last = (_boundary(b, layout.columns, columns) for b in (region.col_start - 1, region.col_end))
        if last <= first:
            raise InputError(f"edition {edition!r}: with {columns} columns, region {name!r} of layout "
                             f"{layout.name!r} would have no column", ref=ref,
                             hint="use more columns, or a layout made for this edition (layout:)")
        regions[name] = _respan(region, first + 1, last)
    return replace(layout, columns=columns, regions=regions)


def _scale_type(layout: Layout, factor: float) -> Layout:
    """Every style and the baseline pitch grow by `factor`; so do the head and foot margins,
    because the running head and foot are set in them at distances measured in grid rows."""
    return replace(layout, pitch=round(layout.pitch * factor, 3),
                   margin_top=layout.margin_top * factor, margin_bottom=layout.margin_bottom * factor,
                   styles={name: style.scaled(factor) for name, style in layout.styles.items()})


def _boundary(boundary: int, old: int, new: int) -> int:
    return math.floor(boundary * new / old + 0.5)


def _respan(region: Region, first: int, last: int) -> Region:
    old_span = region.col_end - region.col_start + 1
    span = last - first + 1
    text_columns = region.text_columns
    if text_columns is not None:
        text_columns = max(1, min(span, math.floor(text_columns * span / old_span + 0.5)))
    return replace(region, col_start=first, col_end=last, text_columns=text_columns)


# ------------------------------------------------------------------ describing
def describe(edition: Edition) -> dict[str, Any]:
    """The resolved edition as plain data (for `briefing config show`, printable as YAML)."""
    sel = edition.select
    select = {k: list(v) for k, v in (("tags", sel.tags), ("ids", sel.ids),
                                     ("exclude_tags", sel.exclude_tags), ("pages", sel.pages)) if v}
    return {
        "name": edition.name, "description": edition.description,
        "extends": list(edition.chain[1:]), "select": select, "summary": edition.summary,
        "layout": edition.layout, "paper": edition.paper, "columns": edition.columns,
        "type_scale": edition.type_scale, "colour": edition.colour or "colour",
        "profile": edition.profile,
    }
