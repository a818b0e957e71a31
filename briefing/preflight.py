"""Preflight: does a finished PDF meet its output profile? (`briefing check`)

The core runs on pypdf alone. Every page's content is interpreted (graphics state, colour,
overprint, text positions from the fonts' widths, clipping as bounding boxes, image placement)
through forms, tiling patterns and annotation appearances; the same interpretation tells
imposition what each operation of a page shows through a clip (`ink_by_operation`). Where
poppler, qpdf or Ghostscript are installed they add second opinions: pdffonts (embedding),
qpdf --check (structure), a Ghostscript RIP run (interpreter errors) and a CMYK render inside
the BleedBox (total ink).

Rule ids follow the print-ready checklist (PRINT.md): A metadata and structure, B fonts,
C colour, D geometry, E lines, F RIP.
"""

from __future__ import annotations

import argparse
import io
import json
import math
import re
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

from pypdf import PdfReader
from pypdf.errors import PyPdfError
from pypdf.generic import (ArrayObject, ContentStream, DictionaryObject, IndirectObject,
                           NameObject, StreamObject)

from briefing.colour import ColourSpace
from briefing.errors import InputError, PreflightError
from briefing.profiles import (ICC_REGISTRY, OUTPUT_CONDITIONS, PDFX_PDF_VERSION, PDFX_VERSION,
                               PROFILES, PT_PER_MM, Box, Profile, get_profile)

Severity = Literal["error", "warning", "info"]
Matrix = tuple[float, float, float, float, float, float]
IDENTITY: Matrix = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)

RULES: dict[str, str] = {
    "A1": "PDF version",
    "A2": "output intent",
    "A3": "document information",
    "A5": "file structure and security",
    "A6": "annotations in the bleed",
    "B1": "fonts embedded",
    "B2": "fallback fonts",
    "B3": "Type 3 fonts",
    "B4": "font subsets",
    "C1": "colour spaces",
    "C2": "transparency",
    "C3": "black text",
    "C4": "total ink",
    "C6": "image resolution",
    "D1": "page boxes",
    "D4": "safe area",
    "D5": "registration colour",
    "E1": "line weights",
    "F1": "RIP smoke test",
}

TOL_PT = 0.5                     # box comparisons
RICH_BLACK_K = 0.9               # K above this with any C, M or Y is rich black
TAC_TOLERANCE = 1.0              # percent: 8-bit rendering rounds each channel
TAC_DPI = 72
MULTI_INK_LINE_PT = 0.5          # multi-ink and reversed rules register worse than one ink
EXAMPLES = 3
_SUBSET = re.compile(r"^[A-Z]{6}\+")
_FALLBACK_FONT = re.compile(r"last\s*resort|adobe\s*blank", re.I)
_PLACEHOLDER_TITLES = {"", "untitled", "anonymous", "(anonymous)", "unknown"}
_TRANSPARENT_BLEND = {"/Normal", "/Compatible"}
_FONT_FILES = ("/FontFile", "/FontFile2", "/FontFile3")


@dataclass(frozen=True)
class Finding:
    rule_id: str
    severity: Severity
    message: str
    page: int | None = None          # 1-based
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass
class Report:
    file: str
    profile: str
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not any(f.severity == "error" for f in self.findings)

    def counts(self) -> dict[str, int]:
        c = Counter(f.severity for f in self.findings)
        return {s: c.get(s, 0) for s in ("error", "warning", "info")}

    def to_json(self) -> str:
        return json.dumps({"file": self.file, "profile": self.profile, "ok": self.ok,
                           "counts": self.counts(),
                           "findings": [asdict(f) for f in self.findings]},
                          ensure_ascii=False, indent=1)

    def format_text(self) -> str:
        lines = [f"{self.file}: preflight for the {self.profile!r} profile"]
        for f in self.findings:
            where = f" p{f.page}" if f.page is not None else ""
            lines.append(f"  {f.severity:<7} {f.rule_id} {RULES[f.rule_id]}{where}: {f.message}")
        c = self.counts()
        verdict = "passes" if self.ok else "FAILS"
        lines.append(f"{verdict}: {c['error']} errors, {c['warning']} warnings, {c['info']} notes")
        return "\n".join(lines)


# ================================================================ geometry

def _mult(m: Matrix, n: Matrix) -> Matrix:
    """m then n (PDF row-vector convention)."""
    a, b, c, d, e, f = m
    A, B, C, D, E, F = n
    return (a * A + b * C, a * B + b * D, c * A + d * C, c * B + d * D,
            e * A + f * C + E, e * B + f * D + F)


def _apply(m: Matrix, x: float, y: float) -> tuple[float, float]:
    return m[0] * x + m[2] * y + m[4], m[1] * x + m[3] * y + m[5]


def _bbox(points: Iterable[tuple[float, float]]) -> Box | None:
    pts = list(points)
    if not pts:
        return None
    xs, ys = [p[0] for p in pts], [p[1] for p in pts]
    return min(xs), min(ys), max(xs), max(ys)


def _rect_through(m: Matrix, box: Box) -> Box:
    x0, y0, x1, y1 = box
    return _bbox(_apply(m, x, y) for x in (x0, x1) for y in (y0, y1))  # type: ignore[return-value]


def _intersect(a: Box | None, b: Box | None) -> Box | None:
    if a is None or b is None:
        return None
    box = (max(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), min(a[3], b[3]))
    return box if box[0] <= box[2] and box[1] <= box[3] else None


# Clips are tracked as bounding boxes, None meaning no clip at all. Clipping paths that do not
# meet leave a clip nothing gets through: NO_AREA, which meets no box (its edges are inverted).
NO_AREA: Box = (math.inf, math.inf, -math.inf, -math.inf)


def _clip_to(clip: Box | None, region: Box | None) -> Box | None:
    """The clip narrowed to `region` (a clipping path's or a form's BBox); NO_AREA, never
    None, when they do not meet: an empty intersection hides everything, it does not lift
    the clip. No region (an empty path) leaves the clip as it was."""
    if region is None:
        return clip
    if clip is None:
        return region
    return _intersect(clip, region) or NO_AREA


def _visible(box: Box | None, clip: Box | None) -> Box | None:
    """The part of `box` inside the clip, None when nothing of it shows."""
    return box if clip is None else _intersect(box, clip)


def _overlaps(a: Box, b: Box) -> bool:
    """Interiors overlap (touching edges do not count)."""
    return a[0] < b[2] - TOL_PT and a[2] > b[0] + TOL_PT and a[1] < b[3] - TOL_PT and a[3] > b[1] + TOL_PT


def _contains(outer: Box, inner: Box) -> bool:
    return (inner[0] >= outer[0] - TOL_PT and inner[1] >= outer[1] - TOL_PT
            and inner[2] <= outer[2] + TOL_PT and inner[3] <= outer[3] + TOL_PT)


def _as_box(value: Any) -> Box:
    x0, y0, x1, y1 = (float(v) for v in value)
    return min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)


def _entries(resources: DictionaryObject | None, category: str) -> DictionaryObject:
    """A resource category (/Font, /XObject, ...), resolved; empty when absent."""
    found = resources.get(category) if resources is not None else None
    return found.get_object() if found is not None else DictionaryObject()


def _entry(resources: DictionaryObject | None, category: str, name: Any) -> Any:
    """A named resource, resolved, or None."""
    found = _entries(resources, category).get(name)
    return found.get_object() if found is not None else None


def _matrix(value: Any) -> Matrix:
    return tuple(float(v) for v in value) if value is not None else IDENTITY  # type: ignore[return-value]


# ================================================================ colour spaces

