"""One exception hierarchy for the whole tool, and the source locations errors point at.

Every error a user can cause is a BriefingError: the CLI prints it (file, line, column,
what was expected, what to do) and exits non-zero, never with a traceback.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SourceRef:
    """Where something came from: a file and, when known, a 1-based line and column."""

    file: str
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        parts = [self.file]
        if self.line is not None:
            parts.append(str(self.line))
            if self.column is not None:
                parts.append(str(self.column))
        return ":".join(parts)


class BriefingError(Exception):
    """Base of every error a user's input or environment can cause."""

    exit_code = 1

    def __init__(self, message: str, ref: SourceRef | None = None, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.ref = ref
        self.hint = hint

    def __str__(self) -> str:
        where = f"{self.ref}: " if self.ref else ""
        text = f"{where}{self.message}"
        if self.hint:
            text += f"\n  hint: {self.hint}"
        return text


class InputError(BriefingError):
    """Malformed or invalid content, layout or edition files."""

    exit_code = 2


class DataError(InputError):
    """A data file (CSV, YAML, JSON) that cannot give what a block asks of it."""


class FitError(BriefingError):
    """Content that does not fit its region; never clipped silently."""

    exit_code = 3


class FontError(BriefingError):
    """A font that cannot be loaded or a character that no font can draw."""

    exit_code = 4


class PreflightError(BriefingError):
    """The finished PDF breaks a rule of its output profile."""

    exit_code = 5


class PublishError(BriefingError):
    """A scheduled run that could not build or publish its issue."""

    exit_code = 6


class BriefingWarning(UserWarning):
    """Something was changed or looks wrong, but the build goes on."""
