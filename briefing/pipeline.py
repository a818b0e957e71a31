"""The build pipeline, stage by stage.

load -> validate -> edition -> normalise -> place -> draw -> charts + post -> preflight -> write.
Each stage is one module; this one only sequences them, logs the steps and writes the result
atomically, so a failed build never replaces the last good PDF.
"""

from __future__ import annotations

import io
import logging
import os
import tempfile
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timezone
from pathlib import Path

from pypdf import PdfReader

from briefing import sources
from briefing.chartbridge import chart_pdfs
from briefing.colour import DEFAULT_PALETTE, ColourSpace, Palette
from briefing.draw import Sheet, draw_document
from briefing.edition import edition_names, resolve_edition
from briefing.errors import InputError, PreflightError
from briefing.fonts import FontBook
from briefing.impose import spread as make_spread
from briefing.impose import tile as tile_pages
from briefing.marks import draw_marks
from briefing.model import Briefing
from briefing.place import Placer
from briefing.post import finalize, merge_forms
from briefing.preflight import check_pdf
from briefing.profiles import get_profile
from briefing.textpass import map_text
from briefing.typeset import normalise_punctuation

progress = logging.getLogger("briefing.progress")


@dataclass(frozen=True)
class BuildRequest:
    source: Path
    output: Path | None = None
    layout: str | None = None          # override the layout of every page
    spread: bool = False
    profile: str | None = None         # None: the edition's profile, else office
    edition: str | None = None
    normalise_punctuation: bool = True
    check: bool = True
    as_of: date | None = None          # the issue date a scheduled run builds for
    issue_label: str = ""              # 第N期, from the schedule
    tile: str | None = None            # tile every page onto office sheets of this size (A4, A3)


@dataclass
class BuildResult:
    output: Path
    pages: int
    notes: list[str] = field(default_factory=list)


def default_output(source: Path, edition: str | None = None) -> Path:
    stem = source.stem if source.is_file() else source.name
    if stem == "briefing":
        stem = source.parent.name
    if edition:
        stem = f"{stem}-{edition}"
    return Path("output") / f"{stem}.pdf"


def build(request: BuildRequest) -> BuildResult:
    """Build one edition of a source into one PDF, preflight it, and write it atomically."""

    notes: list[str] = []
    progress.info("Step 1 – loading %s", request.source)
    loaded = sources.load_source(request.source, layout_override=request.layout)
    progress.info("Step 2 – resolving edition %s", request.edition or "(base)")
    edition = resolve_edition(loaded.editions, request.edition, ref=loaded.briefing.ref)
    briefing, layouts = edition.apply(_dated(loaded.briefing, request), loaded.layouts)
    profile = "office" if request.tile else (request.profile or edition.profile or briefing.profile
                                             or "office")
    if request.normalise_punctuation and loaded.normalise_punctuation:
        briefing, changed = normalise_briefing(briefing)
        if changed:
            notes.append(f"punctuation: {changed}")
    pdf, pages = render(briefing, layouts, profile, spread=request.spread, tile=request.tile,
                        colour=edition.colour, chart_scale=edition.type_scale, notes=notes)
    output = request.output or default_output(request.source, request.edition)
    if request.check:
        progress.info("Step 8 – preflight (%s)", profile)
        preflight_bytes(pdf, profile, output)
    write_atomic(output, pdf)
    return BuildResult(output, pages, notes)


def build_all_editions(request: BuildRequest) -> list[BuildResult]:
    """Every edition of the source, one PDF each, into the folder `request.output` (default output/)."""

    folder = request.output or Path("output")
    if folder.suffix.lower() == ".pdf":
        raise InputError("--all-editions writes one PDF per edition: give -o a folder, not a file")
    loaded = sources.load_source(request.source)
    names = edition_names(loaded.editions)
    if not names:
        raise InputError(f"{request.source} declares no editions", ref=loaded.briefing.ref,
                         hint="add an editions: mapping to the content, or build without --all-editions")
    stem = default_output(request.source).stem
    return [build(replace(request, edition=name, output=folder / f"{stem}-{name}.pdf")) for name in names]


def _dated(briefing: Briefing, request: BuildRequest) -> Briefing:
    """The briefing as of a scheduled issue: its date and issue label come from the schedule."""
    if request.as_of is None and not request.issue_label:
        return briefing
    return replace(briefing, issue_date=request.as_of or briefing.issue_date,
                   issue_label=request.issue_label or briefing.issue_label)


