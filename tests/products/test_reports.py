"""Report products: sections reviewed and filed like any product; each edition generated in
the zone, held until output review, then delivered as PDF or Word and metered."""

import io
import os
import stat
import zipfile

import pytest

from pdao.core.rules import RuleViolation
from pdao.ledger.models import LedgerEntry
from pdao.products import editions, gateway, services
from pdao.products.models import Delivery, ReportEdition

pytestmark = pytest.mark.django_db

SECTIONS = [
    {
        "title": "各区县缴费人次",
        "sql": "SELECT 区县, COUNT(*) AS 人次 FROM 社保缴纳记录 GROUP BY 区县 ORDER BY 区县",
        "form": "aggregate",
        "chart": "bar",
        "note": "按区县统计全部缴费记录。",
    },
    {
        "title": "各月平均缴费",
        "sql": "SELECT 参保月份, AVG(缴费金额) AS 平均缴费 FROM 社保缴纳记录 GROUP BY 参保月份 "
        "ORDER BY 参保月份",
        "form": "aggregate",
        "chart": "line",
    },
]


@pytest.fixture
def report(market):
    product = editions.create_report(
        by=market.operator,
        authorization=market.authorization,
        name="柳州社保缴费月报",
        summary="按区县与月份统计社保缴费情况。",
        sections=SECTIONS,
    )
    return market.to_market(product)


def _docx_text(data: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as docx:
        return docx.read("word/document.xml").decode()


def test_edition_is_generated_in_the_zone_and_held_until_output_review(market, report):
    assert report.status == "listed" and report.reviews.get().checks_passed
    subscription = market.subscribe(report)
    credential, _ = services.create_credential(by=market.consumer, name="x")

    edition = editions.generate_edition(report, by=market.operator)

    assert edition.status == ReportEdition.Status.PENDING and edition.number == 1
    pdf = editions.read(edition, "pdf")
    assert pdf.startswith(b"%PDF")
    text = _docx_text(editions.read(edition, "docx"))
    assert "各区县缴费人次" in text and "柳江区" in text
    assert "450202" not in text  # no identifier of the data, only released aggregates
    assert stat.S_IMODE(editions.path_of(edition.pdf_sha256, "pdf").stat().st_mode) == 0o444
    with zipfile.ZipFile(io.BytesIO(editions.read(edition, "docx"))) as docx:
        assert any(n.startswith("word/media/") for n in docx.namelist())  # the charts
    held = gateway.report(report.code, "pdf", credential=credential,
                          consumer_id=market.consumer.organisation_id,
                          source_ip=None)  # fmt: skip
    assert held.status == 404 and held.body["code"] == "no_edition"

    editions.review_edition(edition, by=market.reviewer, approve=True, note="数据均经输出控制")

    answer = gateway.report(report.code, "docx", credential=credential,
                            consumer_id=market.consumer.organisation_id,
                            source_ip=None)  # fmt: skip
    assert answer.status == 200 and answer.headers["X-Report-Edition"] == "1"
    assert answer.content == editions.read(edition, "docx")
    record = Delivery.objects.get(trace_id=answer.headers["X-Trace-Id"])
    assert (record.subscription, record.bytes, record.status) == (
        subscription, edition.docx_bytes, 200
    )  # fmt: skip
    assert LedgerEntry.objects.filter(type="report.release", content_hash=edition.pdf_sha256)
    call = gateway.call(credential, report.code, {}, source_ip=None)
    assert call.status == 400 and call.body["code"] == "report_product"


def test_operator_cannot_release_its_own_report_and_a_rejected_one_is_never_served(market, report):
    market.subscribe(report)
    edition = editions.generate_edition(report, by=market.operator)
    with pytest.raises(RuleViolation):
        editions.review_edition(edition, by=market.operator, approve=True, note="好")
    editions.review_edition(edition, by=market.supervisor, approve=False, note="第2节需复核")
    answer = gateway.report(report.code, "pdf", credential=None,
                            consumer_id=market.consumer.organisation_id,
                            source_ip=None)  # fmt: skip
    assert answer.body["code"] == "no_edition"
    assert Delivery.objects.filter(consumer=market.consumer.organisation).count() == 1


def test_a_tampered_report_file_is_not_delivered(market, report):
    market.subscribe(report)
    edition = editions.generate_edition(report, by=market.operator)
    editions.review_edition(edition, by=market.reviewer, approve=True, note="同意")
    path = editions.path_of(edition.pdf_sha256, "pdf")
    os.chmod(path, 0o644)
    path.write_bytes(path.read_bytes() + b"%tampered")
    answer = gateway.report(report.code, "pdf", credential=None,
                            consumer_id=market.consumer.organisation_id,
                            source_ip=None)  # fmt: skip
    assert answer.status == 503 and answer.body["code"] == "report_unavailable"


def test_report_sections_are_checked(market):
    for sections, message in (
        ([], "1 至"),
        ([{"title": "x", "sql": "SELECT 1", "form": "deidentified"}], "form"),
        ([{"title": "x", "sql": "SELECT 1", "chart": "pie"}], "chart"),
        ([{"title": "", "sql": "SELECT 1"}], "title"),
    ):
        with pytest.raises(RuleViolation, match=message):
            editions.create_report(by=market.operator, authorization=market.authorization,
                                   name="r", summary="s", sections=sections)  # fmt: skip


def test_a_refused_section_fails_the_review_checklist(market):
    product = editions.create_report(
        by=market.operator,
        authorization=market.authorization,
        name="逐人明细",
        summary="s",
        sections=[{"title": "明细", "sql": "SELECT 身份证号, 缴费金额 FROM 社保缴纳记录"}],
    )
    services.save_plan(product, by=market.operator, name="免费", charging="free")
    with pytest.raises(RuleViolation, match="使用范围在协议之内"):
        services.submit_for_review(product, by=market.operator)


@pytest.mark.parametrize("chart", ["bar", "line"])
def test_chart_axes_read_as_plain_numbers_and_bars_start_at_zero(chart):
    """208,333 against 208,334 once read "+2.0833e5" with a cliff between them."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    from pdao.products.reports import format_value_axis

    values = [208_333.0, 208_334.0, 208_333.5]
    figure, axes = plt.subplots()
    try:
        if chart == "line":
            axes.plot(["城中区", "鱼峰区", "柳南区"], values)
        else:
            axes.bar(["城中区", "鱼峰区", "柳南区"], values)
        format_value_axis(axes, chart, values)
        figure.canvas.draw()
        labels = [t.get_text() for t in axes.get_yticklabels() if t.get_text()]
        assert axes.yaxis.get_offset_text().get_text() == ""
        assert labels and all("e" not in t and "+" not in t for t in labels)
        assert any("208,33" in t for t in labels) or chart == "bar"
        if chart == "bar":
            assert axes.get_ylim()[0] == 0 and "200,000" in labels
    finally:
        plt.close(figure)
