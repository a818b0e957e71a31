"""Fonts: the committed Noto SC files, their metrics, and per-character fallback.

Font keys ("serif", "sans-bold", ...) are what styles name. Files are parsed once, lazily,
with ReportLab's TrueType reader (the same parse serves metrics and embedding).
A character no font has is reported by name and code point and replaced by 〓 (U+3013,
the printer's mark for a missing sort), never drawn as an empty box.
"""

from __future__ import annotations

import unicodedata
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from briefing.errors import BriefingWarning, FontError

FONT_DIR = Path(__file__).resolve().parent.parent / "fonts"

# key -> font file under fonts/
FONT_FILES: dict[str, str] = {
    "serif": "NotoSerifSC-Regular.ttf",
    "serif-bold": "NotoSerifSC-Bold.ttf",
    "serif-black": "NotoSerifSC-Black.ttf",
    "sans": "NotoSansSC-Regular.ttf",
    "sans-bold": "NotoSansSC-Bold.ttf",
}
# Where to look when a font lacks a character: same design first, then the other family.
FALLBACKS: dict[str, tuple[str, ...]] = {
    "serif": ("sans",),
    "serif-bold": ("sans-bold", "serif"),
    "serif-black": ("serif-bold", "sans-bold"),
    "sans": ("serif",),
    "sans-bold": ("serif-bold", "sans"),
}
MISSING_MARK = "\u3013"  # 〓 geta mark


@dataclass(frozen=True)
class MissingGlyph:
    char: str
    font: str

    def describe(self) -> str:
        name = unicodedata.name(self.char, "unnamed character")
        return f"U+{ord(self.char):04X} {name} ({self.char!r}) is in no font; wanted by {self.font!r}"


@dataclass
class FontBook:
    """Loads fonts on first use and answers metric and coverage questions (the typesetter's Metrics)."""

    font_dir: Path = FONT_DIR
    _faces: dict[str, object] = field(default_factory=dict, repr=False)
    _resolved: dict[tuple[str, str], str] = field(default_factory=dict, repr=False)
    missing: list[MissingGlyph] = field(default_factory=list)

    def ttfont(self, key: str):
        """The ReportLab TTFont for a key (registered under the name 'Briefing-<key>')."""
        if key not in self._faces:
            if key not in FONT_FILES:
                raise FontError(f"unknown font {key!r}", hint=f"use one of: {', '.join(FONT_FILES)}")
            from reportlab.pdfbase import pdfmetrics
            from reportlab.pdfbase.ttfonts import TTFont, TTFError

            path = self.font_dir / FONT_FILES[key]
            name = pdf_font_name(key)
            # Look in the registry directly: getFont() on an unknown name first searches the
            # disk for Type 1 metrics, which costs about a second.
            font = pdfmetrics._fonts.get(name)
            if font is None:
                try:
                    font = TTFont(name, str(path))
                except (OSError, TTFError) as exc:
                    raise FontError(f"cannot load font {path}: {exc}",
                                    hint="the fonts/ folder of the project must hold the Noto SC files") from exc
                pdfmetrics.registerFont(font)
            self._faces[key] = font
        return self._faces[key]

    def _widths(self, key: str) -> dict[int, int]:
        return self.ttfont(key).face.charWidths

    def has(self, key: str, char: str) -> bool:
        return ord(char) in self._widths(key)

    def advance(self, font: str, char: str) -> float:
        width = self._widths(self.font_for(font, char)).get(ord(char))
        if width is None:
            width = self._widths(font).get(ord(MISSING_MARK), 1000)
        return width / 1000.0

    def font_for(self, font: str, char: str) -> str:
        key = (font, char)
        found = self._resolved.get(key)
        if found is None:
            found = next((k for k in (font, *FALLBACKS.get(font, ())) if self.has(k, char)), None)
            if found is None:
                self._report_missing(char, font)
                found = font
            self._resolved[key] = found
        return found

    def drawable(self, font: str, char: str) -> str:
        """The character to draw: itself, or the missing-sort mark when no font has it."""
        return char if self.has(self.font_for(font, char), char) else MISSING_MARK

    def _report_missing(self, char: str, font: str) -> None:
        miss = MissingGlyph(char, font)
        self.missing.append(miss)
        warnings.warn(f"{miss.describe()}; drawn as {MISSING_MARK}", BriefingWarning, stacklevel=3)


def pdf_font_name(key: str) -> str:
    return "Briefing-" + key