def normalise_briefing(briefing: Briefing) -> tuple[Briefing, str]:
    """Full-width punctuation in Chinese context, everywhere in the content; says what changed."""

    counts: dict[str, int] = {}

    def fix(text: str) -> str:
        fixed, changes = normalise_punctuation(text)
        for change in changes:
            key = f"{change.old}→{change.new}"
            counts[key] = counts.get(key, 0) + 1
        return fixed

    result = map_text(briefing, fix)
    summary = ", ".join(f"{k} ×{v}" for k, v in sorted(counts.items(), key=lambda kv: -kv[1]))
    return result, (f"{sum(counts.values())} marks made full-width ({summary})" if counts else "")


def render(briefing: Briefing, layouts, profile_name: str, *, spread: bool = False,
           tile: str | None = None, colour: str | None = None, chart_scale: float = 1.0,
           notes: list[str] | None = None) -> tuple[bytes, int]:
    """Place, draw, merge charts and finalise: the PDF bytes of one briefing and its page count."""

    profile = get_profile(profile_name)
    fonts = FontBook()
    progress.info("Step 3 – typesetting and placing %d pages", len(briefing.pages))
    plan = Placer(layouts, fonts).place(briefing, first_page_left=briefing.spread)
    space = ColourSpace.GRAY if colour in ("grayscale", "mono") else ColourSpace(profile.colour_space)
    palette = Palette(DEFAULT_PALETTE, space)
    progress.info("Step 4 – drawing")
    sheet = Sheet(bleed=profile.bleed_pt, slug=profile.slug_pt, overprint_black=profile.overprint_black,
                  min_line=profile.min_line_pt, edge=profile.safe_pt)
    decorate = _decorator(profile, briefing)
    pdf = draw_document(plan, fonts, palette, sheet, decorate)
    progress.info("Step 5 – charts")
    pdf = _merge_charts(pdf, plan, palette, sheet, colour or "colour", chart_scale, briefing.issue_date)
    pages = len(plan.pages)
    if spread:
        pairs = [(i, i + 1) for i in range(0, pages - 1, 2)]
        pdf = make_spread(pdf, pairs)
        pages = len(pairs) + pages % 2
    if tile:
        pdf = tile_pages(pdf, sheet=tile)
        pages = len(PdfReader(io.BytesIO(pdf)).pages)
    progress.info("Step 6 – finishing for profile %s", profile.name)
    outline = [(title, n, level) for n, page in enumerate(plan.pages) for title, level in page.bookmarks]
    pdf = finalize(pdf, profile, title=briefing.title, author=briefing.author,
                   subject=briefing.publication, date=_build_date(briefing), outline=outline)
    if notes is not None:
        notes.extend(f"{m.describe()}; drawn as 〓" for m in fonts.missing)
    return pdf, pages


def _decorator(profile, briefing: Briefing):
    if not profile.marks:
        return None
    def decorate(canvas, trim, number):
        draw_marks(canvas, trim, profile.bleed_pt, profile.marks,
                   slug_text=f"{briefing.title} · {number + 1}")

    return decorate


def _merge_charts(pdf: bytes, plan, palette, sheet, colour_mode: str, scale: float,
                  as_of: date | None) -> bytes:
    slots = plan.charts
    if not slots:
        return pdf
    placements = chart_pdfs(slots, palette, colour_mode, sheet, as_of, scale=scale)
    return merge_forms(pdf, placements)


def _build_date(briefing: Briefing) -> datetime:
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch:
        return datetime.fromtimestamp(int(epoch), tz=timezone.utc)
    if briefing.issue_date:
        d = briefing.issue_date
        return datetime(d.year, d.month, d.day, tzinfo=timezone.utc)
    return datetime(2000, 1, 1, tzinfo=timezone.utc)


def preflight_bytes(pdf: bytes, profile_name: str, output: Path) -> None:

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / output.name
        path.write_bytes(pdf)
        report = check_pdf(path, get_profile(profile_name))
    if not report.ok:
        raise PreflightError(f"{output.name} fails the {profile_name} profile:\n{report.format_text()}",
                             hint="the previous file was left in place; fix the content or choose "
                                  "another --profile")


def write_atomic(path: Path, data: bytes) -> None:
    """Write next to the target and rename over it: readers see the old file or the new one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, 0o666 & ~_umask())        # mkstemp makes 0600; published files are shared
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
