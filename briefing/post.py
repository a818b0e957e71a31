"""Post-processing with pypdf: place finished one-page PDFs (charts) on the drawn pages, then
give the document its final structure for the output profile.

Everything here is deterministic: the same input bytes and arguments give byte-identical
output. Dates come from the caller (the content's date or SOURCE_DATE_EPOCH), the file
identifier is a hash of the input, and nothing random (pikepdf's overlay names, pypdf's
generated identifiers) is used.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from pypdf import PageObject, PdfReader, PdfWriter, Transformation
from pypdf.generic import (ArrayObject, ByteStringObject, DictionaryObject, IndirectObject,
                           NameObject, RectangleObject, TextStringObject)

from briefing import __version__
from briefing.errors import InputError
from briefing.profiles import ICC_REGISTRY, PDFX_PDF_VERSION, PDFX_VERSION, OutputCondition, Profile

# Annotations PDF/X allows inside the BleedBox.
PRINT_ANNOTATIONS = ("/PrinterMark", "/TrapNet")

DEDUPE_PASSES = 3
# Operators whose first operand names a page resource, and the resource category.
RESOURCE_OPERANDS = {b"Tf": "/Font", b"Do": "/XObject", b"cs": "/ColorSpace", b"CS": "/ColorSpace",
                     b"gs": "/ExtGState", b"sh": "/Shading"}
OutlineEntry = tuple[str, int, int]  # title, page index, level (0 = top)


@dataclass(frozen=True)
class Placement:
    """A one-page PDF placed on a page, fitted (aspect kept, centred) into a rectangle given
    in the page's default user space (origin at the MediaBox corner), in points."""

    page_index: int
    pdf: bytes
    x: float
    y: float
    width: float
    height: float


def merge_forms(pdf_bytes: bytes, placements: Sequence[Placement]) -> bytes:
    """Draw each placement's page onto its target page, clipped to the source's CropBox."""
    writer = pdf_writer(pdf_bytes)
    for placement in placements:
        source = _single_page(placement.pdf)
        merge_onto(writer.pages[placement.page_index], source, _fit(source.cropbox, placement))
    compact(writer)
    return to_bytes(writer)


def finalize(pdf_bytes: bytes, profile: Profile, *, title: str, author: str, subject: str,
             date: datetime, outline: Sequence[OutlineEntry] | None = None) -> bytes:
    """Info, dates, trapping, PDF/X identification and output intent, page annotations and
    outline as `profile` asks; compressed content streams and a stable /ID."""
    if not title.strip():
        raise InputError("the document has no title", hint="give the edition a title; "
                         "PDF/X requires one and viewers show it instead of the file name")
    writer = pdf_writer(pdf_bytes)
    if profile.pdfx is not None:
        _make_pdfx(writer, profile.pdfx)
    if profile.outline and outline:
        _add_outline(writer, outline)
    compact(writer)
    for page in writer.pages:
        page.compress_content_streams()
    info = _info(title=title, author=author, subject=subject, date=date, pdfx=profile.pdfx)
    _set_trailer(writer, info, _file_id(pdf_bytes, info, profile))
    return to_bytes(writer)


# ---------------------------------------------------------------- placing

def merge_onto(target: PageObject, source: PageObject, transformation: Transformation) -> None:
    """Draw `source` on `target` under `transformation`, clipped to the source's CropBox.

    pypdf adds the source's resources to the target's resource dictionaries in place, and
    ReportLab shares one /Font dictionary between all pages of a document: merging onto one
    page would edit every page's fonts (Ghostscript then reports a circular reference). So
    the target first gets resource dictionaries of its own."""
    resources = target["/Resources"]
    own = DictionaryObject()
    for key in resources:
        value = resources[key]
        own[NameObject(key)] = DictionaryObject(value) if isinstance(value, DictionaryObject) \
            else resources.raw_get(key)
    target[NameObject("/Resources")] = own
    target.merge_transformed_page(source, transformation)


def _single_page(pdf: bytes) -> PageObject:
    pages = PdfReader(io.BytesIO(pdf)).pages
    if len(pages) != 1:
        raise ValueError(f"a placed PDF must have exactly one page, not {len(pages)}")
    return pages[0]


def _fit(box: RectangleObject, p: Placement) -> Transformation:
    width, height = float(box.width), float(box.height)
    scale = min(p.width / width, p.height / height)
    return (Transformation()
            .translate(-float(box.left), -float(box.bottom))
            .scale(scale, scale)
            .translate(p.x + (p.width - width * scale) / 2, p.y + (p.height - height * scale) / 2))


# ---------------------------------------------------------------- PDF/X

def _make_pdfx(writer: PdfWriter, condition: OutputCondition) -> None:
    writer.pdf_header = f"%PDF-{PDFX_PDF_VERSION}"
    root = writer.root_object
    if "/Version" in root:
        del root[NameObject("/Version")]
    intent = DictionaryObject({
        NameObject("/Type"): NameObject("/OutputIntent"),
        NameObject("/S"): NameObject("/GTS_PDFX"),
        NameObject("/OutputConditionIdentifier"): TextStringObject(condition.identifier),
        NameObject("/OutputCondition"): TextStringObject(condition.description),
        NameObject("/RegistryName"): TextStringObject(ICC_REGISTRY),
        NameObject("/Info"): TextStringObject(condition.description),
    })
    root[NameObject("/OutputIntents")] = ArrayObject([intent])
    for page in writer.pages:
        _strip_annotations(page)


