"""Disclosure control in detail: what is suppressed and why, what cannot be recovered, the
budget, the lock-down of DuckDB itself, and de-identification."""

import dataclasses

import duckdb
import pytest

from pdao.zone import engine
from tests.zone.conftest import plain


def _run(policy, sql, form="aggregate"):
    result = engine.run(sql, policy, form=form)
    assert isinstance(result, engine.Released), result
    return result


def test_a_suppressed_group_cannot_be_recovered_from_the_total(zone_policy, zone_data):
    by_district = _run(zone_policy, "SELECT 区县, SUM(缴费基数) AS s FROM 社保 GROUP BY 区县")
    total = _run(zone_policy, "SELECT SUM(缴费基数) AS s FROM 社保").rows[0][0]
    rare = plain(zone_data, "SELECT SUM(缴费基数) FROM 社保 WHERE 区县 = '北部生态新区'")[0][0]
    released = sum(row[1] for row in by_district.rows)
    assert "北部生态新区" not in [row[0] for row in by_district.rows]
    assert any("次级抑制" in reason for reason in by_district.suppression)
    # total − released covers the rare person and a whole district: not the person alone.
    assert total - released != pytest.approx(rare)
    assert total - released > 1000 * 3000


def test_two_dimensional_margins_are_protected(zone_policy):
    result = _run(zone_policy, "SELECT 险种, 区县, COUNT(*) FROM 社保 GROUP BY 险种, 区县")
    for kind in ("养老", "医疗", "失业", "工伤"):
        shown = [row for row in result.rows if row[0] == kind]
        assert len(shown) <= 4, kind  # the rare district and at least one more are hidden


def test_cells_rest_on_k_units_counted_by_the_engine(zone_policy):
    result = _run(zone_policy, "SELECT 年龄, 区县, COUNT(*) FROM 社保 GROUP BY 年龄, 区县")
    counts = _run(zone_policy, "SELECT COUNT(DISTINCT 个人编号) FROM 社保").rows[0][0]
    assert counts == 5001
    assert result.rows and all(row[2] >= 12 * 10 for row in result.rows)


def test_differencing_against_released_history_is_refused(zone_policy):
    first = _run(zone_policy, "SELECT 区县, COUNT(*) FROM 社保 WHERE 年龄 >= 30 GROUP BY 区县")
    history = {}
    for table, measure, key, units in first.cells:
        history.setdefault((table, measure, key), []).append(units)
    policy = dataclasses.replace(zone_policy, history=history)
    pair = engine.run(
        "SELECT 区县, COUNT(*) FROM 社保 WHERE 年龄 >= 30 AND 个人编号 <> 'P000035' GROUP BY 区县",
        policy, form="aggregate",
    )  # fmt: skip
    assert isinstance(pair, engine.Refused) and pair.rule == "differencing.history"
    # A genuinely different question (a whole age band apart) is still answered.
    _run(policy, "SELECT 区县, COUNT(*) FROM 社保 WHERE 年龄 >= 40 GROUP BY 区县")


def test_dp_spends_the_budget_and_refuses_when_it_is_gone(zone_policy):
    result = _run(
        zone_policy, "SELECT 区县, COUNT(DISTINCT 个人编号) FROM 社保 GROUP BY 区县", "dp"
    )
    assert result.epsilon_spent == 1.0 and result.epsilon_left == 9.0
    assert len(result.rows) == 6  # every declared district, the empty or tiny ones too
    poor = dataclasses.replace(zone_policy, epsilon_left=0.4)
    refused = engine.run("SELECT COUNT(DISTINCT 个人编号) FROM 社保", poor, form="dp")
    assert isinstance(refused, engine.Refused) and refused.rule == "dp.budget"
    assert "0.4" in refused.message


def test_dp_answers_vary_but_centre_on_the_truth(zone_policy):
    answers = [
        _run(zone_policy, "SELECT COUNT(DISTINCT 个人编号) FROM 社保 WHERE 年龄 >= 40", "dp").rows[
            0
        ][0]
        for _ in range(20)
    ]
    truth = 25 * 5001 // 45  # ages 40..64 of 20..64, about
    assert len(set(answers)) > 1
    assert abs(sum(answers) / len(answers) - truth) < 60


