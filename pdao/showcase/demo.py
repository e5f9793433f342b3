"""The demo's scenario registry and typical-scenario review, made by the real services:

- Seven more authorizations (beside the five the authorization and finance demos made), so the
  registry holds twelve scenarios in eight domains; the new ones are not yet in production.
- The taskforce publishes the criteria (应用成效 30, 创新性 20, 引领效应 20, 数据安全 15,
  可推广性 15) and sets the departments' domains: 交通运输局 leads 交通运输; 工信局 leads
  工业制造, 科技创新, 商贸流通 and 金融服务 (in the demo it coordinates the city's enterprise
  services); 人社局 城市治理; 卫健委 医疗健康.
- The operators write the cases of their scenarios in production, each with a chart of its
  monthly answered deliveries drawn from the records.
- 交通运输局 nominates 公交客流 (DEMO-DP); 工信局 nominates 企业参保规模 (DEMO-FIN), 医保
  结算 (DEMO-DEID) and 企业经营活力 (DEMO-MODEL); both experts score each and the taskforce
  confirms all four as 市级典型; DEMO-FIN is packaged for the national 数据要素× call.
- Last year's disclosures of the bureau and 桂融信用 (DEMO-FIN's operator) published on
  20 March; twelve months of figures recorded; DEMO-FIN evaluated 合格 for last year and DEMO-DP
  基本合格 this year, with a rectification task; DEMO-FREIGHT in exit (its operator left), the
  operator's confirmation awaited.

Idempotent: skipped when a nomination exists.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import time_machine
from django.db.models import Count, F
from django.db.models.functions import TruncMonth
from django.utils import timezone

from pdao.accounts.models import Organisation, User
from pdao.authorization import exits
from pdao.authorization import services as authorization
from pdao.authorization.choices import ApplicationStatus, ExitCause
from pdao.authorization.demo import _draft, _review
from pdao.authorization.models import Authorization
from pdao.products.models import Delivery
from pdao.showcase import charts, disclosures, evaluations, kpis, scenarios, typical
from pdao.showcase.choices import DEFAULT_WEIGHTS
from pdao.showcase.models import Nomination, Scenario

# (code, operator, scenario, domain, purpose, resource, fields, forms, description)
MORE = [
    ("DEMO-AGRI", "operator", "农业气象灾害预警服务", "agriculture", "public_welfare", "气象观测",
     ["站点编号", "观测时间", "气温", "降水量", "相对湿度"], ["aggregate"],
     "按站点统计降水与气温极值，为柳江、柳城种植户提供低温和强降雨预警。"),
    ("DEMO-IND", "operator2", "汽车零部件企业集群画像", "industry", "industry", "企业登记信息",
     ["统一社会信用代码", "行业门类", "区县", "成立日期", "注册资本万元"], ["aggregate"],
     "按区县汇总制造业企业的设立与注册资本，刻画汽车零部件企业集群分布，服务招商和园区规划。"),
    ("DEMO-COM", "operator", "新设企业经营景气指数", "commerce", "industry", "企业年报信息",
     ["统一社会信用代码", "年度", "从业人数", "营业收入区间"], ["aggregate"],
     "以年报从业人数和营业收入区间编制新设企业景气指数，服务商贸流通企业选址。"),
    ("DEMO-FREIGHT", "operator2", "道路货运运力调度分析", "transport", "industry", "道路运输车辆",
     ["车辆类型", "经营业户", "道路运输证有效期"], ["aggregate"],
     "统计在册货运车辆类型与证件有效期分布，支撑物流园区运力调度。"),
    ("DEMO-JOB", "operator", "重点群体就业帮扶画像", "governance", "public_welfare", "就业登记",
     ["身份证号", "姓名", "手机号"], ["aggregate"],
     "按区县统计就业登记人数变化，辅助人社部门精准开展就业帮扶。"),
    ("DEMO-SCI", "operator2", "科技型中小企业成长评价", "science", "industry", "企业登记信息",
     ["统一社会信用代码", "行业门类", "成立日期", "注册资本万元"], ["aggregate"],
     "结合登记信息刻画信息技术服务业企业成长，支撑科技型中小企业梯度培育。"),
    ("DEMO-TOUR", "operator", "节假日景区客流研判", "tourism", "public_welfare", "公交刷卡记录",
     ["上车站点", "刷卡时间", "卡类型"], ["dp"],
     "以窑埠古镇、龙潭公园等站点的节假日刷卡客流研判景区承载压力。"),
]  # fmt: skip

# fmt: off
CASES = {
    "DEMO-FIN": {
        "users": "柳州辖区 6 家银行和 2 家融资担保机构的授信审批人员",
        "background": "小微企业缺少抵押物，金融机构难以核实其真实经营和用工规模，授信审批周期长。",
        "approach": "在数据运营专区内按区县、险种汇总企业参保人次和缴费基数，形成企业参保规模指数，"
        "金融机构在授信前经网关按次调用；原始参保记录不出域，结果经输出控制。",
        "outcomes": "担保机构授信审批时间由 5 天缩短到 2 天；一年来服务 2 家金融机构，"
        "支撑小微企业信用贷款投放。",
    },
    "DEMO-DP": {
        "users": "商圈运营方、汽配产业园区通勤班车运营单位",
        "background": "产业园区通勤需求变化快，班车线路多年未调整，空驶率高。",
        "approach": "以差分隐私统计各上车站点、各卡类型客流，按日发布客流指数，"
        "单人出行轨迹不可见。",
        "outcomes": "园区据此调整 3 条通勤班车线路，早高峰平均候车时间缩短约 8 分钟。",
    },
    "DEMO-DEID": {
        "users": "商业健康保险公司核保、理赔部门",
        "background": "普惠型商业健康险定价缺少本地慢病费用数据，核保依赖全国经验值。",
        "approach": "去标识化的医保结算记录按病种提供费用结构，附加收件方水印，交付全程可追溯。",
        "outcomes": "支撑本地惠民保产品按病种精算，理赔核验时间缩短一半。",
    },
    "DEMO-MODEL": {
        "users": "供应链金融平台、产业链上下游核心企业",
        "background": "核心企业评估中小供应商经营稳定性，缺少客观、可比的指标。",
        "approach": "在专区内用企业登记信息训练经营活力评分模型，模型留在专区，"
        "按企业逐次输出评分。",
        "outcomes": "供应商准入评估由人工尽调 2 周缩短为即时查询。",
    },
    "DEMO-AGG": {
        "users": "市人社局及各区县社保经办机构",
        "background": "灵活就业人员参保率偏低，扩面工作缺少按区域、险种的精准画像。",
        "approach": "按区县、险种统计参保人数与缴费基数分布，识别参保薄弱区域。",
        "outcomes": "形成参保薄弱区域清单，指导 2 个城区开展扩面宣传。",
    },
}
# fmt: on

# (authorization code, nominating user, reason, expert scores (reviewer, reviewer2))
NOMINATIONS = [
    ("DEMO-DP", "provider_transport", "以隐私保护的客流数据优化园区通勤，方案可在其他园区复制。",
     ({"effect": 88, "innovation": 85, "leadership": 80, "security": 92, "replicability": 86},
      {"effect": 84, "innovation": 82, "leadership": 78, "security": 90, "replicability": 88})),
    ("DEMO-FIN", "industry", "公共数据赋能小微企业融资，成效可量化，具备全国推广价值。",
     ({"effect": 93, "innovation": 86, "leadership": 90, "security": 90, "replicability": 92},
      {"effect": 90, "innovation": 84, "leadership": 88, "security": 92, "replicability": 90})),
    ("DEMO-DEID", "industry", "以去标识化医保数据支撑惠民保精算，兼顾利用与安全。",
     ({"effect": 82, "innovation": 80, "leadership": 76, "security": 88, "replicability": 78},
      {"effect": 80, "innovation": 78, "leadership": 75, "security": 90, "replicability": 80})),
    ("DEMO-MODEL", "industry", "模型不出域、按次输出评分，是数据可用不可见的典型做法。",
     ({"effect": 80, "innovation": 90, "leadership": 82, "security": 86, "replicability": 80},
      {"effect": 78, "innovation": 88, "leadership": 80, "security": 88, "replicability": 82})),
]  # fmt: skip

STEWARDS = {
    "交通运输局": ["transport"],
    "工信局": ["industry", "science", "commerce", "finance"],
    "人社局": ["governance"],
    "卫健委": ["health"],
}


def seed() -> list[str]:
    if Nomination.objects.exists():
        return ["skipped: the typical-scenario review exists"]
    bureau = User.objects.get(username="bureau")
    taskforce = User.objects.get(username="taskforce")
    for code, *spec in MORE:
        _authorize(code, *spec, bureau=bureau)
    for authorization_ in Authorization.objects.all():
        scenarios.scenario_for(authorization_)
    for short, domains in STEWARDS.items():
        organisation = Organisation.objects.get(short_name=short)
        for domain in domains:
            typical.set_steward(by=taskforce, organisation=organisation, domain=domain, on=True)
    typical.publish_criteria(
        by=taskforce,
        weights=DEFAULT_WEIGHTS,
        note="市公共数据授权运营工作专班 2026 年第 2 次会议纪要",
    )
    for code, case in CASES.items():
        scenario = scenarios.scenario_for(Authorization.objects.get(code=code))
        scenarios.save_case(scenario, by=_operator_of(scenario), **case)
        chart = _monthly_chart(scenario)
        if chart is not None:
            scenarios.add_image(
                scenario,
                by=_operator_of(scenario),
                data=chart,
                caption="月度成功交付次数（平台记录）",
            )
    experts = [User.objects.get(username=u) for u in ("reviewer", "reviewer2")]
    lines = []
    for code, username, reason, scores in NOMINATIONS:
        scenario = scenarios.scenario_for(Authorization.objects.get(code=code))
        nomination = typical.nominate(
            scenario, by=User.objects.get(username=username), reason=reason
        )
        for expert, values in zip(experts, scores, strict=True):
            typical.score(
                nomination,
                by=expert,
                scores=values,
                comment="案例翔实，成效可量化。",
                no_conflict=True,
            )
        nomination = typical.decide(nomination, by=taskforce, confirm=True, note="")
        if code == "DEMO-FIN":
            nomination = typical.package(nomination, by=taskforce)
        lines.append(
            f"{nomination.code}: {scenario.name}"
            f" ({nomination.get_status_display()}, {nomination.mean_score})"
        )
    lines += _accountability(bureau, taskforce, experts)
    counts = typical.counts()
    lines.append(
        f"{Scenario.objects.count()} scenarios registered;"
        f" {counts['typical']} typical, {counts['national']} packaged"
    )
    return lines


def _accountability(bureau, taskforce, experts) -> list[str]:
    """Last year's disclosures published in March, a year of monthly figures, DEMO-FIN
    evaluated 合格 for last year and DEMO-DP 基本合格 this year with its rectification task, and
    DEMO-FREIGHT in exit, its operator's confirmation awaited."""
    today = timezone.localdate()
    last_year = today.year - 1
    march = datetime(last_year + 1, 3, 20, 10, tzinfo=timezone.get_current_timezone())
    lines = []
    for username in ("bureau", "operator2"):
        party = User.objects.get(username=username)
        if party.organisation not in disclosures.expected(last_year):
            continue
        with time_machine.travel(min(march, timezone.now()), tick=False):
            disclosure = disclosures.draft(by=party, year=last_year)
            disclosures.save(
                disclosure,
                by=party,
                contact=f"{party.organisation.name} 0772-2800000",
                statement="本年度依协议开展授权运营，产品价格均不高于上限收费标准。",
            )
            disclosures.publish(disclosure, by=party)
        lines.append(f"disclosure {last_year}: {party.organisation.name}")
    for month in kpis.months_back(kpis.month_of(today), 12):
        kpis.record_month(month)
    lines.append("12 months of figures recorded")
    for code, year, target in (("DEMO-FIN", last_year, 80), ("DEMO-DP", today.year, 68)):
        authorization = Authorization.objects.get(code=code)
        if authorization.created_at.year > year:
            year = today.year
        evaluation = evaluations.start(authorization, by=taskforce, year=year)
        # Experts' scores that bring the total to the story's band: (target − quantitative) / 0.6.
        mean = min(100, max(0, int((target - evaluation.quantitative) / Decimal("0.6"))))
        for expert, delta in zip(experts, (3, -3), strict=True):
            value = min(100, max(0, mean + delta))
            evaluations.score(
                evaluation,
                by=expert,
                scores=dict.fromkeys(("compliance", "security", "service", "impact"), value),
                comment="运营规范，服务质量有待提升。" if target < 75 else "运营规范，成效明显。",
            )
        evaluation = evaluations.conclude(evaluation, by=taskforce, note="")
        lines.append(f"{evaluation.code}: {code} {evaluation.total} {evaluation.result}")
    freight = Authorization.objects.get(code="DEMO-FREIGHT")
    exits.start(
        freight,
        by=bureau,
        cause=ExitCause.OPERATOR_LEFT,
        reason="运营单位调整业务方向，申请提前终止授权。",
    )
    lines.append("DEMO-FREIGHT: exit started, the operator's confirmation awaited")
    return lines


