"""The data of an issue's period: rows of a dated table up to the issue's `as_of` date.

A weekly brief reads tables that grow by one row a week. An issue dated `as_of` shows the
weeks ending then, so a re-run of an old issue shows what that issue showed, even after
newer rows were added. Dates are ISO dates (2026-01-11) in a named column.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

from briefing.data import Cell, Table
from briefing.errors import DataError, SourceRef


def select_period(table: Table, date_column: str, as_of: date, weeks: int = 1,
                  ref: SourceRef | None = None) -> Table:
    """The rows dated within the `weeks` weeks ending at `as_of` (after as_of - 7×weeks days,
    up to and including as_of), in file order; what was left out is noted in `skipped`."""
    if weeks < 1:
        raise ValueError(f"weeks must be 1 or more, found {weeks}")
    start = as_of - timedelta(weeks=weeks)
    dates = _dates(table, date_column, ref)
    keep = [i for i, day in enumerate(dates) if start < day <= as_of]
    dropped = len(dates) - len(keep)
    note = (f"{dropped} rows dated outside {start + timedelta(days=1)} – {as_of}",) if dropped else ()
    return replace(table, rows=tuple(table.rows[i] for i in keep),
                   lines=tuple(table.lines[i] for i in keep) if table.lines else (),
                   skipped=table.skipped + note)


def latest_row(table: Table, date_column: str, as_of: date,
               ref: SourceRef | None = None) -> tuple[Cell, ...]:
    """The row with the latest date on or before `as_of` (the last such row if dates repeat)."""
    dates = _dates(table, date_column, ref)
    candidates = [(day, i) for i, day in enumerate(dates) if day <= as_of]
    if not candidates:
        raise DataError(f"{table.source}: no row dated on or before {as_of} in column {date_column!r}",
                        ref, hint="add the week's row to the data file, or check the issue date")
    return table.rows[max(candidates)[1]]


def _dates(table: Table, column: str, ref: SourceRef | None) -> list[date]:
    j = table.index(column, ref)
    dates = []
    for i, row in enumerate(table.rows):
        try:
            dates.append(date.fromisoformat(str(row[j]).strip()))
        except ValueError:
            raise DataError(f"{table.locate(i, j)}: expected a date like 2026-01-11, found {row[j]!r}",
                            ref) from None
    return dates


def latest_date(table: Table, date_column: str, ref: SourceRef | None = None) -> date:
    """The newest date in the column: the period an undated build shows."""
    dates = _dates(table, date_column, ref)
    if not dates:
        raise DataError(f"{table.source}: no dated rows in column {date_column!r}", ref)
    return max(dates)
