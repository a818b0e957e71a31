"""Find and load what a build needs: content (folder, YAML or Markdown), layouts, editions."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from briefing.errors import InputError, SourceRef
from briefing.layoutspec import Layout
from briefing.load import LAYOUT_DIR, parse_briefing, parse_layout, read_yaml
from briefing.markdown import parse_markdown
from briefing.model import Briefing


@dataclass
class Loaded:
    briefing: Briefing
    layouts: dict[str, Layout]
    editions: Any = None               # raw `editions:` mapping (SourcedDict) or None
    schedule: Any = None               # raw `schedule:` mapping or None
    files: list[Path] = field(default_factory=list)
    normalise_punctuation: bool = True


def content_path(source: Path) -> Path:
    if source.is_dir():
        path = source / "briefing.yaml"
        if not path.exists():
            raise InputError(f"folder {source} has no briefing.yaml",
                             hint="a briefing folder holds briefing.yaml and its data files")
        return path
    if not source.exists():
        raise InputError(f"no such file or folder: {source}")
    if source.suffix.lower() not in (".yaml", ".yml", ".md", ".markdown"):
        raise InputError(f"cannot build {source.name}: expected a folder, a .yaml or a .md file")
    return source


def load_source(source: Path, *, layout_override: str | None = None) -> Loaded:
    path = content_path(source)
    raw: Any = None
    if path.suffix.lower() in (".md", ".markdown"):
        briefing = parse_markdown(_read_text(path), path, layout=layout_override or "a4-digest")
    else:
        raw = read_yaml(path)
        briefing = parse_briefing(raw, path)
    if layout_override:
        briefing = replace(briefing, pages=tuple(replace(p, layout=layout_override) for p in briefing.pages))
    layouts, layout_files = load_layouts(path.parent)
    for page in briefing.pages:
        if page.layout not in layouts:
            raise InputError(f"unknown layout {page.layout!r}", ref=page.ref,
                             hint=f"known layouts: {', '.join(sorted(layouts))}")
    punct = raw.get("punctuation", "normalise") if isinstance(raw, dict) else "normalise"
    if punct not in ("normalise", "keep"):
        raise InputError("punctuation must be 'normalise' or 'keep'",
                         ref=raw.key_refs.get("punctuation", SourceRef(str(path))))
    data_files = sorted(p for p in path.parent.iterdir()
                        if p.suffix.lower() in (".csv", ".json", ".yaml", ".yml") and p != path) \
        if path.parent.is_dir() and path.name == "briefing.yaml" else []
    return Loaded(briefing, layouts,
                  editions=raw.get("editions") if isinstance(raw, dict) else None,
                  schedule=raw.get("schedule") if isinstance(raw, dict) else None,
                  files=[path, *data_files, *layout_files],
                  normalise_punctuation=punct == "normalise")


def load_layouts(content_dir: Path) -> tuple[dict[str, Layout], list[Path]]:
    """The project's layouts, overridden by any in a `layouts/` folder beside the content."""
    files = {p.stem: p for p in sorted(LAYOUT_DIR.glob("*.yaml"))}
    local = content_dir / "layouts"
    if local.is_dir():
        files.update({p.stem: p for p in sorted(local.glob("*.yaml"))})
    layouts = {}
    for path in files.values():
        layout = parse_layout(read_yaml(path), path)
        layouts[layout.name] = layout
    return layouts, list(files.values())


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"{path} is not UTF-8 text (byte {exc.start})", ref=SourceRef(str(path)),
                         hint="save the file as UTF-8") from None
