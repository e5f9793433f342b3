"""Zone benchmark: typical aggregate queries through pdao's zone engine against the same SQL in
plain DuckDB, on the demo's 社保缴纳记录 (5,000,000 rows), in one run.

    make bench            # or: .venv/bin/python bench/zone.py [--rows 5000000]

The table is generated as the demo generates it (synthetic; one person has several monthly
rows) and written to Parquet once; the zone's keyed copy of it is made once (timed apart: the
platform makes it when a version is activated). Each query runs 3 times on each side after a
warm-up; the median is kept. The engine's time includes everything a released answer costs:
translation into the query model, its own connection to a locked database, the per-person
pass that gives each cell its unit count, contributions, dominance figures and cell keys,
low-effect detection for filters and groups, the perturbation, and agreeing each number with
the register of released values (kept in memory here; the platform keeps it in its database).
A locked database is kept between queries, as the platform keeps it. Plain DuckDB
runs the bare SQL on a view of the same file: the floor. The previous engine (the SQL
pass-through with guards, at commit PREVIOUS) runs the same queries as a second peer when git
can show it.

Then differential privacy against SmartNoise SQL 1.0.10 on the same table (--dp-rows, all of
it by default; its pandas reader first copies the frame into SQLite, timed apart): the same
three queries (SmartNoise's SQL grammar takes no quantile comparable with pdao's) at the same
ε, each unit contributing one row on both sides, the same clamping bounds and no partition
selection; median seconds per query and the mean absolute
error against the true answer over --dp-repeats runs. SmartNoise pins opendp<0.15 and
pandas<3, so it runs in its own virtual environment (`make bench` creates
bench/.venv-smartnoise); without it that part is skipped with a note.
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


DP_QUERIES = [  # (engine SQL, SmartNoise SQL)
    (
        "SELECT 区县, COUNT(*) AS n FROM 社保 GROUP BY 区县",
        "SELECT district, COUNT(*) AS n FROM ss.ss GROUP BY district",
    ),
    (
        "SELECT 险种, SUM(缴费基数) AS s FROM 社保 GROUP BY 险种",
        "SELECT kind, SUM(base) AS s FROM ss.ss GROUP BY kind",
    ),
    (
        "SELECT 区县, AVG(缴费基数) AS a FROM 社保 GROUP BY 区县",
        "SELECT district, AVG(base) AS a FROM ss.ss GROUP BY district",
    ),
]
SMARTNOISE = ROOT / "bench" / ".venv-smartnoise" / "bin" / "python"


def dp_comparison(parquet: Path, work: Path, rows: int, repeats: int, epsilon: float) -> dict:
    import subprocess

    import duckdb

    from pdao.catalogue import synthetic
    from pdao.zone import engine

    con = duckdb.connect()
    sample = work / "dp.parquet"
    con.execute(
        f"COPY (SELECT * FROM read_parquet('{parquet}') LIMIT {rows}) TO '{sample}' "
        "(FORMAT PARQUET)"
    )
    csv_path = work / "dp.csv"
    con.execute(
        f"COPY (SELECT 个人编号 AS pid, 区县 AS district, 险种 AS kind, 缴费基数 AS base "
        f"FROM read_parquet('{sample}')) TO '{csv_path}' (HEADER)"
    )
    districts = tuple(eval(synthetic.DISTRICTS))  # noqa: S307 (our own literal list)
    kinds = ("养老保险", "医疗保险", "失业保险", "工伤保险")
    key = b"bench-noise-key-" * 2
    keyed = engine.prepare(sample, work / "dp-zone.parquet", units=["个人编号"], noise_key=key)
    table = engine.TablePolicy(
        path=keyed.path,
        columns={c: frozenset({"dp"}) for c in ("区县", "险种", "缴费基数")},
        types={"个人编号": "VARCHAR", "区县": "VARCHAR", "险种": "VARCHAR", "缴费基数": "DOUBLE"},
        privacy_unit="个人编号",
        bounds={"缴费基数": (3000.0, 30000.0)},
        categories={"区县": districts, "险种": kinds},
    )
    policy = engine.Policy(
        tables={"社保": table},
        noise_key=key,
        epsilon_left=1e9,
        epsilon_per_query=epsilon,
        epsilon_max=epsilon,
        contributions=1,
        timeout_seconds=300,
    )
    truths = []
    for ours, _theirs in DP_QUERIES:
        plain_sql = ours.replace("社保", f"read_parquet('{sample}')")
        truths.append({str(k): float(v) for k, v in con.execute(plain_sql).fetchall()})
    results = {"rows": rows, "epsilon": epsilon, "repeats": repeats, "queries": []}
    for (ours, theirs), truth in zip(DP_QUERIES, truths, strict=True):
        answers, times = [], []
        for _ in range(repeats):
            begin = time.perf_counter()
            released = engine.run(ours, policy, form="dp")
            times.append(time.perf_counter() - begin)
            answers.append({str(r[0]): float(r[1]) for r in released.rows})
        results["queries"].append(
            {
                "sql": ours,
                "pdao_s": statistics.median(times),
                "pdao_mae": _mae(answers, truth),
                "smartnoise_sql": theirs,
            }
        )
    if not SMARTNOISE.exists():
        results["smartnoise"] = "skipped: bench/.venv-smartnoise missing (make bench creates it)"
        return results
    queries_file = work / "dp-queries.json"
    queries_file.write_text(json.dumps([t for _o, t in DP_QUERIES]), encoding="utf-8")
    peer = subprocess.run(
        [
            str(SMARTNOISE),
            str(ROOT / "bench" / "peers" / "smartnoise_dp.py"),
            str(csv_path),
            str(queries_file),
            str(epsilon),
            str(repeats),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    theirs = json.loads(peer.stdout.strip().splitlines()[-1])
    results["smartnoise_setup_s"] = theirs["setup_s"]
    for mine, peer_q, truth in zip(results["queries"], theirs["queries"], truths, strict=True):
        mine["smartnoise_s"] = peer_q["seconds"]
        mine["smartnoise_mae"] = _mae(peer_q["answers"], truth)
    return results


def _mae(answers: list[dict], truth: dict) -> float:
    errors = [abs(a.get(k, 0.0) - v) for a in answers for k, v in truth.items()]
    return statistics.mean(errors)


PREVIOUS = "29ef08e"  # the last commit of the pass-through engine (pdao/zone/engine.py)


def previous_engine(work: Path):
    """The engine this one replaced, loaded from git history (None when git cannot show it)."""
    import importlib.util
    import subprocess

    try:
        source = subprocess.run(
            ["git", "show", f"{PREVIOUS}:pdao/zone/engine.py"],
            cwd=ROOT, capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip
    except (OSError, subprocess.CalledProcessError):
        return None
    path = work / "previous_engine.py"
    path.write_text(source, encoding="utf-8")
    spec = importlib.util.spec_from_file_location("previous_engine", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules["previous_engine"] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


class Register:
    """The register of released values, in memory (the platform keeps it in its database), so
    that the engine's timings include looking its numbers up and agreeing them."""

    def __init__(self):
        self.values: list[dict] = []

    def __call__(self, family: str, codes: set, least: int, most: int) -> list[dict]:
        return [v for v in self.values if v["family"] == family
                and least <= v["contributors"] <= most and codes & set(v["codes"])]  # fmt: skip

    def run(self, sql: str, policy):
        from pdao.zone import engine

        result = engine.run(sql, policy, form="aggregate")
        if isinstance(result, engine.Released) and result.remember:
            for value in result.remember["values"]:
                self.values.append({"id": len(self.values) + 1, **value})
        return result


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

    from pdao.catalogue import synthetic
    from pdao.zone import engine

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=5_000_000)
    parser.add_argument("--dp-rows", type=int, default=5_000_000)
    parser.add_argument("--dp-repeats", type=int, default=3)
    parser.add_argument("--epsilon", type=float, default=1.0)
    args = parser.parse_args()
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    with tempfile.TemporaryDirectory(prefix="pdao-bench-zone-") as work:
        parquet, columns = generate(args.rows, Path(work))
        key = b"bench-noise-key-" * 2
        begin = time.perf_counter()
        prepared = engine.prepare(parquet, Path(work) / "zone.parquet", units=["个人编号"],
                                  noise_key=key, memory_limit="2GB")  # fmt: skip
        prepare_s = time.perf_counter() - begin
        allowed = frozenset({"aggregate"})
        table = engine.TablePolicy(
            path=prepared.path,
            columns={c: allowed for c in columns if c != "身份证号"},
            types=columns,
            privacy_unit="个人编号",
            identifiers=frozenset({"个人编号", "身份证号"}),
            bounds={"缴费基数": (3000.0, 30000.0)},
            # As the demo's catalogue declares them (the engine bounds a question's cells by
            # its keys' declared domains before it reads the data).
            categories={
                "区县": tuple(eval(synthetic.DISTRICTS)),  # noqa: S307 (our own literal list)
                "险种": ("养老保险", "医疗保险", "失业保险", "工伤保险"),
            },
        )
        register = Register()
        policy = engine.Policy(
            tables={"社保": table},
            noise_key=key,
            threads=2,
            memory_limit="2GB",
            max_rows=100_000,
            timeout_seconds=120,
            history=register,
        )
        old = previous_engine(Path(work))
        old_policy = None
        if old is not None:
            old_policy = old.Policy(
                tables={
                    "社保": old.TablePolicy(
                        path=str(parquet),
                        types=columns,
                        columns={c: allowed for c in columns if c != "身份证号"},
                        privacy_unit="个人编号",
                    )
                },
                threads=2,
                memory_limit="2GB",
                max_rows=100_000,
                timeout_seconds=120,
            )
        con = duckdb.connect()
        con.execute("SET threads=2")
        con.execute(f"CREATE VIEW 社保 AS SELECT * FROM read_parquet('{parquet}')")
        print(f"zone engine vs plain DuckDB, {args.rows:,} rows — {machine}")
        print(
            f"the zone's keyed copy: {prepare_s:.1f} s once per version "
            f"({prepared.units:,} people, at most {prepared.max_rows_per_unit} rows each)"
        )
        print(f"{'query':<64}{'DuckDB s':>10}{'engine s':>10}{'×':>7}{'previous s':>12}{'×':>7}")
        results = []
        for sql in QUERIES:
            released = register.run(sql, policy)
            assert isinstance(released, engine.Released), (sql, released)
            floor = median_seconds(lambda sql=sql: con.execute(sql).fetchall())
            ours = median_seconds(lambda sql=sql: register.run(sql, policy))
            before = (
                median_seconds(lambda sql=sql: old.run(sql, old_policy, form="aggregate"))
                if old is not None
                else None
            )
            results.append(
                {
                    "sql": sql,
                    "duckdb_s": floor,
                    "engine_s": ours,
                    "previous_s": before,
                    "suppressed_cells": released.suppressed_cells,
                }
            )
            shown = f"{before:>12.3f}{before / floor:>7.1f}" if before else f"{'—':>12}{'—':>7}"
            print(f"{sql[:62]:<64}{floor:>10.3f}{ours:>10.3f}{ours / floor:>7.1f}{shown}")
        ratios = [r["engine_s"] / r["duckdb_s"] for r in results]
        dp = dp_comparison(
            parquet, Path(work), min(args.dp_rows, args.rows), args.dp_repeats, args.epsilon
        )
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        previous = [r["previous_s"] / r["duckdb_s"] for r in results if r["previous_s"]]
        print(
            f"median ratio engine / DuckDB: {statistics.median(ratios):.1f}×"
            + (f" (previous engine: {statistics.median(previous):.1f}×)" if previous else "")
            + f"; median engine {statistics.median(r['engine_s'] for r in results):.3f} s; "
            f"peak memory {peak:,.0f} MiB"
        )
    print(
        f"differential privacy, {dp['rows']:,} rows, ε = {dp['epsilon']} per query, "
        f"{dp['repeats']} runs: seconds and mean absolute error"
    )
    print(f"{'query':<52}{'pdao s':>9}{'MAE':>12}{'SmartNoise s':>14}{'MAE':>12}")
    for q in dp["queries"]:
        peer = (
            f"{q['smartnoise_s']:>14.3f}{q['smartnoise_mae']:>12.1f}"
            if "smartnoise_s" in q
            else f"{'—':>14}{'—':>12}"
        )
        print(f"{q['sql'][:50]:<52}{q['pdao_s']:>9.3f}{q['pdao_mae']:>12.1f}{peer}")
    if "smartnoise" in dp:
        print(dp["smartnoise"])
    else:
        print(f"SmartNoise reader setup (copy into SQLite): {dp['smartnoise_setup_s']:.1f} s")
    out = ROOT / "bench" / "results" / "zone.json"
    out.write_text(
        json.dumps(
            {
                "machine": machine,
                "rows": args.rows,
                "queries": results,
                "median_ratio": statistics.median(ratios),
                "previous_median_ratio": statistics.median(previous) if previous else None,
                "prepare_s": prepare_s,
                "peak_mib": peak,
                "dp": dp,
            },
            ensure_ascii=False,
            indent=2,
        )
    )
    print(f"written to {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
