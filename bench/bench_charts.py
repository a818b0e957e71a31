"""Time the three flagship charts drawn cold and served from the chart cache, in fresh processes.

Each measurement is a new Python process that loads the data files and asks a ChartCache for the
three charts (2023 targets as ranges, 2022 income as bars, agriculture as KPI tiles), so the times
include interpreter start, imports and data loading: what a user waits for in a build.
Cold runs use an empty cache folder; cached runs reuse the folder a cold run filled.

    python bench/bench_charts.py [--runs N]
"""

from __future__ import annotations

import argparse
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    runs = parser.parse_args().runs
    cold, cached = [], []
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as folder:
            seconds, drew = run_once(Path(folder))
            assert drew, "a cold run must draw"
            cold.append(seconds)
            seconds, drew = run_once(Path(folder))
            assert not drew, "a cached run must not import matplotlib"
            cached.append(seconds)
    cold_s, cached_s = statistics.median(cold), statistics.median(cached)
    print(f"three flagship charts, median of {runs} fresh processes each")
    print(f"  cold (draw + convert to CMYK): {cold_s:6.3f} s")
    print(f"  cached:                        {cached_s:6.3f} s")
    print(f"  cold / cached:                 {cold_s / cached_s:6.1f}×")


if __name__ == "__main__":
    main()
