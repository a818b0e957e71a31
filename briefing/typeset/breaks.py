"""Line break opportunities: UAX #14 (Unicode 16.0 rules LB4–LB31) tailored for Chinese per clreq.

`uax14_breaks` is the untailored algorithm (checked against Unicode's LineBreakTest.txt);
`break_opportunities` adds the clreq tailoring: curly quotes as brackets, the "basic"
line-start and line-end prohibitions, and URLs/e-mail addresses kept whole. `segments` cuts a
paragraph into its unbreakable units ("atoms").

Hangul jamo sequences (LB26–27), Brahmic clusters (LB28a), regional-indicator pairs (LB30a) and
emoji modifiers (LB30b) are not modelled: those classes are set as ID or AL (classes.py).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Sequence

from briefing.typeset.classes import (NO_LINE_END, NO_LINE_START, URL, clreq_class, is_wide,
                                      uax14_class)

_HARD = frozenset(("BK", "CR", "LF", "NL"))
_AFTER_HY = frozenset(("BK", "CR", "LF", "NL", "SP", "ZW", "CB", "GL"))   # LB20a
_BEFORE_PI = frozenset(("BK", "CR", "LF", "NL", "OP", "QU", "GL", "SP", "ZW"))  # LB15a
_AFTER_PF = frozenset(("SP", "GL", "WJ", "CL", "QU", "CP", "EX", "IS", "SY",
                       "BK", "CR", "LF", "NL", "ZW"))  # LB15b
_ALPHA = frozenset(("AL", "HL"))


def uax14_breaks(text: str, classify: Callable[[str], str] = uax14_class) -> list[bool]:
    """Break opportunities of `text` by UAX #14: result[i] is True when a line may break
    before text[i] (result[0] is False, result[len(text)] is True). Mandatory breaks count
    as opportunities."""
    n = len(text)
    cls = [classify(ch) for ch in text]
    wide = [is_wide(ch) for ch in text]
    after_zwj = [False] + [c == "ZWJ" for c in cls[:-1]]       # LB8a: ZWJ ×
    attached = _attach_marks(cls, wide)
    out = [False] * (n + 1)
    if n:
        out[n] = True
    base = -1          # index of the last non-space character before the current position
    for i in range(1, n):
        if cls[i - 1] != "SP":
            base = i - 1
        out[i] = not attached[i] and not after_zwj[i] and _pair(text, cls, wide, i, base)
    return out


def _attach_marks(cls: list[str], wide: list[bool]) -> list[bool]:
    """LB9/LB10: a combining mark (or ZWJ) takes the class of the character it follows and
    never breaks from it; one with nothing to attach to is AL."""
    attached = [False] * len(cls)
    for i, c in enumerate(cls):
        if c not in ("CM", "ZWJ"):
            continue
        if i and cls[i - 1] not in _HARD and cls[i - 1] not in ("SP", "ZW"):
            cls[i], wide[i], attached[i] = cls[i - 1], wide[i - 1], True
        else:
            cls[i] = "AL"
    return attached


def _pair(text: str, cls: list[str], wide: list[bool], i: int, base: int) -> bool:
    """Whether UAX #14 allows a break before text[i] (rules LB4–LB31 in order)."""
    a, b = cls[i - 1], cls[i]
    before = cls[base] if base >= 0 else "sot"     # class before any spaces (the "X SP*" rules)
    if a == "BK" or (a == "CR" and b != "LF") or a in ("LF", "NL"):
        return True                                             # LB4, LB5
    if b in _HARD or b in ("SP", "ZW"):
        return False                                            # LB5, LB6, LB7
    if before == "ZW":
        return True                                             # LB8
    if a == "WJ" or b == "WJ" or a == "GL":
        return False                                            # LB11, LB12
    if b == "GL" and a not in ("SP", "BA", "HY"):
        return False                                            # LB12a
    if b in ("CL", "CP", "EX", "SY"):
        return False                                            # LB13
    if before == "OP" or _lb15ab(text, cls, i, base, b):
        return False                                            # LB14, LB15a, LB15b
    if b == "IS":
        return a == "SP" and i + 1 < len(cls) and cls[i + 1] == "NU"   # LB15c, LB15d
    if (before in ("CL", "CP") and b == "NS") or (before == "B2" and b == "B2"):
        return False                                            # LB16, LB17
    if a == "SP":
        return True                                             # LB18
    return _after_spaces(text, cls, wide, i)


