"""PNG previews of finished PDFs, rendered with PDFium: the finished (trimmed) page by default,
the whole sheet with bleed and marks on request."""

from __future__ import annotations

from pathlib import Path

from briefing.errors import InputError


def write_pngs(pdf: Path, folder: Path, dpi: int = 80, *, sheet: bool = False) -> list[Path]:
    import pypdfium2 as pdfium

    if not pdf.exists():
        raise InputError(f"no such PDF: {pdf}")
    folder.mkdir(parents=True, exist_ok=True)
    document = pdfium.PdfDocument(str(pdf))
    paths = []
    try:
        for number, page in enumerate(document, 1):
            crop = (0, 0, 0, 0) if sheet else _trim_crop(page)
            image = page.render(scale=dpi / 72, crop=crop).to_pil()
            path = folder / f"{pdf.stem}-{number}.png"
            image.save(path)
            paths.append(path)
    finally:
        document.close()
    return paths


def _trim_crop(page) -> tuple[float, float, float, float]:
    """What to cut from the left, bottom, right and top of the media box to show the trim."""
    m_left, m_bottom, m_right, m_top = page.get_mediabox()
    t_left, t_bottom, t_right, t_top = page.get_trimbox()
    return (t_left - m_left, t_bottom - m_bottom, m_right - t_right, m_top - t_top)
