"""说明书, 数据产品登记 and listings on exchanges: every transition allowed and refused, the
public notice with its objections, lapse and delisting by date, and the dossier package."""

import hashlib
import io
import json
import subprocess
import zipfile
from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.db import transaction
from django.utils import timezone
from docx import Document
from PIL import Image

from pdao.audit.models import AuditEvent
from pdao.core import stored
from pdao.core.permissions import Role
from pdao.core.rules import RuleViolation
from pdao.core.workbench import work_for
from pdao.ledger.models import LedgerEntry
from pdao.market import listings
from pdao.market.choices import ListingStatus, RegistrationKind, RegistrationStatus
from pdao.products import services as products
from pdao.products.choices import ProductStatus
from tests.factories import user_with_role
from tests.market.conftest import SPEC

pytestmark = pytest.mark.django_db
EXCHANGE = "北部湾大数据交易中心"
S = ListingStatus


def _listing(shop):
    return listings.create_listing(shop.traded, by=shop.operator, exchange=EXCHANGE)


def _to(shop, listing, state):
    """Walk `listing` to `state` through the services (the notice over, no objection)."""
    path = {
        S.DRAFT: [],
        S.SUBMITTED: [S.SUBMITTED],
        S.REVIEWING: [S.SUBMITTED, S.REVIEWING],
        S.NOTICE: [S.SUBMITTED, S.REVIEWING, S.NOTICE],
        S.LISTED: [S.SUBMITTED, S.REVIEWING, S.NOTICE, S.LISTED],
        S.SUSPENDED: [S.SUBMITTED, S.REVIEWING, S.NOTICE, S.LISTED, S.SUSPENDED],
        S.DELISTED: [S.DELISTED],
    }[state]
    listings.prepare(listing, by=shop.operator)
    for step in path:
        kwargs = {"reason": "理由"} if step in (S.SUSPENDED, S.DELISTED) else {}
        if step == S.LISTED:  # after the notice, which runs from the day it is recorded
            listing.refresh_from_db()
            with time_machine.travel(listing.notice_end + timedelta(days=1), tick=False):
                listings.advance(listing, by=shop.operator, to=step, number="BBW-GP-0001")
            continue
        listings.advance(listing, by=shop.operator, to=step, **kwargs)
    listing.refresh_from_db()
    assert listing.status == state
    return listing


# --- 说明书 -----------------------------------------------------------------------------------


def test_specification_refuses_missing_fields_unknown_fields_and_other_operators(shop):
    product = shop.traded
    with pytest.raises(RuleViolation, match="请填写使用目的"):
        listings.save_specification(product, by=shop.operator, **(SPEC | {"use_purpose": " "}))
    with pytest.raises(RuleViolation, match="字段含义只能写给本产品"):
        listings.save_specification(
            product, by=shop.operator, **(SPEC | {"field_meanings": {"out:身份证号": "x"}})
        )
    with pytest.raises(RuleViolation, match="请选择更新频率"):
        listings.save_specification(
            product, by=shop.operator, **(SPEC | {"update_frequency": "hourly"})
        )
    stranger = user_with_role(Role.OPERATOR)
    with pytest.raises(RuleViolation, match="只能办理本单位"):
        listings.save_specification(product, by=stranger, **SPEC)
    product.specification.refresh_from_db()
    assert product.specification.use_purpose == SPEC["use_purpose"]


# --- Registration -----------------------------------------------------------------------------


def test_registration_is_numbered_and_valid_to_the_authorization_end_at_most(shop):
    registration = listings.current_registration(shop.traded)
    assert registration.code.startswith(f"450200-CP-{timezone.localdate().year}-")
    three_years = listings.add_years(registration.valid_from, 3) - timedelta(days=1)
    assert registration.valid_until == min(three_years, shop.authorization.ends_on)
    entry = LedgerEntry.objects.get(type="market.registration")
    assert (entry.object_type, entry.object_id) == (
        "market.productregistration",
        str(registration.pk),
    )
    with pytest.raises(RuleViolation, match="到期前 60 天内可以申请续期"):
        listings.submit_registration(shop.traded, by=shop.operator)


