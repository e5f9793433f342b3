"""The demo's year of finance history, made by the real services at their own dates.

A price mechanism needs a past: a year of metered calls, a closed operating year, quarters
remitted. The platform only has the present, so this seed moves the clock (time-machine) to
each moment of the story and acts there, exactly as the people and the scheduler would have:

- 13 months ago the data bureau authorizes `operator2` (广西桂融信用数据服务有限公司) for a 产业
  scenario, DEMO-FIN, for three years; its product 企业参保规模指数 is reviewed, filed and listed
  with a per-call plan (¥0.45, ¥0.40 from the 2,001st call) and a monthly plan (¥1,200 for
  3,000 calls); `consumer` subscribes per call, `consumer2` monthly.
- Every month since, both call the product through the gateway (metered deliveries), and on
  the first of the next month the scheduler computes the month's revenue lines.
- A formal pricing period began with the authorization: a cost survey, a MAR approved for the
  first operating year, which ended last month. Its revenue came out 12 % above the MAR, so the
  year is closed with a task for the bureau to adjust its caps, and the excess is deducted
  from the next year.
- The finance bureau's collection account; the oldest complete quarter in the story is
  notified, paid and confirmed, the next was notified and is now overdue, and the last
  complete quarter is notified today.
- `operator` (DEMO-DP's operator) is in its trial year: a trial period opened four months ago
  and a cost survey it is filling in.

Everything is computed from the records (`manage.py finance_verify` passes on the demo).
Idempotent: skipped when DEMO-FIN exists.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal

import time_machine
from django.db.models import F
from django.utils import timezone

from pdao.accounts.models import User
from pdao.authorization import services as authorization
from pdao.authorization.choices import ApplicationStatus
from pdao.authorization.demo import _review
from pdao.authorization.models import Authorization
from pdao.catalogue.models import Resource
from pdao.core.calendar import add_months
from pdao.core.identity import SCHEDULER
from pdao.finance import money, remittances, revenue, services
from pdao.finance.choices import CostCategory, Standard
from pdao.finance.models import Allowance, CostSurvey, PricingPeriod, RevenueLine
from pdao.products import gateway
from pdao.products import services as products
from pdao.products.choices import Charging, ProductKind
from pdao.products.models import PricePlan

CODE = "DEMO-FIN"
SCENARIO = "小微企业信贷参保规模评估"
PRODUCT = "企业参保规模指数"
# Calls a month per consumer at full scale (the demo tests seed a fraction of it).
CALLS = {"consumer": 40, "consumer2": 12}
KINDS = ["养老保险", "医疗保险", "失业保险", "工伤保险"]
BOND_YIELD = Decimal("2.21")  # ChinaBond 10-year average of the survey's previous year (demo)


def _at(day: date, hour: int = 10, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=timezone.get_current_timezone())


def _user(username: str) -> User:
    return User.objects.get(username=username)


def seed(*, scale: float = 1.0) -> list[str]:
    if Authorization.objects.filter(code=CODE).exists():
        return [f"{CODE}: already seeded"]
    today = timezone.localdate()
    start = add_months(today.replace(day=1), -12)  # the story's first day
    with time_machine.travel(_at(start, 9), tick=False):
        product, plans = _authorize_and_list()
        subscriptions = _subscribe(product, plans)
        _payee_and_period(start)
    months = [add_months(start, k) for k in range(12)]
    share = 0
    for k, first in enumerate(months):
        share += _month_of_calls(product, subscriptions, first, scale * (0.7 + 0.05 * k))
        with time_machine.travel(_at(add_months(first, 1), 1), tick=False):
            revenue.compute_month(first.strftime("%Y-%m"), by=SCHEDULER)
    _remit(start, today)
    closed = _close_first_year(start)
    _trial_operator(today)
    return [
        f"{CODE}: {SCENARIO} ({product.operator.name}), {product.code} {product.name}, "
        f"{share} metered calls over 12 months",
        f"year 1 closed: actual {money.yuan(closed.actual_fen):,} yuan against a MAR of "
        f"{money.yuan(closed.allowance.total_fen):,} (deviation "
        f"{(closed.deviation * 100).quantize(Decimal('0.01'))} %): the bureau adjusts its caps",
    ]


def _authorize_and_list():
    bureau, operator = _user("bureau"), _user("operator2")
    resource = Resource.objects.get(name="社保缴纳记录")
    application = authorization.create_application(
        by=operator, scenario=SCENARIO, domain="finance", purpose="industry",
        description="按区县、险种统计企业参保缴费规模，作为银行对小微企业授信的辅助指标。",
        beneficiaries="柳州市小微企业和合作银行", outcomes="授信审批参考指标，缩短审批时间",
        security_plan="仅在数据运营专区内处理；结果经输出控制后出域；全程审计、上链存证。",
        term_months=36,
    )  # fmt: skip
    fields = [
        f for f in resource.fields.all() if f.name in ("缴费月份", "缴费基数", "险种", "区县")
    ]
    authorization.set_item(
        application, by=operator, resource=resource, output_forms=["aggregate"],
        volume=500_000, frequency="每日",
        fields=[{"field": f, "purpose": f"{f.label or f.name}用于参保规模评估",
                 "justification": "测算所必需，仅输出聚合结果"} for f in fields],
    )  # fmt: skip
    _review(application, bureau, until=ApplicationStatus.DECISION)
    agreement = authorization.decide(
        application, by=bureau, approve=True, reason="场景价值明确，收费在上限内，同意授权。",
        limits={"epsilon_total": "5.0", "fee_cap_yuan": "0.50"},
    )  # fmt: skip
    authorization.sign_agreement(agreement, by=operator)
    authorization.sign_agreement(agreement, by=bureau)
    Authorization.objects.filter(application=application).update(
        code=CODE, revision=F("revision") + 1
    )
    granted = Authorization.objects.get(code=CODE)
    product = products.create_product(
        by=operator, authorization=granted, name=PRODUCT,
        summary="按区县统计某险种的企业职工缴费人次和平均缴费基数，供银行评估小微企业经营稳定性。",
        kind=ProductKind.API, form="aggregate",
        sql="SELECT 区县, COUNT(*) AS 缴费人次, AVG(缴费基数) AS 平均缴费基数 "
            "FROM 社保缴纳记录 WHERE 险种 = :kind GROUP BY 区县",
        parameters=[{"name": "kind", "type": "choice", "label": "险种", "choices": KINDS}],
        output_columns=[], key_column="", epsilon_per_call=0.5,
    )  # fmt: skip
    products.set_price_cap(product, by=bureau, cap=Decimal("0.50"))
    per_call = products.save_plan(
        product, by=operator, name="按次计费", charging=Charging.PER_CALL,
        unit_price=Decimal("0.45"), tiers=[[2001, "0.40"]], calls_per_month=10_000,
    )  # fmt: skip
    monthly = products.save_plan(
        product, by=operator, name="企业版包月", charging=Charging.MONTHLY,
        monthly_fee=Decimal("1200"), calls_per_month=3_000,
    )  # fmt: skip
    review = products.submit_for_review(product, by=operator)
    products.sign_review(review, by=_user("reviewer"), role="reviewer", approved=True,
                         note="来源、范围、输出形式符合授权；定价不高于上限。")  # fmt: skip
    products.sign_review(review, by=_user("supervisor"), role="supervisor", approved=True,
                         note="注入测试与输出控制证明齐全，同意备案。")  # fmt: skip
    product.refresh_from_db()
    products.list_product(product, by=operator)
    return product, {"consumer": per_call, "consumer2": monthly}


def _subscribe(product, plans: dict[str, PricePlan]) -> dict:
    held = {}
    for username, plan in plans.items():
        user = _user(username)
        products.subscribe(product, by=user, plan=plan, months=24)
        credential, _secret = products.create_credential(by=user, name="信贷系统对接")
        held[username] = credential
    return held


def _payee_and_period(start: date) -> None:
    finance = _user("finance")
    remittances.set_payee(
        by=finance, payee="柳州市财政局", bank="中国工商银行股份有限公司柳州分行",
        account_no="2105 0011 0900 0088 166", budget_code="1030199",
        budget_name="其他国有资源（资产）有偿使用收入", days_to_pay=30, effective_from=start,
    )  # fmt: skip
    bureau = _user("bureau")
    operator = _user("operator2").organisation
    services.open_period(
        by=bureau, operator=operator, starts_on=start,
        ends_on=add_months(start, 36) - timedelta(days=1), standard=Standard.FORMAL,
    )  # fmt: skip
    services.record_bond_yield(
        by=bureau, year=start.year - 1, percent=BOND_YIELD,
        source="中国债券信息网 中债国债收益率曲线（10年期）年度均值（演示值）",
    )  # fmt: skip


def _month_of_calls(product, credentials: dict, first: date, scale: float) -> int:
    """The month's calls (a use growing over the year: `scale` rises month by month), spread
    over its working days, each at its own minute."""
    made = 0
    days = [
        first + timedelta(days=d) for d in range(28) if (first + timedelta(days=d)).weekday() < 5
    ]
    for username, per_month in CALLS.items():
        count = max(3, round(per_month * scale))
        for n in range(count):
            day = days[(n * 7 + first.month) % len(days)]
            with time_machine.travel(_at(day, 9 + n % 8, (n * 13) % 60), tick=False):
                answer = gateway.call(
                    credentials[username], product.code, {"kind": KINDS[n % len(KINDS)]},
                    source_ip="10.20.30.40",
                )  # fmt: skip
            made += answer.status == 200
    return made


def _remit(start: date, today: date) -> None:
    """The three latest complete quarters: confirmed, overdue, notified today."""
    finance, owner = _user("finance"), _user("operator2")
    quarter = (today.month - 1) // 3  # the last complete quarter, counted from 1 in its year
    year = today.year if quarter else today.year - 1
    quarter = quarter or 4
    story = []
    for _n in range(3):
        story.insert(0, (year, quarter))
        year, quarter = (year, quarter - 1) if quarter > 1 else (year - 1, 4)
    (paid_year, paid_q), (late_year, late_q), (last_year, last_q) = story
    paid_start, paid_end = money.quarter(paid_year, paid_q)[:2]
    if paid_start >= start:  # always, for a story of 12 months: kept as the reason it works
        with time_machine.travel(_at(paid_end + timedelta(days=8)), tick=False):
            (notice,) = remittances.issue_notices(by=finance, year=paid_year, quarter=paid_q)
        with time_machine.travel(_at(paid_end + timedelta(days=20), 15), tick=False):
            remittances.record_payment(
                by=owner, remittance=notice, paid_on=paid_end + timedelta(days=20),
                amount=f"{money.yuan(notice.amount_fen)}", reference="ICBC2026LZ00318",
            )  # fmt: skip
        with time_machine.travel(_at(paid_end + timedelta(days=23), 11), tick=False):
            remittances.confirm(by=finance, remittance=notice)
    late_end = money.quarter(late_year, late_q)[1]
    with time_machine.travel(_at(late_end + timedelta(days=8)), tick=False):
        remittances.issue_notices(by=finance, year=late_year, quarter=late_q)
    remittances.issue_notices(by=finance, year=last_year, quarter=last_q)


def _close_first_year(start: date):
    """The cost survey and MAR of the first operating year, set so that its actual revenue
    comes out 12 % above it; closed the day after it ended."""
    bureau, owner = _user("bureau"), _user("operator2")
    period = PricingPeriod.objects.get(operator=owner.organisation, starts_on=start)
    first_end = add_months(start, 12) - timedelta(days=1)
    months = services.months_of(start, first_end)
    actual = sum(
        RevenueLine.objects.filter(operator=owner.organisation, month__in=months).values_list(
            "amount_fen", flat=True
        )
    )
    target = money.fen(Decimal(actual) / Decimal("1.12") / 100)
    cost = target * 90 // 100
    shares = [(CostCategory.PLATFORM, "平台建设与运维（云资源、等保测评）", 38),
              (CostCategory.DATA_HANDLING, "数据治理与质量核验", 24),
              (CostCategory.STAFF, "数据分析与运营人员", 34),
              (CostCategory.PERIOD_EXPENSES, "管理费用分摊", 8)]  # fmt: skip
    subsidy = cost * 4 // 100  # 38 + 24 + 34 + 8 − 4 = 100 %
    with time_machine.travel(_at(start + timedelta(days=20)), tick=False):
        survey = services.start_survey(by=bureau, period=period, year=start.year)
        declared = 0
        for category, text, percent in shares[:-1]:
            amount = cost * percent // 100
            declared += amount
            services.declare_cost(
                by=owner, survey=survey, category=category, description=text,
                amount=f"{money.yuan(amount)}", industry_percent="100",
            )  # fmt: skip
        last_category, last_text, _ = shares[-1]
        services.declare_cost(
            by=owner, survey=survey, category=last_category, description=last_text,
            amount=f"{money.yuan(cost - declared + subsidy)}", industry_percent="100",
        )  # fmt: skip
        services.declare_cost(
            by=owner, survey=survey, category=CostCategory.SUBSIDY,
            description="市数字经济发展专项资金补助", amount=f"{money.yuan(subsidy)}",
            industry_percent="100",
        )  # fmt: skip
        services.submit_survey(by=owner, survey=survey)
    with time_machine.travel(_at(start + timedelta(days=40)), tick=False):
        survey = CostSurvey.objects.get(pk=survey.pk)
        services.conclude_survey(by=bureau, survey=survey)
        survey.refresh_from_db()
        rate = Decimal("6.00")
        profit = money.share(survey.cost_fen, rate)
        tax = target - survey.cost_fen - profit
        allowance = services.propose_allowance(
            by=bureau, survey=survey, year_index=1, profit_rate=rate, tax=f"{money.yuan(tax)}"
        )
        services.approve_allowance(by=bureau, allowance=allowance, document="柳发改价格〔演示〕1号")
    with time_machine.travel(_at(first_end + timedelta(days=1), 16), tick=False):
        closed = services.close_year(
            by=bureau, allowance=Allowance.objects.get(pk=allowance.pk), carry_years=1
        )
    return closed


def _trial_operator(today: date) -> None:
    bureau, owner = _user("bureau"), _user("operator")
    first = add_months(today.replace(day=1), -4)
    period = services.open_period(
        by=bureau, operator=owner.organisation, starts_on=first,
        ends_on=add_months(first, 12) - timedelta(days=1), standard=Standard.TRIAL,
    )  # fmt: skip
    survey = services.start_survey(by=bureau, period=period, year=today.year)
    services.declare_cost(
        by=owner, survey=survey, category=CostCategory.PLATFORM,
        description="公交客流分析平台建设与运维", amount="86,000", industry_percent="60",
    )  # fmt: skip
