"""Time the typesetter on 20,000 characters of Chinese against a naive greedy fill.

The text is the reference spread's paragraphs (full-width punctuation), repeated to 20,000
characters, set at a 14-em measure in 9.5 pt Noto Serif SC: once as those paragraphs, once
as a single 20,000-character paragraph (the worst case for total-fit breaking). The baseline,
measured in the same run on the same text and fonts, fills each line greedily one character
at a time and places the glyphs with no kinsoku, compression or justification: the least
any composer does. Times are the best of several runs.

    python bench/bench_typeset.py [--runs N] [--chars N]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path

from briefing.fonts import FontBook
from briefing.typeset import Glyph, Span, TextStyle, compose, normalise_punctuation

SEED = Path("/work/shared/reference/seed-spread.plain.txt")
SIZE = 9.5
MEASURE = 14 * SIZE


def paragraphs(total: int) -> list[str]:
    seed = [normalise_punctuation(p.strip())[0] for p in SEED.read_text("utf-8").splitlines() if p.strip()]
    out, n = [], 0
    while n < total:
        for p in seed:
            p = p[:total - n]
            out.append(p)
            n += len(p)
            if n >= total:
                break
    return out


def greedy(text: str, book: FontBook) -> list[list[Glyph]]:
    """Fill lines one character at a time until the next one would not fit."""
    lines: list[list[Glyph]] = [[]]
    x = 0.0
    for ch in text:
        font = book.font_for("serif", ch)
        advance = book.advance(font, ch) * SIZE
        if x + advance > MEASURE and lines[-1]:
            lines.append([])
            x = 0.0
        lines[-1].append(Glyph(ch, font, SIZE, x, advance))
        x += advance
    return lines


def best_of(runs: int, job: Callable[[], object]) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        job()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--chars", type=int, default=20_000)
    args = parser.parse_args()
    book = FontBook()
    style = TextStyle(size=SIZE, indent_em=2)
    paras = paragraphs(args.chars)
    whole = "".join(paras)
    compose([Span(whole[:200])], style, MEASURE, book)      # load the fonts before timing
    rows = [
        ("typeset, paragraphs", lambda: [compose([Span(p)], style, MEASURE, book) for p in paras]),
        ("typeset, one paragraph", lambda: compose([Span(whole)], style, MEASURE, book)),
        ("greedy baseline", lambda: [greedy(p, book) for p in paras]),
    ]
    times = {name: best_of(args.runs, job) for name, job in rows}
    base = times["greedy baseline"]
    print(f"{len(whole)} characters in {len(paras)} paragraphs, measure 14 em at {SIZE} pt, "
          f"best of {args.runs}")
    for name, seconds in times.items():
        print(f"  {name:24s} {seconds * 1000:8.1f} ms   {seconds / base:5.1f}x baseline")


if __name__ == "__main__":
    main()