def test_renewal_in_the_last_60_days_keeps_the_number_and_continues_validity(shop):
    product = shop.traded
    first = listings.current_registration(product)
    shop.authorization.__class__.objects.filter(pk=shop.authorization.pk).update(
        ends_on=first.valid_until + timedelta(days=800)
    )
    with time_machine.travel(first.valid_until - timedelta(days=30), tick=False):
        renewal = listings.submit_registration(product, by=shop.operator)
        assert renewal.kind == RegistrationKind.RENEWAL
        with pytest.raises(RuleViolation, match="尚未办结"):
            listings.submit_registration(product, by=shop.operator)
        listings.decide_registration(renewal, by=shop.city.bureau, confirm=True)
    renewal.refresh_from_db()
    assert renewal.code == first.code
    assert renewal.valid_from == first.valid_until + timedelta(days=1)
    assert renewal.valid_until == first.valid_until + timedelta(days=800)
    with time_machine.travel(first.valid_until + timedelta(days=1), tick=False):
        assert listings.lapse() == []  # the renewal is in force
        assert listings.current_registration(product) == renewal


def test_refusal_needs_a_reason_and_only_the_bureau_decides(shop):
    other = shop.product(name="另一个产品")
    products.set_price_cap(other, by=shop.city.bureau, cap=Decimal("0.50"))
    other = shop.to_market(other, name="按次", charging="per_call", unit_price=Decimal("0.40"))
    listings.save_specification(other, by=shop.operator, **SPEC)
    registration = listings.submit_registration(other, by=shop.operator)
    with pytest.raises(RuleViolation):
        listings.decide_registration(registration, by=shop.operator, confirm=True)
    with pytest.raises(RuleViolation, match="请填写不予登记的理由"):
        listings.decide_registration(registration, by=shop.city.bureau, confirm=False)
    listings.decide_registration(registration, by=shop.city.bureau, confirm=False, note="材料不全")
    registration.refresh_from_db()
    assert (registration.status, registration.code) == (RegistrationStatus.REJECTED, "")
    with pytest.raises(RuleViolation, match="已办结"):
        listings.decide_registration(registration, by=shop.city.bureau, confirm=True)


def test_lapse_delists_everywhere_on_the_day_after_and_is_flagged_before(shop):
    product = shop.traded
    listing = _to(shop, _listing(shop), S.LISTED)
    until = listings.current_registration(product).valid_until
    with time_machine.travel(until - timedelta(days=10), tick=False):
        items = {str(i.title): i for i in work_for(shop.operator, Role.OPERATOR)}
        assert items["产品登记即将到期，请申请续期"].count == 1
        assert listings.lapse() == []
    with time_machine.travel(until, tick=False):
        assert listings.lapse() == []  # still valid on its last day
    with time_machine.travel(until + timedelta(days=1), tick=False):
        assert listings.lapse() == [product]
        assert listings.lapse() == []  # once
    product.refresh_from_db()
    listing.refresh_from_db()
    assert product.status == ProductStatus.DELISTED
    assert listing.status == S.DELISTED
    assert "已于" in listing.status_reason
    assert AuditEvent.objects.filter(action="market.registration_lapse").count() == 1


# --- Listing states ---------------------------------------------------------------------------

ALLOWED = {
    S.DRAFT: {S.SUBMITTED, S.DELISTED},
    S.SUBMITTED: {S.REVIEWING, S.DRAFT, S.DELISTED},
    S.REVIEWING: {S.NOTICE, S.DRAFT, S.DELISTED},
    S.NOTICE: {S.LISTED, S.DRAFT, S.DELISTED},
    S.LISTED: {S.SUSPENDED, S.DELISTED},
    S.SUSPENDED: {S.LISTED, S.DELISTED},
    S.DELISTED: set(),
}


