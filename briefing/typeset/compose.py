"""Chinese paragraph composition: glyph widths, total-fit line breaking and justification.

`compose` turns a paragraph into positioned lines, to W3C clreq ("Requirements for Chinese
Text Layout") in GB style:

* punctuation (clreq §3.1.6): full-width marks are 1 em boxes; two adjacent marks take 1.5 em
  (the closing one, or a second opening one, set half); a closing mark ending a line is set
  half (GB/T 15834 §5.1.10); middle dots sit centred in ½ em; —— and …… span 2 em unbroken;
* CJK–Latin spacing (#mixed_text_composition_in_horizontal_writing_mode): ¼ em glue between
  Han and Latin letters or digits, which a source space replaces rather than doubles;
* line breaking: UAX #14 with the clreq tailoring (breaks.py), chosen over the whole paragraph
  (Knuth–Plass total fit) so that no last line holds a single character (#adjustments_of_orphans_and_widows);
* justification (#line_adjustment): punctuation is compressed first (line-end and adjacent
  marks, never an isolated mark mid-line); the rest of the slack is shared between the
  CJK–Latin gaps and word spaces (within ⅛–⅓ em and up to ½ em) and one even spacing
  between all CJK characters of the line, never inside a number, word, —— or …….
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import accumulate

from briefing.typeset.breaks import break_opportunities, segments
from briefing.typeset.classes import (CLOSING, HANGABLE, LONG, LONG_EMS, MIDDLE, OPENING, STOPS,
                                      is_cjk_mark, is_han, is_ideograph, is_punct, is_western,
                                      is_wide)
from briefing.typeset.model import (Align, Glyph, Line, Metrics, PunctStyle, Span, TextStyle,
                                    VGlyph)

CJK_LATIN_MIN_EM = 1 / 8     # clreq: the CJK–Latin gap may shrink to ⅛ em ...
CJK_LATIN_MAX_EM = 1 / 3     # ... and grow to about ⅓ em
WORD_SPACE_MAX_EM = 0.5      # clreq: Latin word spaces expand first, up to ½ em
WORD_SPACE_MIN = 0.8         # ... and shrink to 80 % of the font's space
IDEOGRAPHIC_SPACE_EM = 1.0   # a space between two CJK characters reads as a full-width space


@dataclass(frozen=True)
class Limits:
    """How far the even spacing between units may go, in em (clreq #line_adjustment)."""

    shrink: float
    stretch: float


# Normal setting, then a looser one tried only when the normal one leaves a 孤字 last line or
# cannot set the paragraph at all, then anything (an overlong word alone on its line).
STRICT = Limits(shrink=0.04, stretch=0.15)
LOOSE = Limits(shrink=0.05, stretch=0.25)
ANY = Limits(shrink=0.05, stretch=float("inf"))

LINE_PENALTY = 10.0
MID_PHRASE_BADNESS = 60.0    # ragged display lines rather break at a source space (a phrase)
FITNESS_PENALTY = 3000.0     # tight next to loose (Knuth–Plass fitness classes)
LOOSE_PENALTY = 1e6          # spacing past the loose limits, accepted only in the last resort
ORPHAN_PENALTY = 1e8         # a last line holding one character, word or number (孤字, R8)
OVERFULL_PENALTY = 1e10      # a line running past the measure (an overlong word)


@dataclass
class _Text:
    """The paragraph's characters with their fonts, boxes and pen offsets (pt)."""

    text: str
    roles: list[str]
    fonts: list[str]
    box: list[float]
    pen: list[float]
    full_close: list[bool]    # a full-width closing mark, not yet compressed
    gap: list[float]          # CJK–Latin gap before each character (R6), 0 for the first
    spread: list[bool]        # whether justification spacing may go before each character
    unit: list[int]           # 1 where a unit of R8 starts (Han, word, number, symbol)


@dataclass
class _Atoms:
    """Unbreakable units (index k) and the junctions before them (index k, 1..n-1)."""

    start: list[int]
    end: list[int]            # end of the unit's own characters
    width: list[float]
    cut: list[float]          # removed when the unit ends a line (half of a closing mark)
    hang: list[float]         # may hang past the measure when it ends a line (R9)
    units: list[int]          # characters, words and numbers it counts as (R8)
    inner: list[int]          # places inside it that take the even spacing (between CJK)
    glue: list[float]         # junction glue before unit k: nominal width ...
    stretch: list[float]      # ... how far it may grow ...
    shrink: list[float]       # ... and shrink
    spaces: list[tuple[int, int]]   # the source spaces the junction stands for


def compose(spans: Sequence[Span], style: TextStyle, measure: float, metrics: Metrics, *,
            first_line: bool = True) -> list[Line]:
    """Set a paragraph into lines `measure` pt wide. Glyph x is from the line's left edge;
    the first line starts at the indent unless `first_line` is False (the paragraph continues
    from another region). Line.start/end index the concatenated span text."""
    text = _prepare(spans, style, metrics)
    atoms = _atoms(text, style)
    if not atoms.start:
        return []
    indent = style.indent_em * style.size if first_line else 0.0
    breaks = _breaks(atoms, style, measure, indent)
    return [_set_line(text, atoms, style, measure, indent if n == 0 else 0.0, brk,
                      first_line and n == 0, n == len(breaks) - 1)
            for n, brk in enumerate(breaks)]


def natural_width(spans: Sequence[Span], style: TextStyle, metrics: Metrics) -> float:
    """The width (pt) a paragraph takes set on one line at natural spacing, indent included:
    the measure at which `compose` sets it as a single line (headlines, labels)."""
    atoms = _atoms(_prepare(spans, style, metrics), style)
    if not atoms.start:
        return 0.0
    return (style.indent_em * style.size + sum(atoms.width) + sum(atoms.glue[1:])
            - _final_cut(atoms, style))


# ---------------------------------------------------------------- characters

def _fonts(spans: Sequence[Span], style: TextStyle,
           metrics: Metrics) -> tuple[str, list[str], list[str], list[float]]:
    """The text, each character's role, its font (the role's, or a fallback that has the
    glyph) and its advance in pt."""
    text = "".join(s.text for s in spans)
    roles = [s.role for s in spans for _ in s.text]
    regular = style.fonts.get("regular", next(iter(style.fonts.values())))
    seen: dict[tuple[str, str], tuple[str, float]] = {}
    fonts, advance = [], []
    for ch, role in zip(text, roles):
        key = (style.fonts.get(role, regular), ch)
        found = seen.get(key)
        if found is None:
            font = metrics.font_for(key[0], ch)
            found = seen[key] = (font, metrics.advance(font, ch) * style.size)
        fonts.append(found[0])
        advance.append(found[1])
    return text, roles, fonts, advance


def _prepare(spans: Sequence[Span], style: TextStyle, metrics: Metrics) -> _Text:
    text, roles, fonts, advance = _fonts(spans, style, metrics)
    gap = style.cjk_latin_gap_em * style.size
    pairs = list(zip(" " + text, text))
    t = _Text(text, roles, fonts, list(advance), [0.0] * len(text), [False] * len(text),
              [gap if _mixed(a, b) else 0.0 for a, b in pairs],
              [_spreads(a, b) for a, b in pairs], _unit_starts(text))
    _punctuation(t, advance, style)
    return t


def _punctuation(t: _Text, advance: list[float], style: TextStyle) -> None:
    """Boxes of the punctuation marks per clreq §3.1.6 and the punctuation style."""
    text, em, n = t.text, style.size, len(t.text)
    for i, ch in enumerate(text):
        if ch in MIDDLE:                      # centred in a half-em box
            t.box[i] = em / 2
            t.pen[i] = (em / 2 - advance[i]) / 2
        elif ch in CLOSING or ch in OPENING:
            if _half(text, i, style.punct_style):
                t.box[i] = advance[i] / 2
                t.pen[i] = -advance[i] / 2 if ch in OPENING else 0.0
            else:
                t.full_close[i] = ch in CLOSING
    i = 0
    while i < n:                              # —— ……: one box of whole ems, ink centred
        j = i
        while j < n and text[j] in LONG and text[j] == text[i]:
            j += 1
        if j > i:
            boxes = [LONG_EMS.get(text[k], 1.0) * em for k in range(i, j)]
            pad = (sum(boxes) - sum(advance[i:j])) / 2
            for k in range(i, j):
                t.box[k] = boxes[k - i]
                t.pen[k] = pad + sum(advance[i:k]) - sum(boxes[:k - i])
        i = max(j, i + 1)


def _half(text: str, i: int, punct: PunctStyle) -> bool:
    """Whether the mark at i is set in a half-em box: in quanjiao when two marks meet (a
    closing mark before any mark, an opening mark after an opening one: 1.5 em together,
    clreq #h-adjustment_of_adjacent_punctuation_marks); in kaiming all but the stops; in
    banjiao always."""
    ch = text[i]
    if punct is PunctStyle.BANJIAO:
        return True
    if punct is PunctStyle.KAIMING and ch not in STOPS:
        return True
    nxt = text[i + 1] if i + 1 < len(text) else ""
    prev = text[i - 1] if i else ""
    if ch in CLOSING:
        return nxt in CLOSING or nxt in OPENING
    return prev in OPENING


# ---------------------------------------------------------------- units and junctions

def _atoms(t: _Text, style: TextStyle) -> _Atoms:
    text, em = t.text, style.size
    ls = style.letter_spacing_em * em
    boxes, gaps, spreads, units = _prefix(t.box), _prefix(t.gap), _prefix(t.spread), _prefix(t.unit)
    a = _Atoms([], [], [], [], [], [], [], [], [], [], [])
    for start, stop in segments(text, break_opportunities(text)):
        end = stop
        while end > start and text[end - 1].isspace():
            end -= 1
        if end == start:                      # spaces only (paragraph start): dropped
            continue
        if a.start:
            prev_end = a.end[-1]
            glue, stretch, shrink = _junction(t, prev_end, start, style)
            a.glue.append(glue + ls)
            a.stretch.append(stretch)
            a.shrink.append(shrink)
            a.spaces.append((prev_end, start))
        else:
            a.glue.append(0.0)
            a.stretch.append(0.0)
            a.shrink.append(0.0)
            a.spaces.append((start, start))
        a.start.append(start)
        a.end.append(end)
        a.width.append(boxes[end] - boxes[start] + gaps[end] - gaps[start + 1] + ls * (end - start - 1))
        last = end - 1
        a.cut.append(_end_cut(t, last, style))
        hangs = style.hanging and text[last] in HANGABLE and last > start and not is_cjk_mark(text[last - 1])
        a.hang.append(t.box[last] if hangs else 0.0)
        a.units.append(units[end] - units[start])
        a.inner.append(spreads[end] - spreads[start + 1])
    return a


def _spreads(a: str, b: str) -> bool:
    """Whether the even justification spacing goes between two adjacent characters of one
    unit: between CJK characters and marks ("“十", "中，"), never inside —— or …… (clreq R3)."""
    return (is_wide(a) or is_cjk_mark(a)) and (is_wide(b) or is_cjk_mark(b)) \
        and not (a in LONG and b in LONG)


def _end_cut(t: _Text, i: int, style: TextStyle) -> float:
    """What a line-final closing mark gives up: its blank half (GB/T 15834 §5.1.10), except a
    stop in kaiming style, which stays full width."""
    if not t.full_close[i] or (style.punct_style is PunctStyle.KAIMING and t.text[i] in STOPS):
        return 0.0
    return t.box[i] / 2


def _final_cut(atoms: _Atoms, style: TextStyle) -> float:
    """A last line ends flush with its mark's ink when centred or set right."""
    return atoms.cut[-1] if style.align in (Align.CENTER, Align.RIGHT) else 0.0


def _mixed(a: str, b: str) -> bool:
    """Whether the CJK–Latin gap (clreq R6) goes between two adjacent characters."""
    return (is_ideograph(a) and is_western(b)) or (is_western(a) and is_ideograph(b))


def _junction(t: _Text, prev_end: int, start: int, style: TextStyle) -> tuple[float, float, float]:
    """Glue between two units: (nominal, stretch, shrink) in pt. A source space replaces the
    CJK–Latin gap instead of adding to it; next to a full-width mark it vanishes (the mark
    carries its own blank); between two CJK characters it reads as an ideographic space."""
    em = style.size
    a, b = t.text[prev_end - 1], t.text[start]
    gap = style.cjk_latin_gap_em * em
    mixed = (gap, max(0.0, CJK_LATIN_MAX_EM * em - gap), max(0.0, gap - CJK_LATIN_MIN_EM * em))
    if prev_end == start:
        return mixed if t.gap[start] else (0.0, 0.0, 0.0)
    if is_cjk_mark(a) or is_cjk_mark(b):
        return 0.0, 0.0, 0.0
    if is_wide(a) and is_wide(b):
        return IDEOGRAPHIC_SPACE_EM * em, 0.0, 0.0
    if is_wide(a) or is_wide(b):
        return mixed
    space = t.box[prev_end]
    return space, max(0.0, WORD_SPACE_MAX_EM * em - space), space * (1 - WORD_SPACE_MIN)


def _unit_starts(text: str) -> list[int]:
    """1 where a unit of a last line starts (R8): a Han character, a Latin word or number
    (with its separators and suffixes), another symbol; punctuation and spaces count none."""
    starts, word = [], False
    for ch in text:
        if ch.isascii() and ch.isalnum():
            starts.append(0 if word else 1)
            word = True
        elif word and ch in ".,%％‰℃°'-":
            starts.append(0)
        else:
            word = False
            starts.append(1 if is_han(ch) or not (is_punct(ch) or ch.isspace()) else 0)
    return starts


# ---------------------------------------------------------------- total-fit breaking

@dataclass
class _Fit:
    """How a candidate line is set: even spacing s (pt), glue ratio, hanging or not."""

    spacing: float
    ratio: float
    hang: bool
    demerits: float
    fitness: int


@dataclass
class _Node:
    """A break on the best path found so far: total demerits and the line that ends here."""

    demerits: float
    prev: _Node | None
    start: int
    end: int
    fit: _Fit | None


def _breaks(atoms: _Atoms, style: TextStyle, measure: float, indent: float) -> list[tuple[int, int, _Fit]]:
    """The lines (first unit, end unit, fit) minimising total demerits (Knuth–Plass)."""
    best = None
    for limits in (STRICT, LOOSE, ANY):
        found = _total_fit(atoms, style, measure, indent, limits)
        if found is not None and (best is None or found.demerits < best.demerits):
            best = found
        if best is not None and best.demerits < ORPHAN_PENALTY:
            break
    lines = []
    node = best
    while node is not None and node.fit is not None:
        lines.append((node.start, node.end, node.fit))
        node = node.prev
    return lines[::-1]


def _prefix(values: Iterable[float]) -> list:
    return list(accumulate(values, initial=0))


def _total_fit(atoms: _Atoms, style: TextStyle, measure: float, indent: float,
               limits: Limits) -> _Node | None:
    """Dynamic programming over break opportunities. Each break keeps its best path per
    fitness class; the candidate starts of a line are bounded by its width range, found from
    prefix sums, so the work is linear in the paragraph length."""
    n = len(atoms.start)
    em = style.size
    justify = style.align is Align.JUSTIFY
    # Prefix sums over units k, each with the junction before it: a line of units i..j-1
    # holds junctions i+1..j-1, so the junction before unit i is taken off again.
    glue = atoms.glue
    widths = _prefix(g + w for g, w in zip(glue, atoms.width))
    stretches, shrinks = _prefix(atoms.stretch), _prefix(atoms.shrink)
    gaps = _prefix((k > 0) + inner for k, inner in enumerate(atoms.inner))
    units = _prefix(atoms.units)
    shrink_max, stretch_max = limits.shrink * em, limits.stretch * em
    active: list[dict[int, _Node] | None] = [None] * (n + 1)    # best path per fitness class
    active[0] = {1: _Node(0.0, None, 0, 0, None)}
    lo = 0
    for j in range(1, n + 1):
        final = j == n
        while lo < j - 1:                   # drop starts too far back even fully shrunk
            natural = widths[j] - widths[lo] - glue[lo]
            room = shrinks[j] - shrinks[lo] - atoms.shrink[lo] + (gaps[j] - gaps[lo]) * shrink_max
            if natural - room - em <= measure - (indent if lo == 0 else 0.0):   # em: cut, hang
                break
            lo += 1
        found: dict[int, _Node] = {}
        for i in range(lo, j):
            starts = active[i]
            if starts is None:
                continue
            avail = measure - (indent if i == 0 else 0.0)
            natural = widths[j] - widths[i] - glue[i]
            stretch = stretches[j] - stretches[i] - atoms.stretch[i]
            n_gaps = gaps[j] - gaps[i] - (i > 0)
            if not final and justify and natural + stretch + n_gaps * stretch_max < avail - 1e-6:
                break                       # too short, and shorter still from here on
            fit = _fit(atoms, natural, avail, i, j, final, justify, em, limits, n_gaps, stretch,
                       shrinks[j] - shrinks[i] - atoms.shrink[i])
            if fit is None:
                continue
            if final and i > 0 and units[n] - units[i] < 2 <= units[n]:
                fit.demerits += ORPHAN_PENALTY
            for prev_fitness, node in starts.items():
                total = node.demerits + fit.demerits
                if not final and abs(prev_fitness - fit.fitness) > 1:
                    total += FITNESS_PENALTY
                cur = found.get(fit.fitness)
                if cur is None or total < cur.demerits:
                    found[fit.fitness] = _Node(total, node, i, j, fit)
        if found:
            active[j] = found
    ends = active[n]
    return min(ends.values(), key=lambda nd: nd.demerits) if ends else None


def _fit(atoms: _Atoms, natural: float, avail: float, i: int, j: int, final: bool,
         justify: bool, em: float, limits: Limits, gaps: int, stretch: float,
         shrink: float) -> _Fit | None:
    """How well units i..j-1 fill a line (None: they cannot). Justified lines adjust glue
    first, then the even spacing; ragged and final lines keep natural spacing."""
    if final or not justify:
        cut = 0.0 if final else atoms.cut[j - 1]
        if natural - cut > avail + 1e-6:
            return _overfull(natural - cut - avail, gaps, em, limits) if limits is ANY else None
        slack = 0.0 if final else (avail - natural + cut) / avail
        at_space = final or atoms.spaces[j][1] > atoms.spaces[j][0]
        bad = 100 * slack * slack + (0.0 if at_space else MID_PHRASE_BADNESS)
        return _Fit(0.0, 0.0, False, (LINE_PENALTY + bad) ** 2, 1)
    fit = _justify(avail - natural + atoms.cut[j - 1], gaps, stretch, shrink, em, limits, False)
    if atoms.hang[j - 1]:
        hung = _justify(avail - natural + atoms.hang[j - 1], gaps, stretch, shrink, em, limits, True)
        if hung is not None and (fit is None or hung.demerits < fit.demerits):
            fit = hung
    if fit is None and limits is ANY:
        return _overfull(natural - atoms.cut[j - 1] - avail, gaps, em, limits)
    return fit


def _justify(slack: float, gaps: int, stretch: float, shrink: float, em: float,
             limits: Limits, hang: bool) -> _Fit | None:
    """Share the slack between the glue (CJK–Latin gaps, word spaces) and the even spacing in
    proportion to what each may normally give, the glue never past its own limits. (Glue
    first, as clreq orders it, would leave the CJK–Latin gap at ⅛ or ⅓ em on most lines
    holding a number: visibly uneven from line to line.)"""
    room = stretch if slack >= 0 else shrink
    per_gap = (STRICT.stretch if slack >= 0 else STRICT.shrink) * em
    share = room / (room + gaps * per_gap) if room > 1e-9 else 0.0
    glue = max(-room, min(room, slack * share))
    ratio = glue / room if glue else 0.0
    rest = slack - glue
    if abs(rest) <= 1e-6:
        spacing = 0.0
    elif gaps == 0:
        return None
    else:
        spacing = rest / gaps
    if not -limits.shrink * em - 1e-9 <= spacing <= limits.stretch * em + 1e-9:
        return None
    s = spacing / em
    bad = 100 * (s / 0.1) ** 2 if s >= 0 else 100 * (s / 0.04) ** 2
    bad += 25 * ratio * ratio
    fitness = 0 if s < -0.02 else 1 if s <= 0.04 else 2 if s <= 0.1 else 3
    demerits = (LINE_PENALTY + bad) ** 2 + (LOOSE_PENALTY if s > LOOSE.stretch else 0.0)
    return _Fit(spacing, ratio, hang, demerits, fitness)


def _overfull(excess: float, gaps: int, em: float, limits: Limits) -> _Fit:
    """Last resort: a line running past the measure (an overlong unit), shrunk what it may."""
    spacing = -min(excess / gaps, limits.shrink * em) if gaps else 0.0
    return _Fit(spacing, 0.0, False, OVERFULL_PENALTY, 1)


# ---------------------------------------------------------------- setting a line

def _set_line(t: _Text, atoms: _Atoms, style: TextStyle, measure: float, indent: float,
              brk: tuple[int, int, _Fit], first: bool, last: bool) -> Line:
    """Place the glyphs of units i..j-1. Line.natural is where the line would end at natural
    spacing (indent included, a line-end mark's blank or a hanging mark left out)."""
    i, j, fit = brk
    ls = style.letter_spacing_em * style.size
    cut = 0.0 if fit.hang else (_final_cut(atoms, style) if last else atoms.cut[j - 1])
    natural = sum(atoms.width[i:j]) + sum(atoms.glue[i + 1:j]) - cut
    if fit.hang:
        natural -= atoms.hang[j - 1]
    x = indent + _align_offset(style, measure - indent - natural)
    glyphs: list[Glyph] = []
    for k in range(i, j):
        if k > i:
            glue = atoms.glue[k] + fit.ratio * (atoms.stretch[k] if fit.ratio > 0 else atoms.shrink[k])
            x = _spaces(t, atoms.spaces[k], x, glue + fit.spacing, style.size, glyphs)
        x = _set_unit(t, atoms.start[k], atoms.end[k], x, style, ls + fit.spacing, glyphs)
    if cut:
        g = glyphs[-1]
        glyphs[-1] = Glyph(g.char, g.font, g.size, g.x, g.advance - cut, g.role)
    return Line(tuple(glyphs), measure, indent + natural, atoms.start[i], atoms.end[j - 1], first, last)


def _align_offset(style: TextStyle, free: float) -> float:
    if style.align is Align.CENTER:
        return free / 2
    if style.align is Align.RIGHT:
        return free
    return 0.0


def _spaces(t: _Text, span: tuple[int, int], x: float, width: float, size: float,
            glyphs: list[Glyph]) -> float:
    """The junction's source spaces, drawn as one space glyph as wide as the gap (so that
    text extraction keeps them), or nothing when the source had none."""
    a, b = span
    if b > a:
        glyphs.append(Glyph(" ", t.fonts[a], size, x, width, t.roles[a]))
    return x + width


def _set_unit(t: _Text, start: int, end: int, x: float, style: TextStyle, spread: float,
              glyphs: list[Glyph]) -> float:
    """The glyphs of one unit from x; `spread` (letter spacing plus the line's even spacing)
    goes between its CJK characters, letter spacing alone between the others."""
    ls = style.letter_spacing_em * style.size
    for i in range(start, end):
        if i > start:
            x += t.gap[i] + (spread if t.spread[i] else ls)
        glyphs.append(Glyph(t.text[i], t.fonts[i], style.size, x + t.pen[i], t.box[i], t.roles[i]))
        x += t.box[i]
    return x


# ---------------------------------------------------------------- vertical setting (竖排)

# clreq #vertical_writing_mode: brackets turn and quotation marks become corner brackets;
# the presentation forms hold those glyphs (used when the font has them).
VERTICAL_FORMS = dict(zip("（）｛｝〔〕【】《》〈〉「」『』“”‘’〖〗［］：；…—",
                          "︵︶︷︸︹︺︻︼︽︾︿﹀﹁﹂﹃﹄﹁﹂﹃﹄︗︘﹇﹈︓︔︙︱"))
# Pause and stop marks keep their character and move to the upper right of their cell.
UPPER_RIGHT = frozenset("，。、．")
EM_BOX_ASCENT = 0.88         # baseline below the top of an ideograph's em box (Noto CJK)
ROTATED_BASELINE_EM = 0.23   # a turned Latin baseline, from the column's left, centring the ink
TATE_CHU_YOKO_MAX = 2        # up to this many digits sit side by side in one cell


def compose_vertical(spans: Sequence[Span], style: TextStyle, metrics: Metrics) -> list[VGlyph]:
    """Set short display text top to bottom in a column one em wide: CJK upright one em per
    character, runs of one or two digits side by side in one cell (tate-chu-yoko), longer
    Latin and digit runs turned 90°, punctuation in its vertical position."""
    text, roles, fonts, advance = _fonts(spans, style, metrics)
    em = style.size
    ls = style.letter_spacing_em * em
    out: list[VGlyph] = []
    top, i, prev = 0.0, 0, ""
    while i < len(text):
        ch = text[i]
        if ch.isspace():
            j = i + 1
            top += (IDEOGRAPHIC_SPACE_EM * em if is_wide(prev) and j < len(text) and is_wide(text[j])
                    else style.cjk_latin_gap_em * em)
        elif ch.isascii():
            j = i
            while j < len(text) and text[j].isascii() and not text[j].isspace():
                j += 1
            if prev and _mixed(prev, ch):
                top += style.cjk_latin_gap_em * em
            top = _vertical_run(text, i, j, top, roles, fonts, advance, style, out)
            if j < len(text) and _mixed(text[j - 1], text[j]):
                top += style.cjk_latin_gap_em * em
        else:
            j = i + 1
            top = _vertical_cell(ch, top, roles[i], fonts[i], advance[i], style, metrics, out)
        top += ls
        prev = text[j - 1]
        i = j
    return out


def _vertical_cell(ch: str, top: float, role: str, font: str, advance: float, style: TextStyle,
                   metrics: Metrics, out: list[VGlyph]) -> float:
    """One upright character (or punctuation mark) in its cell; returns the next cell's top."""
    em = style.size
    cell = em / 2 if ch in MIDDLE else em
    baseline = top + EM_BOX_ASCENT * em - (em - cell) / 2
    x = (em - advance) / 2
    if ch in UPPER_RIGHT:
        out.append(VGlyph(ch, font, em, x + em / 2, baseline - em / 2, top, cell, False, role))
    elif ch in VERTICAL_FORMS:
        form = VERTICAL_FORMS[ch]
        found = metrics.font_for(font, form)
        if metrics.advance(found, form) and found == font:
            out.append(VGlyph(form, font, em, (em - metrics.advance(font, form) * em) / 2, baseline,
                              top, cell, False, role))
        else:                                  # no vertical form: turn the horizontal one
            out.append(VGlyph(ch, font, em, ROTATED_BASELINE_EM * em, top + (cell - advance) / 2,
                              top, cell, True, role))
    else:
        out.append(VGlyph(ch, font, em, x, baseline, top, cell, False, role))
    return top + cell


def _vertical_run(text: str, i: int, j: int, top: float, roles: list[str], fonts: list[str],
                  advance: list[float], style: TextStyle, out: list[VGlyph]) -> float:
    """A Latin or digit run: one or two digits side by side in one em cell (scaled down to
    fit), anything longer turned 90° clockwise along the column."""
    em = style.size
    width = sum(advance[i:j])
    if j - i <= TATE_CHU_YOKO_MAX and text[i:j].isdigit():
        scale = min(1.0, em / width)
        x = (em - width * scale) / 2
        for k in range(i, j):
            out.append(VGlyph(text[k], fonts[k], em * scale, x, top + EM_BOX_ASCENT * em, top, em,
                              False, roles[k]))
            x += advance[k] * scale
        return top + em
    for k in range(i, j):
        out.append(VGlyph(text[k], fonts[k], em, ROTATED_BASELINE_EM * em, top, top, advance[k],
                          True, roles[k]))
        top += advance[k]
    return top
