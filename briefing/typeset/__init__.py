"""The Chinese typesetter: paragraphs in, positioned lines out (see compose.py)."""

from briefing.typeset.compose import compose, compose_vertical, natural_width
from briefing.typeset.model import (Align, Glyph, Line, Metrics, PunctStyle, Span, TextStyle,
                                    VGlyph)
from briefing.typeset.punct import Change, normalise_punctuation

__all__ = ["Align", "Change", "Glyph", "Line", "Metrics", "PunctStyle", "Span", "TextStyle",
           "VGlyph", "compose", "compose_vertical", "natural_width", "normalise_punctuation"]
