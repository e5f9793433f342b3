"""The zone inside the platform: queries asked of the access decision, recorded and audited,
the budget debited, suspension effective at the next query, and the command line."""

import json

import pytest
from django.core.management import call_command
from django.urls import reverse

from pdao.audit.models import AuditEvent
from pdao.authorization import services as authz
from pdao.core.rules import RuleViolation
from pdao.zone import policy, services
from pdao.zone.models import ZoneQuery
from tests.authorization.conftest import verified_operator
from tests.zone.conftest import DISTRICTS_SS as DISTRICTS

SQL = (
    "SELECT 区县, COUNT(DISTINCT 身份证号) AS 人数, SUM(缴费金额) AS 金额 "
    "FROM 社保缴纳记录 GROUP BY 区县"
)


def test_released_query_is_recorded_and_audited(city, live):
    query = services.run_query(live, by=city.operator, sql=SQL, form="aggregate")
    assert query.decision == "released" and query.rows_released == 5
    assert sorted(r[0] for r in query.result["rows"]) == sorted(DISTRICTS)
    assert all(abs(r[1] - 600) <= 4 for r in query.result["rows"])  # perturbed by the cell key
    assert query.rows_scanned == 3000 * 4 and query.seconds > 0 and query.finished_at
    start = AuditEvent.objects.get(action="zone.query.start", object_id=str(query.pk))
    event = AuditEvent.objects.get(action="zone.query", object_id=str(query.pk))
    assert start.pk < event.pk and start.changes["tables"] == ["社保缴纳记录"]
    assert event.changes["decision"] == "released" and event.changes["tables"] == ["社保缴纳记录"]


def test_refusal_is_recorded_without_values(city, live):
    query = services.run_query(
        live, by=city.operator, form="aggregate", sql="SELECT 身份证号 FROM 社保缴纳记录"
    )
    assert query.decision == "refused" and query.rule == "shape.ungrouped"
    assert "450202" not in query.message and query.result == {}


def test_a_refusal_reads_as_words_with_its_code_beside_them(city, live, client_for):
    from tests.test_language import _code_names

    query = services.run_query(
        live, by=city.operator, form="aggregate", sql="SELECT 身份证号 FROM 社保缴纳记录"
    )
    page = client_for(city.bureau).get(reverse("zone:queries")).content.decode()
    assert "查询形式" in page and _code_names(page, set()) == []
    detail = client_for(city.operator).get(reverse("zone:query_detail", args=[query.pk]))
    assert "<code>shape.ungrouped</code>" in detail.content.decode()


def test_the_workspace_reads_without_code_names_in_either_language(city, live, client_for):
    """The language walk cannot reach a workspace (only its own operator may): read it here,
    with a query in progress and one ended, in Chinese and in English."""
    from tests.test_language import _chinese_chrome, _code_names, _data_values

    services.run_query(live, by=city.operator, form="aggregate", sql=SQL)
    services.submit_query(live, by=city.operator, form="dp", sql=SQL)
    client = client_for(city.operator)
    url = reverse("zone:workspace", args=[live.code])
    chinese = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "文本 <code>VARCHAR</code>" in chinese  # a column type by name, its SQL type beside
    assert _code_names(chinese, {city.operator.username}) == []
    client.cookies["django_language"] = "en"
    english = client.get(url).content.decode()
    assert _chinese_chrome(english, _data_values()) == []


def test_suspension_stops_the_very_next_query_and_resuming_restores_it(city, live):
    assert services.run_query(live, by=city.operator, sql=SQL, form="aggregate").decision == (
        "released"
    )
    authz.suspend(live, by=city.bureau, reason="应急处置")
    stopped = services.run_query(live, by=city.operator, sql=SQL, form="aggregate")
    assert (stopped.decision, stopped.rule) == ("refused", "authorization.suspended")
    authz.resume(live, by=city.bureau, reason="核查完毕")
    assert services.run_query(live, by=city.operator, sql=SQL, form="aggregate").decision == (
        "released"
    )