def _lb15ab(text: str, cls: list[str], i: int, base: int, b: str) -> bool:
    """LB15a: an initial quote after a start or opening keeps to what follows (across spaces);
    LB15b: a final quote before an end or closing keeps to what precedes."""
    if base >= 0 and cls[base] == "QU" and unicodedata.category(text[base]) == "Pi":
        if base == 0 or cls[base - 1] in _BEFORE_PI:
            return True
    if b == "QU" and unicodedata.category(text[i]) == "Pf":
        return i + 1 == len(cls) or cls[i + 1] in _AFTER_PF
    return False


def _after_spaces(text: str, cls: list[str], wide: list[bool], i: int) -> bool:
    """Rules LB19–LB31, which see the two characters either side of a position with no space."""
    a, b = cls[i - 1], cls[i]
    if _quote_keeps(text, cls, wide, i):
        return False                                            # LB19, LB19a
    if a == "CB" or b == "CB":
        return True                                             # LB20
    if a == "HY" and b in _ALPHA and (i == 1 or cls[i - 2] in _AFTER_HY):
        return False                                            # LB20a
    if b in ("BA", "HY", "NS") or a == "BB":
        return False                                            # LB21
    if (i > 1 and cls[i - 2] == "HL" and a == "HY" and b != "HL") or (a == "SY" and b == "HL"):
        return False                                            # LB21a, LB21b
    if b == "IN":
        return False                                            # LB22
    if (a in _ALPHA and b == "NU") or (a == "NU" and b in _ALPHA):
        return False                                            # LB23
    if (a == "PR" and b == "ID") or (a == "ID" and b == "PO"):
        return False                                            # LB23a
    if (a in ("PR", "PO") and b in _ALPHA) or (a in _ALPHA and b in ("PR", "PO")):
        return False                                            # LB24
    if _in_number(cls, i):
        return False                                            # LB25
    if (a in _ALPHA and b in _ALPHA) or (a == "IS" and b in _ALPHA):
        return False                                            # LB28, LB29
    if (a in ("AL", "HL", "NU") and b == "OP" and not wide[i]) or \
            (a == "CP" and not wide[i - 1] and b in ("AL", "HL", "NU")):
        return False                                            # LB30
    return True                                                 # LB31


def _quote_keeps(text: str, cls: list[str], wide: list[bool], i: int) -> bool:
    """LB19 and LB19a: no break beside a quotation mark unless East Asian text is on both
    sides of the break (Unicode 16)."""
    if cls[i] == "QU" and (unicodedata.category(text[i]) != "Pi" or not wide[i - 1]
                           or i + 1 == len(cls) or not wide[i + 1]):
        return True
    return cls[i - 1] == "QU" and (unicodedata.category(text[i - 1]) != "Pf" or not wide[i]
                                   or i == 1 or not wide[i - 2])


def _in_number(cls: list[str], i: int) -> bool:
    """LB25: a number (PR|PO)? (OP|HY)? IS? NU (NU|SY|IS)* (CL|CP)? (PR|PO)? is not broken
    (the parts LB13, LB14, LB15d and LB21 do not already keep together)."""
    a, b = cls[i - 1], cls[i]
    ahead = cls[i + 1:i + 3]
    if a in ("PR", "PO") and (b == "NU" or (b == "OP" and (ahead[:1] == ["NU"] or ahead == ["IS", "NU"]))):
        return True
    if a in ("HY", "IS") and b == "NU":
        return True
    if b in ("NU", "PO", "PR"):
        k = i - 1
        if b != "NU" and cls[k] in ("CL", "CP"):
            k -= 1
        while k >= 0 and cls[k] in ("SY", "IS"):
            k -= 1
        return k >= 0 and cls[k] == "NU"
    return False


def break_opportunities(text: str) -> list[bool]:
    """UAX #14 tailored per clreq "basic": result[i] is True when a line may break before
    text[i]. On top of UAX #14: no break before a line-start-prohibited mark or after a
    line-end-prohibited one (also across spaces), and none inside a URL or e-mail address."""
    out = uax14_breaks(text, clreq_class)
    last = ""                       # last non-space character before position i
    for i in range(1, len(text)):
        if not text[i - 1].isspace():
            last = text[i - 1]
        if out[i] and (text[i] in NO_LINE_START or last in NO_LINE_END):
            out[i] = False
    for m in URL.finditer(text):
        for i in range(m.start() + 1, m.end()):
            out[i] = False
    return out


def segments(text: str, opportunities: Sequence[bool] | None = None) -> list[tuple[int, int]]:
    """The paragraph cut at its break opportunities: (start, end) spans, trailing spaces included."""
    ops = break_opportunities(text) if opportunities is None else opportunities
    cuts = [i for i in range(1, len(text) + 1) if ops[i]]
    starts = [0] + cuts[:-1]
    return list(zip(starts, cuts))
