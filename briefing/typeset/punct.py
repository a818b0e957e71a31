"""Full-width punctuation in Chinese running text (clreq Appendix A; checker rule R10).

Text extracted from PDFs or typed on Western keyboards often carries ASCII , ; : ( ) ! ? " '
inside Chinese sentences. In Chinese context they become ，；：（）！？“”‘’; inside Latin
phrases, numbers (3.5, 4,000, 12:30), URLs and e-mail addresses they stay as they are.
"""

from __future__ import annotations

from dataclasses import dataclass

from briefing.typeset.classes import URL, is_cjk_mark, is_wide

_MARKS = {",": "，", ";": "；", ":": "：", "!": "！", "?": "？"}
_QUOTES = {'"': ("“", "”"), "'": ("‘", "’")}


@dataclass(frozen=True)
class Change:
    """One mark made full-width: its index in the text, the old and the new character."""

    position: int
    old: str
    new: str


def normalise_punctuation(text: str) -> tuple[str, list[Change]]:
    """ASCII punctuation in Chinese context made full-width; returns the text and the changes.
    Straight quotes pair by alternation within the text (one paragraph)."""
    out = list(text)
    protected = _protected(text)
    changes = [*_marks(text, out, protected), *_brackets(text, out, protected),
               *_quotes(text, out, protected, '"'), *_quotes(text, out, protected, "'")]
    for change in changes:
        out[change.position] = change.new
    return "".join(out), sorted(changes, key=lambda c: c.position)


def _protected(text: str) -> list[bool]:
    flags = [False] * len(text)
    for m in URL.finditer(text):
        flags[m.start():m.end()] = [True] * (m.end() - m.start())
    return flags


def _neighbour(chars: list[str], i: int, step: int) -> str:
    """The nearest non-space character from index i in direction step ("" at the ends)."""
    i += step
    while 0 <= i < len(chars) and chars[i].isspace():
        i += step
    return chars[i] if 0 <= i < len(chars) else ""


def _chinese(ch: str) -> bool:
    return bool(ch) and (is_wide(ch) or is_cjk_mark(ch))


def _marks(text: str, out: list[str], protected: list[bool]) -> list[Change]:
    """, ; : ! ? next to Chinese, except between digits (4,000  12:30). Runs left to right on
    the converted text, so 什么?! becomes 什么？！."""
    changes = []
    for i, ch in enumerate(text):
        if ch not in _MARKS or protected[i]:
            continue
        between_digits = 0 < i < len(text) - 1 and text[i - 1].isdigit() and text[i + 1].isdigit()
        if not between_digits and (_chinese(_neighbour(out, i, -1)) or _chinese(_neighbour(out, i, 1))):
            out[i] = _MARKS[ch]
            changes.append(Change(i, ch, _MARKS[ch]))
    return changes


def _in_chinese(chars: list[str], start: int, end: int) -> bool:
    """Whether a bracketed or quoted span [start, end] sits in or holds Chinese text."""
    return any(_chinese(c) for c in (_neighbour(chars, start, -1), _neighbour(chars, start, 1),
                                     _neighbour(chars, end, -1), _neighbour(chars, end, 1)))


def _brackets(text: str, out: list[str], protected: list[bool]) -> list[Change]:
    """( ) matched as pairs; a pair in or around Chinese becomes （）."""
    pairs, stack = [], []
    for i, ch in enumerate(text):
        if protected[i]:
            continue
        if ch == "(":
            stack.append(i)
        elif ch == ")" and stack:
            pairs.append((stack.pop(), i))
    changes = []
    for start, end in pairs:
        if _in_chinese(out, start, end):
            changes += [Change(start, "(", "（"), Change(end, ")", "）")]
    return changes


def _quotes(text: str, out: list[str], protected: list[bool], quote: str) -> list[Change]:
    """Straight quotes paired by alternation (apostrophes inside Latin words excluded);
    a pair in or around Chinese becomes “” or ‘’."""
    spots = [i for i, ch in enumerate(text) if ch == quote and not protected[i]
             and not (0 < i < len(text) - 1 and text[i - 1].isalnum() and text[i + 1].isalnum()
                      and not _chinese(text[i - 1]) and not _chinese(text[i + 1]))]
    opening, closing = _QUOTES[quote]
    changes = []
    for k in range(0, len(spots), 2):
        start = spots[k]
        end = spots[k + 1] if k + 1 < len(spots) else start
        if _in_chinese(out, start, end):
            changes.append(Change(start, quote, opening))
            if end != start:
                changes.append(Change(end, quote, closing))
    return changes