def colour_kind(cs: Any, resources: DictionaryObject | None, depth: int = 0) -> str:
    """gray, cmyk, rgb, registration (/Separation /All), spot, pattern, icc, lab or other."""
    cs = cs.get_object() if cs is not None else None
    if depth > 8 or cs is None:
        return "other"
    if isinstance(cs, NameObject):
        simple = {"/DeviceGray": "gray", "/G": "gray", "/DeviceCMYK": "cmyk", "/CMYK": "cmyk",
                  "/DeviceRGB": "rgb", "/RGB": "rgb", "/Pattern": "pattern"}
        if cs in simple:
            return simple[cs]
        named = _entry(resources, "/ColorSpace", cs)
        return colour_kind(named, resources, depth + 1) if named is not None else "other"
    if isinstance(cs, ArrayObject) and cs:
        head = cs[0]
        if head == "/Separation":
            return "registration" if cs[1] == "/All" else "spot"
        if head == "/DeviceN":
            return "spot"
        if head in ("/Indexed", "/I", "/Pattern") and len(cs) > 1:
            return colour_kind(cs[1], resources, depth + 1)
        if head == "/Pattern":
            return "pattern"
        if head in ("/ICCBased", "/CalRGB", "/CalGray"):
            return "icc"
        if head == "/Lab":
            return "lab"
    return "other"


# Kinds a DeviceCMYK-only (PDF/X-1a) file may not use.
NOT_CMYK = {"rgb", "icc", "lab", "other"}
# The colour `cs`/`CS` selects: black in device spaces, full tint in separations.
_INITIAL = {"gray": (0.0,), "rgb": (0.0, 0.0, 0.0), "cmyk": (0.0, 0.0, 0.0, 1.0)}


@dataclass(frozen=True)
class Paint:
    """A colour as drawn: its kind and components."""

    kind: str = "gray"
    values: tuple[float, ...] = (0.0,)

    @property
    def is_k100(self) -> bool:
        if self.kind == "cmyk" and len(self.values) == 4:
            c, m, y, k = self.values
            return k >= 0.999 and c == m == y == 0
        return self.kind == "gray" and self.values[0] <= 0.001

    @property
    def is_rich_black(self) -> bool:
        return self.kind == "cmyk" and len(self.values) == 4 and \
            self.values[3] > RICH_BLACK_K and any(self.values[:3])

    @property
    def is_white(self) -> bool:
        return (self.kind == "cmyk" and not any(self.values)) or \
            (self.kind == "gray" and self.values[0] >= 0.999)

    @property
    def inks(self) -> int:
        return sum(1 for v in self.values if v > 0) if self.kind == "cmyk" else 1


# ================================================================ fonts

@dataclass(frozen=True)
class FontFacts:
    name: str              # BaseFont, with the subset tag
    subtype: str
    embedded: bool
    code_bytes: int        # 2 for Type0 (CID) fonts
    widths: dict[int, float]
    default_width: float
    descent: float         # font units / 1000, usually negative
    scale: float = 0.001   # glyph space to text space
    vertical: bool = False  # a CID font written top to bottom (WMode 1): advances are not widths
    source: Any = field(default=None, compare=False, repr=False)   # the font dictionary

    @classmethod
    def of(cls, font: DictionaryObject) -> FontFacts:
        subtype = str(font.get("/Subtype", "/Unknown"))[1:]
        name = str(font.get("/BaseFont", font.get("/Name", "/unnamed")))[1:]
        if subtype == "Type0":
            desc_font = font["/DescendantFonts"][0].get_object()
            widths, default = _cid_widths(desc_font.get("/W")), float(desc_font.get("/DW", 1000))
            holder = desc_font
        else:
            first = int(font.get("/FirstChar", 0))
            widths = {first + i: float(w) for i, w in enumerate(font.get("/Widths") or [])}
            holder, default = font, 500.0
        descriptor = holder.get("/FontDescriptor")
        descriptor = descriptor.get_object() if descriptor is not None else {}
        embedded = subtype == "Type3" or any(k in descriptor for k in _FONT_FILES)
        scale = float(_matrix(font.get("/FontMatrix"))[0]) if subtype == "Type3" else 0.001
        return cls(name, subtype, embedded, 2 if subtype == "Type0" else 1, widths,
                   float(descriptor.get("/MissingWidth", default)),
                   float(descriptor.get("/Descent", -120)) / 1000.0, scale,
                   subtype == "Type0" and _vertical(font.get("/Encoding")), font)

    @cached_property
    def outline(self) -> Callable[[int], Box | None | bool]:
        """The glyph outline's box for a character code, in text space per unit font size,
        read from an embedded TrueType program: None for a glyph without ink (a space),
        False when the font cannot tell."""
        return _Outlines.of(self.source) if self.source is not None else (lambda code: False)

    def advances(self, data: bytes) -> Iterator[tuple[int, float]]:
        """(code, width in text space per unit font size) for each character code."""
        n = self.code_bytes
        for i in range(0, len(data) - n + 1, n):
            code = int.from_bytes(data[i:i + n], "big")
            yield code, self.widths.get(code, self.default_width) * self.scale


class _Outlines:
    """Glyph boxes of an embedded TrueType program, by character code, read on demand."""

    def __init__(self, glyf: Any, units: float, names: Callable[[int], str | None]):
        self.glyf, self.units, self.names = glyf, units, names
        self.boxes: dict[int, Box | None | bool] = {}

    @classmethod
    def of(cls, font: DictionaryObject) -> Callable[[int], Box | None | bool]:
        try:
            return cls._read(font)
        except Exception:       # noqa: BLE001 - any damage to the program: fall back on widths
            return lambda code: False

    @classmethod
    def _read(cls, font: DictionaryObject) -> Callable[[int], Box | None | bool]:
        from fontTools.ttLib import TTFont

        type0 = font.get("/Subtype") == "/Type0"
        holder = font["/DescendantFonts"][0].get_object() if type0 else font
        descriptor = holder["/FontDescriptor"].get_object()
        if "/FontFile2" not in descriptor:
            return lambda code: False
        program = TTFont(io.BytesIO(descriptor["/FontFile2"].get_object().get_data()), lazy=True)
        order = program.getGlyphOrder()
        if type0:
            if font.get("/Encoding") != "/Identity-H":
                return lambda code: False
            gids = holder.get("/CIDToGIDMap")
            gids = gids.get_object() if gids is not None else None
            table = gids.get_data() if isinstance(gids, StreamObject) else None

            def name(code: int) -> str | None:
                if table is None:
                    gid = code
                elif 2 * code + 2 <= len(table):
                    gid = int.from_bytes(table[2 * code:2 * code + 2], "big")
                else:
                    return None
                return order[gid] if gid < len(order) else None
        else:
            if "/Encoding" in font or not int(descriptor.get("/Flags", 0)) & 4:
                return lambda code: False      # encoded through glyph names: not read here
            cmaps = {(t.platformID, t.platEncID): t.cmap for t in program["cmap"].tables}
            symbol, mac = cmaps.get((3, 0), {}), cmaps.get((1, 0), {})

            def name(code: int) -> str | None:
                return symbol.get(code, symbol.get(0xF000 + code, mac.get(code)))
        return cls(program["glyf"], float(program["head"].unitsPerEm), name)

    def __call__(self, code: int) -> Box | None | bool:
        if code not in self.boxes:
            try:
                name = self.names(code)
                glyph = self.glyf[name] if name is not None else None
                box: Box | None | bool = False if glyph is None else \
                    (glyph.xMin / self.units, glyph.yMin / self.units, glyph.xMax / self.units,
                     glyph.yMax / self.units) if glyph.numberOfContours else None
            except Exception:   # noqa: BLE001 - a damaged glyph: fall back on its width
                box = False
            self.boxes[code] = box
        return self.boxes[code]


def _vertical(encoding: Any) -> bool:
    encoding = encoding.get_object() if encoding is not None else None
    if isinstance(encoding, NameObject):
        return encoding.endswith("-V")
    return isinstance(encoding, DictionaryObject) and int(encoding.get("/WMode", 0)) == 1


