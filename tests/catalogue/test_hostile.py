"""No file can stop the platform: each hostile file is refused before it is parsed, with the
limit it broke named, through every door a file comes in — the version upload page and its
job, the service the command line uses, the catalogue import page, leak tracing — and leaves
the active version, the incoming directory and the versions directory as they were."""

import io
import time

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from pdao.catalogue import excel, ingest, services
from pdao.catalogue.models import IngestJob, Resource, Version
from pdao.core.rules import RuleViolation
from pdao.products import leaks
from tests import hostile
from tests.catalogue.test_ingest import COLUMNS, people, write_csv
from tests.catalogue.test_services import _tag_all
from tests.conftest import run_worker

pytestmark = pytest.mark.django_db
PEAK = 600 << 20  # a refused file never costs its parse more memory than this


def _xlsx(builder):
    def make(tmp_path):
        path = tmp_path / "hostile.xlsx"
        path.write_bytes(builder(hostile.workbook()))
        return path

    return make


def _file(builder, name, **kwargs):
    def make(tmp_path):
        return builder(tmp_path / name, **kwargs)

    return make


HOSTILE = {
    # name: (file maker, what the refusal must say)
    "declared A1:XFD1048576": (_xlsx(hostile.declared_everything), "超过列数上限"),
    "cells beyond a small dimension": (_xlsx(hostile.undeclared_wide), "超过列数上限"),
    "400 MiB shared string": (_file(hostile.shared_string_bomb, "s.xlsx"), "超过压缩比上限"),
    "zip bomb member": (_file(hostile.zip_bomb_member, "z.xlsx"), "超过压缩比上限"),
    "deeply nested XML": (_xlsx(hostile.deeply_nested), "超过 XML 嵌套层数上限"),
    "entity bomb": (_xlsx(hostile.entity_bomb), "DTD"),
    "external link": (_xlsx(hostile.external_link), "外部链接"),
    "DDE formula": (_xlsx(hostile.dde_formula), "DDE"),
    "10⁶ named columns": (_file(hostile.wide_csv_header, "w.csv"), "超过首行长度上限"),
    "10⁶ empty columns": (
        _file(hostile.wide_csv_header, "e.csv", named=False),
        "超过列数上限",
    ),
    "1 GB single line": (_file(hostile.single_line, "l.csv"), "超过首行长度上限"),
    # Found by the second attack on files: parts at other paths than their usual names.
    "DDE in a sheet stored elsewhere": (
        _xlsx(lambda b: hostile.moved_sheet(hostile.dde_formula(b))),
        "DDE",
    ),
    "A1:XFD1048576 in a sheet stored elsewhere": (
        _xlsx(lambda b: hostile.moved_sheet(hostile.declared_everything(b))),
        "超过列数上限",
    ),
    "external link stored elsewhere": (_xlsx(hostile.linked_elsewhere), "外部链接"),
    "DTD in a part not named .xml": (
        _xlsx(lambda b: hostile.moved_sheet(hostile.entity_bomb(b))),
        "DTD",
    ),
    "UTF-16 sheet": (_xlsx(hostile.utf16_sheet), "不是 UTF-8"),
    # Found by the third attack on files.
    "DDE written as &#124;": (_xlsx(hostile.dde_as_reference), "DDE"),
    "5,007 cells without references": (
        _xlsx(hostile.cells_without_references),
        "超过列数上限",
    ),
    "10⁸ rows of Parquet in megabytes": (
        _file(hostile.dense_parquet, "d.parquet"),
        "超过每字节行数上限",
    ),
}


@pytest.fixture
def active(resource, provider, tmp_path):
    version = services.ingest_version(
        resource, write_csv(tmp_path / "good.csv", people(20)), by=provider
    )
    _tag_all(resource, provider)
    services.activate_version(version, by=provider)
    return version


def _left_behind() -> list[str]:
    """Anything in the data directory besides finished versions and the upload spool."""
    names = []
    for root in (services.versions_dir(), services.incoming_dir()):
        if root.exists():
            names += [p.name for p in root.iterdir() if p.name != ".uploads"]
    return [n for n in names if not n.endswith(".parquet")]


