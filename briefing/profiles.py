"""Output profiles: what a finished PDF must be for the place it goes to.

A profile is plain frozen data read by the drawing stage (colour space, page geometry, black
overprint, marks), by post-processing (PDF/X structure, outline) and by preflight (limits).

* ``press``: commercial offset. DeviceCMYK only, K100 text overprinting, 3 mm bleed, crop
  marks in a slug outside the BleedBox, PDF/X-1a:2003 (PDF 1.4, registered output condition,
  no embedded ICC profile), TAC <= 300 %, images >= 300 ppi.
* ``newsprint``: coldset web offset. As press, but the printer adds the marks and the press
  cannot bleed: trim = media, TAC <= 240 %, images >= 200 ppi, ISO 12647-3 (IFRA26).
* ``office``: A4/A3 office printers. Trim = media, nothing within 5 mm of the edge, RGB allowed.
* ``screen``: reading on screen. RGB, document outline, images capped for a small file.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from briefing.colour import ColourSpace
from briefing.errors import InputError

PT_PER_MM = 72 / 25.4

Box = tuple[float, float, float, float]  # x0, y0, x1, y1 in points

# Finished (trimmed) formats in mm, portrait. 正度 sheet 787x1092: 对开 (2K) and 四开 (4K) are
# newspaper pages, 八开 (8K) is the 260x370 finished size cut from a 273x390 sheet.
PAGE_SIZES_MM: dict[str, tuple[float, float]] = {
    "A4": (210.0, 297.0),
    "A3": (297.0, 420.0),
    "8K": (260.0, 370.0),
    "4K": (270.0, 390.0),
    "2K": (390.0, 540.0),
}

PDFX_VERSION = "PDF/X-1a:2003"
PDFX_PDF_VERSION = "1.4"
ICC_REGISTRY = "http://www.color.org"


@dataclass(frozen=True)
class OutputCondition:
    """A characterized printing condition from the ICC registry, named by its identifier.

    PDF/X-1a may omit the ICC profile (DestOutputProfile) when the identifier is registered
    at ``ICC_REGISTRY``; the printer's RIP then knows the condition by name."""

    identifier: str
    description: str


OUTPUT_CONDITIONS: dict[str, OutputCondition] = {
    c.identifier: c
    for c in (
        OutputCondition("FOGRA39", "Offset printing, ISO 12647-2:2004/Amd 1, coated paper "
                                   "(paper type 1/2), 115 g/m2, screen ruling 60/cm"),
        OutputCondition("JC200103", "Japan Color 2001 Coated, offset printing on coated paper"),
        OutputCondition("CGATS TR 001", "SWOP, publication offset on grade 5 paper (CGATS.6)"),
        OutputCondition("IFRA26", "Coldset offset on standard newsprint, ISO 12647-3:2004"),
    )
}


@dataclass(frozen=True)
class Marks:
    """Which printer's marks the slug carries."""

    crop: bool = False
    registration: bool = False
    colour_bar: bool = False
    slug_line: bool = False

    def __bool__(self) -> bool:
        return self.crop or self.registration or self.colour_bar or self.slug_line


@dataclass(frozen=True)
class PageGeometry:
    """Where one page sits on its media, in points with the origin at the media's corner."""

    media: tuple[float, float]  # width, height
    bleed: Box
    trim: Box