def _cid_widths(w: Any) -> dict[int, float]:
    widths: dict[int, float] = {}
    items = list(w or [])
    i = 0
    while i < len(items):
        first = int(items[i])
        nxt = items[i + 1].get_object() if isinstance(items[i + 1], IndirectObject) else items[i + 1]
        if isinstance(nxt, ArrayObject):
            widths.update({first + j: float(v) for j, v in enumerate(nxt)})
            i += 2
        else:
            widths.update({c: float(items[i + 2]) for c in range(first, int(nxt) + 1)})
            i += 3
    return widths


# ================================================================ content interpretation

@dataclass(frozen=True)
class TextRun:
    page: int
    box: Box               # default user space, clipped
    fill: Paint
    overprint: bool
    opm: int
    font: str


@dataclass(frozen=True)
class ImageUse:
    page: int
    ppi: float
    width: int
    height: int
    kind: str


@dataclass(frozen=True)
class Stroke:
    page: int
    box: Box
    width: float           # in points on the page
    paint: Paint


@dataclass
class Scan:
    """Everything the content interpretation saw, for the rules to judge."""

    fonts: dict[int, FontFacts] = field(default_factory=dict)
    colours: Counter = field(default_factory=Counter)              # (page, use, kind)
    transparency: Counter = field(default_factory=Counter)         # (page, kind)
    forbidden: Counter = field(default_factory=Counter)            # (page, kind): PDF/X bans these
    text: list[TextRun] = field(default_factory=list)
    images: list[ImageUse] = field(default_factory=list)
    registration: list[tuple[int, Box]] = field(default_factory=list)
    strokes: list[Stroke] = field(default_factory=list)
    errors: list[tuple[int, str]] = field(default_factory=list)


@dataclass
class Ink:
    """What one operation of a content stream shows inside a clip (`ink_by_operation`)."""

    box: Box | None = None     # the bounding box of what shows; None: nothing does
    # For an operator showing text in the stream itself: its glyphs and TJ adjustments in
    # order, each glyph that shows as its character code (bytes) and each one that does not
    # as the TJ adjustment (thousandths of the font size) that moves as far as it would.
    glyphs: list[bytes | float] | None = None
    hidden: int = 0            # glyphs that do not show

    def add(self, box: Box) -> None:
        self.box = box if self.box is None else (min(self.box[0], box[0]), min(self.box[1], box[1]),
                                                 max(self.box[2], box[2]), max(self.box[3], box[3]))


@dataclass
class _State:
    ctm: Matrix = IDENTITY
    clip: Box | None = None
    fill: Paint = Paint()
    stroke: Paint = Paint()
    op_fill: bool = False
    opm: int = 0
    line_width: float = 1.0
    font: FontFacts | None = None
    size: float = 0.0
    char_space: float = 0.0
    word_space: float = 0.0
    hscale: float = 1.0
    leading: float = 0.0
    rise: float = 0.0
    render: int = 0


_PAINT_OPS = {"S": (False, True), "s": (False, True), "f": (True, False), "F": (True, False),
              "f*": (True, False), "B": (True, True), "B*": (True, True), "b": (True, True),
              "b*": (True, True), "n": (False, False)}
MAX_DEPTH = 12
EVERYWHERE: Box = (-math.inf, -math.inf, math.inf, math.inf)
STROKE_REACH = 5.0   # line widths a stroke's ink reaches past its path: a miter at limit 10
GLYPH_REACH = 0.25   # em a glyph's ink reaches past its advance, descent and size
OUTLINE_REACH = 0.02  # em around a glyph's outline box (and a point on the page): rounding, rasterising


