"""Ingest benchmark: pdao's ingest of a 5M-row CSV against the floor, in one run.

    make bench            # or: .venv/bin/python bench/ingest.py [--rows 5000000]

`make bench` runs it twice: 5M rows (~465 MB) and 11M rows (~1 GB), the second showing that
memory stays bounded (DuckDB's memory_limit, spilling to disk) when the file outgrows it.

The CSV is the demo's 社保缴纳记录 (synthetic: 身份证号 with valid check digits, dates, amounts),
generated once. Then, each in a fresh process so each peak memory is its own:

* floor: plain DuckDB reading the CSV and writing ZSTD Parquet, nothing else;
* pdao: `pdao.catalogue.ingest.ingest` — typed read with a reject store, required/enumeration
  checks, the personal-information scan, Parquet, SHA-256 — the pure library, as the
  `ingest` command and the upload page call it.

Prints rows/s, seconds, peak memory and pdao's time as a multiple of the floor's; writes
bench/results/ingest.json.
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
sys.path.insert(0, str(ROOT))

FLOOR = """
import duckdb, json, resource, sys, time
start = time.perf_counter()
con = duckdb.connect()
con.execute(f"COPY (SELECT * FROM read_csv('{sys.argv[1]}', header=true)) TO '{sys.argv[2]}' "
            "(FORMAT PARQUET, COMPRESSION ZSTD)")
print(json.dumps({"seconds": time.perf_counter() - start,
                  "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""

PDAO = """
import json, resource, sys, time
from pathlib import Path
sys.path.insert(0, sys.argv[3])
from pdao.catalogue.ingest import Column, ingest
columns = [Column(**c) for c in json.loads(sys.argv[4])]
start = time.perf_counter()
result = ingest(Path(sys.argv[1]), columns=columns, dest_dir=Path(sys.argv[2]),
                declared_format="csv")
print(json.dumps({"seconds": time.perf_counter() - start, "rows": result.rows,
                  "pi": [f.column for f in result.pi],
                  "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def generate(rows: int, path: Path) -> list[dict]:
    import duckdb

    from pdao.catalogue import synthetic

    _provider, _attributes, _rows, fields = next(
        r for r in synthetic.RESOURCES if r[1]["name"] == "社保缴纳记录"
    )
    con = duckdb.connect()
    synthetic.pools(con)
    synthetic.write_csv(con, fields, rows, path)
    kinds = ("养老保险", "医疗保险", "失业保险", "工伤保险")
    return [
        {"name": name, "type": kind, "required": name in ("个人编号", "缴费月份"),
         "choices": list(kinds) if name == "险种" else [], "label": label}
        for name, label, kind, _p, _u, _q, _sql in fields
    ]  # fmt: skip


def run(script: str, *args: str) -> dict:
    out = subprocess.run([sys.executable, "-c", script, *args], capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(out.stderr[-3000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=5_000_000)
    args = parser.parse_args()
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    with tempfile.TemporaryDirectory(prefix="pdao-bench-ingest-") as work:
        work_dir = Path(work)
        csv_path = work_dir / "social-insurance.csv"
        start = time.perf_counter()
        columns = generate(args.rows, csv_path)
        size_mb = csv_path.stat().st_size / 1e6
        print(f"ingest of {args.rows:,} rows ({size_mb:,.0f} MB CSV, generated in "
              f"{time.perf_counter() - start:.1f} s) — {machine}")  # fmt: skip
        floor = run(FLOOR, str(csv_path), str(work_dir / "floor.parquet"))
        ours = run(PDAO, str(csv_path), str(work_dir / "versions"), str(ROOT), json.dumps(columns))
    assert ours["rows"] == args.rows, ours
    results = {
        "machine": machine,
        "rows": args.rows,
        "csv_mb": size_mb,
        "floor": floor,
        "pdao": ours,
    }
    print(f"{'':<28}{'seconds':>10}{'rows/s':>14}{'peak MiB':>10}")
    for label, r in (("floor: DuckDB CSV→Parquet", floor), ("pdao ingest", ours)):
        rate = args.rows / r["seconds"]
        print(f"{label:<28}{r['seconds']:>10.2f}{rate:>14,.0f}{r['peak_mib']:>10,.0f}")
    print(
        f"pdao time / floor time: {ours['seconds'] / floor['seconds']:.2f}×  "
        f"(personal information found in: {', '.join(ours['pi'])})"
    )
    name = "ingest.json" if args.rows == 5_000_000 else f"ingest-{args.rows}.json"
    out = ROOT / "bench" / "results" / name
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2, ensure_ascii=False))
    print(f"written to {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