class _Undo(Exception):
    pass


def test_every_listing_transition_is_allowed_or_refused_as_specified(shop):
    # One listing per state, each on an exchange of its own (one live listing per exchange).
    started = {
        start: _to(
            shop,
            listings.create_listing(shop.traded, by=shop.operator, exchange=f"交易场所{n}"),
            start,
        )
        for n, start in enumerate(S)
    }
    with time_machine.travel(timezone.localdate() + timedelta(days=10), tick=False):
        for start, listing in started.items():  # past any notice a listing is under
            for target in S:
                kwargs = {"reason": "交易场所意见", "number": "BBW-GP-0002"}
                try:
                    with transaction.atomic():
                        listings.advance(listing, by=shop.operator, to=target, **kwargs)
                        listing.refresh_from_db()
                        assert listing.status == target
                        raise _Undo
                except _Undo:
                    assert target in ALLOWED[start], f"{start} → {target} should be refused"
                except RuleViolation:
                    assert target not in ALLOWED[start], f"{start} → {target} should be allowed"
                listing.refresh_from_db()
                assert listing.status == start


def test_the_bureau_may_only_suspend_or_delist(shop):
    listing = _to(shop, _listing(shop), S.LISTED)
    with pytest.raises(RuleViolation):
        listings.advance(listing, by=shop.city.bureau, to=S.DRAFT, reason="x")
    with pytest.raises(RuleViolation, match="请填写理由"):
        listings.advance(listing, by=shop.city.bureau, to=S.SUSPENDED)
    listings.advance(listing, by=shop.city.bureau, to=S.SUSPENDED, reason="核查投诉")
    listing.refresh_from_db()
    assert listing.status == S.SUSPENDED


def test_notice_runs_three_working_days_and_objections_hold_the_listing(shop, client):
    listing = _to(shop, _listing(shop), S.REVIEWING)
    listings.advance(listing, by=shop.operator, to=S.NOTICE)
    listing.refresh_from_db()
    assert listing.notice_end == listings.add_working_days(timezone.localdate(), 3)
    with pytest.raises(RuleViolation, match="公示结束后"):
        listings.advance(listing, by=shop.operator, to=S.LISTED, number="N-1")
    with pytest.raises(RuleViolation, match="请选择挂牌进展"):
        listings.advance(listing, by=shop.operator, to="bogus")
    # Anyone objects through the public page, without an account.
    response = client.post(
        f"/market/l/{listing.code}/object/",
        {"name": "某公司", "contact": "0772-1234567", "text": "该产品与我司产品名称混同。"},
    )
    assert response.status_code == 302
    objection = listing.objections.get()
    assert objection.tracking_no.startswith("GP")
    after = listing.notice_end + timedelta(days=1)
    with time_machine.travel(after, tick=False):
        with pytest.raises(RuleViolation, match="不在公示期内"):
            listings.raise_objection(listing, name="迟到", contact="x", text="y")
        with pytest.raises(RuleViolation, match="未答复"):
            listings.advance(listing, by=shop.operator, to=S.LISTED, number="N-1")
        listings.answer_objection(objection, by=shop.city.bureau, response="已核实", upheld=True)
        with pytest.raises(RuleViolation, match="成立的公示异议"):
            listings.advance(listing, by=shop.operator, to=S.LISTED, number="N-1")
        objection.refresh_from_db()
        objection.upheld = False
        objection.save()
        with pytest.raises(RuleViolation, match="挂牌编号"):
            listings.advance(listing, by=shop.operator, to=S.LISTED)
        listings.advance(listing, by=shop.operator, to=S.LISTED, number="BBW-GP-2026-0007")
    listing.refresh_from_db()
    assert (listing.status, listing.exchange_listing_no) == (S.LISTED, "BBW-GP-2026-0007")