@pytest.mark.parametrize("name", list(HOSTILE))
def test_a_hostile_version_is_refused_naming_its_limit(name, active, provider, tmp_path):
    make, expected = HOSTILE[name]
    path = make(tmp_path)
    versions = set(services.versions_dir().iterdir())
    usage = []
    began = time.monotonic()
    with pytest.raises(ingest.IngestError) as refused:
        services.ingest_version(
            active.resource,
            path,
            by=provider,
            declared_format=path.suffix.lstrip("."),
            usage=usage,
        )
    took = time.monotonic() - began
    problem = refused.value.problems[0]
    assert expected in problem.message, problem.message
    assert problem.kind in ("limit", "format")
    assert usage and usage[0].peak_bytes < PEAK
    assert set(services.versions_dir().iterdir()) == versions  # nothing written, nothing left
    assert _left_behind() == []
    assert list(Version.objects.filter(resource=active.resource)) == [active]
    assert Resource.objects.get(pk=active.resource_id).active_version == active
    print(f"{name}: {path.stat().st_size:,} bytes refused in {took:.2f} s, peak "
          f"{usage[0].peak_bytes / 2**20:.0f} MiB — {problem.message}")  # fmt: skip


def test_a_workbook_within_its_limits_still_ingests(active, provider, tmp_path):
    rows = [[r[0], r[1], r[2], r[3], r[4], r[5]] for r in people(30)]
    path = tmp_path / "ok.xlsx"
    path.write_bytes(hostile.workbook(rows))
    version = services.ingest_version(active.resource, path, by=provider, declared_format="xlsx")
    assert version.rows == 30 and version.source_format == "xlsx"


@pytest.mark.django_db(transaction=True)
def test_the_issues_upload_through_the_page_fails_its_job_naming_the_limit(
    active, provider, client_for, tmp_path
):
    """The 1.5 KB workbook that wrote 2 GB of CSV: the job ends failed, the page names the
    limit, the staged file is gone and the active version is the same."""
    path = tmp_path / "dimension.xlsx"
    path.write_bytes(hostile.declared_everything(hostile.workbook()))
    client = client_for(provider)
    with path.open("rb") as handle:
        response = client.post(
            reverse("catalogue:version_upload", args=[active.resource.pk]),
            {"file": handle, "mode": "replace"},
        )
    run_worker()
    job = IngestJob.objects.get(resource=active.resource, filename="dimension.xlsx")
    assert job.status == IngestJob.Status.FAILED and not job.retryable
    assert job.peak_memory and job.peak_memory < PEAK
    body = client.get(response["Location"]).content.decode()
    assert "超过列数上限" in body and "当前版本保持不变" in body
    assert _left_behind() == []
    assert Resource.objects.get(pk=active.resource_id).active_version == active


def test_the_command_line_refuses_naming_the_limit(active, provider, tmp_path):
    path = tmp_path / "dimension.xlsx"
    path.write_bytes(hostile.declared_everything(hostile.workbook()))
    with pytest.raises(CommandError, match="超过列数上限"):
        call_command("ingest", active.resource.code, str(path), stderr=io.StringIO())
    assert list(Version.objects.filter(resource=active.resource)) == [active]


def test_the_issues_catalogue_template_is_refused_at_import(provider, client_for, tmp_path):
    """The 6.5 KB catalogue template that locked the database for 30 s: refused from its
    declared dimension, before openpyxl reads a row, naming the sheet as the user knows it,
    and nothing registered."""
    data = hostile.declared_everything(excel.template())
    assert len(data) < 10_000
    page = client_for(provider).post(
        reverse("catalogue:import"),
        {"file": _write(tmp_path / "catalogue.xlsx", data).open("rb")},
    )
    body = page.content.decode()
    assert page.status_code == 200 and "超过工作表行数上限 2,000" in body
    assert "工作表「数据资源」声明的范围" in body
    assert not Resource.objects.filter(provider=provider.organisation).exists()