@dataclass(frozen=True)
class Profile:
    name: str
    colour_space: ColourSpace       # what the drawing stage writes (Palette.with_space)
    sizes: tuple[str, ...]          # allowed finished formats (PAGE_SIZES_MM keys)
    bleed_mm: float                 # artwork past the trim on every side
    slug_mm: float                  # room for marks beyond the bleed
    marks: Marks
    safe_mm: float                  # text at least this far inside the trim
    overprint_black: bool           # K100 text and rules overprint (op true, OPM 1)
    pdfx: OutputCondition | None    # PDF/X-1a:2003 for this output condition, or not PDF/X
    max_ink: float | None           # total area coverage limit, percent
    min_ppi: int                    # effective image resolution at placed size
    max_ppi: int | None             # downsample images above this (small files)
    min_line_pt: float              # thinnest printable rule
    outline: bool                   # write a document outline (bookmarks)

    @property
    def bleed_pt(self) -> float:
        return self.bleed_mm * PT_PER_MM

    @property
    def slug_pt(self) -> float:
        return self.slug_mm * PT_PER_MM

    @property
    def safe_pt(self) -> float:
        return self.safe_mm * PT_PER_MM

    def trim_size(self, size: str) -> tuple[float, float]:
        """Width and height in points of a named format this profile allows."""
        if size not in self.sizes:
            raise InputError(f"page size {size!r} is not allowed by the {self.name!r} profile",
                             hint=f"use one of: {', '.join(self.sizes)}")
        w, h = PAGE_SIZES_MM[size]
        return w * PT_PER_MM, h * PT_PER_MM

    def geometry(self, width: float, height: float) -> PageGeometry:
        """MediaBox = trim + bleed + slug on every side; TrimBox and BleedBox inside it."""
        off = self.bleed_pt + self.slug_pt
        trim = (off, off, off + width, off + height)
        b = self.bleed_pt
        return PageGeometry(media=(width + 2 * off, height + 2 * off),
                            bleed=(trim[0] - b, trim[1] - b, trim[2] + b, trim[3] + b), trim=trim)

    def with_output_condition(self, identifier: str) -> Profile:
        """The same profile for another registered printing condition (e.g. JC200103)."""
        if self.pdfx is None:
            raise InputError(f"the {self.name!r} profile is not PDF/X and has no output condition")
        try:
            return replace(self, pdfx=OUTPUT_CONDITIONS[identifier])
        except KeyError:
            raise InputError(f"unknown output condition {identifier!r}",
                             hint=f"use one of: {', '.join(OUTPUT_CONDITIONS)}") from None

    def with_marks(self, marks: Marks) -> Profile:
        """The same profile with other marks; marks need a slug, so only where there is one."""
        if marks and self.slug_mm <= 0:
            raise InputError(f"the {self.name!r} profile has no slug for printer's marks",
                             hint="marks are added by the printer for this output")
        return replace(self, marks=marks)


PRESS_SLUG_MM = 13.0  # 1 mm gap + 10 mm crop mark + 2 mm to the media edge

PROFILES: dict[str, Profile] = {
    p.name: p
    for p in (
        Profile("press", ColourSpace.CMYK, sizes=("A4", "A3", "8K"), bleed_mm=3.0,
                slug_mm=PRESS_SLUG_MM, marks=Marks(crop=True, slug_line=True), safe_mm=3.0,
                overprint_black=True, pdfx=OUTPUT_CONDITIONS["FOGRA39"], max_ink=300.0,
                min_ppi=300, max_ppi=None, min_line_pt=0.25, outline=False),
        Profile("newsprint", ColourSpace.CMYK, sizes=("2K", "4K"), bleed_mm=0.0, slug_mm=0.0,
                marks=Marks(), safe_mm=5.0, overprint_black=True,
                pdfx=OUTPUT_CONDITIONS["IFRA26"], max_ink=240.0, min_ppi=200, max_ppi=None,
                min_line_pt=0.5, outline=False),
        Profile("office", ColourSpace.RGB, sizes=("A4", "A3"), bleed_mm=0.0, slug_mm=0.0,
                marks=Marks(), safe_mm=5.0, overprint_black=False, pdfx=None, max_ink=None,
                min_ppi=150, max_ppi=None, min_line_pt=0.25, outline=False),
        Profile("screen", ColourSpace.RGB, sizes=tuple(PAGE_SIZES_MM), bleed_mm=0.0,
                slug_mm=0.0, marks=Marks(), safe_mm=3.0, overprint_black=False, pdfx=None,
                max_ink=None, min_ppi=96, max_ppi=150, min_line_pt=0.0, outline=True),
    )
}


def get_profile(name: str) -> Profile:
    try:
        return PROFILES[name]
    except KeyError:
        raise InputError(f"unknown output profile {name!r}",
                         hint=f"use one of: {', '.join(PROFILES)}") from None

