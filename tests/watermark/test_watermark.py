"""The watermark's contract (issue #7): keyed, within tolerance, and traceable from a small,
shuffled, trimmed, round-tripped leak — without accusing anyone on an unmarked file."""

import io
import random

import openpyxl
import pyarrow as pa
import pyarrow.csv as pacsv
import pytest

from pdao.watermark import DEFAULT_STEP, WatermarkError, embed, mark_id, trace

KEY = bytes(range(32))
CANDIDATES = [f"LZ-SUB-{i:05d}" for i in range(1000)]
TRUE = CANDIDATES[417]


def records(n: int = 20_000, seed: int = 7) -> pa.Table:
    """Synthetic record-level delivery: a pseudonym, amounts in fen, an integer, a category."""
    rng = random.Random(seed)
    return pa.table(
        {
            "人员标识": [f"P{rng.getrandbits(64):016x}" for _ in range(n)],
            "缴费金额": [round(rng.uniform(200, 3000), 2) for _ in range(n)],
            "缴费基数": [round(rng.uniform(3000, 20000), 2) for _ in range(n)],
            "个人缴费": [round(rng.uniform(50, 900), 2) for _ in range(n)],
            "年龄段": [rng.randrange(18, 70) for _ in range(n)],
            "险种": [rng.choice(["养老", "医疗", "失业"]) for _ in range(n)],
        }
    )


def leak(table: pa.Table, rows: int, seed: int) -> pa.Table:
    rng = random.Random(seed)
    picked = rng.sample(range(table.num_rows), rows)  # a subset, in shuffled order
    return table.take(pa.array(picked))


def csv_round_trip(table: pa.Table) -> pa.Table:
    buffer = io.BytesIO()
    pacsv.write_csv(table, buffer)
    return pacsv.read_csv(io.BytesIO(buffer.getvalue()))


def excel_round_trip(table: pa.Table) -> pa.Table:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(table.column_names)
    for row in zip(*(table.column(c).to_pylist() for c in table.column_names), strict=True):
        sheet.append(list(row))
    buffer = io.BytesIO()
    book.save(buffer)
    sheet = openpyxl.load_workbook(io.BytesIO(buffer.getvalue()), read_only=True).active
    rows = list(sheet.iter_rows(values_only=True))
    return pa.table({name: [r[i] for r in rows[1:]] for i, name in enumerate(rows[0])})


@pytest.fixture(scope="module")
def original():
    return records()


@pytest.fixture(scope="module")
def delivered(original):
    return embed(original, key=KEY, recipient=TRUE, key_column="人员标识")


def test_embed_changes_values_only_within_tolerance(original, delivered):
    assert delivered.schema == original.schema
    assert delivered.column("人员标识") == original.column("人员标识")
    assert delivered.column("年龄段") == original.column("年龄段")  # integers: not declared
    assert delivered.column("险种") == original.column("险种")
    changed = 0
    for name in ("缴费金额", "缴费基数", "个人缴费"):
        pairs = zip(original[name].to_pylist(), delivered[name].to_pylist(), strict=True)
        for a, b in pairs:
            assert abs(a - b) <= DEFAULT_STEP + 1e-9
            assert round(b, 2) == b  # still in fen
            changed += a != b
    assert 0.4 < changed / (3 * original.num_rows) < 0.6  # about half the cells move one fen


def test_embed_respects_declared_integer_and_float_tolerances(original):
    marked = embed(
        original,
        key=KEY,
        recipient=TRUE,
        key_column="人员标识",
        tolerances={"年龄段": 1, "缴费基数": 0.5},
    )
    ages = zip(original["年龄段"].to_pylist(), marked["年龄段"].to_pylist(), strict=True)
    assert all(abs(a - b) <= 1 and isinstance(b, int) for a, b in ages)
    bases = zip(original["缴费基数"].to_pylist(), marked["缴费基数"].to_pylist(), strict=True)
    assert all(abs(a - b) <= 0.5 + 1e-9 for a, b in bases)
    assert marked.column("缴费金额") == original.column("缴费金额")  # not declared: untouched


def test_mark_is_keyed_and_recipient_specific(original, delivered):
    other = embed(original, key=KEY, recipient=CANDIDATES[0], key_column="人员标识")
    other_key = embed(original, key=b"x" * 32, recipient=TRUE, key_column="人员标识")
    assert other.column("缴费金额") != delivered.column("缴费金额")
    assert other_key.column("缴费金额") != delivered.column("缴费金额")
    assert embed(original, key=KEY, recipient=TRUE, key_column="人员标识") == delivered
    assert mark_id(KEY, TRUE) != mark_id(KEY, CANDIDATES[0])


@pytest.mark.parametrize("round_trip", [csv_round_trip, excel_round_trip], ids=["csv", "excel"])
def test_trace_names_the_recipient_of_a_small_trimmed_leak(delivered, round_trip):
    copy = leak(delivered, 200, seed=1).drop_columns(["缴费基数"])  # 1%, shuffled, one dropped
    copy = copy.rename_columns(["id" if c == "人员标识" else c for c in copy.column_names])
    copy = round_trip(copy)

    suspects = trace(copy, key=KEY, candidates=CANDIDATES, key_column="id")

    assert suspects[0].recipient == TRUE
    assert suspects[0].p_value < 1e-6
    assert suspects[0].rows == 200
    assert suspects[1].p_value > 0.01


