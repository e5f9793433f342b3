"""The demo's market, made by the real services at their own dates (time-machine, as the
finance demo does):

- Three weeks ago: 说明书 written and registrations confirmed for 企业参保规模指数
  (桂融信用), 公交站点客流指数 and 区县参保缴费统计 (龙城数智); 企业参保规模指数 prepared
  for 北部湾大数据交易中心, through the exchange's review and its 3-day notice to a listing
  number. 区县参保缴费统计 is traded off-exchange only.
- Orders: `consumer2` bought 5,000 calls of 公交站点客流指数 off-exchange — signed, paid,
  delivered, accepted and settled; `consumer2` also ordered 区县参保缴费统计 (公益, no payment)
  and disputes its delivery; `consumer` bought 企业参保规模指数 on the exchange — the contract is
  signed and the payment awaited.
- A survey of existing services opened three weeks ago, its deadline five days past: six services
  from four departments, three of them decided (one 纳入授权运营 with its migration task open);
  every department has returned except 医保局, which is overdue.
- Three verified firms in the directory: 信安评估 (合规评估), 桂融信用 and 龙城数智 (数据商); and
  龙城数智 with 康宁健康 declared related parties.

Idempotent: skipped when the first listing exists.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from decimal import Decimal

import time_machine
from django.utils import timezone

from pdao.accounts.demo import synthetic_credit_code
from pdao.accounts.models import Organisation, User
from pdao.catalogue.models import Resource
from pdao.market import firms, listings, orders, survey
from pdao.market.choices import Disposition, ListingStatus
from pdao.market.models import Listing, ServiceSurvey
from pdao.products.models import Product

EXCHANGE = "北部湾大数据交易中心"
SPECS = {
    "企业参保规模指数": {
        "data_content": "按区县、险种统计的企业参保人次与缴费基数规模指数，按月更新。",
        "update_frequency": "monthly",
        "use_purpose": "银行和担保机构对小微企业授信前评估其用工与参保规模",
        "use_term": "合同约定的服务期内，且不超过授权期限",
        "allowed_users": "买方本单位的授信审批人员",
        "use_cases": "某担保公司在授信审批中调用该指数，审批时间由 5 天缩短到 2 天。",
        "delivery": "api",
    },
    "公交站点客流指数": {
        "data_content": "按卡类型统计的各上车站点客流（差分隐私保护）。",
        "update_frequency": "daily",
        "use_purpose": "商圈选址、线路优化研究",
        "use_term": "合同约定的服务期内",
        "allowed_users": "买方本单位",
        "use_cases": "汽配产业服务公司据此评估工业园区通勤客流，调整班车线路。",
        "delivery": "api",
    },
    "区县参保缴费统计": {
        "data_content": "按区县、险种统计的缴费人次和平均缴费基数。",
        "update_frequency": "monthly",
        "use_purpose": "公益研究、基层治理",
        "use_term": "长期",
        "allowed_users": "买方本单位",
        "use_cases": "街道据此掌握参保薄弱区域，开展参保宣传。",
        "delivery": "api",
    },
}
PROHIBITED = "不得转售或向第三方提供；不得尝试识别个人或单个企业；不得超出使用目的使用"
# (department username, recipient name, type, method, purpose, basis, charged fee in yuan)
SERVICES = [
    ("provider_hrss", "柳州桂中普惠融资担保有限公司", "enterprise", "verify",
     "担保审批时核验申请人参保状态", "柳人社协〔2022〕11号", "0"),
    ("provider_hrss", "柳州某商业银行", "enterprise", "api",
     "个人贷款审批核验社保缴纳", "柳人社协〔2021〕7号", "48000"),
    ("provider", "柳州市企业信用促进会", "social", "file",
     "会员企业信用报告", "柳市监函〔2020〕33号", "0"),
    ("provider", "柳州某征信服务公司", "enterprise", "api",
     "企业征信报告数据源", "柳市监协〔2023〕2号", "120000"),
    ("provider_transport", "柳州某地图导航公司", "enterprise", "api",
     "公交实时线路展示", "柳交函〔2022〕19号", "0"),
    ("provider_medicare", "柳州某商业保险公司", "enterprise", "file",
     "普惠型商业补充医疗保险精算", "柳医保协〔2023〕4号", "60000"),
]  # fmt: skip


def _user(username: str) -> User:
    return User.objects.get(username=username)


def _code(name: str, n: int) -> str:
    return synthetic_credit_code(f"{name}{n}", "91")


def seed() -> list[str]:
    if Listing.objects.exists():
        return ["market: already seeded"]
    bureau = _user("bureau")
    today = timezone.localdate()
    start = timezone.make_aware(datetime.combine(today - timedelta(days=21), time(10)))
    with time_machine.travel(start, tick=False):
        products = _register(bureau)
        listing = _list_on_exchange(products["企业参保规模指数"])
        opened = survey.open_survey(
            by=bureau, title="2026 年公共数据存量服务摸底", deadline=today - timedelta(days=5),
            instructions="请填报向机关和财政拨款事业单位以外的第三方提供的公共数据服务，没有的零申报。",
        )  # fmt: skip
        _declare(opened)
    with time_machine.travel(start + timedelta(days=7), tick=False):
        _number(listing)
    lines = [
        f"{EXCHANGE}: {listing.product.name} listed as {listing.exchange_listing_no}",
        *_trade(products),
    ]
    _decide(opened, bureau)
    lines.append(f"{opened.code}: {opened.services.count()} services declared, 医保局 overdue")
    lines += _firms(bureau)
    return lines


def _register(bureau) -> dict[str, Product]:
    found = {}
    for name, spec in SPECS.items():
        product = Product.objects.get(name=name)
        owner = User.objects.filter(organisation=product.operator).first()
        listings.save_specification(product, by=owner, prohibited=PROHIBITED, **spec)
        registration = listings.submit_registration(product, by=owner)
        listings.decide_registration(registration, by=bureau, confirm=True)
        found[name] = product
    return found


def _list_on_exchange(product) -> Listing:
    owner = User.objects.filter(organisation=product.operator).first()
    listing = listings.create_listing(product, by=owner, exchange=EXCHANGE)
    listings.prepare(listing, by=owner)
    listings.advance(listing, by=owner, to=ListingStatus.SUBMITTED)
    listings.advance(listing, by=owner, to=ListingStatus.REVIEWING)
    listings.advance(listing, by=owner, to=ListingStatus.NOTICE)
    return listing


def _number(listing) -> None:
    owner = User.objects.filter(organisation=listing.product.operator).first()
    listings.advance(listing, by=owner, to=ListingStatus.LISTED, number="BBW-SJ-2026-00418")
    listing.refresh_from_db()


def _trade(products) -> list[str]:
    consumer, consumer2 = _user("consumer"), _user("consumer2")
    passenger = products["公交站点客流指数"]
    seller = User.objects.filter(organisation=passenger.operator).first()
    settled = orders.place(passenger, by=consumer2, plan=passenger.plans.first(), months=12,
                           quantity=5000)  # fmt: skip
    orders.sign(settled, by=consumer2)
    orders.sign(settled, by=seller)
    orders.record_payment(settled, by=seller, paid_on=timezone.localdate(),
                          amount=str(Decimal(settled.amount_fen) / 100),
                          reference="ICBC-LZ-0092317")  # fmt: skip
    orders.confirm_payment(settled, by=consumer2)
    orders.accept(settled, by=consumer2)
    free = products["区县参保缴费统计"]
    disputed = orders.place(free, by=consumer2, plan=free.plans.first(), months=6)
    orders.sign(disputed, by=consumer2)
    orders.sign(disputed, by=User.objects.filter(organisation=free.operator).first())
    orders.dispute(disputed, by=consumer2, reason="交付的统计口径与说明书不一致：缺少柳江区。")
    index = products["企业参保规模指数"]
    listing = index.listings.get(status=ListingStatus.LISTED)
    on_exchange = orders.place(index, by=consumer, plan=index.plans.first(), months=12,
                               quantity=20000, listing=listing,
                               exchange_order_no="BBW-DD-2026-003181")  # fmt: skip
    orders.sign(on_exchange, by=consumer)
    orders.sign(on_exchange, by=User.objects.filter(organisation=index.operator).first())
    return [
        f"{settled.code}: {passenger.name}, settled",
        f"{disputed.code}: {free.name}, disputed",
        f"{on_exchange.code}: {index.name} on {EXCHANGE}, awaiting payment",
    ]


def _declare(opened: ServiceSurvey) -> None:
    for n, (username, recipient, kind, method, purpose, basis, fee) in enumerate(SERVICES):
        user = _user(username)
        resource = Resource.objects.filter(provider=user.organisation).order_by("code").first()
        if resource is None:
            continue
        survey.declare(
            opened, by=user, recipient_name=recipient, recipient_credit_code=_code(recipient, n),
            recipient_type=kind, resources=resource.code, method=method, purpose=purpose,
            legal_basis=basis, starts_on="2022-01-01", ends_on="", charged=fee != "0",
            fee=fee if fee != "0" else "", yearly_volume=str(3000 + 1500 * n),
            safeguards="专线或加密传输，调用留痕，按季度核对用途",
        )  # fmt: skip
    for user in (
        User.objects.filter(organisation__type="provider", role_grants__role="provider")
        .exclude(username="provider_medicare")
        .distinct()
    ):
        if not opened.returns.filter(provider=user.organisation).exists():
            survey.submit_return(opened, by=user)


def _decide(opened: ServiceSurvey, bureau) -> None:
    services = list(opened.services.order_by("pk"))
    choices = [
        (Disposition.INCLUDE, ""),
        (Disposition.SHARE, "对方为承担公共服务职能的机构，转为共享方式提供"),
        (Disposition.STOP, "协议已到期且无新的依据，停止提供"),
    ]
    for service, (disposition, note) in zip(services[1:4], choices, strict=False):
        survey.decide(service, by=bureau, disposition=disposition, note=note)


def _firms(bureau) -> list[str]:
    made = []
    for username, category, text in (
        ("reviewer", "compliance", "数据合规评估团队 15 人，持数据安全评估相关资质。"),
        ("operator2", "merchant", "经营公共数据授权运营产品，在北部湾大数据交易中心挂牌。"),
        ("operator", "merchant", "经营交通、社保领域数据产品。"),
    ):  # fmt: skip
        user = _user(username)
        application = firms.apply(by=user, category=category, qualifications=text,
                                  certificates="", contact=f"{username}@demo.invalid")  # fmt: skip
        firms.decide(application, by=bureau, verify=True)
        made.append(user.organisation.name)
    related = [
        Organisation.objects.get(name="柳州龙城数智科技有限公司"),
        Organisation.objects.get(name="柳州康宁健康管理有限公司"),
    ]
    orders.declare_related(by=bureau, name="龙城数智与康宁健康",
                           credit_codes=[o.credit_code for o in related],
                           reason="同一实际控制人（工商登记股权穿透）")  # fmt: skip
    return [f"directory: {'、'.join(made)}", "related parties: 龙城数智 and 康宁健康"]