def _operator_of(scenario) -> User:
    return User.objects.filter(
        organisation_id=scenario.authorization.operator_id, role_grants__role="operator"
    ).first()


def _authorize(code, username, scenario, domain, purpose, resource, fields, forms, text, *, bureau):
    if Authorization.objects.filter(code=code).exists():
        return
    operator = User.objects.get(username=username)
    application = _draft(operator, scenario, domain, purpose, resource, fields, forms, text)
    _review(application, bureau, until=ApplicationStatus.DECISION)
    agreement = authorization.decide(
        application,
        by=bureau,
        approve=True,
        reason="场景价值明确，安全方案可行，同意授权。",
        limits={"epsilon_total": "5.0", "fee_cap_yuan": "0.50"},
    )
    authorization.sign_agreement(agreement, by=operator)
    authorization.sign_agreement(agreement, by=bureau)
    Authorization.objects.filter(application=application).update(
        code=code, revision=F("revision") + 1
    )


def _monthly_chart(scenario) -> bytes | None:
    """A bar chart of the scenario's answered deliveries by month, from the records."""
    rows = list(
        Delivery.objects.filter(product__authorization=scenario.authorization, status=200)
        .order_by()
        .annotate(month=TruncMonth("created_at"))
        .values("month")
        .annotate(n=Count("pk"))
        .order_by("month")
    )
    if not rows:
        return None
    return charts.bars(
        [f"{r['month']:%Y-%m}" for r in rows],
        [r["n"] for r in rows],
        title=scenario.name,
        ylabel="成功交付（次）",
    )