class _Interpreter:
    """Runs content streams of one page, recording into a Scan."""

    def __init__(self, scan: Scan, page: int):
        self.scan, self.page = scan, page
        self.gs = _State()
        self.stack: list[_State] = []
        self.path: list[tuple[float, float]] = []
        self.pending_clip = False
        self.tm = self.lm = IDENTITY
        self.walked_patterns: set[int] = set()
        self.ink: dict[int, Ink] | None = None   # by operation of the stream run at depth 0
        self.op, self.depth = -1, 0

    # ---- entry points

    def run(self, content: Any, resources: DictionaryObject, ctm: Matrix, clip: Box | None,
            depth: int = 0) -> None:
        """Interpret one content stream with its own q/Q stack, starting from the current state."""
        if depth > MAX_DEPTH:
            self.scan.errors.append((self.page, "forms nested too deeply"))
            self._mark(EVERYWHERE)
            return
        self._collect_fonts(resources)
        try:
            operations = content.operations if isinstance(content, ContentStream) else \
                ContentStream(content, None).operations
        except (PyPdfError, ValueError, KeyError) as exc:
            self.scan.errors.append((self.page, f"content stream cannot be read: {exc}"))
            self._mark(EVERYWHERE)
            return
        outer = (self.gs, self.stack, self.tm, self.lm, self.depth)
        self.gs, self.stack, self.depth = replace(self.gs, ctm=ctm, clip=clip), [], depth
        for index, (operands, operator) in enumerate(operations):
            op = operator.decode("latin-1")
            if depth == 0:
                self.op = index
            try:
                self._op(op, operands, resources, depth)
            except (IndexError, TypeError, ValueError, KeyError, AttributeError) as exc:
                self.scan.errors.append((self.page, f"malformed {op} operator: {exc!r}"))
                self._mark(EVERYWHERE)
        self.gs, self.stack, self.tm, self.lm, self.depth = outer

    def _mark(self, box: Box | None, reach: float = 0.0) -> None:
        """Record what of `box`, grown by `reach`, shows through the clip as ink of the
        current operation of the depth-0 stream (when ink is being recorded)."""
        if self.ink is None or box is None:
            return
        shown = _visible((box[0] - reach, box[1] - reach, box[2] + reach, box[3] + reach), self.gs.clip)
        if shown is not None:
            self.ink.setdefault(self.op, Ink()).add(shown)

    def form(self, form: StreamObject, resources: DictionaryObject, ctm: Matrix,
             clip: Box | None, depth: int) -> None:
        group = form.get("/Group")
        if group is not None and group.get_object().get("/S") == "/Transparency":
            self.scan.transparency[(self.page, "transparency group (form)")] += 1
        m = _mult(_matrix(form.get("/Matrix")), ctm)
        bbox = _rect_through(m, _as_box(form["/BBox"])) if "/BBox" in form else None
        own = form.get("/Resources")
        self.run(form, own.get_object() if own is not None else resources, m,
                 _clip_to(clip, bbox), depth + 1)

    # ---- dispatch

    def _op(self, op: str, args: Any, res: DictionaryObject, depth: int) -> None:
        if op in _DEVICE_COLOURS:
            self._set_device(*_DEVICE_COLOURS[op], args, f"{op} operator")
        elif op in ("cs", "CS"):
            self._set_space(args, res, stroke=op == "CS")
        elif op in ("sc", "scn", "SC", "SCN"):
            self._set_values(args, res, op.isupper(), depth)
        elif op in _TEXT_STATE:
            setattr(self.gs, _TEXT_STATE[op], float(args[0]))
        elif op in _PAINT_OPS:
            self._paint(*_PAINT_OPS[op])
        elif op in ("m", "l", "c", "v", "y"):
            self.path.extend(_apply(self.gs.ctm, float(args[i]), float(args[i + 1]))
                             for i in range(0, len(args) - 1, 2))
        elif op == "re":
            x, y, w, h = (float(v) for v in args)
            self.path.extend(_apply(self.gs.ctm, px, py) for px in (x, x + w) for py in (y, y + h))
        elif op in ("W", "W*"):
            self.pending_clip = True
        elif op in _HANDLERS:
            getattr(self, _HANDLERS[op])(args, res, depth)

    # ---- graphics state

    def _q(self, args: Any, res: Any, depth: int) -> None:
        self.stack.append(replace(self.gs))

    def _Q(self, args: Any, res: Any, depth: int) -> None:
        if self.stack:
            self.gs = self.stack.pop()

    def _cm(self, args: Any, res: Any, depth: int) -> None:
        self.gs.ctm = _mult(_matrix(args), self.gs.ctm)

    def _w(self, args: Any, res: Any, depth: int) -> None:
        self.gs.line_width = float(args[0])

    def _extgstate(self, args: Any, res: DictionaryObject, depth: int) -> None:
        state = _entry(res, "/ExtGState", args[0])
        if state is None:
            return
        self._transparency(state)
        if "/OP" in state:
            self.gs.op_fill = bool(state["/OP"])
        if "/op" in state:
            self.gs.op_fill = bool(state["/op"])
        if "/OPM" in state:
            self.gs.opm = int(state["/OPM"])
        if "/LW" in state:
            self.gs.line_width = float(state["/LW"])
        for key in ("/TR", "/TR2"):
            if state.get(key, "/Default") not in ("/Default", "/Identity"):
                self.scan.forbidden[(self.page, "transfer function")] += 1

    def _transparency(self, state: DictionaryObject) -> None:
        for key in ("/CA", "/ca"):
            if key in state and float(state[key]) < 1.0:
                self.scan.transparency[(self.page, f"constant alpha {key[1:]} < 1")] += 1
        smask = state.get("/SMask")
        if smask is not None and smask != "/None":
            self.scan.transparency[(self.page, "soft mask")] += 1
        blend = state.get("/BM")
        modes = list(blend) if isinstance(blend, ArrayObject) else [blend] if blend is not None else []
        if modes and modes[0] not in _TRANSPARENT_BLEND:
            self.scan.transparency[(self.page, f"blend mode {modes[0]}")] += 1

    # ---- colour

    def _colour_use(self, use: str, kind: str) -> None:
        self.scan.colours[(self.page, use, kind)] += 1

    def _set_paint(self, paint: Paint, stroke: bool) -> None:
        if stroke:
            self.gs.stroke = paint
        else:
            self.gs.fill = paint

    def _set_device(self, kind: str, stroke: bool, args: Any, use: str) -> None:
        self._colour_use(use, kind)
        self._set_paint(Paint(kind, tuple(float(v) for v in args)), stroke)

    def _set_space(self, args: Any, res: DictionaryObject, stroke: bool) -> None:
        kind = colour_kind(args[0], res)
        self._colour_use("CS operator" if stroke else "cs operator", kind)
        self._set_paint(Paint(kind, _INITIAL.get(kind, (1.0,))), stroke)

    def _set_values(self, args: Any, res: DictionaryObject, stroke: bool, depth: int) -> None:
        if args and isinstance(args[-1], NameObject):
            self._pattern(_entry(res, "/Pattern", args[-1]), res, depth)
            return
        kind = (self.gs.stroke if stroke else self.gs.fill).kind
        self._set_paint(Paint(kind, tuple(float(v) for v in args)), stroke)

    def _pattern(self, pattern: Any, res: DictionaryObject, depth: int) -> None:
        if pattern is None or id(pattern) in self.walked_patterns:
            return
        self.walked_patterns.add(id(pattern))
        if int(pattern.get("/PatternType", 0)) == 2:
            self._shading_kind(pattern.get("/Shading"), res)
        else:
            own = pattern.get("/Resources")
            self.run(pattern, own.get_object() if own is not None else res,
                     _matrix(pattern.get("/Matrix")), None, depth + 1)

    def _shading_kind(self, shading: Any, res: DictionaryObject) -> None:
        if shading is not None:
            self._colour_use("shading", colour_kind(shading.get_object().get("/ColorSpace"), res))

    def _sh(self, args: Any, res: DictionaryObject, depth: int) -> None:
        self._shading_kind(_entry(res, "/Shading", args[0]), res)
        self._mark(EVERYWHERE)          # a shading fills the clip

    # ---- paths

    def _paint(self, fill: bool, stroke: bool) -> None:
        gs, drawn = self.gs, _bbox(self.path)
        box = _visible(drawn, gs.clip)
        if self.pending_clip:
            gs.clip = _clip_to(gs.clip, drawn)
            self.pending_clip = False
        self.path = []
        if self.ink is not None and (fill or stroke):
            self._mark(drawn, self._stroke_reach() if stroke else 0.0)
        if box is None:
            return
        if (fill and gs.fill.kind == "registration") or (stroke and gs.stroke.kind == "registration"):
            self.scan.registration.append((self.page, box))
        if stroke:
            a, b, c, d = gs.ctm[:4]
            scale = math.sqrt(abs(a * d - b * c))
            self.scan.strokes.append(Stroke(self.page, box, gs.line_width * scale, gs.stroke))

    def _stroke_reach(self) -> float:
        """How far a stroke's ink can reach past its path, on the page."""
        a, b, c, d = self.gs.ctm[:4]
        return STROKE_REACH * max(self.gs.line_width * math.sqrt(abs(a * d - b * c)), 1.0)

    # ---- images and forms

    def _do(self, args: Any, res: DictionaryObject, depth: int) -> None:
        xobj = _entry(res, "/XObject", args[0])
        if xobj is None:
            return
        if xobj.get("/Subtype") == "/PS" or xobj.get("/Subtype2") == "/PS":
            self.scan.forbidden[(self.page, "PostScript XObject")] += 1
            self._mark(EVERYWHERE)
        elif xobj.get("/Subtype") == "/Image":
            self._image(xobj, res, "image")
        elif xobj.get("/Subtype") == "/Form":
            self.form(xobj, res, self.gs.ctm, self.gs.clip, depth)

    def _inline_image(self, args: Any, res: DictionaryObject, depth: int) -> None:
        self._image(args["settings"], res, "inline image")

    def _image(self, image: DictionaryObject, res: DictionaryObject, use: str) -> None:
        """Colour space, soft mask and effective resolution (pixels over placed inches)."""
        if self.ink is not None:
            self._mark(_rect_through(self.gs.ctm, (0.0, 0.0, 1.0, 1.0)))
        if "/SMask" in image or int(image.get("/SMaskInData", 0)):
            self.scan.transparency[(self.page, "image soft mask")] += 1
        cs = image.get("/ColorSpace", image.get("/CS"))
        if image.get("/ImageMask", image.get("/IM", False)):
            kind = self.gs.fill.kind          # a stencil paints the fill colour, already counted
        else:
            kind = colour_kind(cs, res) if cs is not None else \
                "other" if image.get("/Filter") == "/JPXDecode" else "gray"
            self._colour_use(use, kind)
        a, b, c, d = self.gs.ctm[:4]
        width = int(image.get("/Width", image.get("/W", 0)))
        height = int(image.get("/Height", image.get("/H", 0)))
        inches_x, inches_y = math.hypot(a, b) / 72.0, math.hypot(c, d) / 72.0
        if inches_x > 0 and inches_y > 0:
            self.scan.images.append(ImageUse(self.page, min(width / inches_x, height / inches_y),
                                             width, height, kind))

    # ---- text

    def _bt(self, args: Any, res: Any, depth: int) -> None:
        self.tm = self.lm = IDENTITY

    def _tf(self, args: Any, res: DictionaryObject, depth: int) -> None:
        font = _entry(res, "/Font", args[0])
        if font is None:
            self.scan.errors.append((self.page, f"text set in font {args[0]}, which is not defined"))
        self.gs.font = self._facts(font) if font is not None else None
        self.gs.size = float(args[1])

    def _tz(self, args: Any, res: Any, depth: int) -> None:
        self.gs.hscale = float(args[0]) / 100.0

    def _tr(self, args: Any, res: Any, depth: int) -> None:
        self.gs.render = int(args[0])

    def _td(self, args: Any, res: Any, depth: int) -> None:
        self.lm = self.tm = _mult((1, 0, 0, 1, float(args[0]), float(args[1])), self.lm)

    def _TD(self, args: Any, res: Any, depth: int) -> None:
        self.gs.leading = -float(args[1])
        self._td(args, res, depth)

    def _tm(self, args: Any, res: Any, depth: int) -> None:
        self.lm = self.tm = _matrix(args)

    def _tstar(self, args: Any, res: Any, depth: int) -> None:
        self._td((0, -self.gs.leading), res, depth)

    def _tj(self, args: Any, res: Any, depth: int) -> None:
        self._show([args[0]])

    def _TJ(self, args: Any, res: Any, depth: int) -> None:
        self._show(list(args[0]))

    def _quote(self, args: Any, res: Any, depth: int) -> None:
        self._tstar(args, res, depth)
        self._show([args[-1]])

    def _dquote(self, args: Any, res: Any, depth: int) -> None:
        self.gs.word_space, self.gs.char_space = float(args[0]), float(args[1])
        self._quote(args, res, depth)

    def _show(self, items: list[Any]) -> None:
        """Advance the text matrix over a string and record the run's box (advance widths,
        descent to descent + size vertically, as pdfminer measures)."""
        gs, font = self.gs, self.gs.font
        if font is None:
            self._mark(EVERYWHERE)
            return
        trm = _mult(self.tm, gs.ctm)
        bottom = gs.rise + font.descent * gs.size
        # Each glyph's fate, for text shown by the stream itself in a horizontal font: clipping
        # text (modes 4 to 7) and what cannot be measured stay whole.
        pieces: list[bytes | float] | None = [] if (
            self.ink is not None and self.depth == 0 and gs.size and gs.render < 4
            and not font.vertical) else None
        reach = GLYPH_REACH * abs(gs.size)
        grow = 1.0 + (self._stroke_reach() if gs.render in (1, 2, 5, 6) else 0.0)   # on the page
        hidden = 0
        advance = 0.0
        for item in items:
            if isinstance(item, (bytes, str)):
                data = item.original_bytes if hasattr(item, "original_bytes") else bytes(item)
                for code, w in font.advances(data):
                    space = gs.word_space if font.code_bytes == 1 and code == 32 else 0.0
                    step = (w * gs.size + gs.char_space + space) * gs.hscale
                    if pieces is not None:
                        x0, y0, x1, y1 = _rect_through(trm, self._glyph_box(font, code, advance,
                                                                            w * gs.size * gs.hscale))
                        glyph = (x0 - grow, y0 - grow, x1 + grow, y1 + grow)
                        if _visible(glyph, gs.clip) is not None:
                            self._mark(glyph)
                            pieces.append(code.to_bytes(font.code_bytes, "big"))
                        else:
                            pieces.append(-(w * gs.size + gs.char_space + space) * 1000.0 / gs.size)
                            hidden += 1
                    advance += step
            else:
                advance -= float(item) / 1000.0 * gs.size * gs.hscale
                if pieces is not None:
                    pieces.append(float(item))
        box = _rect_through(trm, (0.0, bottom, advance, bottom + gs.size))
        if pieces is not None:
            entry = self.ink.setdefault(self.op, Ink())           # type: ignore[union-attr]
            entry.glyphs, entry.hidden = pieces, hidden
        elif gs.render >= 4 or not gs.size or font.vertical:
            self._mark(EVERYWHERE)
        else:
            self._mark(_rect_through(trm, (-reach, bottom - reach, advance + reach,
                                          bottom + gs.size + reach)), grow)
        if gs.render not in (3, 7) and gs.size:
            visible = _visible(box, gs.clip)
            if visible is not None:
                self.scan.text.append(TextRun(self.page, visible, gs.fill, gs.op_fill, gs.opm, font.name))
        self.tm = _mult((1, 0, 0, 1, advance, 0), self.tm)

    def _glyph_box(self, font: FontFacts, code: int, x: float, width: float) -> Box:
        """Where a glyph can put ink, in text space: its outline's box when the font
        program tells (filled or invisible text), else its advance from descent to size, both
        grown for safety; a glyph without ink gives its bare advance box."""
        gs = self.gs
        size, bottom = gs.size, gs.rise + font.descent * gs.size
        outline = font.outline(code) if gs.render in (0, 3) else False
        if outline is None:
            return x, bottom, x + width, bottom + size
        if outline is False:
            reach = GLYPH_REACH * abs(size)
            return x - reach, bottom - reach, x + width + reach, bottom + size + reach
        x0, y0, x1, y1 = (x + outline[0] * size * gs.hscale, gs.rise + outline[1] * size,
                          x + outline[2] * size * gs.hscale, gs.rise + outline[3] * size)
        reach = OUTLINE_REACH * abs(size)
        return min(x0, x1) - reach, min(y0, y1) - reach, max(x0, x1) + reach, max(y0, y1) + reach

    # ---- fonts

    def _facts(self, font: DictionaryObject) -> FontFacts:
        """Fonts are read once; every font a resource dictionary names is recorded, used or not."""
        key = id(font)
        if key not in self.scan.fonts:
            self.scan.fonts[key] = FontFacts.of(font)
        return self.scan.fonts[key]

    def _collect_fonts(self, resources: DictionaryObject) -> None:
        for font in _entries(resources, "/Font").values():
            self._facts(font.get_object())


