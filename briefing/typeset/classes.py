"""Character classes of Chinese text layout.

Punctuation classes follow clreq §3.1 and Appendix A (GB style); the line-start and line-end
prohibitions follow clreq #prohibition_rules_for_line_start_end at the "basic" level; line
breaking classes are Unicode's Line_Break property (UAX #14, UCD data shipped with `uniseg`),
resolved per UAX #14 LB1 and tailored for Chinese as clreq asks.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from uniseg.linebreak import line_break

# Marks whose blank is on the right (closing brackets and quotes, pause and stop marks).
CLOSING = frozenset("、，。．：；！？”’》〉）」』】〕〗］｝〙")
# Marks whose blank is on the left (opening brackets and quotes).
OPENING = frozenset("“‘《〈（「『【〔〖［｛〘")
# Centred marks, set in a half-em box (clreq: 间隔号).
MIDDLE = frozenset("·・‧")
# Marks used in pairs that span 2 em and never break or spread: —— ⸺ …… ⋯⋯ (clreq 破折号, 省略号).
LONG = frozenset("—⸺…⋯")
# Em boxes a long mark takes: ⸺ is one character two em wide.
LONG_EMS = {"⸺": 2.0}
# Sentence stops: kaiming style keeps these full width (clreq #h-punctuation_width).
STOPS = frozenset("。．！？")
# Pause and stop marks that may hang past the measure (clreq #hanging_punctuation_marks_at_line_end).
HANGABLE = frozenset("、，。．")

# clreq "basic": no line starts with these.
NO_LINE_START = frozenset(
    CLOSING | MIDDLE
    | set("-–～〜")          # connector marks
    | set("‼⁇⁈⁉")           # doubled question/exclamation marks
    | set("%％‰℃°")         # numeric suffixes (UAX #14 PO)
    | set(",.;:!?)]}")      # Western marks (UAX #14 IS, EX, CP, CL)
)
# No line ends with these: opening marks, currency prefixes, and (GB style) the slash.
NO_LINE_END = frozenset(OPENING | set("￥¥$＄£€") | set("/／") | set("([{"))

# URLs and e-mail addresses: one unbreakable unit, and their punctuation stays ASCII.
URL = re.compile(r"(?:https?://|www\.)[!-~]+?(?=[.,;:!?)\]}'\"]*(?:[^!-~]|$))"
                 r"|[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.ASCII)

# Western characters that sit flush against a number (prefixes and suffixes): they count as
# "Western" for the CJK–Latin gap (R6), as in "增长 6%" and "为 ¥5".
NUMBER_AFFIXES = frozenset("%‰°$¥£€#&@")

# Line_Break classes that UAX #14 LB1 resolves before the rules run.
_LB1 = {"AI": "AL", "SG": "AL", "XX": "AL", "CJ": "NS"}
# Classes this implementation does not model separately (Hangul jamo, Brahmic clusters,
# regional indicators, emoji modifiers): they are set as the nearest class it does model.
_UNMODELLED = {"H2": "ID", "H3": "ID", "JL": "ID", "JV": "ID", "JT": "ID", "EB": "ID", "EM": "ID",
               "AK": "AL", "AP": "AL", "AS": "AL", "VI": "AL", "VF": "AL", "RI": "AL", "HH": "HY"}
# clreq tailoring: in Chinese text the curly quotes are opening/closing brackets, ambiguous
# characters are ideographic, and the middle dot may not start a line.
_CLREQ = {"“": "OP", "‘": "OP", "”": "CL", "’": "CL", "·": "NS"}


@lru_cache(maxsize=None)
def uax14_class(ch: str) -> str:
    """Line_Break class of `ch` after UAX #14 LB1 (AI, SG, XX → AL; SA → CM or AL; CJ → NS)."""
    cls = str(line_break(ch).value)
    if cls == "SA":
        return "CM" if unicodedata.category(ch) in ("Mn", "Mc") else "AL"
    cls = _LB1.get(cls, cls)
    return _UNMODELLED.get(cls, cls)


@lru_cache(maxsize=None)
def clreq_class(ch: str) -> str:
    """Line_Break class tailored for Chinese: “‘ open, ”’ close, · is a non-starter, and
    ambiguous (AI) characters resolve to ID as UAX #14 LB1 allows in East Asian context."""
    if ch in _CLREQ:
        return _CLREQ[ch]
    if str(line_break(ch).value) == "AI":
        return "ID"
    return uax14_class(ch)


@lru_cache(maxsize=None)
def is_wide(ch: str) -> bool:
    """East_Asian_Width F, W or H: the $EastAsian set of UAX #14 LB19a and LB30."""
    return unicodedata.east_asian_width(ch) in ("F", "W", "H")


def is_han(ch: str) -> bool:
    """CJK unified and compatibility ideographs, and 〇."""
    cp = ord(ch)
    return (0x4E00 <= cp <= 0x9FFF or 0x3400 <= cp <= 0x4DBF or 0xF900 <= cp <= 0xFAFF
            or 0x20000 <= cp <= 0x3134F or cp == 0x3007)


def is_ideograph(ch: str) -> bool:
    """Han characters and kana: the "CJK" side of the CJK–Latin gap (clreq R6)."""
    return is_han(ch) or 0x3041 <= ord(ch) <= 0x30FF


@lru_cache(maxsize=None)
def is_western(ch: str) -> bool:
    """Latin letters and digits (not full-width forms) and number affixes: the "Western"
    side of the CJK–Latin gap (clreq #mixed_text_composition_in_horizontal_writing_mode)."""
    if ch in NUMBER_AFFIXES:
        return True
    return ch.isalnum() and not is_wide(ch) and not is_ideograph(ch)


def is_cjk_mark(ch: str) -> bool:
    """Full-width punctuation that carries its own blank (clreq Appendix A)."""
    return ch in CLOSING or ch in OPENING or ch in MIDDLE or ch in LONG


def is_punct(ch: str) -> bool:
    """Unicode punctuation or a clreq punctuation class: counts as no unit in a last line (R8)."""
    return unicodedata.category(ch).startswith("P") or is_cjk_mark(ch)
