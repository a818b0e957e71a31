"""Plain Markdown -> a briefing: headings, paragraphs, **bold**, lists and block quotes.

A quick digest needs no YAML: the whole text flows into the `body` region of the layout
(`a4-digest` by default), which repeats onto as many pages as it needs. An optional YAML front
matter block (between --- lines) sets title, publication, date and layout.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from briefing.errors import InputError, SourceRef
from briefing.load import parse_inline
from briefing.model import Block, Briefing, Heading, ListBlock, Page, Paragraphs

_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_BULLET = re.compile(r"^\s*[-*+]\s+(.*)$")
_ORDERED = re.compile(r"^\s*\d+[.)]\s+(.*)$")


def parse_markdown(text: str, path: Path, layout: str = "a4-digest") -> Briefing:
    meta, body, offset = _front_matter(text, path)
    blocks = _blocks(body.splitlines(), str(path), offset)
    title = str(meta.get("title") or next((b.text for b in blocks if isinstance(b, Heading)), path.stem))
    page = Page(layout=str(meta.get("layout", layout)), regions={"body": tuple(blocks)},
                ref=SourceRef(str(path), 1, 1))
    date = meta.get("date")
    return Briefing(title=title, pages=(page,), publication=str(meta.get("publication", "")),
                    issue_date=date if date is None or not isinstance(date, str) else _iso(date, path),
                    author=str(meta.get("author", "")), source_dir=str(path.parent),
                    ref=SourceRef(str(path), 1, 1))


def _iso(value: str, path: Path):
    from datetime import date

    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InputError(f"front matter date must be YYYY-MM-DD, found {value!r}", ref=SourceRef(str(path))) from None


def _front_matter(text: str, path: Path) -> tuple[dict, str, int]:
    if not text.startswith("---\n"):
        return {}, text, 0
    end = text.find("\n---", 4)
    if end < 0:
        raise InputError("front matter starts with --- but never ends", ref=SourceRef(str(path), 1, 1),
                         hint="close it with a line holding only ---")
    try:
        meta = yaml.safe_load(text[4:end]) or {}
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        raise InputError(f"front matter: {exc.problem}",
                         ref=SourceRef(str(path), mark.line + 2, mark.column + 1) if mark else None) from None
    rest = text[end + 4:]
    return meta, rest, text[:end + 4].count("\n")


def _blocks(lines: list[str], path: str, offset: int) -> list[Block]:
    blocks: list[Block] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        ref = SourceRef(path, offset + i + 1, 1)
        if not line.strip():
            i += 1
            continue
        if match := _HEADING.match(line):
            blocks.append(Heading(text=match.group(2), level=len(match.group(1)), ref=ref))
            i += 1
        elif line.lstrip().startswith(">"):
            chunk, i = _take(lines, i, lambda s: s.lstrip().startswith(">"))
            text = "\n".join(re.sub(r"^\s*>\s?", "", s) for s in chunk)
            paras = tuple(p for p in (parse_inline(x) for x in re.split(r"\n\s*\n", text)) if p)
            blocks.append(Paragraphs(paragraphs=paras, quote=True, ref=ref))
        elif _BULLET.match(line) or _ORDERED.match(line):
            ordered = bool(_ORDERED.match(line))
            pattern = _ORDERED if ordered else _BULLET
            chunk, i = _take(lines, i, lambda s: bool(s.strip()) and not _HEADING.match(s))
            blocks.append(ListBlock(items=tuple(_list_items(chunk, pattern)), ordered=ordered, ref=ref))
        else:
            chunk, i = _take(lines, i, lambda s: bool(s.strip()) and not _HEADING.match(s)
                             and not _BULLET.match(s) and not s.lstrip().startswith(">"))
            blocks.append(Paragraphs(paragraphs=(parse_inline("\n".join(chunk)),), ref=ref))
    return _merge_paragraphs(blocks)


def _take(lines: list[str], i: int, keep) -> tuple[list[str], int]:
    start = i
    while i < len(lines) and keep(lines[i]):
        i += 1
    return lines[start:i], i


def _list_items(chunk: list[str], pattern: re.Pattern) -> list:
    items: list[list[str]] = []
    for line in chunk:
        match = pattern.match(line)
        if match:
            items.append([match.group(1)])
        elif items:
            items[-1].append(line.strip())      # continuation line of the item
    return [parse_inline("\n".join(item)) for item in items]


def _merge_paragraphs(blocks: list[Block]) -> list[Block]:
    """Consecutive plain paragraphs become one block (one flow, no gaps between them)."""
    merged: list[Block] = []
    for block in blocks:
        prev = merged[-1] if merged else None
        if (isinstance(block, Paragraphs) and isinstance(prev, Paragraphs)
                and not block.quote and not prev.quote):
            merged[-1] = Paragraphs(paragraphs=prev.paragraphs + block.paragraphs, ref=prev.ref)
        else:
            merged.append(block)
    return merged
