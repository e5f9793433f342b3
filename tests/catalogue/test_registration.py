from datetime import date, timedelta

import pytest
from django.utils import timezone

from pdao.audit.models import AuditEvent
from pdao.catalogue import registration as reg
from pdao.catalogue.models import Registration
from pdao.core.rules import RuleViolation
from pdao.ledger.models import LedgerEntry

pytestmark = pytest.mark.django_db


def _after_notice(registration):
    """Move the notice into the past, as if its working days had run."""
    Registration.objects.filter(pk=registration.pk).update(
        notice_start=timezone.localdate() - timedelta(days=20),
        notice_end=timezone.localdate() - timedelta(days=1),
    )


def test_working_days_skip_weekends():
    friday = date(2026, 11, 27)
    assert reg.add_working_days(friday, 1) == date(2026, 11, 30)  # Monday
    assert reg.add_working_days(friday, 10) == date(2026, 12, 11)


def test_full_flow_gives_a_code_and_anchors_the_record(resource, provider, bureau_admin):
    record = reg.submit(resource, by=provider, kind="initial", commitment_signed_by="黄美玲")
    assert record.snapshot["资源代码"] == resource.code
    reg.open_notice(record, by=bureau_admin)
    record.refresh_from_db()
    assert record.notice_end == reg.add_working_days(timezone.localdate(), 10)
    objection = reg.raise_objection(
        record, name="市民李某", contact="138****0000", text="字段说明不清"
    )
    with pytest.raises(RuleViolation, match="公示期尚未结束"):
        reg.decide(record, by=bureau_admin, confirm=True)
    _after_notice(record)
    with pytest.raises(RuleViolation, match="未答复的异议"):
        reg.decide(record, by=bureau_admin, confirm=True)
    reg.answer_objection(objection, by=bureau_admin, response="已补充字段说明", upheld=False)
    record = reg.decide(record, by=bureau_admin, confirm=True)
    assert record.code == f"450200-{timezone.localdate().year}-000001"
    assert LedgerEntry.objects.filter(
        type="registration.confirm", object_id=str(record.pk)
    ).exists()
    national = reg.national_record(record)
    assert national["登记查询码"] == record.code and national["登记类型"] == "首次登记"


def test_objection_outside_the_notice_is_refused(resource, provider, bureau_admin):
    record = reg.submit(resource, by=provider, kind="initial", commitment_signed_by="黄美玲")
    with pytest.raises(RuleViolation, match="不在公示期内"):
        reg.raise_objection(record, name="某", contact="x", text="y")
    reg.open_notice(record, by=bureau_admin)
    _after_notice(record)
    with pytest.raises(RuleViolation, match="不在公示期内"):
        reg.raise_objection(record, name="某", contact="x", text="y")


def test_upheld_objection_blocks_confirmation_and_rejection_needs_a_reason(
    resource, provider, bureau_admin
):
    record = reg.submit(resource, by=provider, kind="initial", commitment_signed_by="黄美玲")
    reg.open_notice(record, by=bureau_admin)
    objection = reg.raise_objection(record, name="某企业", contact="x", text="涉及商业秘密")
    reg.answer_objection(objection, by=bureau_admin, response="经核实成立", upheld=True)
    _after_notice(record)
    with pytest.raises(RuleViolation, match="有成立的异议"):
        reg.decide(record, by=bureau_admin, confirm=True)
    with pytest.raises(RuleViolation, match="说明理由"):
        reg.decide(record, by=bureau_admin, confirm=False)
    record = reg.decide(record, by=bureau_admin, confirm=False, note="异议成立,需调整开放属性")
    assert (record.status, record.code) == ("rejected", None)


def test_kinds_follow_the_life_of_a_registration(resource, provider, bureau_admin):
    with pytest.raises(RuleViolation, match="尚未完成首次登记"):
        reg.submit(resource, by=provider, kind="change", commitment_signed_by="黄美玲")
    first = reg.submit(resource, by=provider, kind="initial", commitment_signed_by="黄美玲")
    with pytest.raises(RuleViolation, match="尚未办结"):
        reg.submit(resource, by=provider, kind="initial", commitment_signed_by="黄美玲")
    reg.open_notice(first, by=bureau_admin)
    _after_notice(first)
    reg.decide(first, by=bureau_admin, confirm=True)
    with pytest.raises(RuleViolation, match="已完成首次登记"):
        reg.submit(resource, by=provider, kind="initial", commitment_signed_by="黄美玲")
    assert reg.submit(resource, by=provider, kind="cancellation", commitment_signed_by="黄美玲")


def test_only_the_provider_submits_and_only_the_bureau_decides(resource, provider, bureau_admin):
    with pytest.raises(RuleViolation):
        reg.submit(resource, by=bureau_admin, kind="initial", commitment_signed_by="x")
    record = reg.submit(resource, by=provider, kind="initial", commitment_signed_by="黄美玲")
    with pytest.raises(RuleViolation, match="市数据局"):
        reg.open_notice(record, by=provider)
    assert AuditEvent.objects.filter(action="registration.submit").count() == 1


def test_anyone_objects_through_the_public_notice_page(resource, provider, bureau_admin):
    from django.test import Client
    from django.urls import reverse

    record = reg.submit(resource, by=provider, kind="initial", commitment_signed_by="黄美玲")
    reg.open_notice(record, by=bureau_admin)
    client = Client()
    page = client.get(reverse("catalogue:notices")).content.decode()
    assert resource.name in page and "数据版本SHA-256" not in page
    response = client.post(
        reverse("catalogue:notices"),
        {
            "registration": record.pk,
            "name": "市民王某",
            "contact": "邮箱",
            "text": "请说明更新频率",
        },
        follow=True,
    )
    assert "异议已提交" in response.content.decode()
    assert record.objections.get().raised_by_name == "市民王某"


def test_confirmed_registrations_export_in_national_fields(
    resource, provider, bureau_admin, client_for
):
    import io

    from django.urls import reverse
    from openpyxl import load_workbook

    record = reg.submit(resource, by=provider, kind="initial", commitment_signed_by="黄美玲")
    reg.open_notice(record, by=bureau_admin)
    _after_notice(record)
    reg.decide(record, by=bureau_admin, confirm=True)
    client = client_for(provider)
    body = client.get(reverse("catalogue:registrations_export") + "?format=json").json()
    [row] = body["registrations"]
    assert row["资源代码"] == resource.code and row["登记查询码"].startswith("450200-")
    sheet = load_workbook(
        io.BytesIO(client.get(reverse("catalogue:registrations_export")).content)
    ).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "登记类型" and rows[1][0] == "首次登记"


def test_public_forms_are_rate_limited_per_address_and_save_nothing_over_the_limit():
    from django.test import Client
    from django.urls import reverse

    from pdao.catalogue.models import Demand

    data = {"title": "需求", "description": "说明", "contact": "邮箱", "name": "某"}
    spammer = Client(REMOTE_ADDR="203.0.113.50")
    statuses = [  # each a different demand: the same one twice is stored once
        spammer.post(reverse("catalogue:demands"), {**data, "title": f"需求{n}"}).status_code
        for n in range(11)
    ]
    assert statuses[:10] == [302] * 10 and statuses[10] == 429
    assert Demand.objects.count() == 10
    assert (
        Client(REMOTE_ADDR="198.51.100.9").post(reverse("catalogue:demands"), data).status_code
        == 302
    )
