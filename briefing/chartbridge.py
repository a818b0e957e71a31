"""Charts for the chart slots of a page plan: bind data, render (cached), place as forms.

The layout reserved each chart's box on the grid; here every slot gets its one-page vector
PDF from briefing.charts, in the palette's colour space, positioned in media coordinates for
the post-processing stage to merge.
"""

from __future__ import annotations

import os
from dataclasses import replace
from datetime import date
from pathlib import Path

from briefing.colour import ColourSpace, Palette
from briefing.draw import Sheet
from briefing.plan import ChartSlot
from briefing.post import Placement


def cache_dir() -> Path:
    base = os.environ.get("BRIEFING_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "briefing")
    return Path(base) / "charts"


def chart_pdfs(slots: list[tuple[int, ChartSlot]], palette: Palette, colour_mode: str,
               sheet: Sheet, as_of: date | None = None, *, scale: float = 1.0) -> list[Placement]:
    """One placement per slot, in media coordinates; a chart with a `period` shows the weeks
    up to `as_of`; chart type grows with the edition's type scale; no chart rule is thinner
    than the sheet can print."""
    from briefing.charts import ChartCache, ChartStyle, ColourMode

    cache = ChartCache(cache_dir())
    placements = []
    for page, slot in slots:
        chart = slot.chart
        style = _lines(ChartStyle(palette=palette, mode=ColourMode(colour_mode), scale=scale,
                                  **_type(slot, scale)), sheet.min_line)
        pdf = cache.render(chart.spec, _table(chart, as_of), style, slot.w, slot.h)
        placements.append(Placement(page, pdf, slot.x + sheet.offset, slot.y + sheet.offset,
                                    slot.w, slot.h))
    return placements


def _table(chart, as_of: date | None):
    table = chart.spec.load_table()
    if chart.period is None:
        return table
    from briefing.period import latest_date, select_period

    column, weeks = chart.period
    return select_period(table, column, as_of or latest_date(table, column, chart.spec.ref), weeks,
                         ref=chart.spec.ref)


# Press rule: a line printed with two or more inks needs at least 0.5 pt to stay in register.
MULTI_INK_MIN_PT = 0.5


def _lines(style, thinnest: float):
    """No line thinner than the sheet prints; bar edges, drawn in the bars' (often multi-ink)
    colours, no thinner than registration allows in CMYK."""
    widths = {name: max(getattr(style, name), thinnest)
              for name in ("rule_width", "grid_width", "edge_width", "line_width")}
    if style.palette.space is ColourSpace.CMYK:
        widths["edge_width"] = max(widths["edge_width"], MULTI_INK_MIN_PT)
    return replace(style, **widths)


def _type(slot: ChartSlot, scale: float) -> dict:
    """Chart type from the layout's `chart-label` style, when the layout has one. The edition
    has already scaled that style; ChartStyle.scale applies the scale again, so undo it here."""
    style = slot.style
    if style is None:
        return {}
    return {"label_font": style.font, "value_font": style.strong_font,
            "label_size": style.size / scale, "value_size": (style.size + 1) / scale}
