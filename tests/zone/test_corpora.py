"""The two corpora the zone is judged by: tests/zone/attacks.sql (each attempt refused with the
rule it names, or made harmless) and tests/zone/allowed.sql (real analytical queries whose
released results equal plain DuckDB's, within the stated noise for DP)."""

import math
import re
from datetime import date, datetime
from pathlib import Path

import pytest

from pdao.zone import engine
from tests.zone.conftest import plain

HERE = Path(__file__).parent


def _cases(name: str) -> list[list[str]]:
    lines = (HERE / name).read_text(encoding="utf-8").splitlines()
    return [[part.strip() for part in line.split(" | ")] for line in lines
            if line.strip() and not line.startswith("--")]  # fmt: skip


ATTACKS = _cases("attacks.sql")
ALLOWED = _cases("allowed.sql")


def test_the_corpora_are_as_large_as_promised():
    assert len(ATTACKS) >= 60 and len(ALLOWED) >= 40


@pytest.mark.parametrize("expected, form, sql", ATTACKS, ids=[a[2][:60] for a in ATTACKS])
def test_attack_is_refused_or_made_harmless(expected, form, sql, zone_policy):
    result = engine.run(sql, zone_policy, form=form)
    if expected == "released":
        assert isinstance(result, engine.Released), result
        return
    if expected == "suppressed":
        assert isinstance(result, engine.Released), result
        assert all(v is None for row in result.rows for v in row[-1:]) or result.rows == []
        assert result.suppressed_cells > 0
        return
    if expected == "dominance":
        assert isinstance(result, engine.Released), result
        assert any("优势规则" in r or "p% 规则" in r for r in result.suppression)
        return
    assert isinstance(result, engine.Refused), (sql, result)
    assert result.rule.startswith(expected) if expected.endswith(".") else result.rule == expected
    # A refusal names the rule and never echoes data: no value of the data appears in it.
    for secret in ("P000042", "4502", "1000000000", "柳州合成企业"):
        assert secret not in result.message or secret in sql


def _close(a, b) -> bool:
    if isinstance(b, date | datetime):  # the engine releases dates as ISO text
        b = b.isoformat()
    if isinstance(a, float) or isinstance(b, float):
        return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-6)
    return str(a) == str(b)


@pytest.mark.parametrize("case", ALLOWED, ids=[c[1][:60] for c in ALLOWED])
def test_allowed_query_matches_plain_duckdb(case, zone_policy, zone_data):
    form, sql, *reference = case
    result = engine.run(sql, zone_policy, form=form)
    assert isinstance(result, engine.Released), (sql, result)
    # LIMIT after ties is arbitrary: compare with every row the unlimited query gives.
    truth = plain(zone_data, re.sub(r"\s+LIMIT\s+\d+$", "", reference[0] if reference else sql))
    assert result.rows, sql
    if form == "aggregate":
        expected = [list(row) for row in truth]
        for row in result.rows:
            assert any(all(_close(a, b) for a, b in zip(row, ref, strict=True))
                       for ref in expected), (sql, row)  # fmt: skip
        # Only groups of fewer than k units, and what secondary suppression adds to protect
        # them, may be missing; each is accounted for.
        missing = len(expected) - len(result.rows)
        assert missing <= len(result.suppression) or "LIMIT" in sql, sql
        return
    # DP: every released number within 8 noise scales of the truth (a miss ~ 1 in 1,500).
    by_key = {tuple(str(v) for v in row[:-1]): row[-1] for row in truth}
    for row in result.rows:
        key = tuple(str(v) for v in row[:-1])
        if "北部生态新区" in key:  # a group of one person: noise dominates it, as it must
            continue
        if key not in by_key:
            assert row[-1] is not None and abs(row[-1]) < 50, (sql, row)  # an empty group
            continue
        true_value = by_key[key]
        assert abs(row[-1] - true_value) <= max(0.05 * abs(true_value), 60), (sql, row, true_value)
