"""Ledger benchmark: pdao.ledger against pymerkle 7 on the same entries, in one run.

    make bench            # or: .venv/bin/python bench/ledger.py [--max-size 1000000]

1. In memory, at 10^3 … 10^6 entries: build rate, then inclusion and consistency proof
   generation and verification (mean over random queries) and proof sizes. The two trees'
   roots must be equal at every size (both hash as RFC 9162), or the run stops.
2. Durable, on SQLite files: appends one by one (each its own committed transaction) and in
   one batch — pdao through Django (anchor + sequence, the production path) against
   pymerkle's SqliteTree — and proofs read back from the stored trees.

Prints a table with pdao's speed-up over pymerkle (above 1: pdao is faster; for proof
sizes, above 1: pdao's proofs are smaller) and writes bench/results/ledger.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import resource
import sys
import tempfile
import time
from pathlib import Path
from statistics import mean

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import pymerkle  # noqa: E402

from pdao.ledger import merkle  # noqa: E402

QUERIES = 200


def entries(n: int) -> list[bytes]:
    return [f"pdao-bench-entry-{i:08d}".encode() for i in range(n)]


def timed(fn, *args):
    start = time.perf_counter()
    result = fn(*args)
    return result, time.perf_counter() - start


def per_call_us(fn, calls) -> float:
    start = time.perf_counter()
    for args in calls:
        fn(*args)
    return (time.perf_counter() - start) / len(calls) * 1e6


def in_memory(size: int, rng: random.Random) -> dict:
    data = entries(size)

    def build_ours():
        tree = merkle.Tree(merkle.MemoryNodeStore())
        tree.extend(merkle.leaf_hash(e) for e in data)
        return tree

    def build_peer():
        tree = pymerkle.InmemoryTree()
        for e in data:
            tree.append_entry(e)
        return tree

    ours, ours_build = timed(build_ours)
    peer, peer_build = timed(build_peer)
    if ours.root() != peer.get_root():
        raise SystemExit(f"roots differ at size {size}: the benchmark compares different trees")

    indices = [rng.randrange(size) for _ in range(QUERIES)]
    olds = [rng.randint(1, size) for _ in range(QUERIES)]
    root = ours.root()

    our_incl = [ours.inclusion_proof(i, size) for i in indices]
    peer_incl = [peer.prove_inclusion(i + 1, size) for i in indices]
    our_cons = [ours.consistency_proof(o, size) for o in olds]
    peer_cons = [peer.prove_consistency(o, size) for o in olds]
    old_roots = {o: ours.root(o) for o in olds}

    return {
        "size": size,
        "build_per_s": {"pdao": size / ours_build, "pymerkle": size / peer_build},
        "inclusion_gen_us": {
            "pdao": per_call_us(ours.inclusion_proof, [(i, size) for i in indices]),
            "pymerkle": per_call_us(peer.prove_inclusion, [(i + 1, size) for i in indices]),
        },
        "inclusion_verify_us": {
            "pdao": per_call_us(
                merkle.verify_inclusion,
                [(ours.leaf(i), i, size, p, root) for i, p in zip(indices, our_incl, strict=True)],
            ),
            "pymerkle": per_call_us(
                pymerkle.verify_inclusion,
                [(peer.get_leaf(i + 1), root, p) for i, p in zip(indices, peer_incl, strict=True)],
            ),
        },
        "inclusion_proof_bytes": {
            "pdao": mean(len(p) * 32 for p in our_incl),
            "pymerkle": mean(len(p.serialize()["path"]) * 32 for p in peer_incl),
        },
        "consistency_gen_us": {
            "pdao": per_call_us(ours.consistency_proof, [(o, size) for o in olds]),
            "pymerkle": per_call_us(peer.prove_consistency, [(o, size) for o in olds]),
        },
        "consistency_verify_us": {
            "pdao": per_call_us(
                merkle.verify_consistency,
                [(o, size, old_roots[o], root, p) for o, p in zip(olds, our_cons, strict=True)],
            ),
            "pymerkle": per_call_us(
                pymerkle.verify_consistency,
                [(old_roots[o], root, p) for o, p in zip(olds, peer_cons, strict=True)],
            ),
        },
        "consistency_proof_bytes": {
            "pdao": mean(len(p) * 32 for p in our_cons),
            "pymerkle": mean(len(p.serialize()["path"]) * 32 for p in peer_cons),
        },
    }


def durable(one_by_one: int, batch: int, workdir: Path, rng: random.Random) -> dict:
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "pdao.settings",
            "PDAO_SECRET_KEY": "bench-only-" + "x" * 40,
            "DATABASE_URL": f"sqlite:///{workdir / 'pdao.sqlite3'}",
            "PDAO_DATA_DIR": str(workdir / "data"),
            "PDAO_DEBUG": "false",
            "PDAO_DEMO": "false",
            "PDAO_LEDGER_CHECKPOINT_SECONDS": "3600",
        }
    )
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import transaction

    from pdao.ledger import services

    call_command("migrate", verbosity=0)
    hashes = [f"{i:064x}" for i in range(one_by_one + batch)]

    def ours_one_by_one():
        for h in hashes[:one_by_one]:
            with transaction.atomic():
                services.anchor("bench.fact", content_hash=h, by=None)
            services.sequence_pending()

    def ours_batch():
        with transaction.atomic():
            facts = [services.Fact("bench.fact", h) for h in hashes[one_by_one:]]
            services.anchor_many(facts, by=None)
        services.sequence_pending()

    peer = pymerkle.SqliteTree(str(workdir / "pymerkle.sqlite3"))
    data = entries(one_by_one + batch)

    def peer_one_by_one():
        for e in data[:one_by_one]:
            peer.append_entry(e)

    def peer_batch():
        peer.append_entries(data[one_by_one:])

    _r, t_ours_one = timed(ours_one_by_one)
    _r, t_ours_batch = timed(ours_batch)
    _r, t_peer_one = timed(peer_one_by_one)
    _r, t_peer_batch = timed(peer_batch)

    size = one_by_one + batch
    tree = services.tree()
    indices = [rng.randrange(size) for _ in range(QUERIES)]
    return {
        "entries": size,
        "append_one_by_one_per_s": {
            "pdao": one_by_one / t_ours_one,
            "pymerkle": one_by_one / t_peer_one,
        },
        "append_batched_per_s": {"pdao": batch / t_ours_batch, "pymerkle": batch / t_peer_batch},
        "stored_inclusion_gen_us": {
            "pdao": per_call_us(tree.inclusion_proof, [(i, size) for i in indices]),
            "pymerkle": per_call_us(peer.prove_inclusion, [(i + 1, size) for i in indices]),
        },
        "stored_consistency_gen_us": {
            "pdao": per_call_us(
                tree.consistency_proof, [(rng.randint(1, size), size) for _ in range(QUERIES)]
            ),
            "pymerkle": per_call_us(
                peer.prove_consistency, [(rng.randint(1, size), size) for _ in range(QUERIES)]
            ),
        },
        "sqlite": "pdao: Django, WAL, synchronous=NORMAL; pymerkle: sqlite3 defaults",
    }


def ratio(metric: str, pair: dict) -> str:
    """pdao's advantage: above 1 is better for pdao, whatever the metric's unit."""
    higher_is_better = metric.endswith("_per_s")
    a, b = (
        (pair["pdao"], pair["pymerkle"]) if higher_is_better else (pair["pymerkle"], pair["pdao"])
    )
    return f"{a / b:.2f}" if b else "-"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--max-size", type=int, default=1_000_000)
    parser.add_argument("--durable-one-by-one", type=int, default=2_000)
    parser.add_argument("--durable-batch", type=int, default=20_000)
    args = parser.parse_args()
    rng = random.Random(2026)  # noqa: S311 — reproducible query positions, not secrets

    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    print(f"pdao.ledger vs pymerkle {pymerkle.__version__} — {machine}")
    results = {"machine": machine, "pymerkle": pymerkle.__version__, "in_memory": []}
    header = f"{'metric':<26}{'size':>9}{'pdao':>14}{'pymerkle':>14}{'pdao ×':>8}"
    print(header)
    print("-" * len(header))
    size = 1000
    while size <= args.max_size:
        row = in_memory(size, rng)
        results["in_memory"].append(row)
        for metric, pair in row.items():
            if metric != "size":
                print(
                    f"{metric:<26}{size:>9}{pair['pdao']:>14,.1f}"
                    f"{pair['pymerkle']:>14,.1f}{ratio(metric, pair):>8}"
                )
        size *= 10

    with tempfile.TemporaryDirectory(prefix="pdao-bench-ledger-") as workdir:
        row = durable(args.durable_one_by_one, args.durable_batch, Path(workdir), rng)
    results["durable"] = row
    print(f"\ndurable on SQLite files ({row['entries']:,} entries; {row['sqlite']})")
    for metric, pair in row.items():
        if isinstance(pair, dict):
            figures = f"{pair['pdao']:>14,.1f}{pair['pymerkle']:>14,.1f}"
            print(f"{metric:<26}{'':>9}{figures}{ratio(metric, pair):>8}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    results["peak_rss_mib"] = peak
    print(f"\npeak memory (both libraries, one process): {peak:,.0f} MiB")
    out = ROOT / "bench" / "results" / "ledger.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2))
    print(f"written to {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
