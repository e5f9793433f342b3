"""存量服务摸底: declarations by form and by the Excel template (all rows or none, problems by
sheet, row and column), returns and overdue departments, the bureau's dispositions and the
migration task closed only by the authorization and listed product that replace a service."""

import io
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from openpyxl import Workbook, load_workbook

from pdao.accounts.credit_code import make
from pdao.audit.models import AuditEvent
from pdao.catalogue.excel import WorkbookProblems
from pdao.core.permissions import Role
from pdao.core.rules import RuleViolation
from pdao.core.workbench import work_for
from pdao.market import survey
from pdao.market.choices import Disposition
from pdao.market.models import ExistingService

pytestmark = pytest.mark.django_db
BANK = make("91", "450200", "MA5N0B01")
INSURER = make("91", "450200", "MA5N0B02")
AGENCY = make("11", "450200", "MB0000001"[:8])


def _open(city, days=14):
    return survey.open_survey(
        by=city.bureau, title="2026 年存量服务摸底", deadline=timezone.localdate() + timedelta(days)
    )


def _values(city, **over):
    return {
        "recipient_name": "柳州某银行",
        "recipient_credit_code": BANK,
        "recipient_type": "enterprise",
        "resources": city.social.code,
        "method": "api",
        "purpose": "信贷审批时核验参保状态",
        "legal_basis": "柳人社协〔2023〕5号",
        "starts_on": "2023-03-01",
        "ends_on": "",
        "charged": False,
        "fee": "",
        "yearly_volume": "12000",
        "safeguards": "专线接入，按次留痕",
    } | over


def test_a_declaration_by_form_and_its_refusals(city):
    found = _open(city)
    service = survey.declare(found, by=city.provider, **_values(city))
    assert list(service.resources.all()) == [city.social]
    refusals = {
        "已申报过": _values(city),
        "不在本单位目录": _values(city, resources=city.enterprises.code),
        "机关单位": _values(city, recipient_credit_code=AGENCY),
        "信用代码无效": _values(city, recipient_credit_code="91450200XXXXXXXXXX"),
        "请填写年收费金额": _values(city, recipient_credit_code=INSURER, charged=True),
        "不能早于开始日期": _values(city, recipient_credit_code=INSURER, ends_on="2022-01-01"),
        "整数": _values(city, recipient_credit_code=INSURER, yearly_volume="１２"),
    }
    for message, values in refusals.items():
        with pytest.raises(RuleViolation, match=message):
            survey.declare(found, by=city.provider, **values)
    with pytest.raises(RuleViolation, match="没有执行此操作的权限"):
        survey.declare(found, by=city.bureau, **_values(city, recipient_credit_code=INSURER))
    assert ExistingService.objects.count() == 1


def _filled(city, rows) -> io.BytesIO:
    book = load_workbook(io.BytesIO(survey.template(city.provider.organisation)))
    sheet = book[survey.SHEET]
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out


def _row(city, credit, **over):
    v = _values(city, recipient_credit_code=credit, **over)
    return [v["recipient_name"], v["recipient_credit_code"], "企业", v["resources"], "接口",
            v["purpose"], v["legal_basis"], v["starts_on"], v["ends_on"] or None,
            "是" if v["charged"] else "否", v["fee"] or None, v["yearly_volume"],
            v["safeguards"]]  # fmt: skip


def test_the_template_has_drop_downs_and_the_departments_own_resources(city):
    book = load_workbook(io.BytesIO(survey.template(city.provider.organisation)))
    sheet = book[survey.SHEET]
    lists = [v.formula1 for v in sheet.data_validations.dataValidation]
    assert '"企业,非财政拨款事业单位,社会组织,个体工商户,其他"' in lists
    assert '"接口,文件,核验"' in lists
    assert f"='{survey.RESOURCES_SHEET}'!$A$2:$A$2" in lists
    assert [c.value for c in book[survey.RESOURCES_SHEET][2]] == [
        city.social.code,
        city.social.name,
    ]