def test_dp_budget_is_debited_across_queries(city, live):
    sql = "SELECT 区县, COUNT(DISTINCT 身份证号) FROM 社保缴纳记录 GROUP BY 区县"
    live.epsilon_total = 1.0
    live.save(update_fields=["epsilon_total"])
    first = services.run_query(live, by=city.operator, sql=sql, form="dp", epsilon=0.6)
    assert first.decision == "released" and first.epsilon_spent == 0.6
    second = services.run_query(live, by=city.operator, sql=sql, form="dp", epsilon=0.6)
    assert (second.decision, second.rule) == ("refused", "dp.budget")
    assert policy.epsilon_left(live) == pytest.approx(0.4)


def test_a_query_naming_one_person_is_refused_and_recorded(city, live):
    base = "SELECT 区县, COUNT(*) FROM 社保缴纳记录 WHERE 缴费金额 >= 5000 GROUP BY 区县"
    assert services.run_query(live, by=city.operator, sql=base, form="aggregate").decision == (
        "released"
    )
    pair = base.replace("WHERE", "WHERE 身份证号 <> '450202000015845919' AND")
    query = services.run_query(live, by=city.operator, sql=pair, form="aggregate")
    assert (query.decision, query.rule) == ("refused", "columns.identifier")
    assert "450202000015845919" not in query.message


def test_only_the_authorized_operator_works_in_the_workspace(city, live, client_for):
    rival = verified_operator(city.bureau)
    with pytest.raises(RuleViolation):
        services.run_query(live, by=rival, sql=SQL, form="aggregate")
    url = reverse("zone:workspace", args=[live.code])
    assert client_for(rival).get(url).status_code == 404
    page = client_for(city.operator).post(url, {"sql": SQL, "form": "aggregate"}, follow=True)
    assert 'data-testid="running"' in page.content.decode()  # the task worker runs it
    query = services.run_submitted(ZoneQuery.objects.latest("pk").pk)
    body = client_for(city.operator).get(f"{url}?query={query.pk}").content.decode()
    assert 'data-testid="released"' in body and "柳江区" in body
    csv = client_for(city.operator).get(reverse("zone:query_download", args=[query.pk, "csv"]))
    assert csv.content.decode("utf-8-sig").splitlines()[0] == "区县,人数,金额"
    assert (
        client_for(rival).get(reverse("zone:query_download", args=[query.pk, "csv"])).status_code
        == 404
    )


def test_command_line_prints_one_json_object(city, live, capsys):
    call_command("zone_query", authorization=live.code, describe=True, json=True)
    described = json.loads(capsys.readouterr().out)
    assert set(described["tables"]["社保缴纳记录"]["columns"]) == {
        "身份证号",
        "参保月份",
        "缴费金额",
        "区县",
    }
    call_command("zone_query", authorization=live.code, sql=SQL, json=True)
    out = json.loads(capsys.readouterr().out)
    assert out["decision"] == "released" and out["columns"] == ["区县", "人数", "金额"]
    assert {"rule", "rows", "suppressed_cells", "epsilon_spent", "epsilon_left"} <= set(out)
    with pytest.raises(SystemExit):
        call_command("zone_query", authorization=live.code, sql="SELECT 1; SELECT 2", json=True)
    refused = json.loads(capsys.readouterr().out)
    assert (refused["decision"], refused["rule"]) == ("refused", "sql.one_statement")


def test_sample_download_has_authorized_columns_and_no_real_identifier(city, live, client_for):
    url = reverse("zone:sample", args=[live.code, "社保缴纳记录"])
    body = client_for(city.operator).get(url).content.decode("utf-8-sig").splitlines()
    assert body[0] == "身份证号,参保月份,缴费金额,区县" and len(body) == 1001
    assert not any("450202" in line for line in body)


def test_the_json_api_runs_the_same_pipeline(city, live, client_for):
    client = client_for(city.operator)
    url = f"/api/v1/zone/{live.code}/queries"
    body = client.post(url, json.dumps({"sql": SQL}), content_type="application/json").json()
    assert body["decision"] == "released" and body["columns"] == ["区县", "人数", "金额"]
    refused = client.post(
        url,
        json.dumps({"sql": "SELECT * FROM read_csv('/etc/passwd')"}),
        content_type="application/json",
    ).json()
    assert (refused["decision"], refused["rule"]) == ("refused", "table.not_allowed")
    assert ZoneQuery.objects.filter(authorization=live).count() == 2
    described = client.get(f"/api/v1/zone/{live.code}/describe").json()
    assert "社保缴纳记录" in described["tables"]
    rival = client_for(verified_operator(city.bureau))
    missing = rival.post(url, json.dumps({"sql": SQL}), content_type="application/json")
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"