def test_the_connection_itself_refuses_files_and_settings(zone_policy):
    con = engine._connect(zone_policy, {"社保"})
    try:
        for sql in (
            "SELECT * FROM read_csv('/etc/passwd')",
            "SET threads = 8",
            "ATTACH '/tmp/pdao-zone-test.duckdb'",
            "COPY (SELECT 1) TO '/tmp/x.csv'",
        ):
            with pytest.raises(duckdb.Error):
                con.execute(sql)
        assert con.execute("SELECT COUNT(*) FROM 社保").fetchone()[0] == 5001 * 12
        # The view exposes authorized columns only.
        columns = [d[0] for d in con.execute("SELECT * FROM 社保 LIMIT 0").description]
        assert "身份证号" not in columns
    finally:
        con.close()


def test_execution_errors_never_quote_values(zone_policy):
    result = engine.run("SELECT COUNT(*) FROM 社保 WHERE CAST(个人编号 AS INTEGER) > 0",
                        zone_policy, form="aggregate")  # fmt: skip
    assert isinstance(result, engine.Refused) and result.rule == "sql.execution"
    assert "P0" not in result.message and "Conversion" in result.message


def test_star_expands_to_authorized_columns_only(zone_policy):
    result = _run(zone_policy, "SELECT * FROM 社保 LIMIT 50", "deidentified")
    assert "身份证号" not in result.columns


def test_deidentified_records_are_pseudonymised_generalised_and_k_anonymous(zone_policy):
    sql = "SELECT 个人编号, 区县, 缴费月份, 年龄, 险种 FROM 社保 WHERE 缴费月份 = DATE '2024-03-01'"
    result = _run(zone_policy, sql, "deidentified")
    ids = {row[0] for row in result.rows}
    assert ids and all(len(i) == 16 and not i.startswith("P0") for i in ids)
    assert {row[2] for row in result.rows} == {"2024-03"}
    assert all("–" in row[3] for row in result.rows)  # ages as bands of ten
    assert "北部生态新区" not in {row[1] for row in result.rows}  # a class of one, dropped
    assert any("k-匿名" in reason for reason in result.suppression)
    other_key = dataclasses.replace(zone_policy, pseudonym_key=b"another-authorization")
    again = _run(other_key, sql, "deidentified")
    assert ids.isdisjoint({row[0] for row in again.rows})
    assert ids == {row[0] for row in _run(zone_policy, sql, "deidentified").rows}


def test_synthetic_sample_has_the_shape_but_no_real_value(zone_policy, zone_data):
    from pdao.zone import sample

    table = zone_policy.tables["社保"]
    columns = list(table.columns)
    fake = sample.rows(table, columns, count=1000, seed=7)
    assert len(fake) == 1000 and all(len(r) == len(columns) for r in fake)
    real_ids = {r[0] for r in plain(zone_data, "SELECT DISTINCT 个人编号 FROM 社保")}
    ids = {r[columns.index("个人编号")] for r in fake}
    assert ids.isdisjoint(real_ids)
    assert {r[columns.index("区县")] for r in fake} <= set(table.categories["区县"])
    bases = [r[columns.index("缴费基数")] for r in fake]
    assert min(bases) >= 0 and max(bases) <= 30_000
    real_rows = {tuple(map(str, r)) for r in plain(zone_data, "SELECT 个人编号, 区县 FROM 社保")}
    assert not {(str(r[0]), str(r[1])) for r in fake} & real_rows