def test_the_excel_import_is_all_rows_or_none(city, tmp_path):
    found = _open(city)
    path = tmp_path / "filled.xlsx"
    rows = [
        _row(city, BANK),
        _row(city, INSURER, resources="NO-SUCH-CODE"),
        _row(city, BANK),  # the same as row 2
        _row(city, make("91", "450200", "MA5N0B03"), yearly_volume="很多"),
    ]
    path.write_bytes(_filled(city, rows).getvalue())
    with pytest.raises(WorkbookProblems) as refused:
        survey.import_rows(found, path, by=city.provider)
    found_problems = [(p.sheet, p.row, p.column) for p in refused.value.problems]
    assert found_problems == [
        (survey.SHEET, 3, "数据资源目录编码"),
        (survey.SHEET, 4, ""),
        (survey.SHEET, 5, "年服务量（次或条）"),
    ]
    assert "与第 2 行重复" in str(refused.value.problems[1])
    assert ExistingService.objects.count() == 0
    rows = [_row(city, BANK), _row(city, INSURER, charged=True, fee="36,000.00")]
    path.write_bytes(_filled(city, rows).getvalue())
    made = survey.import_rows(found, path, by=city.provider)
    assert [s.fee_fen for s in made] == [0, 3_600_000]
    path.write_bytes(_filled(city, [_row(city, BANK)]).getvalue())
    with pytest.raises(WorkbookProblems, match="已申报过"):
        survey.import_rows(found, path, by=city.provider)
    assert ExistingService.objects.count() == 2
    path.write_bytes(b"not a workbook")
    with pytest.raises(WorkbookProblems):
        survey.import_rows(found, path, by=city.provider)
    empty = Workbook()
    empty.active.title = "别的表"
    empty.save(path)
    with pytest.raises(WorkbookProblems, match="缺少该工作表"):
        survey.import_rows(found, path, by=city.provider)


def test_returns_make_declarations_final_and_late_departments_show(city):
    found = _open(city, days=3)
    survey.declare(found, by=city.provider, **_values(city))
    survey.submit_return(found, by=city.provider)
    with pytest.raises(RuleViolation, match="已报送"):
        survey.declare(found, by=city.provider, **_values(city, recipient_credit_code=INSURER))
    service = ExistingService.objects.get()
    with pytest.raises(RuleViolation, match="已报送"):
        survey.withdraw(service, by=city.provider)
    assert list(survey.overdue_providers(found)) == []  # not yet past the deadline
    items = {str(i.title): i for i in work_for(city.other_provider, Role.PROVIDER)}
    assert not items[f"存量服务摸底待报送：{found.title}"].urgent
    with time_machine.travel(found.deadline + timedelta(days=1), tick=False):
        late = list(survey.overdue_providers(found))
        assert city.other_provider.organisation in late
        assert city.provider.organisation not in late
        items = {str(i.title): i for i in work_for(city.other_provider, Role.PROVIDER)}
        assert items[f"存量服务摸底待报送：{found.title}"].urgent
        bureau = {str(i.title): i for i in work_for(city.bureau, Role.BUREAU_ADMIN)}
        assert bureau["逾期未报送存量服务摸底的部门"].count == len(late)


def test_dispositions_and_statistics(city):
    found = _open(city)
    first = survey.declare(found, by=city.provider, **_values(city))
    second = survey.declare(found, by=city.provider, **_values(city, recipient_credit_code=INSURER,
                                                               method="file"))  # fmt: skip
    with pytest.raises(RuleViolation, match="尚未报送"):
        survey.decide(first, by=city.bureau, disposition=Disposition.INCLUDE)
    survey.submit_return(found, by=city.provider)
    with pytest.raises(RuleViolation, match="写明理由"):
        survey.decide(second, by=city.bureau, disposition=Disposition.SHARE)
    with pytest.raises(RuleViolation):
        survey.decide(second, by=city.provider, disposition=Disposition.STOP, note="x")
    survey.decide(first, by=city.bureau, disposition=Disposition.INCLUDE)
    survey.decide(second, by=city.bureau, disposition=Disposition.STOP, note="无协议依据")
    with pytest.raises(RuleViolation, match="已作出处置"):
        survey.decide(second, by=city.bureau, disposition=Disposition.SHARE, note="x")
    first.refresh_from_db()
    assert first.migration.due_on == timezone.localdate() + timedelta(days=180)
    figures = survey.statistics(found)
    assert figures["total"] == 2
    assert [(str(m), n) for m, n in figures["by_method"]] == [("接口", 1), ("文件", 1)]
    book = load_workbook(io.BytesIO(survey.export(found)))
    assert {"按部门", "按提供方式", "按处置意见", "服务明细"} <= set(book.sheetnames)
    assert book["服务明细"].max_row == 3
    assert AuditEvent.objects.filter(action="market.survey_decide").count() == 2