def test_a_derived_dataset_stays_in_the_zone_and_is_queried_under_the_same_control(
    city, live, client_for
):
    from pdao.ledger.models import LedgerEntry
    from pdao.zone.models import DerivedDataset

    derived = services.save_derived(
        live,
        by=city.operator,
        name="月均缴费",
        sql="SELECT 身份证号, 区县, AVG(缴费金额) AS 月均缴费 FROM 社保缴纳记录 "
        "GROUP BY 身份证号, 区县",
    )
    assert derived.units_released is None and derived.privacy_unit == "身份证号"
    assert derived.one_per_unit and "在工作空间中查询" in services.size_label(derived)
    assert derived.grade == city.social.grade
    assert derived.lineage[0]["resource"] == city.social.code
    assert derived.columns["月均缴费"]["sources"] == ["社保缴纳记录.缴费金额"]
    assert LedgerEntry.objects.filter(type="dataset.derived", object_id=str(derived.pk)).exists()
    # Queried like any authorized table; k still counts people.
    query = services.run_query(
        live,
        by=city.operator,
        form="aggregate",
        sql="SELECT 区县, AVG(月均缴费) AS a FROM 月均缴费 GROUP BY 区县",
    )
    assert query.decision == "released" and len(query.result["rows"]) == 5
    rows = services.run_query(
        live,
        by=city.operator,
        form="aggregate",
        sql="SELECT 身份证号, SUM(月均缴费) FROM 月均缴费 GROUP BY 身份证号",
    )
    assert (rows.decision, rows.rule) == ("refused", "columns.identifier")
    # Without a privacy-unit column a derived dataset could not be counted: refused.
    with pytest.raises(RuleViolation, match="隐私单元"):
        services.save_derived(
            live,
            by=city.operator,
            name="无单元",
            sql="SELECT 区县, COUNT(*) AS n FROM 社保缴纳记录 GROUP BY 区县",
        )
    rival = verified_operator(city.bureau)
    with pytest.raises(RuleViolation):
        services.save_derived(live, by=rival, name="x", sql="SELECT 身份证号 FROM 社保缴纳记录")
    assert DerivedDataset.objects.count() == 1


def test_a_derived_datasets_size_is_not_said_by_the_rows_a_query_scanned(city, live, client_for):
    """Round 9: a small derived dataset (a threshold over amounts) queried with COUNT(*) had
    its cell suppressed, but the query's 扫描行数 said its exact size — bisecting thresholds
    recovered amounts. Rows scanned count the catalogue's tables only."""
    source = services.run_query(
        live, by=city.operator, form="aggregate", sql="SELECT COUNT(*) AS n FROM 社保缴纳记录"
    )
    assert source.rows_scanned > 0
    services.save_derived(
        live,
        by=city.operator,
        name="最高缴费",
        sql="SELECT 身份证号, 缴费金额 FROM 社保缴纳记录 WHERE 缴费金额 >= 2900",
    )
    query = services.run_query(
        live, by=city.operator, form="aggregate", sql='SELECT COUNT(*) AS n FROM "最高缴费"'
    )
    assert query.decision == "released" and query.rows_scanned == 0
    event = AuditEvent.objects.filter(action="zone.query", object_id=str(query.pk)).get()
    assert event.changes["rows_scanned"] == 0
    page = client_for(city.operator).get(reverse("zone:query_detail", args=[query.pk]))
    assert page.context["query"].rows_scanned == 0