def test_trace_finds_the_mark_in_renamed_columns(delivered):
    copy = leak(delivered, 200, seed=2).rename_columns(["人员标识", "a", "b", "c", "d", "e"])
    suspects = trace(copy, key=KEY, candidates=CANDIDATES, key_column="人员标识")
    assert suspects[0].recipient == TRUE
    assert suspects[0].p_value < 1e-6


def test_unmarked_file_accuses_nobody(original):
    copy = csv_round_trip(leak(original, 200, seed=3))
    suspects = trace(copy, key=KEY, candidates=CANDIDATES, key_column="人员标识")
    assert suspects[0].p_value >= 0.01


def test_another_recipients_copy_does_not_accuse_the_candidates(original):
    outsider = embed(original, key=KEY, recipient="not-a-candidate", key_column="人员标识")
    copy = leak(outsider, 1000, seed=4)
    suspects = trace(copy, key=KEY, candidates=CANDIDATES, key_column="人员标识")
    assert suspects[0].p_value >= 0.01


def test_two_colluders_mixing_rows_are_both_named(original):
    a, b = CANDIDATES[10], CANDIDATES[20]
    mixed = pa.concat_tables(
        [
            leak(embed(original, key=KEY, recipient=a, key_column="人员标识"), 300, seed=5),
            leak(embed(original, key=KEY, recipient=b, key_column="人员标识"), 300, seed=6),
        ]
    )
    suspects = trace(mixed, key=KEY, candidates=CANDIDATES, key_column="人员标识")
    assert {s.recipient for s in suspects[:2]} == {a, b}
    assert all(s.p_value < 1e-6 for s in suspects[:2])


def test_trace_refuses_a_file_without_the_key_or_numbers(delivered):
    unkeyed = delivered.drop_columns(["人员标识"])
    with pytest.raises(WatermarkError, match="key column"):
        trace(unkeyed, key=KEY, candidates=[TRUE], key_column="人员标识")
    textual = delivered.select(["人员标识", "险种"])
    with pytest.raises(WatermarkError, match="numeric"):
        trace(textual, key=KEY, candidates=[TRUE], key_column="人员标识")


def test_detection_rate_by_leak_size(delivered, capsys):
    """Prints the share of leaks (20 per size) whose true recipient ranks first among 1,000
    with p < 1e-6 — clean copies, and copies where the leaker re-rounded 30% of the amounts
    to the yuan (an attack that erases those rows' mark)."""
    sizes = [10, 20, 50, 100, 200, 500, 1000]
    lines = []
    for attacked in (False, True):
        for size in sizes:
            hits = 0
            for trial in range(20):
                copy = leak(delivered, size, seed=1000 + trial).drop_columns(["缴费基数"])
                if attacked:
                    rng = random.Random(trial)
                    amounts = copy.column(1).to_pylist()
                    amounts = [round(v) if rng.random() < 0.3 else v for v in amounts]
                    copy = copy.set_column(1, "缴费金额", pa.array(amounts))
                top = trace(copy, key=KEY, candidates=CANDIDATES, key_column="人员标识")[0]
                hits += top.recipient == TRUE and top.p_value < 1e-6
            lines.append((attacked, size, hits / 20))
    with capsys.disabled():
        print("\nwatermark detection rate (true recipient first of 1,000, p < 1e-6):")
        for attacked, size, rate in lines:
            print(f"  {'re-rounded 30%' if attacked else 'clean':>14}  {size:>5} rows  {rate:6.0%}")
    rates = {(a, s): r for a, s, r in lines}
    assert rates[(False, 200)] == 1.0 and rates[(False, 1000)] == 1.0
    assert rates[(False, 10)] == 0.0  # 2^-10 · 1,000 candidates cannot reach 1e-6


def test_bit_columns_transpose_the_row_hashes():
    """Bit r of column j is bit j of row r's hash (a missing row is all zeros), for any
    number of rows — the transposition tracing relies on."""
    import random

    from pdao.watermark import _bit_columns

    rng = random.Random(7)
    for n in (0, 1, 9, 1000):
        hashes = [None if rng.random() < 0.1 else rng.getrandbits(128) for _ in range(n)]
        columns = _bit_columns(hashes)
        assert len(columns) == 128
        for r, h in enumerate(hashes):
            for j in range(128):
                assert (columns[j] >> r) & 1 == ((h or 0) >> j) & 1


def test_a_table_whose_numbers_carry_no_readable_mark_is_refused_not_crashed():
    """Integers at the 0.01 step are all even: no reading carries a mark (found by a hostile
    leak upload, which got a 500)."""
    import pyarrow as pa

    from pdao import watermark

    table = pa.table({"个人编号": [f"P{i}" for i in range(50)], "金额": list(range(50))})
    with pytest.raises(watermark.WatermarkError, match="readable mark"):
        watermark.trace(table, key=b"k" * 32, candidates=["A"], key_column="个人编号",
                        tolerances={"缴费基数": 0.01})  # fmt: skip
