"""Demo authorizations for Liuzhou: qualifications, applications at every stage of the review,
and four active authorizations the zone's demo uses — DEMO-AGG (aggregate output over 社保缴纳
记录), DEMO-DP (differential privacy over 公交刷卡记录), DEMO-DEID (de-identified records
over 医保结算记录) and DEMO-MODEL (model output over 企业登记信息). Each goes through the real
services, step by step; only the notice period is placed in the past instead of waited for,
and the demo codes replace the generated ones.
Idempotent."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import F
from django.utils import timezone

from pdao.accounts.models import User
from pdao.authorization import services
from pdao.authorization.choices import ApplicationStatus, QualificationStatus
from pdao.authorization.models import Application, Authorization, Qualification
from pdao.catalogue import services as catalogue
from pdao.catalogue.choices import GradingStatus, HarmObject
from pdao.catalogue.models import Resource

_EXPIRES = 730

# (code, operator username, scenario, domain, purpose, resource name, fields, forms)
AUTHORIZATIONS = [
    (
        "DEMO-AGG",
        "operator",
        "灵活就业人员参保扩面分析",
        "governance",
        "public_welfare",
        "社保缴纳记录",
        ["个人编号", "缴费月份", "缴费基数", "险种", "区县"],
        ["aggregate"],
        "按区县、险种统计参保人数与缴费基数分布，识别参保薄弱区域，辅助人社部门制定扩面措施。",
    ),
    (
        "DEMO-DP",
        "operator",
        "公交出行客流热力分析",
        "transport",
        "industry",
        "公交刷卡记录",
        ["卡号", "线路", "上车站点", "刷卡时间", "金额", "卡类型"],
        ["dp"],
        "以差分隐私统计各站点、时段的客流，为线路优化和商圈选址提供客流热力指数。",
    ),
    (
        "DEMO-DEID",
        "operator2",
        "普惠健康险精算定价研究",
        "finance",
        "industry",
        "医保结算记录",
        ["参保人编号", "定点机构", "结算日期", "总费用", "统筹支付", "病种"],
        ["deidentified", "aggregate"],
        "基于去标识化的医保结算记录测算病种费用分布，为普惠型商业健康险精算定价提供依据。",
    ),
    (
        "DEMO-MODEL",
        "operator2",
        "小微企业经营活力评分",
        "finance",
        "industry",
        "企业登记信息",
        ["统一社会信用代码", "行业门类", "成立日期", "注册资本万元", "登记状态"],
        ["aggregate", "model"],
        "在专区内按注册资本、存续年限构建企业经营活力评分模型，向金融机构按企业逐户提供评分，"
        "支持普惠信贷审批。",
    ),
]

# Applications left mid-review, so every role's workbench has something to do.
PENDING = [
    (
        "operator2",
        "小微企业经营信用画像",
        "finance",
        "industry",
        "企业登记信息",
        ["统一社会信用代码", "行业门类", "区县", "登记状态"],
        ["aggregate"],
        ApplicationStatus.SUBMITTED,
    ),
    (
        "operator",
        "住房公积金缴存与租购需求分析",
        "governance",
        "public_welfare",
        "公积金缴存记录",
        ["职工账号", "缴存月份", "缴存基数", "月缴存额"],
        ["aggregate", "dp"],
        ApplicationStatus.SCORING,
    ),
    (
        "operator2",
        "汽车产业链企业活力监测",
        "industry",
        "industry",
        "企业登记信息",
        ["统一社会信用代码", "行业门类", "成立日期", "注册资本万元"],
        ["aggregate"],
        ApplicationStatus.NOTICE,
    ),
]


def seed() -> list[str]:
    bureau = User.objects.get(username="bureau")
    lines = []
    for username in ("operator", "operator2"):
        _qualify(User.objects.get(username=username), bureau)
    _pending_qualification(User.objects.get(username="operator3"))
    for code, username, scenario, domain, purpose, resource, fields, forms, text in AUTHORIZATIONS:
        existing = Authorization.objects.filter(code=code).first()
        if existing is None:
            operator = User.objects.get(username=username)
            application = _draft(operator, scenario, domain, purpose, resource, fields, forms, text)
            _review(application, bureau, until=ApplicationStatus.DECISION)
            agreement = services.decide(
                application,
                by=bureau,
                approve=True,
                reason="场景价值明确，安全方案可行，同意授权。",
                limits={"epsilon_total": "5.0", "fee_cap_yuan": "0.50"},
            )
            services.sign_agreement(agreement, by=operator)
            services.sign_agreement(agreement, by=bureau)
            Authorization.objects.filter(application=application).update(
                code=code, revision=F("revision") + 1
            )
            existing = Authorization.objects.get(code=code)
        lines.append(f"{existing.code}: {existing.application.scenario} ({existing.operator.name})")
    for username, scenario, domain, purpose, resource, fields, forms, stage in PENDING:
        if Application.objects.filter(scenario=scenario).exists():
            continue
        operator = User.objects.get(username=username)
        application = _draft(
            operator,
            scenario,
            domain,
            purpose,
            resource,
            fields,
            forms,
            f"{scenario}（演示申请）。",
        )
        _review(application, bureau, until=stage)
    return lines


def _qualify(operator, bureau) -> None:
    profile = Qualification.objects.filter(organisation=operator.organisation).first()
    if profile is not None and profile.status == QualificationStatus.VERIFIED:
        return
    expires = timezone.localdate() + timedelta(days=_EXPIRES)
    services.save_qualification(
        operator.organisation,
        by=operator,
        submit=True,
        dengbao_level=3,
        dengbao_expires=expires,
        dcmm_level=3,
        dsmm_level=3,
        iso27001=True,
        iso27001_expires=expires,
        no_dishonesty=True,
    )
    services.verify_qualification(
        Qualification.objects.get(organisation=operator.organisation),
        by=bureau,
        approve=True,
        note="材料齐全，核验通过。",
    )


def _pending_qualification(operator) -> None:
    if Qualification.objects.filter(organisation=operator.organisation).exists():
        return
    services.save_qualification(
        operator.organisation,
        by=operator,
        submit=True,
        dengbao_level=2,
        dengbao_expires=timezone.localdate() + timedelta(days=45),
        dsmm_level=2,
        no_dishonesty=True,
    )


def _draft(operator, scenario, domain, purpose, resource_name, fields, forms, text):
    resource = Resource.objects.get(name=resource_name)
    if resource.grading_status != GradingStatus.APPROVED:
        catalogue.review_grading(
            resource,
            by=User.objects.get(username="bureau"),
            approve=True,
            grade=resource.grade,
            harm_objects=[HarmObject.INDIVIDUALS, HarmObject.PUBLIC_INTEREST],
            note="分级符合就高从严原则。",
        )
    application = services.create_application(
        by=operator,
        scenario=scenario,
        domain=domain,
        purpose=purpose,
        description=text,
        beneficiaries="柳州市相关主管部门、企业和市民",
        outcomes="形成可复用的分析指标和数据产品",
        security_plan="仅在数据运营专区内处理；结果经输出控制后出域；全程审计、上链存证。",
        term_months=12,
    )
    chosen = [f for f in resource.fields.all() if f.name in fields]
    services.set_item(
        application,
        by=operator,
        resource=resource,
        output_forms=forms,
        volume=500_000,
        frequency="每日",
        fields=[
            {
                "field": f,
                "purpose": f"{f.label or f.name}用于{scenario}",
                "justification": "测算所必需，输出前去标识化或聚合",
            }
            for f in chosen
        ],
    )
    return application


def _review(application, bureau, *, until) -> None:
    """Take the application through the review up to `until` with the demo's people."""
    operator = application.created_by
    S = ApplicationStatus
    if until == S.DRAFT:
        return
    services.submit(application, by=operator)
    if until == S.SUBMITTED:
        return
    services.accept(application, by=bureau)
    for opinion in application.opinions.select_related("provider"):
        provider = User.objects.filter(organisation=opinion.provider, role_grants__role="provider")
        services.give_opinion(
            application, by=provider.first(), verdict="agree", text="同意在授权范围内使用。"
        )
    application.refresh_from_db()
    services.complete_assessment(application, by=bureau, note="风险可控。")
    if until == S.SCORING:
        return
    for username, value in (("reviewer", 86), ("reviewer2", 82)):
        services.score(
            application,
            by=User.objects.get(username=username),
            criteria=dict.fromkeys(services.CRITERIA, value),
            comment="场景清晰，方案可行。",
            no_conflict=True,
        )
    services.close_scoring(application, by=bureau)
    if until == S.NOTICE:
        return
    Application.objects.filter(pk=application.pk).update(
        notice_starts=timezone.localdate() - timedelta(days=14),
        notice_ends=timezone.localdate() - timedelta(days=1),
    )
    application.refresh_from_db()
    services.close_notice(application, by=bureau)