def test_a_query_is_recorded_and_its_epsilon_debited_before_the_engine_reads_data(
    city, live, monkeypatch
):
    """What the engine does happens after the query is on the record: a process that dies, or
    a query that never returns, has still been recorded, audited and charged."""
    from pdao.zone import engine

    live.epsilon_total = 2.0
    live.save(update_fields=["epsilon_total"])
    seen = {}
    real = engine.execute

    def watching(planned, built):
        from django.db import connection

        seen["in_transaction"] = len(connection.atomic_blocks) > baseline
        running = ZoneQuery.objects.get(decision="running")
        seen["debited"] = running.epsilon_spent
        seen["audited"] = AuditEvent.objects.filter(
            action="zone.query.start", object_id=str(running.pk)
        ).exists()
        return real(planned, built)

    from django.db import connection

    baseline = len(connection.atomic_blocks)  # the test's own transaction
    monkeypatch.setattr(engine, "execute", watching)
    sql = "SELECT 区县, COUNT(DISTINCT 身份证号) FROM 社保缴纳记录 GROUP BY 区县"
    query = services.run_query(live, by=city.operator, sql=sql, form="dp", epsilon=0.7)
    assert seen == {"in_transaction": False, "debited": 0.7, "audited": True}
    assert query.decision == "released" and policy.epsilon_left(live) == pytest.approx(1.3)


def test_a_dp_query_refused_after_running_has_still_spent(city, live, monkeypatch):
    from pdao.zone import engine

    live.epsilon_total = 2.0
    live.save(update_fields=["epsilon_total"])
    monkeypatch.setattr(
        engine,
        "execute",
        lambda planned, built: engine.Refused("limits.timeout", "超时", epsilon_spent=0.5),
    )
    sql = "SELECT 区县, COUNT(DISTINCT 身份证号) FROM 社保缴纳记录 GROUP BY 区县"
    query = services.run_query(live, by=city.operator, sql=sql, form="dp", epsilon=0.5)
    assert (query.decision, query.rule, query.epsilon_spent) == ("refused", "limits.timeout", 0.5)
    assert policy.epsilon_left(live) == pytest.approx(1.5)


@pytest.mark.parametrize("epsilon", [float("nan"), float("inf"), -0.5, 0, "x"])
def test_an_epsilon_that_is_not_a_positive_number_is_refused_at_the_edge(city, live, epsilon):
    sql = "SELECT COUNT(DISTINCT 身份证号) FROM 社保缴纳记录"
    with pytest.raises(RuleViolation):
        services.run_query(live, by=city.operator, sql=sql, form="dp", epsilon=epsilon)
    assert not ZoneQuery.objects.exists()


def test_an_epsilon_outside_the_agreement_is_refused_and_spends_nothing(city, live):
    live.epsilon_total, live.epsilon_query_max = 5.0, 1.0
    live.save(update_fields=["epsilon_total", "epsilon_query_max"])
    sql = "SELECT COUNT(DISTINCT 身份证号) FROM 社保缴纳记录"
    for epsilon in (1e-9, 2.0):
        query = services.run_query(live, by=city.operator, sql=sql, form="dp", epsilon=epsilon)
        assert (query.decision, query.rule, query.epsilon_spent) == ("refused", "dp.epsilon", 0)
    assert policy.epsilon_left(live) == 5.0


def test_the_daily_query_limit_of_the_agreement_holds(city, live):
    live.daily_queries = 2
    live.save(update_fields=["daily_queries"])
    sql = "SELECT 区县, COUNT(*) FROM 社保缴纳记录 GROUP BY 区县"
    for _ in range(2):
        assert services.run_query(live, by=city.operator, sql=sql, form="aggregate").decision == (
            "released"
        )
    third = services.run_query(live, by=city.operator, sql=sql, form="aggregate")
    assert (third.decision, third.rule) == ("refused", "limits.daily")


def test_a_query_whose_process_died_is_marked_interrupted(city, live, settings):
    from datetime import timedelta

    from django.utils import timezone

    stale = ZoneQuery.objects.create(
        authorization=live, user=city.operator, sql="SELECT 1", form="dp",
        decision="running", epsilon_spent=0.5,
    )  # fmt: skip
    fresh = ZoneQuery.objects.create(
        authorization=live, user=city.operator, sql="SELECT 1", form="aggregate",
        decision="running",
    )  # fmt: skip
    later = timezone.now() + timedelta(seconds=settings.ZONE_QUERY_SECONDS + 61)
    ZoneQuery.objects.filter(pk=fresh.pk).update(created_at=later)
    assert services.mark_interrupted(now=later) == 1
    stale.refresh_from_db()
    fresh.refresh_from_db()
    assert (stale.decision, stale.rule, stale.epsilon_spent) == (
        "interrupted",
        "limits.interrupted",
        0.5,
    )
    assert fresh.decision == "running"
    assert AuditEvent.objects.filter(
        action="zone.query.interrupted", object_id=str(stale.pk)
    ).exists()


