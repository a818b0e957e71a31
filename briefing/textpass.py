"""Apply a text function to every piece of text in a briefing (used for punctuation normalisation)."""

from __future__ import annotations

from dataclasses import fields, is_dataclass, replace
from typing import Any, Callable

from briefing.errors import SourceRef
from briefing.typeset.model import Span

_SKIP = {"id", "tags", "style", "ref", "spec", "layout", "source_dir", "label", "role", "number"}


def map_text(value: Any, fn: Callable[[str], str]) -> Any:
    """A copy of `value` with `fn` applied to each paragraph and text field; structure unchanged.

    A paragraph (tuple of Spans) is transformed as one string so context crosses span edges,
    then cut back into its spans at the same places (the function must keep the length).
    """
    if isinstance(value, tuple) and value and all(isinstance(v, Span) for v in value):
        return _map_spans(value, fn)
    if isinstance(value, str):
        return fn(value)
    if isinstance(value, tuple):
        return tuple(map_text(v, fn) for v in value)
    if isinstance(value, dict):
        return {k: map_text(v, fn) for k, v in value.items()}
    if is_dataclass(value) and not isinstance(value, (type, SourceRef)):
        changes = {f.name: map_text(getattr(value, f.name), fn)
                   for f in fields(value) if f.name not in _SKIP}
        return replace(value, **changes)
    return value


def _map_spans(spans: tuple[Span, ...], fn: Callable[[str], str]) -> tuple[Span, ...]:
    joined = "".join(s.text for s in spans)
    mapped = fn(joined)
    if len(mapped) != len(joined):
        return tuple(replace(s, text=fn(s.text)) for s in spans)
    out, pos = [], 0
    for span in spans:
        out.append(replace(span, text=mapped[pos:pos + len(span.text)]))
        pos += len(span.text)
    return tuple(out)
