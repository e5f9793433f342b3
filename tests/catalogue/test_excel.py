import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from pdao.accounts.choices import OrganisationType
from pdao.catalogue import excel, services
from pdao.catalogue.models import Resource
from pdao.core.permissions import Role
from tests.factories import OrganisationFactory, user_with_role

pytestmark = pytest.mark.django_db


def _workbook(tmp_path, resources, fields):
    from openpyxl import Workbook

    workbook = Workbook()
    workbook.remove(workbook.active)
    sheet = workbook.create_sheet(excel.RESOURCES)
    sheet.append([h for h, *_ in excel.RESOURCE_COLUMNS])
    for row in resources:
        sheet.append(row)
    sheet = workbook.create_sheet(excel.FIELDS)
    sheet.append([h for h, *_ in excel.FIELD_COLUMNS])
    for row in fields:
        sheet.append(row)
    path = tmp_path / "catalogue.xlsx"
    workbook.save(path)
    return path


GOOD = [
    [
        "企业纳税信用",
        "摘要",
        "商贸流通",
        "市场主体",
        "有条件共享",
        "不予开放",
        "每月",
        "一般数据（2级）",
        "科室",
        "张三",
    ]
]


def test_export_then_import_round_trips(resource, provider, tmp_path):
    path = tmp_path / "export.xlsx"
    path.write_bytes(excel.export([resource]))
    other = user_with_role(
        Role.PROVIDER, organisation=OrganisationFactory(type=OrganisationType.PROVIDER)
    )
    [copy] = services.import_catalogue(path, by=other)
    assert (copy.name, copy.domain, copy.grade, copy.opening) == (
        resource.name, resource.domain, resource.grade, resource.opening,
    )  # fmt: skip
    assert list(copy.fields.values_list("name", "type", "required")) == list(
        resource.fields.values_list("name", "type", "required")
    )


def test_import_reports_each_problem_by_sheet_row_and_column_and_creates_nothing(
    provider, tmp_path
):
    bad_resource = [
        "",
        "",
        "火星领域",
        "",
        "有条件共享",
        "不予开放",
        "每月",
        "一般数据（2级）",
        "",
        "",
    ]
    path = _workbook(
        tmp_path,
        [*GOOD, bad_resource],
        [["企业纳税信用", "code", "代码", "文本", "是", "", "否"],
         ["企业纳税信用", "score", "得分", "分数", "是", "", "否"],
         ["不存在的资源", "x", "", "文本", "", "", ""]],
    )  # fmt: skip
    with pytest.raises(excel.WorkbookProblems) as raised:
        services.import_catalogue(path, by=provider)
    messages = [str(p) for p in raised.value.problems]
    assert "「数据资源」第 3 行「资源名称」:必填" in messages
    assert any(m.startswith("「数据资源」第 3 行「领域」:不是可选值") for m in messages)
    assert any(m.startswith("「字段」第 3 行「类型」:不是可选值") for m in messages)
    assert "「字段」第 4 行「资源名称」:在「数据资源」表中不存在" in messages
    assert not Resource.objects.exists()


def test_import_refuses_a_name_already_registered(resource, provider, tmp_path):
    path = tmp_path / "again.xlsx"
    path.write_bytes(excel.export([resource]))
    with pytest.raises(excel.WorkbookProblems, match="已登记"):
        services.import_catalogue(path, by=provider)
    assert Resource.objects.count() == 1


def test_template_has_both_sheets_and_drop_down_lists(provider, client_for):
    response = client_for(provider).get(reverse("catalogue:template"))
    workbook = load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames == [excel.RESOURCES, excel.FIELDS]
    validations = workbook[excel.RESOURCES].data_validations.dataValidation
    assert any("商贸流通" in v.formula1 for v in validations)


def test_csv_export_has_one_row_per_field(resource, provider, client_for):
    response = client_for(provider).get(reverse("catalogue:export") + "?format=csv")
    lines = response.content.decode("utf-8-sig").strip().splitlines()
    assert len(lines) == 1 + resource.fields.count()
    assert lines[1].startswith(resource.code)


def test_import_page_shows_problems(provider, client_for, tmp_path):
    path = _workbook(tmp_path, [["", "", "", "", "", "", "", "", "", ""], GOOD[0]], [])
    with path.open("rb") as handle:
        response = client_for(provider).post(reverse("catalogue:import"), {"file": handle})
    assert "未登记任何资源" in response.content.decode()
    assert "没有字段" in response.content.decode()


def test_csv_export_then_import_round_trips(resource, provider, tmp_path):
    path = tmp_path / "export.csv"
    path.write_text(excel.export_csv([resource]), encoding="utf-8")
    other = user_with_role(
        Role.PROVIDER, organisation=OrganisationFactory(type=OrganisationType.PROVIDER)
    )
    [copy] = services.import_catalogue(path, by=other)
    assert copy.name == resource.name
    assert copy.fields.count() == resource.fields.count()


def test_csv_import_reports_problems_by_row_and_column(provider, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(
        excel.export_csv([])
        + "X,企业,摘要,火星,主题,有条件共享,不予开放,每月,一般数据（2级）,"
        + "科,人,f,字段,文本,是,,否\n"
    )
    with pytest.raises(excel.WorkbookProblems) as raised:
        services.import_catalogue(path, by=provider)
    assert any("「领域」:不是可选值" in str(p) for p in raised.value.problems)
    assert not Resource.objects.exists()


def test_the_catalogue_export_reads_the_fields_once(resource, provider, client_for,
                                                     django_assert_max_num_queries):  # fmt: skip
    """The export of 30,000 resources had made two queries per resource."""
    for i in range(5):
        services.register_resource(
            by=provider, provider=provider.organisation, name=f"资源{i}", domain="governance",
            sharing="conditional", opening="none", frequency="monthly", grade="general_2",
            fields=[{"name": "a", "type": "string"}, {"name": "b", "type": "integer"}],
        )  # fmt: skip
    client = client_for(provider)
    client.get(reverse("catalogue:export") + "?format=csv")  # warm the session and menu
    with django_assert_max_num_queries(12):
        body = client.get(reverse("catalogue:export") + "?format=csv").content.decode()
    assert body.count("资源") >= 5 and ",b," in body
