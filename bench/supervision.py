"""Supervision benchmark: detection quality of the monitoring rules on simulated traffic.

    make bench            # or: .venv/bin/python bench/supervision.py [--seeds 5]

Seeds the demo (SQLite, --scale) in a temporary directory, then runs `manage.py
simulate_traffic --json` with several seeds. Each run is a day of normal traffic on every demo
subscription and authorization, with eleven kinds of misuse injected, all rolled back. Prints
per kind how often it was detected, the false alerts, and `recall=R precision=P` over all runs,
with the wall time per run. Then times the spot-check draw (`spotchecks.draw`: SHA-256 ranks
per stratum) on a million synthetic delivery ids in 40 strata against the floor of
`random.Random(seed).sample` per stratum, same strata and allocation. Writes
bench/results/supervision.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DRAW_TIMING = """
import json, random, time
from collections import defaultdict
from pdao.supervision.spotchecks import allocate, draw
population = [(pk, pk % 40, pk % 5) for pk in range(1, 1_000_001)]
started = time.perf_counter(); ids, strata = draw("bench", population, 500)
draw_s = time.perf_counter() - started
started = time.perf_counter()
groups = defaultdict(list)
for pk, p, c in population:
    groups[(p, c)].append(pk)
alloc = allocate({k: len(v) for k, v in groups.items()}, 500)
rng = random.Random("bench")
floor = [pk for k, v in groups.items() for pk in rng.sample(v, alloc[k])]
floor_s = time.perf_counter() - started
print(json.dumps({"population": len(population), "strata": len(strata), "n": len(ids),
                  "draw_s": draw_s, "floor_s": floor_s}))
"""


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--scale", type=float, default=0.01)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="pdao-bench-sup-"))
    env = {
        **os.environ,
        "PDAO_SECRET_KEY": "bench-only-" + "x" * 40,
        "PDAO_DATA_DIR": str(workdir / "data"),
        "DATABASE_URL": f"sqlite:///{workdir / 'pdao.sqlite3'}",
        "PDAO_DEMO": "true",
        "PDAO_DEBUG": "false",
        "PDAO_HTTPS": "false",
    }

    def manage(*argv, capture=False):
        return subprocess.run([sys.executable, "manage.py", *argv], env=env, cwd=ROOT,
                              check=True, capture_output=capture, text=True)  # fmt: skip

    print(f"seeding the demo (scale {args.scale}) …", flush=True)
    manage("migrate", "--noinput", "-v", "0")
    manage("seed_demo", "--password", "Bench-0nly-pass", "--scale", str(args.scale), capture=True)
    runs = []
    for seed in range(1, args.seeds + 1):
        started = time.perf_counter()
        out = manage("simulate_traffic", "--json", "--seed", str(seed), capture=True).stdout
        result = json.loads(out)
        result["seconds"] = time.perf_counter() - started
        runs.append(result)
        print(f"seed {seed}: recall={result['recall']:.2f} precision={result['precision']:.2f}"
              f"  ({result['normal_calls']} normal calls, {result['normal_queries']} zone "
              f"queries, {result['seconds']:.1f} s)", flush=True)  # fmt: skip
    draw = json.loads(manage("shell", "-v", "0", "-c", DRAW_TIMING, capture=True).stdout)
    ratio = draw["draw_s"] / draw["floor_s"]
    print(f"spot-check draw of {draw['n']:,} from {draw['population']:,} deliveries in "
          f"{draw['strata']} strata: {draw['draw_s']:.2f} s; random.sample floor "
          f"{draw['floor_s']:.2f} s ({ratio:.1f}× the floor)")  # fmt: skip
    kinds = runs[0]["kinds"].keys()
    detected = {k: sum(r["kinds"][k] for r in runs) for k in kinds}
    false = sum(len(r["false_alerts"]) for r in runs)
    true = sum(detected.values())
    recall = true / (len(kinds) * len(runs))
    precision = true / (true + false) if true + false else 1.0
    for kind, n in detected.items():
        print(f"  {kind:<14} detected in {n}/{len(runs)} runs")
    print(f"false alerts on normal traffic: {false}")
    print(f"recall={recall:.2f} precision={precision:.2f}")
    (ROOT / "bench" / "results").mkdir(exist_ok=True)
    (ROOT / "bench" / "results" / "supervision.json").write_text(json.dumps({
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "runs": runs, "detected": detected, "false_alerts": false,
        "recall": recall, "precision": precision, "spot_check_draw": draw,
    }, ensure_ascii=False, indent=2))  # fmt: skip


if __name__ == "__main__":
    main()
