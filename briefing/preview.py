"""PNG previews of finished PDFs, rendered with PDFium."""

from __future__ import annotations

from pathlib import Path

from briefing.errors import InputError


def write_pngs(pdf: Path, folder: Path, dpi: int = 80) -> list[Path]:
    import pypdfium2 as pdfium

    if not pdf.exists():
        raise InputError(f"no such PDF: {pdf}")
    folder.mkdir(parents=True, exist_ok=True)
    document = pdfium.PdfDocument(str(pdf))
    paths = []
    try:
        for number, page in enumerate(document, 1):
            image = page.render(scale=dpi / 72).to_pil()
            path = folder / f"{pdf.stem}-{number}.png"
            image.save(path)
            paths.append(path)
    finally:
        document.close()
    return paths
