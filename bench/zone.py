"""Zone benchmark: typical aggregate queries through pdao's zone engine against the same SQL in
plain DuckDB, on the demo's 社保缴纳记录 (5,000,000 rows), in one run.

    make bench            # or: .venv/bin/python bench/zone.py [--rows 5000000]

The table is generated as the demo generates it (synthetic; one person has many monthly rows)
and written to Parquet once. Each query runs 3 times on each side after a warm-up; the median
is kept. The engine's time includes everything a released answer costs: parsing and
validation, a fresh locked connection, the engine's own unit counts per cell, the complement
check for WHERE clauses, dominance on per-unit sums and secondary suppression. Plain DuckDB
runs the bare SQL on a view of the same file: the floor.

Still to come here: DP queries against SmartNoise SQL (in its own virtual environment, since
it pins an older OpenDP), with time and mean absolute error at the same ε.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

QUERIES = [
    "SELECT 区县, COUNT(*) AS n FROM 社保 GROUP BY 区县",
    "SELECT 区县, COUNT(DISTINCT 个人编号) AS 人数 FROM 社保 GROUP BY 区县",
    "SELECT 险种, SUM(缴费基数) AS s FROM 社保 GROUP BY 险种",
    "SELECT 区县, 险种, AVG(缴费基数) AS a FROM 社保 GROUP BY 区县, 险种",
    "SELECT 缴费月份, COUNT(*) FROM 社保 GROUP BY 缴费月份",
    "SELECT 区县, SUM(缴费基数) FROM 社保 WHERE 缴费基数 > 10000 GROUP BY 区县",
    "SELECT 险种, COUNT(DISTINCT 个人编号) FROM 社保 WHERE 缴费月份 >= DATE '2024-01-01' "
    "GROUP BY 险种",
    "SELECT COUNT(*) AS n, AVG(缴费基数) AS a FROM 社保",
    "SELECT 区县, 缴费月份, COUNT(*) FROM 社保 GROUP BY 区县, 缴费月份",
    "SELECT 区县, ROUND(SUM(缴费基数) / COUNT(*), 1) AS 人均 FROM 社保 GROUP BY 区县",
]


def generate(rows: int, work: Path) -> tuple[Path, dict]:
    import duckdb

    from pdao.catalogue import synthetic

    _p, _a, _r, fields = next(r for r in synthetic.RESOURCES if r[1]["name"] == "社保缴纳记录")
    con = duckdb.connect()
    synthetic.pools(con)
    csv_path, parquet = work / "ss.csv", work / "ss.parquet"
    synthetic.write_csv(con, fields, rows, csv_path)
    types = {"string": "VARCHAR", "decimal": "DOUBLE", "date": "DATE", "integer": "BIGINT"}
    columns = {name: types[kind] for name, _l, kind, *_rest in fields}
    spec = ", ".join(f"'{n}': '{t}'" for n, t in columns.items())
    con.execute(
        f"COPY (SELECT * FROM read_csv('{csv_path}', header=true, columns={{{spec}}})) "
        f"TO '{parquet}' (FORMAT PARQUET, COMPRESSION ZSTD)"
    )
    csv_path.unlink()
    return parquet, columns


def median_seconds(fn, repeat: int = 3) -> float:
    fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    import duckdb

    from pdao.zone import engine

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=5_000_000)
    args = parser.parse_args()
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    with tempfile.TemporaryDirectory(prefix="pdao-bench-zone-") as work:
        parquet, columns = generate(args.rows, Path(work))
        allowed = frozenset({"aggregate"})
        table = engine.TablePolicy(
            path=str(parquet),
            columns={c: allowed for c in columns if c != "身份证号"},
            types=columns,
            privacy_unit="个人编号",
        )
        policy = engine.Policy(
            tables={"社保": table},
            threads=2,
            memory_limit="2GB",
            max_rows=100_000,
            timeout_seconds=120,
        )
        con = duckdb.connect()
        con.execute("SET threads=2")
        con.execute(f"CREATE VIEW 社保 AS SELECT * FROM read_parquet('{parquet}')")
        print(f"zone engine vs plain DuckDB, {args.rows:,} rows — {machine}")
        print(f"{'query':<64}{'DuckDB s':>10}{'engine s':>10}{'×':>7}")
        results = []
        for sql in QUERIES:
            released = engine.run(sql, policy, form="aggregate")
            assert isinstance(released, engine.Released), (sql, released)
            floor = median_seconds(lambda sql=sql: con.execute(sql).fetchall())
            ours = median_seconds(lambda sql=sql: engine.run(sql, policy, form="aggregate"))
            results.append(
                {
                    "sql": sql,
                    "duckdb_s": floor,
                    "engine_s": ours,
                    "suppressed_cells": released.suppressed_cells,
                }
            )
            print(f"{sql[:62]:<64}{floor:>10.3f}{ours:>10.3f}{ours / floor:>7.1f}")
        ratios = [r["engine_s"] / r["duckdb_s"] for r in results]
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(
            f"median ratio engine / DuckDB: {statistics.median(ratios):.1f}×; "
            f"median engine {statistics.median(r['engine_s'] for r in results):.3f} s; "
            f"peak memory {peak:,.0f} MiB"
        )
    out = ROOT / "bench" / "results" / "zone.json"
    out.write_text(
        json.dumps(
            {
                "machine": machine,
                "rows": args.rows,
                "queries": results,
                "median_ratio": statistics.median(ratios),
                "peak_mib": peak,
            },
            ensure_ascii=False,
            indent=2,
        )
    )
    print(f"written to {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