def test_dp_quantiles_come_from_the_candidates_near_the_truth(zone_policy, zone_data):
    sql = "SELECT 区县, MEDIAN(缴费基数) AS m FROM 社保 GROUP BY 区县"
    result = _run(zone_policy, sql, "dp")
    truth = dict(plain(zone_data, "SELECT 区县, MEDIAN(缴费基数) FROM 社保 GROUP BY 区县"))
    step = 30_000 / 199
    for district, median in result.rows:
        if district in ("城中区", "柳江区"):
            assert abs(median - truth[district]) < 4 * step
    assert result.epsilon_spent == 1.0
    bad = engine.run("SELECT QUANTILE_CONT(缴费基数, 1.5) FROM 社保", zone_policy, form="dp")
    assert isinstance(bad, engine.Refused) and bad.rule == "dp.quantile"


@pytest.fixture(scope="module")
def scores(tmp_path_factory, zone_data):
    """A model the operator built in the zone: a score per enterprise (a derived dataset)."""
    path = tmp_path_factory.mktemp("derived") / "scores.parquet"
    con = duckdb.connect()
    con.execute(f"""COPY (SELECT 信用代码, 行业, ROUND(营业收入 / 1e5 + 员工数, 1) AS 活力评分,
                                 CASE WHEN 员工数 > 50 THEN 'A' ELSE 'B' END AS 等级
                          FROM read_parquet('{zone_data["ent"]}')) TO '{path}' (FORMAT PARQUET)""")
    con.close()
    return path


@pytest.fixture
def model_policy(zone_policy, scores):
    model = frozenset({"aggregate", "model"})
    table = engine.TablePolicy(
        path=str(scores),
        columns={"信用代码": model, "行业": model, "活力评分": model, "等级": model},
        types={"信用代码": "VARCHAR", "行业": "VARCHAR", "活力评分": "DOUBLE", "等级": "VARCHAR"},
        privacy_unit="信用代码",
        identifiers=frozenset({"信用代码"}),
        derived=True,
    )
    return dataclasses.replace(zone_policy, tables={**zone_policy.tables, "企业评分": table})


def test_model_output_answers_for_the_one_object_named(model_policy):
    result = _run(
        model_policy, "SELECT 活力评分, 等级 FROM 企业评分 WHERE 信用代码 = 'E0042'", "model"
    )
    assert result.columns == ["活力评分", "等级"] and result.rows == [
        [53.4, "A"]
    ]  # 142,000 / 1e5 + 52 staff


@pytest.mark.parametrize(
    ("sql", "rule"),
    [
        ("SELECT 活力评分 FROM 企业评分 WHERE 行业 = '制造业'", "model.one_object"),
        ("SELECT 活力评分 FROM 企业评分", "model.one_object"),
        ("SELECT 活力评分 FROM 企业评分 WHERE 信用代码 = 'E1' OR 1 = 1", "model.one_object"),
        ("SELECT 信用代码, 活力评分 FROM 企业评分 WHERE 信用代码 = 'E0042'", "model.identifier"),
        ("SELECT AVG(活力评分) FROM 企业评分 WHERE 信用代码 = 'E0042'", "function.aggregate"),
        ("SELECT 活力评分 * 2 FROM 企业评分 WHERE 信用代码 = 'E0042'", "shape.unsupported"),
        ("SELECT 缴费基数 FROM 社保 WHERE 个人编号 = 'P000042'", "model.not_derived"),
        ("SELECT 营业收入 FROM 企业 WHERE 信用代码 = 'E0042'", "columns.form_not_allowed"),
    ],
)
def test_model_output_is_not_a_way_to_list_records(model_policy, sql, rule):
    result = engine.run(sql, model_policy, form="model")
    assert isinstance(result, engine.Refused) and result.rule == rule, result


def test_model_output_refuses_answers_covering_many_rows(model_policy):
    table = model_policy.tables["企业评分"]
    loose = dataclasses.replace(table, privacy_unit="等级")  # a "unit" shared by many rows
    policy = dataclasses.replace(model_policy, tables={**model_policy.tables, "企业评分": loose})
    result = engine.run("SELECT 活力评分 FROM 企业评分 WHERE 等级 = 'A'", policy, form="model")
    assert isinstance(result, engine.Refused) and result.rule == "model.too_many"