def test_a_listing_needs_a_registration_in_force_and_one_live_listing_per_exchange(shop):
    listing = _listing(shop)
    with pytest.raises(RuleViolation, match="已有挂牌申请"):
        _listing(shop)
    listings.advance(listing, by=shop.operator, to=S.DELISTED, reason="改投其他场所")
    _listing(shop)  # a delisted listing does not count
    until = listings.current_registration(shop.traded).valid_until
    with (
        time_machine.travel(until + timedelta(days=1), tick=False),
        pytest.raises(RuleViolation, match="登记已失效"),
    ):
        listings.create_listing(shop.traded, by=shop.operator, exchange="上海数据交易所")


# --- The dossier ------------------------------------------------------------------------------


def test_dossier_package_holds_the_specification_and_evidence_and_is_anchored(shop, tmp_path):
    product = shop.traded
    type(product).objects.filter(pk=product.pk).update(
        output_columns=[{"name": "平均缴费", "label": "平均缴费（元）"}]
    )
    product.refresh_from_db()
    meanings = {"in:since": "统计起始月份", "out:平均缴费": "该区县缴费金额的平均值"}
    listings.save_specification(product, by=shop.operator, **(SPEC | {"field_meanings": meanings}))
    listing = _listing(shop)
    listings.prepare(listing, by=shop.operator)
    listing.refresh_from_db()
    data = stored.read(listings.AREA, listing.package_sha256, "zip")
    assert hashlib.sha256(data).hexdigest() == listing.package_sha256
    entry = LedgerEntry.objects.get(type="market.dossier")
    assert entry.content_hash == listing.package_sha256
    archive = zipfile.ZipFile(io.BytesIO(data))
    assert sorted(archive.namelist()) == sorted(
        [
            "数据产品说明书.json",
            "数据产品说明书.pdf",
            "数据产品说明书.docx",
            "证明材料/合规审查与登记证明.pdf",
        ]
    )
    fields = json.loads(archive.read("数据产品说明书.json"))
    registration = listings.current_registration(shop.traded)
    assert fields["产品编号"] == shop.traded.code
    assert fields["数据来源"]["授权编号"] == shop.authorization.code
    assert fields["产品登记"]["登记确认单编号"] == registration.code
    assert fields["合规审查"]["备案编号"] == shop.traded.filing_no
    assert [p["价格"] for p in fields["价格方案"]] == ["0.40 元/次"]
    assert fields["输入字段"][0] == {
        "name": "since", "label": "起始月份", "type": "日期", "meaning": "统计起始月份"
    }  # fmt: skip
    assert fields["输出字段"] == [
        {"name": "平均缴费", "label": "平均缴费（元）", "meaning": "该区县缴费金额的平均值"}
    ]
    assert {s["resource_code"] for s in fields["数据来源质量"]} == {shop.city.social.code}
    text = "\n".join(
        p.text for p in Document(io.BytesIO(archive.read("数据产品说明书.docx"))).paragraphs
    )
    assert "数据产品说明书：区县参保统计" in text and "使用目的：企业用工规模研判" in text
    pdf = tmp_path / "spec.pdf"
    pdf.write_bytes(archive.read("数据产品说明书.pdf"))
    command = ["pdftoppm", "-png", "-r", "40", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "p")]
    subprocess.run(command, check=True)
    page = Image.open(next(tmp_path.glob("p*.png"))).convert("L")
    dark = sum(page.histogram()[:128])
    assert dark > 500, "the first page renders blank: no Chinese font?"
    # The same records give the same bytes; a submitted dossier is fixed.
    before = listing.package_sha256
    listings.prepare(listing, by=shop.operator)
    listing.refresh_from_db()
    assert listing.package_sha256 == before
    listings.advance(listing, by=shop.operator, to=S.SUBMITTED)
    with pytest.raises(RuleViolation, match="不能重新生成"):
        listings.prepare(listing, by=shop.operator)


def test_submitting_needs_the_dossier(shop):
    listing = _listing(shop)
    with pytest.raises(RuleViolation, match="请先生成挂牌材料"):
        listings.advance(listing, by=shop.operator, to=S.SUBMITTED)