_DEVICE_COLOURS = {"g": ("gray", False), "G": ("gray", True), "rg": ("rgb", False),
                   "RG": ("rgb", True), "k": ("cmyk", False), "K": ("cmyk", True)}
_TEXT_STATE = {"Tc": "char_space", "Tw": "word_space", "TL": "leading", "Ts": "rise"}
_HANDLERS = {"q": "_q", "Q": "_Q", "cm": "_cm", "w": "_w", "gs": "_extgstate", "sh": "_sh",
             "Do": "_do", "INLINE IMAGE": "_inline_image", "BT": "_bt", "Tf": "_tf", "Tz": "_tz",
             "Tr": "_tr", "Td": "_td", "TD": "_TD", "Tm": "_tm", "T*": "_tstar", "Tj": "_tj",
             "TJ": "_TJ", "'": "_quote", "\"": "_dquote"}


# ================================================================ the document

@dataclass(frozen=True)
class PageBoxes:
    media: Box
    bleed: Box            # the BleedBox, else the CropBox, else the MediaBox
    trim: Box | None      # only when the page has a TrimBox
    has_art: bool

    @classmethod
    def of(cls, page: DictionaryObject) -> PageBoxes:
        media = _as_box(page.mediabox)
        crop = _as_box(page["/CropBox"]) if "/CropBox" in page else media
        bleed = _as_box(page["/BleedBox"]) if "/BleedBox" in page else crop
        trim = _as_box(page["/TrimBox"]) if "/TrimBox" in page else None
        return cls(media, bleed, trim, "/ArtBox" in page)

    @property
    def finished(self) -> Box:
        """The trim, or the media when the page has no TrimBox."""
        return self.trim or self.media


def _page_resources(page: DictionaryObject) -> DictionaryObject:
    node: Any = page
    for _ in range(64):
        if "/Resources" in node:
            return node["/Resources"].get_object()
        if "/Parent" not in node:
            break
        node = node["/Parent"].get_object()
    return DictionaryObject()


def _appearances(annot: DictionaryObject) -> list[StreamObject]:
    normal = (annot.get("/AP") or {}).get("/N") if "/AP" in annot else None
    normal = normal.get_object() if normal is not None else None
    if isinstance(normal, StreamObject):
        return [normal]
    if isinstance(normal, DictionaryObject):
        return [s.get_object() for s in normal.values() if isinstance(s.get_object(), StreamObject)]
    return []