@pytest.mark.parametrize(
    ("builder", "expected"),
    [
        (hostile.entity_bomb, "DTD"),
        (hostile.external_link, "外部链接"),
        (hostile.deeply_nested, "超过 XML 嵌套层数上限"),
    ],
)
def test_other_hostile_catalogue_workbooks_are_refused(builder, expected, provider, tmp_path):
    with pytest.raises(excel.WorkbookProblems) as refused:
        services.import_catalogue(
            _write(tmp_path / "c.xlsx", builder(excel.template())), by=provider
        )
    assert expected in str(refused.value.problems[0])


def test_a_catalogue_with_more_rows_than_a_form_is_refused_before_reading(provider, tmp_path):
    """Found by the second attack on files: 19,999 resources in a valid template held SQLite's
    writes for a minute while they were registered; a CSV catalogue had no row limit."""
    rows = [[f"资源{i}", "", "公共管理", "", "有条件共享", "不予开放", "每月", "一般数据1级"]
            for i in range(2_001)]  # fmt: skip
    path = tmp_path / "c.csv"
    path.write_text("\n".join(",".join(r) for r in [["资源名称"], *rows]), encoding="utf-8")
    with pytest.raises(excel.WorkbookProblems, match="超过 CSV 行数上限 2,000"):
        services.import_catalogue(path, by=provider)
    book = tmp_path / "c.xlsx"
    book.write_bytes(hostile.workbook(rows, header=["资源名称"] + [""] * 7))
    with pytest.raises(excel.WorkbookProblems, match="超过工作表行数上限 2,000"):
        services.import_catalogue(book, by=provider)


def test_a_catalogue_csv_with_thousands_of_columns_is_refused(provider, tmp_path):
    path = hostile.wide_csv_header(tmp_path / "c.csv", columns=5_000, named=False)
    with pytest.raises(excel.WorkbookProblems, match="超过列数上限"):
        services.import_catalogue(path, by=provider)


def test_a_suspected_leak_file_is_inspected_before_tracing(supervisor):
    data = hostile.declared_everything(hostile.workbook())
    with pytest.raises(RuleViolation, match="超过列数上限"):
        leaks.trace_leak(data, by=supervisor)


def test_a_leak_file_that_kills_its_reader_is_refused_not_raised(supervisor, settings):
    settings.PARSE_LIMITS = {
        **settings.PARSE_LIMITS,
        "leak": {**settings.PARSE_LIMITS["leak"], "memory_bytes": 200 << 20},
    }
    data = hostile.workbook([hostile.ROW] * 50)
    with pytest.raises(RuleViolation, match="内存超过上限"):
        leaks.trace_leak(data, by=supervisor)


def _write(path, data: bytes):
    path.write_bytes(data)
    return path


@pytest.mark.django_db(transaction=True)
def test_one_department_cannot_fill_the_task_queue(active, provider, client_for, tmp_path):
    """Found by the second attack on files: five slow files kept every other department's
    upload waiting. A department has at most three jobs waiting or running; the fourth upload
    is refused on the page, its file not kept."""
    client = client_for(provider)
    url = reverse("catalogue:version_upload", args=[active.resource.pk])
    for i in range(4):
        path = write_csv(tmp_path / f"{i}.csv", people(5))
        with path.open("rb") as handle:
            response = client.post(url, {"file": handle, "mode": "replace"})
    assert IngestJob.objects.filter(resource=active.resource, status="queued").count() == 3
    assert response.status_code == 200
    assert "本单位已有 3 个归集任务在排队或处理中" in response.content.decode()
    assert len([p for p in services.incoming_dir().iterdir() if p.is_file()]) == 3
    run_worker()
    assert IngestJob.objects.filter(resource=active.resource, status="succeeded").count() == 3


def test_a_header_with_control_characters_is_shown_escaped(tmp_path):
    path = tmp_path / "nul.csv"
    path.write_bytes(
        "姓名,身份证号,手机号,年龄,登记日期,区县,x\x00y\n".encode() + b"a,b,c,1,2024-01-01,,z\n"
    )
    with pytest.raises(ingest.IngestError) as refused:
        ingest.ingest(path, columns=COLUMNS, dest_dir=tmp_path / "out")
    message = refused.value.problems[0].message
    assert "x\\x00y" in message and "\x00" not in message