def test_result_downloads_neutralise_spreadsheet_formulas(city, live, client_for):
    query = ZoneQuery.objects.create(
        authorization=live, user=city.operator, sql="…", form="aggregate", decision="released",
        result={"columns": ["=cmd|' /C calc'!A0", "n"], "rows": [["@SUM(1)", 12], ["-1+2", -3]]},
    )  # fmt: skip
    client = client_for(city.operator)
    csv = client.get(reverse("zone:query_download", args=[query.pk, "csv"])).content.decode(
        "utf-8-sig"
    )
    assert csv.splitlines() == ["'=cmd|' /C calc'!A0,n", "'@SUM(1),12", "'-1+2,-3"]
    from io import BytesIO

    from openpyxl import load_workbook

    book = load_workbook(
        BytesIO(client.get(reverse("zone:query_download", args=[query.pk, "xlsx"])).content)
    )
    rows = list(book.active.values)
    assert rows[1] == ("'@SUM(1)", 12) and rows[2] == ("'-1+2", -3)


def test_describe_states_the_protection(city, live):
    described = services.describe(live)
    assert described["perturbation"] == {"D": 4, "V": 3.0, "mu": 0.5}
    assert described["epsilon_query_max"] == live.epsilon_query_max
    assert described["tables"]["社保缴纳记录"]["personal"] is True
    assert described["unavailable"] == {}


def test_the_api_refuses_an_epsilon_that_is_not_finite(city, live, client_for):
    client = client_for(city.operator)
    url = f"/api/v1/zone/{live.code}/queries"
    body = (
        '{"sql": "SELECT COUNT(DISTINCT 身份证号) FROM 社保缴纳记录", "form": "dp", "epsilon": NaN}'
    )
    answer = client.post(url, body, content_type="application/json")
    assert answer.status_code in (400, 422) and "epsilon" in answer.content.decode()
    assert not ZoneQuery.objects.exists()


def test_derived_datasets_a_day_are_limited(city, live, settings):
    settings.ZONE_DERIVED_PER_DAY = 2
    sql = "SELECT 身份证号, AVG(缴费金额) AS m FROM 社保缴纳记录 GROUP BY 身份证号"
    for n in range(2):
        services.save_derived(live, by=city.operator, name=f"均值{n}", sql=sql)
    with pytest.raises(RuleViolation, match="每日上限"):
        services.save_derived(live, by=city.operator, name="均值2", sql=sql)


THRESHOLDS = [
    f"SELECT SUM(缴费金额), COUNT(*) FROM 社保缴纳记录 WHERE 区县 = '城中区' AND 缴费金额 {op} 4000"
    for op in (">=", ">")  # one person pays 4000: the two cells differ by them alone
]


def test_the_register_answers_numbers_one_person_apart_alike(city, live):
    from pdao.zone.models import ReleasedValue, ReleasedValueCode

    first = services.run_query(live, by=city.operator, sql=THRESHOLDS[0], form="aggregate")
    assert first.decision == "released"
    kept = ReleasedValue.objects.filter(zone_query=first)
    assert kept.count() == 3  # the count of people, of rows, and the sum
    assert ReleasedValueCode.objects.filter(released__zone_query=first).count() == 3 * 24
    for sketch in kept.values_list("sketch", flat=True):
        assert set(sketch) <= {"parts", "shown"}
        assert set(sketch["parts"][0]) == {"n", "key", "buckets"}
    assert [s.get("shown") for s in kept.values_list("sketch", flat=True)].count(True) == 1
    second = services.run_query(live, by=city.operator, sql=THRESHOLDS[1], form="aggregate")
    assert second.result["rows"] == first.result["rows"]
    assert any("沿用此前的输出" in note for note in second.result["notes"])
    # The same set asked again adds nothing to the register.
    services.run_query(live, by=city.operator, sql=THRESHOLDS[0], form="aggregate")
    assert ReleasedValue.objects.count() == 3 + 3