def _appearance_matrix(annot: DictionaryObject, form: StreamObject) -> Matrix:
    """Maps the appearance's transformed BBox onto the annotation's Rect (ISO 32000 12.5.5)."""
    rect = _as_box(annot["/Rect"])
    box = _rect_through(_matrix(form.get("/Matrix")), _as_box(form.get("/BBox", [0, 0, 1, 1])))
    sx = (rect[2] - rect[0]) / ((box[2] - box[0]) or 1.0)
    sy = (rect[3] - rect[1]) / ((box[3] - box[1]) or 1.0)
    return (sx, 0.0, 0.0, sy, rect[0] - box[0] * sx, rect[1] - box[1] * sy)


def scan_document(reader: PdfReader) -> Scan:
    """Interpret every page, its forms, patterns and annotation appearances."""
    scan = Scan()
    for number, page in enumerate(reader.pages, 1):
        interpreter = _Interpreter(scan, number)
        resources = _page_resources(page)
        group = page.get("/Group")
        if group is not None and group.get_object().get("/S") == "/Transparency":
            scan.transparency[(number, "transparency group (page)")] += 1
        media = _as_box(page.mediabox)
        contents = page.get_contents()
        if contents is not None:
            interpreter.run(contents, resources, IDENTITY, media)
        for annot in page.get("/Annots") or []:
            annot = annot.get_object()
            for form in _appearances(annot):
                interpreter.form(form, resources, _appearance_matrix(annot, form), media, 0)
    return scan


def ink_by_operation(content: ContentStream, resources: DictionaryObject, clip: Box) -> dict[int, Ink]:
    """What each operation of a page's content stream shows inside `clip` (default user
    space), by index into `content.operations`: for each operation that paints something
    that shows (directly or through the forms it draws), the bounding box of it, grown to
    cover stroke widths and glyph outlines; for each operator showing text, each glyph's fate.
    Operations that paint nothing that shows are absent, or for text have no glyph shown.
    What cannot be measured (text that clips, unreadable forms) counts as showing
    everywhere inside the clip."""
    interpreter = _Interpreter(Scan(), 0)
    interpreter.ink = {}
    interpreter.run(content, resources, IDENTITY, clip)
    return interpreter.ink


# ================================================================ rules

@dataclass
class _Context:
    path: str
    reader: PdfReader
    profile: Profile
    scan: Scan
    boxes: list[PageBoxes]

    @property
    def strict(self) -> Severity:
        """PDF/X requirements are errors; elsewhere they are advice."""
        return "error" if self.profile.pdfx is not None else "warning"

    @property
    def cmyk_only(self) -> bool:
        return self.profile.colour_space is ColourSpace.CMYK

    def page_text(self) -> list[TextRun]:
        """Text that reaches into the BleedBox: text wholly in a slug (a printer's slug line)
        is cut away with it and judged by no text rule."""
        def on_page(t: TextRun) -> bool:
            boxes = self.boxes[t.page - 1]
            return boxes.bleed == boxes.media or _overlaps(t.box, boxes.bleed)
        return [t for t in self.scan.text if on_page(t)]


def _per_page(rule: str, severity: Severity, items: Iterable[tuple[int, dict[str, Any]]],
              message: Callable[[int], str]) -> Iterator[Finding]:
    """One finding per page for many hits of one kind: a count and a few examples."""
    grouped: dict[int, list[dict[str, Any]]] = {}
    for page, detail in items:
        grouped.setdefault(page, []).append(detail)
    for page, details in sorted(grouped.items()):
        yield Finding(rule, severity, message(len(details)), page,
                      {"count": len(details), "examples": details[:EXAMPLES]})


def _rounded(box: Box) -> list[float]:
    return [round(v, 1) for v in box]


def _version(text: str) -> tuple[int, int]:
    match = re.search(r"(\d+)\.(\d+)", text)
    return (int(match.group(1)), int(match.group(2))) if match else (0, 0)


def rule_version(ctx: _Context) -> Iterator[Finding]:
    if ctx.profile.pdfx is None:
        return
    declared = [ctx.reader.pdf_header]
    if "/Version" in ctx.reader.root_object:
        declared.append(str(ctx.reader.root_object["/Version"]))
    highest = max(_version(v) for v in declared)
    if highest > _version(PDFX_PDF_VERSION):
        yield Finding("A1", "error", f"PDF {highest[0]}.{highest[1]} is newer than {PDFX_VERSION} "
                      f"allows ({PDFX_PDF_VERSION})", detail={"declared": declared})


def rule_output_intent(ctx: _Context) -> Iterator[Finding]:
    wanted = ctx.profile.pdfx
    if wanted is None:
        return
    intents = [i.get_object() for i in ctx.reader.root_object.get("/OutputIntents") or []]
    pdfx = [i for i in intents if i.get("/S") == "/GTS_PDFX"]
    if len(pdfx) != 1:
        yield Finding("A2", "error", f"{len(pdfx)} GTS_PDFX output intents; PDF/X needs exactly one")
        return
    intent = pdfx[0]
    ident = str(intent.get("/OutputConditionIdentifier", "")).strip()
    if not ident:
        yield Finding("A2", "error", "the output intent has no OutputConditionIdentifier")
    icc = intent.get("/DestOutputProfile")
    if icc is not None:
        header = icc.get_object().get_data()[12:20]
        if header != b"prtrCMYK":
            yield Finding("A2", "error", "the embedded output profile is not a CMYK printer profile",
                          detail={"icc_class_and_space": header.decode("latin-1")})
    elif not str(intent.get("/RegistryName", "")).startswith(ICC_REGISTRY) or ident not in OUTPUT_CONDITIONS:
        yield Finding("A2", "error", f"output condition {ident!r} has no embedded profile and is not "
                      f"a registered condition at {ICC_REGISTRY}",
                      detail={"known": list(OUTPUT_CONDITIONS)})
    if ident and ident != wanted.identifier:
        yield Finding("A2", "warning", f"output condition {ident!r}, the profile expects "
                      f"{wanted.identifier!r}: confirm with the printer")


def rule_info(ctx: _Context) -> Iterator[Finding]:
    info = ctx.reader.trailer.get("/Info")
    info = info.get_object() if info is not None else DictionaryObject()
    title = str(info.get("/Title", "")).strip()
    if title.lower() in _PLACEHOLDER_TITLES:
        yield Finding("A3", ctx.strict, "the document has no real title" if title else "no /Title",
                      detail={"title": title})
    missing = [k for k in ("/CreationDate", "/ModDate") if k not in info]
    if missing:
        yield Finding("A3", ctx.strict, f"missing {', '.join(missing)}")
    trapped = info.get("/Trapped")
    if not (isinstance(trapped, NameObject) and trapped in ("/True", "/False")):
        yield Finding("A3", ctx.strict, "/Trapped must be the name /True or /False",
                      detail={"trapped": None if trapped is None else str(trapped)})
    if ctx.profile.pdfx is not None:
        for key in ("/GTS_PDFXVersion", "/GTS_PDFXConformance"):
            if str(info.get(key, "")) != PDFX_VERSION:
                yield Finding("A3", "error", f"{key[1:]} must be {PDFX_VERSION!r}",
                              detail={"found": str(info.get(key)) if key in info else None})


