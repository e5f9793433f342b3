from datetime import datetime, timedelta

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from faker import Faker

from pdao.catalogue import quality
from pdao.catalogue.quality import Rule


@pytest.fixture
def parquet(tmp_path):
    fake = Faker("zh_CN")
    fake.seed_instance(5)
    ids = [fake.ssn() for _ in range(8)] + ["123456789012345678", None]
    table = pa.table(
        {
            "编号": ["A1", "A2", "A3", "A3", "A5", "A6", "A7", "A8", "A9", "A10"],
            "身份证号": ids,
            "年龄": [20, 30, 40, 50, 60, 70, 80, 90, 130, -1],
            "区县": ["城中区"] * 9 + ["火星区"],
            "企业代码": ["C1", "C2", "C3", "C9", None, "C1", "C2", "C3", "C1", "C2"],
        }
    )
    path = tmp_path / "v.parquet"
    pq.write_table(table, path)
    reference = tmp_path / "ref.parquet"
    pq.write_table(pa.table({"代码": ["C1", "C2", "C3"]}), reference)
    return path, reference


def _one(path, rule):
    _score, [outcome] = quality.evaluate(path, [rule])
    return outcome


def test_completeness_counts_missing_values(parquet):
    outcome = _one(parquet[0], Rule("completeness", ("身份证号",)))
    assert (outcome.failed, outcome.share, outcome.passed) == (1, 0.9, False)


def test_uniqueness_counts_rows_in_duplicated_keys(parquet):
    assert _one(parquet[0], Rule("uniqueness", ("编号",))).failed == 2


def test_validity_by_check_digit_pattern_and_choices(parquet):
    assert (
        _one(parquet[0], Rule("validity", ("身份证号",), params={"check": "resident_id"})).failed
        == 1
    )
    assert _one(parquet[0], Rule("validity", ("编号",), params={"pattern": r"A\d"})).failed == 1
    choices = {"choices": ["城中区", "鱼峰区"]}
    assert _one(parquet[0], Rule("validity", ("区县",), params=choices)).failed == 1


def test_range_counts_values_outside_bounds(parquet):
    assert _one(parquet[0], Rule("range", ("年龄",), params={"min": 0, "max": 120})).failed == 2


def test_referential_counts_values_missing_from_the_reference(parquet):
    path, reference = parquet
    rule = Rule(
        "referential", ("企业代码",), params={"reference": str(reference), "ref_column": "代码"}
    )
    assert _one(path, rule).failed == 1


def test_threshold_decides_pass_and_score_is_the_mean_share(parquet):
    rules = [Rule("completeness", ("身份证号",), threshold=0.9), Rule("uniqueness", ("编号",))]
    score, outcomes = quality.evaluate(parquet[0], rules)
    assert [o.passed for o in outcomes] == [True, False]
    assert score == 85.0


def test_timeliness_against_declared_frequency():
    now = datetime(2026, 11, 26)
    assert quality.timeliness("daily", now - timedelta(days=1), now) == (True, 1)
    assert quality.timeliness("monthly", now - timedelta(days=40), now) == (False, 40)
    assert quality.timeliness("irregular", now - timedelta(days=400), now) == (True, 400)
    assert quality.timeliness("daily", None, now) == (False, -1)