def test_groups_that_show_in_one_of_two_questions_a_person_apart_are_recorded(
    city, live, client_for
):
    """Bands of ten people (each 缴费金额 is one person's), asked whole and then without one
    person in each of 30 bands: low-effect detection gives both the same numbers, but whether
    a band of ten shows is decided on the band as asked, nine or ten — near k it differs in
    some bands. Each such band is counted on the query (the supervisor's rule `near_k`)."""
    bands = (
        "SELECT FLOOR(缴费金额 / 10) * 10 AS 段, COUNT(DISTINCT 身份证号) AS 人数 FROM 社保缴纳记录"
    )
    left_out = ", ".join(str(3003 + 10 * n) for n in range(30))
    whole = services.run_query(live, by=city.operator, sql=f"{bands} GROUP BY 段",
                               form="aggregate")  # fmt: skip
    fewer = services.run_query(
        live,
        by=city.operator,
        sql=f"{bands} WHERE 缴费金额 NOT IN ({left_out}) GROUP BY 段",
        form="aggregate",
    )
    assert whole.decision == fewer.decision == "released", fewer.message
    shown = [{row[0] for row in q.result["rows"]} for q in (whole, fewer)]
    differ = shown[0] ^ shown[1]
    assert differ and all(3000 <= band < 3300 for band in differ)
    assert whole.presence_flips == 0 and fewer.presence_flips == len(differ)
    url = reverse("zone:query_detail", args=[fewer.pk])
    label = "k 附近显示不一致的分组"
    assert label in client_for(city.bureau).get(url).content.decode()
    assert label not in client_for(city.operator).get(url).content.decode()  # the register's


def test_a_close_number_registered_while_a_query_ran_withholds_its_answer(city, live, monkeypatch):
    """Two near-identical queries at once would each answer afresh: the second to finish is
    refused (and can simply be asked again)."""
    from pdao.zone import engine

    real = engine.execute

    def meanwhile(planned, built):
        result = real(planned, built)
        monkeypatch.setattr(engine, "execute", real)
        other = services.run_query(live, by=city.operator, sql=THRESHOLDS[1], form="aggregate")
        assert other.decision == "released"
        return result

    monkeypatch.setattr(engine, "execute", meanwhile)
    query = services.run_query(live, by=city.operator, sql=THRESHOLDS[0], form="aggregate")
    assert (query.decision, query.rule) == ("refused", "limits.concurrent")
    again = services.run_query(live, by=city.operator, sql=THRESHOLDS[0], form="aggregate")
    assert again.decision == "released"
    assert (
        again.result["rows"]
        == ZoneQuery.objects.get(sql=THRESHOLDS[1], decision="released").result["rows"]
    )


def test_a_derived_datasets_computed_columns_group_and_filter_but_are_never_measured(city, live):
    derived = services.save_derived(
        live,
        by=city.operator,
        name="档次",
        sql="SELECT 身份证号, 区县, 缴费金额, CASE WHEN 缴费金额 >= 4500 THEN '高' ELSE '低' "
        "END AS 档, 缴费金额 * 0.08 AS 个人缴纳 FROM 社保缴纳记录 WHERE 缴费金额 <> 4000",
    )
    from pdao.authorization import access

    built = policy.derived_policy(derived)
    source = policy.build(live, access.grant(live)).tables["社保缴纳记录"]
    assert built.computed == {"档", "个人缴纳"} and built.roots == source.roots
    for sql in ("SELECT SUM(个人缴纳) FROM 档次", "SELECT COUNT(档) FROM 档次"):
        query = services.run_query(live, by=city.operator, sql=sql, form="aggregate")
        assert (query.decision, query.rule) == ("refused", "measure.computed"), sql
    grouped = services.run_query(
        live, by=city.operator, form="aggregate",
        sql="SELECT 档, COUNT(*), SUM(缴费金额) FROM 档次 GROUP BY 档",
    )  # fmt: skip
    assert grouped.decision == "released" and len(grouped.result["rows"]) == 2
    # `缴费金额 <> 4000` leaves out one person: disregarded, the dataset has them.
    whole = services.run_query(
        live, by=city.operator, form="aggregate",
        sql="SELECT SUM(缴费金额) FROM 社保缴纳记录",
    )  # fmt: skip
    copy = services.run_query(
        live, by=city.operator, form="aggregate", sql="SELECT SUM(缴费金额) FROM 档次"
    )
    assert copy.result["rows"] == whole.result["rows"]
