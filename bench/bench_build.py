"""Benchmark: whole builds in fresh processes, as a user runs them.

Measures wall time and peak memory (max RSS) of
  - the baseline: a fresh Python that imports ReportLab, parses the same five Noto fonts and
    draws one page with them (the floor any ReportLab-based tool pays),
  - `briefing build data/jilin-2023` (the flagship spread),
  - `briefing build` of a long Markdown digest (the digest sample repeated to ~20,000 characters),
and reports each as a ratio to the baseline measured in the same run.

    python3 bench/bench_build.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

BASELINE = f"""
import io
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
names = []
for n, f in enumerate(sorted((__import__('pathlib').Path({str(ROOT / 'fonts')!r})).glob('*.ttf'))):
    pdfmetrics.registerFont(TTFont(f'F{{n}}', str(f))); names.append(f'F{{n}}')
c = Canvas(io.BytesIO(), initialFontName=names[0])
for name in names:
    c.setFont(name, 10); c.drawString(72, 72, '回眸2022 启航2023')
c.save()
"""


def run(cmd: list[str]) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of one fresh child process."""
    script = ("import resource, subprocess, sys, time; t = time.perf_counter(); "
              "r = subprocess.run(sys.argv[1:]); dt = time.perf_counter() - t; "
              "m = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss; "
              "print(dt, m); sys.exit(r.returncode)")
    out = subprocess.run([sys.executable, "-c", script, *cmd], capture_output=True, text=True,
                         cwd=ROOT, env={**os.environ, "SOURCE_DATE_EPOCH": "1673308800"})
    if out.returncode != 0:
        raise SystemExit(f"failed: {' '.join(cmd)}\n{out.stderr}")
    seconds, rss_kb = out.stdout.split()[-2:]
    return float(seconds), int(rss_kb) / 1024


def long_digest(folder: Path) -> Path:
    text = (ROOT / "data" / "digest" / "notes.md").read_text(encoding="utf-8")
    head, _, body = text.partition("\n---\n")
    path = folder / "long.md"
    path.write_text(head + "\n---\n" + body * 5, encoding="utf-8")
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        cases = {
            "baseline: ReportLab + 5 Noto fonts, one page": [sys.executable, "-c", BASELINE],
            "flagship spread (data/jilin-2023)": [sys.executable, "-m", "briefing", "build",
                                                  "data/jilin-2023", "-o", str(folder / "f.pdf")],
            "long Markdown digest": [sys.executable, "-m", "briefing", "build",
                                     str(long_digest(folder)), "-o", str(folder / "d.pdf")],
        }
        results = {}
        for name, cmd in cases.items():
            runs = [run(cmd) for _ in range(args.repeat)]
            results[name] = (statistics.median(r[0] for r in runs), max(r[1] for r in runs))
        chars = len((folder / "long.md").read_text(encoding="utf-8"))
    base_time, base_mem = next(iter(results.values()))
    print(f"{'case':48} {'wall s':>8} {'× base':>7} {'peak MB':>8} {'× base':>7}")
    for name, (seconds, mem) in results.items():
        print(f"{name:48} {seconds:8.3f} {seconds / base_time:7.2f} {mem:8.1f} {mem / base_mem:7.2f}")
    print(f"(median of {args.repeat} fresh processes; long digest = {chars} characters)")


if __name__ == "__main__":
    main()
