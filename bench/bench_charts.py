"""Time the three flagship charts drawn cold and served from the chart cache, in fresh processes.

Each measurement is a new Python process that loads the data files and asks a ChartCache for the
three charts (2023 targets as ranges, 2022 income as bars, agriculture as KPI tiles), so the times
include interpreter start, imports and data loading: what a user waits for in a build.
Cold runs use an empty cache folder; cached runs reuse the folder a cold run filled; redrawn runs
reuse it with the charts removed but the font subsets kept (a chart whose style or size changed).
With --profile, one cold drawing of the three charts runs in this process under cProfile and
the functions taking the most time are listed.

    python bench/bench_charts.py [--runs N] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FLAGSHIP = {
    "targets": ({"kind": "range", "data": "targets-2023.csv", "x": "指标", "low": "下限", "high": "上限",
                 "highlight": "地区生产总值增长"}, 260, 130),
    "income": ({"kind": "bar", "data": "income-2022.csv", "x": "类别", "y": "人均可支配收入"}, 160, 150),
    "agriculture": ({"kind": "kpi", "data": "agriculture.csv", "x": "指标", "y": "2023年目标",
                     "previous": "2022年", "unit_column": "单位"}, 330, 80),
}
SCRIPT = """
import sys
from pathlib import Path
from briefing.charts import ChartCache, ChartSpec, ChartStyle
from briefing.errors import SourceRef
cache, style = ChartCache(sys.argv[1]), ChartStyle()
for mapping, width, height in {flagship!r}.values():
    spec = ChartSpec.from_mapping(mapping, SourceRef("bench", 1), Path({data!r}))
    cache.render(spec, spec.load_table(), style, width, height)
print("matplotlib" in sys.modules)
"""


def run_once(cache_dir: Path) -> tuple[float, bool]:
    """Seconds for one fresh process, and whether it imported matplotlib."""
    script = SCRIPT.format(flagship=FLAGSHIP, data=str(ROOT / "data" / "jilin-2023"))
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", script, str(cache_dir)], cwd=ROOT, check=True,
                          capture_output=True, text=True)
    return time.perf_counter() - start, done.stdout.strip() == "True"


def measure(runs: int) -> dict[str, float]:
    """Median seconds of cold, cached and redrawn runs."""
    times: dict[str, list[float]] = {"cold": [], "cached": [], "redrawn": []}
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as folder:
            for kind in times:
                if kind == "redrawn":
                    for chart in Path(folder).glob("*.pdf"):
                        chart.unlink()
                seconds, drew = run_once(Path(folder))
                assert drew == (kind != "cached"), f"a {kind} run must {'not ' if kind == 'cached' else ''}draw"
                times[kind].append(seconds)
    return {kind: statistics.median(values) for kind, values in times.items()}


def profile() -> None:
    """One cold drawing of the three charts in this process, under cProfile."""
    sys.path.insert(0, str(ROOT))
    from briefing.charts import ChartSpec, ChartStyle, render_chart
    from briefing.errors import SourceRef

    specs = [(ChartSpec.from_mapping(m, SourceRef("bench", 1), ROOT / "data" / "jilin-2023"), w, h)
             for m, w, h in FLAGSHIP.values()]
    profiler = cProfile.Profile()
    profiler.enable()
    for spec, width, height in specs:
        render_chart(spec, spec.load_table(), ChartStyle(), width, height)
    profiler.disable()
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--profile", action="store_true", help="also profile one cold drawing in-process")
    args = parser.parse_args()
    median = measure(args.runs)
    print(f"three flagship charts, median of {args.runs} fresh processes each")
    print(f"  cold (draw + convert to CMYK):  {median['cold']:6.3f} s")
    print(f"  redrawn (font subsets cached):  {median['redrawn']:6.3f} s")
    print(f"  cached:                         {median['cached']:6.3f} s")
    print(f"  cold / cached:                  {median['cold'] / median['cached']:6.1f}×")
    if args.profile:
        profile()


if __name__ == "__main__":
    main()
