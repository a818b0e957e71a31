"""Colour is decided here and nowhere else.

Styles and charts name colours; the palette gives every name an exact CMYK and RGB value;
the output's colour space (chosen by the profile or edition) picks which is written.
Black text is pure K. Grayscale maps every colour to a K-only tint of its luminance.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from briefing.errors import InputError


class ColourSpace(str, Enum):
    CMYK = "cmyk"
    RGB = "rgb"
    GRAY = "gray"


@dataclass(frozen=True)
class Colour:
    """One named colour with exact values for each space (components 0..1)."""

    name: str
    cmyk: tuple[float, float, float, float]
    rgb: tuple[float, float, float]

    @property
    def gray_k(self) -> float:
        """K tint for grayscale output: from the CMYK ink coverage, so a K-only colour stays exact."""
        c, m, y, k = self.cmyk
        if c == m == y == 0:
            return k
        r, g, b = self.rgb
        luminance = 0.299 * r + 0.587 * g + 0.114 * b
        return round(1.0 - luminance, 4)

    def in_space(self, space: ColourSpace) -> tuple[float, ...]:
        """Components as the PDF operators take them: CMYK (k), RGB (rg) or DeviceGray (g,
        where 1 is white, so a K tint t is written as 1 - t)."""
        if space is ColourSpace.CMYK:
            return self.cmyk
        if space is ColourSpace.RGB:
            return self.rgb
        return (round(1.0 - self.gray_k, 4),)


# Newspaper palette: values are what a prepress operator would specify, not conversions.
DEFAULT_PALETTE: dict[str, Colour] = {
    c.name: c
    for c in (
        Colour("black", (0, 0, 0, 1), (0.0, 0.0, 0.0)),
        Colour("white", (0, 0, 0, 0), (1.0, 1.0, 1.0)),
        Colour("gray80", (0, 0, 0, 0.8), (0.2, 0.2, 0.2)),
        Colour("gray60", (0, 0, 0, 0.6), (0.4, 0.4, 0.4)),
        Colour("gray40", (0, 0, 0, 0.4), (0.6, 0.6, 0.6)),
        Colour("gray20", (0, 0, 0, 0.2), (0.8, 0.8, 0.8)),
        Colour("gray10", (0, 0, 0, 0.1), (0.9, 0.9, 0.9)),
        Colour("red", (0, 1, 1, 0), (0.85, 0.11, 0.14)),
        Colour("deepred", (0.15, 1, 1, 0.1), (0.69, 0.07, 0.1)),
        Colour("rose", (0, 0.12, 0.1, 0), (0.99, 0.9, 0.89)),
        Colour("gold", (0, 0.3, 1, 0), (0.98, 0.71, 0.08)),
        Colour("cream", (0, 0.04, 0.12, 0), (1.0, 0.97, 0.88)),
        Colour("blue", (1, 0.6, 0, 0.1), (0.0, 0.33, 0.6)),
        Colour("skyblue", (0.5, 0.1, 0, 0), (0.49, 0.77, 0.93)),
        Colour("paleblue", (0.1, 0.02, 0, 0), (0.9, 0.96, 0.99)),
        Colour("green", (0.8, 0.1, 1, 0.1), (0.18, 0.55, 0.25)),
        Colour("teal", (0.85, 0.2, 0.45, 0.05), (0.1, 0.55, 0.55)),
    )
}


@dataclass(frozen=True)
class Palette:
    colours: dict[str, Colour]
    space: ColourSpace = ColourSpace.CMYK

    def get(self, name: str) -> Colour:
        try:
            return self.colours[name]
        except KeyError:
            known = ", ".join(sorted(self.colours))
            raise InputError(f"unknown colour {name!r}", hint=f"use one of: {known}") from None

    def values(self, name: str) -> tuple[float, ...]:
        """The components of a named colour in this palette's output space."""
        return self.get(name).in_space(self.space)

    def with_space(self, space: ColourSpace) -> "Palette":
        return Palette(self.colours, space)

    def extended(self, extra: dict[str, Colour]) -> "Palette":
        return Palette({**self.colours, **extra}, self.space)