def rule_structure(ctx: _Context) -> Iterator[Finding]:
    for page, problem in ctx.scan.errors:
        yield Finding("A5", "error", problem, page)
    if ctx.profile.pdfx is not None:
        for (page, kind), n in sorted(ctx.scan.forbidden.items()):
            yield Finding("A5", "error", f"{n} uses of a {kind}, which PDF/X forbids", page)
    if "/ID" not in ctx.reader.trailer:
        yield Finding("A5", ctx.strict, "the trailer has no /ID")
    root = ctx.reader.root_object
    names = root.get("/Names")
    names = names.get_object() if names is not None else DictionaryObject()
    active = [k for k in ("/JavaScript", "/EmbeddedFiles") if k in names] + \
        [k for k in ("/OpenAction", "/AA") if k in root and _is_script(root[k])]
    if active:
        yield Finding("A5", ctx.strict, f"the document carries {', '.join(a[1:] for a in active)}")
    yield from _qpdf(ctx.path)


def _is_script(action: Any) -> bool:
    action = action.get_object()
    return isinstance(action, DictionaryObject) and (
        action.get("/S") == "/JavaScript" or any(_is_script(v) for v in action.values()
                                                 if isinstance(v.get_object(), DictionaryObject)))


def rule_annotations(ctx: _Context) -> Iterator[Finding]:
    if ctx.profile.pdfx is None:
        return
    for number, (page, boxes) in enumerate(zip(ctx.reader.pages, ctx.boxes), 1):
        inside = [str(a.get_object().get("/Subtype")) for a in page.get("/Annots") or []
                  if a.get_object().get("/Subtype") not in ("/PrinterMark", "/TrapNet")
                  and _overlaps(_as_box(a.get_object()["/Rect"]), boxes.bleed)]
        if inside:
            yield Finding("A6", "error", f"{len(inside)} annotations inside the BleedBox",
                          number, {"subtypes": sorted(set(inside))})


def rule_fonts(ctx: _Context) -> Iterator[Finding]:
    fonts = list(ctx.scan.fonts.values())
    unembedded = sorted({f.name for f in fonts if not f.embedded})
    for name in unembedded:
        yield Finding("B1", "error", f"font {name} is not embedded")
    for name in sorted({f.name for f in fonts if _FALLBACK_FONT.search(f.name)}):
        yield Finding("B2", "error", f"fallback font {name}: characters are missing from the real fonts")
    for name in sorted({f.name for f in fonts if f.subtype == "Type3"}):
        yield Finding("B3", ctx.strict, f"Type 3 font {name}: bitmap or procedure glyphs")
    for name in sorted({f.name for f in fonts if f.embedded and f.subtype != "Type3"
                        and not _SUBSET.match(f.name)}):
        yield Finding("B4", "warning", f"font {name} is embedded whole, not as a subset")
    yield from _pdffonts(ctx.path, {_SUBSET.sub("", n) for n in unembedded})


def rule_colour(ctx: _Context) -> Iterator[Finding]:
    if not ctx.cmyk_only:
        return
    hits = [(page, {"use": use, "colour_space": kind, "count": n})
            for (page, use, kind), n in ctx.scan.colours.items() if kind in NOT_CMYK]
    yield from _per_page("C1", "error", hits,
                         lambda n: f"{n} kinds of colour use outside DeviceCMYK/Gray/spot")


def rule_transparency(ctx: _Context) -> Iterator[Finding]:
    if ctx.profile.pdfx is None:
        return
    hits = [(page, {"kind": kind, "count": n}) for (page, kind), n in ctx.scan.transparency.items()]
    yield from _per_page("C2", "error", hits, lambda n: f"{n} kinds of transparency (PDF/X-1a has none)")


def rule_black_text(ctx: _Context) -> Iterator[Finding]:
    text = ctx.page_text()
    yield from _per_page("C3", ctx.strict, ((t.page, _text_example(t)) for t in text if t.fill.is_rich_black),
                         lambda n: f"{n} text runs in rich black: black text must be K100 alone")
    yield from _per_page("C3", ctx.strict, ((t.page, _text_example(t)) for t in text
                                            if t.overprint and t.fill.is_white),
                         lambda n: f"{n} white text runs set to overprint: they will disappear")
    if not ctx.profile.overprint_black:
        return
    black = [t for t in text if t.fill.is_k100]
    yield from _per_page("C3", "error", ((t.page, _text_example(t)) for t in black if not t.overprint),
                         lambda n: f"{n} K100 text runs knock out instead of overprinting")
    yield from _per_page("C3", "error", ((t.page, _text_example(t)) for t in black
                                         if t.overprint and t.fill.kind == "cmyk" and t.opm != 1),
                         lambda n: f"{n} K100 text runs overprint with OPM 0, which still knocks out "
                                   "C, M and Y in DeviceCMYK: set the overprint mode to 1")


def _text_example(t: TextRun) -> dict[str, Any]:
    return {"box": _rounded(t.box), "font": t.font, "fill": [t.fill.kind, *t.fill.values]}


def rule_images(ctx: _Context) -> Iterator[Finding]:
    p = ctx.profile
    low = ((i.page, _image_example(i)) for i in ctx.scan.images if i.ppi < p.min_ppi - 0.5)
    yield from _per_page("C6", ctx.strict, low,
                         lambda n: f"{n} images below {p.min_ppi} ppi at their placed size")
    if p.max_ppi is not None:
        high = ((i.page, _image_example(i)) for i in ctx.scan.images if i.ppi > p.max_ppi * 1.5)
        yield from _per_page("C6", "warning", high,
                             lambda n: f"{n} images far above {p.max_ppi} ppi: downsample for a small file")


def _image_example(i: ImageUse) -> dict[str, Any]:
    return {"ppi": round(i.ppi), "pixels": [i.width, i.height], "colour_space": i.kind}


def rule_boxes(ctx: _Context) -> Iterator[Finding]:
    for number, b in enumerate(ctx.boxes, 1):
        problems = _box_problems(b, ctx.profile)
        if problems:
            yield Finding("D1", "error", "; ".join(problems), number,
                          {"media": _rounded(b.media), "bleed": _rounded(b.bleed),
                           "trim": _rounded(b.trim) if b.trim else None})


def _box_problems(b: PageBoxes, p: Profile) -> list[str]:
    if b.trim is None:
        return ["no TrimBox"]
    problems = []
    if b.has_art:
        problems.append("both TrimBox and ArtBox")
    if not _contains(b.bleed, b.trim) or not _contains(b.media, b.bleed):
        problems.append("boxes not nested TrimBox ⊆ BleedBox ⊆ MediaBox")
    if p.bleed_mm > 0:
        sides = (b.trim[0] - b.bleed[0], b.trim[1] - b.bleed[1],
                 b.bleed[2] - b.trim[2], b.bleed[3] - b.trim[3])
        if min(sides) < p.bleed_pt - 0.05:
            problems.append(f"bleed {min(sides) / PT_PER_MM:.1f} mm, needs {p.bleed_mm:g} mm on every side")
    elif p.slug_mm == 0 and not _same_box(b.trim, b.media):
        problems.append(f"the {p.name} profile needs TrimBox = MediaBox (no bleed, no slug)")
    return problems


def _same_box(a: Box, b: Box) -> bool:
    return all(abs(x - y) <= TOL_PT for x, y in zip(a, b))


def rule_safe_area(ctx: _Context) -> Iterator[Finding]:
    inset = ctx.profile.safe_pt
    hits = []
    for t in ctx.page_text():
        trim = ctx.boxes[t.page - 1].finished
        safe = (trim[0] + inset, trim[1] + inset, trim[2] - inset, trim[3] - inset)
        if not _contains(safe, t.box):
            gap = min(t.box[0] - trim[0], t.box[1] - trim[1], trim[2] - t.box[2], trim[3] - t.box[3])
            hits.append((t.page, _text_example(t) | {"mm_inside_trim": round(gap / PT_PER_MM, 1)}))
    yield from _per_page("D4", "error", hits,
                         lambda n: f"{n} text runs closer than {ctx.profile.safe_mm:g} mm to the trim")