def test_a_migration_closes_only_with_the_authorization_and_listed_product_replacing_it(shop):
    city = shop.city
    found = _open(city)
    service = survey.declare(found, by=city.provider, **_values(city))
    survey.submit_return(found, by=city.provider)
    survey.decide(service, by=city.bureau, disposition=Disposition.INCLUDE)
    task = service.migration
    assert [v for v, _label in survey.replacements(service)] == [
        f"{shop.authorization.code}|{shop.traded.code}"
    ]
    with pytest.raises(RuleViolation, match="请关联"):
        survey.close_migration(task, by=city.bureau, authorization=shop.authorization, product=None)
    from pdao.products import services as products

    products.delist_product(shop.traded, by=shop.operator, reason="调整")
    with pytest.raises(RuleViolation, match="尚未上架"):
        survey.close_migration(task, by=city.bureau, authorization=shop.authorization,
                               product=shop.traded)  # fmt: skip
    products.list_product(shop.traded, by=shop.operator)
    survey.close_migration(task, by=city.bureau, authorization=shop.authorization,
                           product=shop.traded)  # fmt: skip
    task.refresh_from_db()
    assert task.closed_at is not None and task.product == shop.traded
    with pytest.raises(RuleViolation, match="已完成"):
        survey.close_migration(task, by=city.bureau, authorization=shop.authorization,
                               product=shop.traded)  # fmt: skip


def test_a_damaged_workbook_and_an_absurd_volume_are_refused(city, tmp_path):
    found = _open(city)
    good = _filled(city, [_row(city, BANK)]).getvalue()
    damaged = bytearray(good)
    marker = damaged.find(b"xl/worksheets/sheet1.xml")
    # Flip compressed bytes of a member: the zip opens, the member fails its CRC on reading.
    header = damaged.rfind(b"PK\x03\x04", 0, marker + 1)
    start = header + 30 + len(b"xl/worksheets/sheet1.xml") + 10
    for i in range(start, start + 8):
        damaged[i] ^= 0xFF
    path = tmp_path / "damaged.xlsx"
    path.write_bytes(bytes(damaged))
    with pytest.raises(WorkbookProblems):
        survey.import_rows(found, path, by=city.provider)
    with pytest.raises(RuleViolation, match="年服务量不能超过"):
        survey.declare(found, by=city.provider, **_values(city, yearly_volume="9" * 20))
    assert ExistingService.objects.count() == 0


def test_hostile_zip_members_and_endless_digits_are_refused_not_a_500(city, tmp_path):
    import zipfile

    found = _open(city)
    good = _filled(city, [_row(city, BANK)]).getvalue()
    # A member whose name claims UTF-8 but is not (flag 0x800 with invalid bytes).
    path = tmp_path / "badname.xlsx"
    source = zipfile.ZipFile(io.BytesIO(good))
    with zipfile.ZipFile(path, "w") as target:
        for member in source.infolist():
            target.writestr(member, source.read(member))
    data = bytearray(path.read_bytes())
    name = b"docProps/app.xml"
    at = data.rfind(name)  # in the central directory
    data[at : at + 4] = b"\xff\xfe\xfd\xfc"
    data[at - 38] |= 0x08  # general purpose flag, high byte: bit 11 (UTF-8 names)
    path.write_bytes(bytes(data))
    with pytest.raises(WorkbookProblems):
        survey.import_rows(found, path, by=city.provider)
    with pytest.raises(RuleViolation, match="年服务量"):
        survey.declare(found, by=city.provider, **_values(city, yearly_volume="9" * 5000))
    assert ExistingService.objects.count() == 0
