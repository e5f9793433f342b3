"""Without a declared tolerance, a column is marked within its own precision and never by more
than 1% of a value: a rate of 0.0347 moves by 0.0001 at most (it used to become 0.03 or 0.04),
a rate of 0.0003 stays as it is, whole numbers are untouched, and the trace still names the
recipient."""

import random

import pyarrow as pa

from pdao.watermark import MAX_RELATIVE, embed, own_step, trace

KEY = b"k" * 32


def table(n=600, seed=3):
    rng = random.Random(seed)
    return pa.table({
        "id": [f"r{i}" for i in range(n)],
        "rate": [round(rng.uniform(0.02, 0.05), 4) for _ in range(n)],
        "tiny": [round(rng.uniform(0.0001, 0.0009), 4) for _ in range(n)],
        "amount": [round(rng.uniform(100, 9000), 2) for _ in range(n)],
        "people": [float(rng.randint(1, 40)) for _ in range(n)],
    })  # fmt: skip


def test_own_step_is_the_last_decimal_place_carried():
    assert own_step([0.0347, 0.12, None]) == 0.0001
    assert own_step([12.5, 3.25]) == 0.01
    assert own_step([3.0, 40.0]) is None
    assert own_step([0.1 + 0.2]) == 1e-6  # a float artefact: at most six places


def test_small_values_move_within_their_precision_and_one_percent():
    original = table()
    marked = embed(original, key=KEY, recipient="alice", key_column="id")
    for name in ("rate", "tiny", "amount", "people"):
        before, after = original.column(name).to_pylist(), marked.column(name).to_pylist()
        for a, b in zip(before, after, strict=True):
            assert abs(a - b) <= MAX_RELATIVE * abs(a) + 1e-12, (name, a, b)
    rate = zip(original.column("rate").to_pylist(), marked.column("rate").to_pylist(), strict=True)
    assert all(abs(a - b) <= 0.0001 + 1e-12 and round(b, 4) == b for a, b in rate)
    assert (
        sum(
            a != b
            for a, b in zip(
                original.column("rate").to_pylist(), marked.column("rate").to_pylist(), strict=True
            )
        )
        > 200
    )
    assert marked.column("tiny") == original.column("tiny")  # 0.0001 is over 1% of them
    assert marked.column("people") == original.column("people")  # whole numbers


def test_the_trace_still_names_the_recipient_from_a_small_valued_leak():
    marked = embed(table(), key=KEY, recipient="alice", key_column="id")
    leak = marked.select(["id", "rate", "tiny"]).slice(50, 150)
    as_text = pa.table({n: [str(v) for v in leak.column(n).to_pylist()] for n in leak.column_names})
    best = trace(as_text, key=KEY, candidates=["bob", "alice", "carol"], key_column="id")[0]
    assert best.recipient == "alice" and best.p_value < 1e-9