def rule_registration(ctx: _Context) -> Iterator[Finding]:
    if not ctx.cmyk_only:
        return
    text = [(t.page, t.box) for t in ctx.scan.text if t.fill.kind == "registration"]
    hits = [(page, {"box": _rounded(box)}) for page, box in ctx.scan.registration + text
            if _overlaps(box, ctx.boxes[page - 1].bleed)]
    yield from _per_page("D5", "error", hits,
                         lambda n: f"{n} objects in the registration colour (all inks) inside the BleedBox")


def rule_lines(ctx: _Context) -> Iterator[Finding]:
    p = ctx.profile
    if p.min_line_pt <= 0:
        return
    hairlines, thin = [], []
    for s in ctx.scan.strokes:
        if not _overlaps(s.box, ctx.boxes[s.page - 1].bleed):
            continue
        needed = max(p.min_line_pt, MULTI_INK_LINE_PT if p.pdfx and s.paint.inks > 1 else 0.0)
        example = {"width_pt": round(s.width, 3), "box": _rounded(s.box), "inks": s.paint.inks}
        if s.width == 0:
            hairlines.append((s.page, example))
        elif s.width < needed - 0.005:
            thin.append((s.page, example | {"needs_pt": needed}))
    yield from _per_page("E1", ctx.strict, hairlines,
                         lambda n: f"{n} zero-width strokes: the thinnest line the device can draw")
    yield from _per_page("E1", "warning", thin, lambda n: f"{n} strokes thinner than printable")


RULE_ORDER: tuple[Callable[[_Context], Iterator[Finding]], ...] = (
    rule_version, rule_output_intent, rule_info, rule_structure, rule_annotations, rule_fonts,
    rule_colour, rule_transparency, rule_black_text, rule_images, rule_boxes, rule_safe_area,
    rule_registration, rule_lines,
)


# ================================================================ external tools

def _run(args: Sequence[str], timeout: int = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, timeout=timeout, check=False)


def _not_run(rule: str, tool: str, what: str) -> Finding:
    return Finding(rule, "info", f"{what} not checked: {tool} is not installed")


def _tail(text: str, lines: int = 6) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


def _qpdf(path: str) -> Iterator[Finding]:
    exe = shutil.which("qpdf")
    if exe is None:
        yield _not_run("A5", "qpdf", "file structure (qpdf --check)")
        return
    done = _run([exe, "--check", path])
    detail = {"qpdf": _tail(done.stdout + done.stderr)}
    if done.returncode == 3:
        yield Finding("A5", "warning", "qpdf --check reports warnings", detail=detail)
    elif done.returncode != 0:
        yield Finding("A5", "error", "qpdf --check reports errors", detail=detail)


def _pdffonts(path: str, known: set[str]) -> Iterator[Finding]:
    exe = shutil.which("pdffonts")
    if exe is None:
        yield _not_run("B1", "pdffonts (poppler)", "font embedding second opinion")
        return
    lines = _run([exe, path]).stdout.splitlines()
    if len(lines) < 2:
        return
    columns = [len(c) for c in lines[1].split(" ")]   # the row of dashes gives the widths
    for line in lines[2:]:
        cells, pos = [], 0
        for width in columns:
            cells.append(line[pos:pos + width].strip())
            pos += width + 1
        name, kind, emb = cells[0], cells[1], cells[3]
        if emb == "no" and kind != "Type 3" and _SUBSET.sub("", name) not in known:
            yield Finding("B1", "error", f"font {name} is not embedded (pdffonts)")


def _ghostscript(ctx: _Context) -> Iterator[Finding]:
    """One Ghostscript run: the RIP smoke test, rendering CMYK inside the BleedBox when the
    profile limits total ink (the marks outside it carry 400 % by design)."""
    exe = shutil.which("gs")
    limit = ctx.profile.max_ink
    if exe is None:
        yield _not_run("F1", "Ghostscript", "RIP smoke test")
        if limit is not None:
            yield _not_run("C4", "Ghostscript", "total ink coverage")
        return
    with tempfile.TemporaryDirectory() as tmp:
        device = ["-sDEVICE=nullpage"] if limit is None else \
            ["-sDEVICE=tiff32nc", f"-r{TAC_DPI}", "-dUseBleedBox", f"-sOutputFile={tmp}/p%05d.tif"]
        done = _run([exe, "-dBATCH", "-dNOPAUSE", "-dSAFER", "-dPDFSTOPONERROR", "-dPDFSTOPONWARNING",
                     *device, ctx.path])
        yield from _interpreter_messages(done)
        if limit is not None:
            pages = sorted(Path(tmp).glob("p*.tif"))
            yield from _ink_findings(pages, limit)


def _interpreter_messages(done: subprocess.CompletedProcess[str]) -> Iterator[Finding]:
    """Ghostscript 10 repairs what it can and exits 0 even with -dPDFSTOPONERROR, reporting
    only in a summary (which -q would suppress)."""
    output = done.stdout + done.stderr
    if done.returncode != 0 or "errors were encountered" in output or "**** Error" in output:
        yield Finding("F1", "error", "Ghostscript reports errors interpreting the file",
                      detail={"gs": _tail(output, 12)})
    elif "warnings were encountered" in output or "**** Warning" in output:
        yield Finding("F1", "warning", "Ghostscript reports warnings interpreting the file",
                      detail={"gs": _tail(output, 12)})


def _ink_findings(pages: list[Path], limit: float) -> Iterator[Finding]:
    """Total ink per pixel of each rendered page (8 bits per ink, 255 = 100 %)."""
    import numpy as np
    from PIL import Image

    pixel_mm2 = (25.4 / TAC_DPI) ** 2
    for number, tif in enumerate(pages, 1):
        with Image.open(tif) as image:
            total = np.asarray(image, dtype=np.uint16).sum(axis=2) * (100.0 / 255.0)
        peak = float(total.max())
        if peak > limit + TAC_TOLERANCE:
            over = float((total > limit + TAC_TOLERANCE).sum()) * pixel_mm2
            yield Finding("C4", "error", f"total ink up to {peak:.0f} %, limit {limit:g} %", number,
                          {"max_percent": round(peak, 1), "area_over_limit_mm2": round(over, 1),
                           "dpi": TAC_DPI})


# ================================================================ entry points

def check_pdf(path: str | Path, profile: Profile | str) -> Report:
    """Preflight one PDF against an output profile."""
    profile = get_profile(profile) if isinstance(profile, str) else profile
    path = str(path)
    try:
        reader = PdfReader(path)
        if reader.is_encrypted:
            return Report(path, profile.name, [Finding("A5", "error", "the file is encrypted")])
        boxes = [PageBoxes.of(page) for page in reader.pages]
    except (OSError, PyPdfError, ValueError) as exc:
        raise InputError(f"cannot read {path} as a PDF: {exc}") from exc
    ctx = _Context(path, reader, profile, scan_document(reader), boxes)
    findings = [f for rule in RULE_ORDER for f in rule(ctx)]
    findings += _ghostscript(ctx)
    findings.sort(key=lambda f: (f.rule_id, f.page or 0))
    return Report(path, profile.name, findings)


def main_check(argv: Sequence[str] | None = None) -> int:
    """`briefing check FILE.pdf [--profile NAME] [--json]`: 0 when no rule fails."""
    parser = argparse.ArgumentParser(prog="briefing check",
                                     description="Preflight a PDF against an output profile.")
    parser.add_argument("pdf", metavar="FILE.pdf")
    parser.add_argument("--profile", default="press", help=f"one of {', '.join(PROFILES)} (default press)")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    args = parser.parse_args(argv)
    try:
        report = check_pdf(args.pdf, args.profile)
    except (InputError, PreflightError) as exc:
        print(f"briefing check: {exc}", file=sys.stderr)
        return exc.exit_code
    print(report.to_json() if args.json else report.format_text())
    return 0 if report.ok else PreflightError.exit_code