def _strip_annotations(page: PageObject) -> None:
    """Drop annotations reaching into the BleedBox (links and the like; X-1a forbids them)."""
    if "/Annots" not in page:
        return
    bleed = page.bleedbox
    kept = [a for a in page["/Annots"]
            if a.get_object().get("/Subtype") in PRINT_ANNOTATIONS
            or not _overlaps(a.get_object()["/Rect"], bleed)]
    if kept:
        page[NameObject("/Annots")] = ArrayObject(kept)
    else:
        del page[NameObject("/Annots")]


def _overlaps(rect: Sequence[float], box: RectangleObject) -> bool:
    x0, x1 = sorted(float(v) for v in (rect[0], rect[2]))
    y0, y1 = sorted(float(v) for v in (rect[1], rect[3]))
    return x0 < float(box.right) and x1 > float(box.left) and \
        y0 < float(box.top) and y1 > float(box.bottom)


# ---------------------------------------------------------------- outline, info, trailer

def _add_outline(writer: PdfWriter, outline: Sequence[OutlineEntry]) -> None:
    parents: list = []
    for title, page_index, level in outline:
        if not 0 <= level <= len(parents):
            raise ValueError(f"outline entry {title!r} at level {level} has no parent")
        del parents[level:]
        parents.append(writer.add_outline_item(title=title, page_number=page_index,
                                               parent=parents[-1] if parents else None))
    writer.page_mode = "/UseOutlines"


def pdf_date(date: datetime) -> str:
    """A PDF date string: D:YYYYMMDDHHmmSS with the UTC offset when the date has one."""
    text = date.strftime("D:%Y%m%d%H%M%S")
    offset = date.utcoffset()
    if offset is None:
        return text
    if offset == timedelta(0):
        return text + "Z"
    sign = "+" if offset > timedelta(0) else "-"
    minutes = abs(int(offset.total_seconds())) // 60
    return f"{text}{sign}{minutes // 60:02d}'{minutes % 60:02d}'"


def _info(*, title: str, author: str, subject: str, date: datetime,
          pdfx: OutputCondition | None) -> DictionaryObject:
    when = TextStringObject(pdf_date(date))
    info = DictionaryObject({
        NameObject("/Title"): TextStringObject(title),
        NameObject("/Author"): TextStringObject(author),
        NameObject("/Subject"): TextStringObject(subject),
        NameObject("/Creator"): TextStringObject(f"briefing {__version__}"),
        NameObject("/Producer"): TextStringObject("ReportLab, pypdf"),
        NameObject("/CreationDate"): when,
        NameObject("/ModDate"): when,
        NameObject("/Trapped"): NameObject("/False"),
    })
    if pdfx is not None:
        info[NameObject("/GTS_PDFXVersion")] = TextStringObject(PDFX_VERSION)
        info[NameObject("/GTS_PDFXConformance")] = TextStringObject(PDFX_VERSION)
    return info


def _file_id(pdf_bytes: bytes, info: DictionaryObject, profile: Profile) -> bytes:
    digest = hashlib.sha256(pdf_bytes)
    digest.update(profile.name.encode())
    for key in sorted(info):
        digest.update(f"{key}={info[key]}".encode())
    return digest.digest()[:16]


def _set_trailer(writer: PdfWriter, info: DictionaryObject, file_id: bytes) -> None:
    # pypdf has no public way to write a Name into /Info (add_metadata makes every value a
    # string, and /Trapped must be a Name) or to choose the /ID instead of a random one.
    writer._info = info
    writer._ID = ArrayObject([ByteStringObject(file_id), ByteStringObject(file_id)])


def compact(writer: PdfWriter) -> None:
    """Merge identical objects (a chart placed on many pages keeps one copy of its font).
    Each pass merges one level: font files, then descriptors, then the font dictionaries."""
    for _ in range(DEDUPE_PASSES):
        writer.compress_identical_objects()
    for page in writer.pages:
        _one_name_per_resource(page)


def _one_name_per_resource(page: PageObject) -> None:
    """Give each resource one name on the page. Merging names a resource again when pypdf
    cannot see it is the same (/F1+0 and /F1+0-0 for one font), and merging identical objects
    makes more such pairs; Ghostscript 10 reports a font used under two names on more than
    one page as a circular reference."""
    resources = page["/Resources"]
    renames: dict[tuple[str, str], str] = {}
    for category in RESOURCE_OPERANDS.values():
        entries = resources.get(category)
        entries = entries.get_object() if entries is not None else {}
        first: dict[int, str] = {}
        for name in sorted(entries):
            ref = entries.raw_get(name)
            if isinstance(ref, IndirectObject):
                canonical = first.setdefault(ref.idnum, name)
                if canonical != name:
                    renames[(category, name)] = canonical
    if not renames:
        return
    content = page.get_contents()
    for operands, operator in content.operations:
        category = RESOURCE_OPERANDS.get(operator)
        if category and operands and (category, operands[0]) in renames:
            operands[0] = NameObject(renames[(category, operands[0])])
    page.replace_contents(content)
    for category, name in renames:
        del resources[category][name]


def pdf_writer(pdf_bytes: bytes) -> PdfWriter:
    """A writer holding a copy of the document, ready to be changed."""
    return PdfWriter(clone_from=PdfReader(io.BytesIO(pdf_bytes)))


def to_bytes(writer: PdfWriter) -> bytes:
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
