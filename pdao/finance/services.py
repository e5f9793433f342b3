"""The price mechanism's verbs: dated limits and bond yields, pricing periods, cost surveys and
the maximum allowed revenue (MAR) of each operating year.

Each verb is atomic, takes the acting user as keyword-only `by`, checks its permission, writes
its audit event in the same transaction and returns what it changed. Amounts arrive as typed
text and are parsed by `pdao.finance.money` (fen); a refused input raises `RuleViolation` with
the reason and saves nothing.
"""

import dataclasses
import hashlib
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from pdao.accounts.models import Organisation
from pdao.audit import services as audit
from pdao.authorization.services.qualifications import sniffed
from pdao.core.calendar import add_months, add_years
from pdao.core.codes import next_code
from pdao.core.permissions import Perm
from pdao.core.rules import RuleViolation, require
from pdao.finance import actions, money
from pdao.finance.choices import (
    NATIONAL_LIMITS,
    NATIONAL_NOTICE,
    Adjustment,
    AllowanceStatus,
    CostCategory,
    Limit,
    Standard,
    SurveyStatus,
)
from pdao.finance.models import (
    Allowance,
    BondYield,
    CostEvidence,
    CostItem,
    CostSurvey,
    LimitValue,
    PricingPeriod,
    RevenueLine,
    RevenueMonth,
    YearEnd,
)


def _money_refusal(code: str, field: str) -> RuleViolation:
    reasons = {
        "negative": _("不能为负数"),
        "too_precise": _("最多保留两位小数（分）"),
        "not_a_number": _("不是有效的金额"),
        "float": _("不是有效的金额"),
        "too_large": _("金额过大"),
    }
    return RuleViolation(
        _("%(field)s%(reason)s。") % {"field": field, "reason": reasons.get(code, code)}
    )


def typed_amount(text, field: str) -> int:
    """An amount a person typed into `field`, in fen; a RuleViolation naming the field."""
    try:
        return money.parse(text)
    except money.MoneyError as error:
        raise _money_refusal(error.code, field) from None


def _percent(text, field: str, *, most: Decimal | None = None) -> Decimal:
    """A typed percentage: a number from 0, at most four decimals, at most `most`."""
    typed = str(text).strip().rstrip("%％")
    try:
        if not typed.isascii():  # Decimal reads full-width and other scripts' digits too
            raise InvalidOperation
        value = Decimal(typed)
    except InvalidOperation:
        raise RuleViolation(_("%(field)s不是有效的数值。") % {"field": field}) from None
    if not value.is_finite() or value < 0 or value.as_tuple().exponent < -4:
        raise RuleViolation(_("%(field)s应为不小于 0、最多四位小数的数值。") % {"field": field})
    if most is not None and value > most:
        raise RuleViolation(
            _("%(field)s不能超过 %(most)s。") % {"field": field, "most": f"{most.normalize():f}"}
        )
    return value


# --- Dated limits and bond yields -------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class InForce:
    """A limit's value on a day and the document that set it."""

    value: Decimal
    document: str
    since: date | None  # None: the national value, in force until a local one starts


def limit_in_force(limit: Limit, on: date) -> InForce:
    """The value of `limit` in force on `on`: the latest entered value that started on or
    before it, else the national notice's."""
    found = (
        LimitValue.objects.filter(limit=limit, effective_from__lte=on)
        .order_by("-effective_from")
        .first()
    )
    if found is None:
        return InForce(NATIONAL_LIMITS[limit], NATIONAL_NOTICE, None)
    return InForce(found.value, found.document, found.effective_from)


@transaction.atomic
def set_limit(*, by, limit: Limit, value, effective_from: date, document: str) -> LimitValue:
    """A new value of a limit from a day on, with the document that set it (a province's or the
    city's own rules); the earlier values stay, for the periods they governed."""
    require(by, Perm.FINANCE_REGULATE)
    limit = Limit(limit)
    number = _percent(value, str(limit.label))
    document = document.strip()
    if not document:
        raise RuleViolation(_("请填写设定该参数的文件文号。"))
    if limit == Limit.LONGEST_PERIOD and (number != number.to_integral() or not 1 <= number <= 5):
        raise RuleViolation(_("定价周期最长年限应为 1 至 5 的整数。"))
    if LimitValue.objects.filter(limit=limit, effective_from=effective_from).exists():
        raise RuleViolation(_("该参数在这一天已有取值；如需更正，请改用其他施行日期。"))
    made = LimitValue.objects.create(
        limit=limit, value=number, effective_from=effective_from, document=document, created_by=by
    )
    audit.record(
        actions.LIMIT_SET,
        by=by,
        target=made,
        summary=_("设定价格机制参数：%(limit)s %(value)s，自 %(date)s 起（%(document)s）")
        % {
            "limit": limit.label,
            "value": f"{number:f}",
            "date": effective_from.isoformat(),
            "document": document,
        },
    )
    return made


@transaction.atomic
def record_bond_yield(*, by, year: int, percent, source: str) -> BondYield:
    require(by, Perm.FINANCE_REGULATE)
    number = _percent(percent, _("国债平均收益率"), most=Decimal(100))
    source = source.strip()
    if not source:
        raise RuleViolation(_("请填写收益率的数据来源。"))
    if BondYield.objects.filter(year=year).exists():
        raise RuleViolation(_("%(year)s 年的国债平均收益率已录入。") % {"year": year})
    made = BondYield.objects.create(year=year, percent=number, source=source, created_by=by)
    audit.record(
        actions.BOND_YIELD_RECORD,
        by=by,
        target=made,
        summary=_("录入 %(year)s 年10年期国债平均收益率 %(percent)s%%（%(source)s）")
        % {"year": year, "percent": f"{number:f}", "source": source},
    )
    return made


# --- Pricing periods ------------------------------------------------------------------------


PERIOD_PROBLEMS = {
    "ends_before_start": lambda longest: _("截止日期不能早于起始日期。"),
    "too_long": lambda longest: _("定价周期不能超过 %(years)s 年。") % {"years": longest},
    "overlaps": lambda longest: _("与该运营单位已有的定价周期重叠。"),
}


@transaction.atomic
def open_period(
    *, by, operator: Organisation, starts_on: date, ends_on: date, standard: Standard
) -> PricingPeriod:
    """A pricing period for an operator: at most the longest years in force on its first day,
    and overlapping none of the operator's other periods."""
    require(by, Perm.FINANCE_REGULATE)
    Organisation.objects.select_for_update().get(pk=operator.pk)  # one period at a time
    longest = int(limit_in_force(Limit.LONGEST_PERIOD, starts_on).value)
    others = list(
        PricingPeriod.objects.filter(operator=operator).values_list("starts_on", "ends_on")
    )
    problem = money.period_problem(starts_on, ends_on, others, longest=longest)
    if problem:
        raise RuleViolation(PERIOD_PROBLEMS[problem](longest))
    if starts_on.day != 1 or (ends_on + timedelta(days=1)).day != 1:
        raise RuleViolation(_("定价周期应从某月1日起、至某月末日止（收入按月核算）。"))
    period = PricingPeriod.objects.create(
        code=next_code("LZ-PP", PricingPeriod),
        operator=operator,
        starts_on=starts_on,
        ends_on=ends_on,
        standard=Standard(standard),
        created_by=by,
    )
    audit.record(
        actions.PERIOD_OPEN,
        by=by,
        target=period,
        summary=_("为%(operator)s设立定价周期 %(code)s（%(start)s 至 %(end)s，%(standard)s）")
        % {
            "operator": operator.name,
            "code": period.code,
            "start": starts_on.isoformat(),
            "end": ends_on.isoformat(),
            "standard": period.get_standard_display(),
        },
    )
    return period


# --- Cost surveys ---------------------------------------------------------------------------


def _survey_for_update(survey: CostSurvey, status: SurveyStatus) -> CostSurvey:
    survey = CostSurvey.objects.select_for_update().select_related("period").get(pk=survey.pk)
    if survey.status != status:
        raise RuleViolation(
            _("成本调查当前为“%(status)s”，不能进行此操作。")
            % {"status": survey.get_status_display()}
        )
    return survey


@transaction.atomic
def start_survey(*, by, period: PricingPeriod, year: int) -> CostSurvey:
    """A cost survey of the period's operator, carried out in `year` (the profit rate is capped
    by the bond yield of the year before)."""
    require(by, Perm.FINANCE_REGULATE)
    if CostSurvey.objects.filter(period=period, year=year).exists():
        raise RuleViolation(_("该定价周期已有 %(year)s 年度的成本调查。") % {"year": year})
    survey = CostSurvey.objects.create(period=period, year=year, created_by=by)
    audit.record(
        actions.SURVEY_START,
        by=by,
        target=survey,
        summary=_("发起 %(code)s 的 %(year)s 年度成本调查") % {"code": period.code, "year": year},
    )
    return survey


@transaction.atomic
def declare_cost(
    *, by, survey: CostSurvey, category: CostCategory, description: str, amount, industry_percent
) -> CostItem:
    """One cost item, declared by the surveyed operator while the survey takes declarations."""
    require(by, Perm.FINANCE_DECLARE)
    survey = _survey_for_update(survey, SurveyStatus.DECLARING)
    if by.organisation_id != survey.period.operator_id:
        raise RuleViolation(_("只能填报本单位的成本。"))
    description = description.strip()
    if not description:
        raise RuleViolation(_("请说明该成本项目。"))
    item = CostItem.objects.create(
        survey=survey,
        category=CostCategory(category),
        description=description[:200],
        declared_fen=typed_amount(amount, _("申报金额")),
        industry_percent=_percent(industry_percent, _("产业/行业使用占比"), most=Decimal(100)),
        declared_by=by,
    )
    audit.record(
        actions.COST_DECLARE,
        by=by,
        target=item,
        summary=_("申报成本：%(category)s %(amount)s 元")
        % {"category": item.get_category_display(), "amount": f"{money.yuan(item.declared_fen):,}"},
    )
    return item


@transaction.atomic
def submit_survey(*, by, survey: CostSurvey) -> CostSurvey:
    require(by, Perm.FINANCE_DECLARE)
    survey = _survey_for_update(survey, SurveyStatus.DECLARING)
    if by.organisation_id != survey.period.operator_id:
        raise RuleViolation(_("只能提交本单位的成本调查。"))
    if not survey.items.exists():
        raise RuleViolation(_("尚未申报任何成本项目。"))
    survey.status = SurveyStatus.REVIEWING
    survey.submitted_by, survey.submitted_at = by, timezone.now()
    survey.save(update_fields=["status", "submitted_by", "submitted_at"])
    audit.record(actions.SURVEY_SUBMIT, by=by, target=survey, summary=_("提交成本调查，待审核"))
    return survey


@transaction.atomic
def adjust_cost(*, by, item: CostItem, amount, note: str) -> CostItem:
    """The reviewer's amount for an item, with the reason when it differs from the declared."""
    require(by, Perm.FINANCE_REGULATE)
    _survey_for_update(item.survey, SurveyStatus.REVIEWING)
    item = CostItem.objects.select_for_update().get(pk=item.pk)
    adjusted = typed_amount(amount, _("核定金额"))
    note = note.strip()
    if adjusted != item.declared_fen and not note:
        raise RuleViolation(_("核定金额与申报金额不同，请写明核定说明。"))
    before = item.adjusted_fen
    item.adjusted_fen, item.adjustment_note = adjusted, note[:500]
    item.adjusted_by, item.adjusted_at = by, timezone.now()
    item.save(update_fields=["adjusted_fen", "adjustment_note", "adjusted_by", "adjusted_at"])
    audit.record(
        actions.COST_ADJUST,
        by=by,
        target=item,
        summary=_("核定成本：%(category)s %(amount)s 元")
        % {"category": item.get_category_display(), "amount": f"{money.yuan(adjusted):,}"},
        changes={"adjusted_fen": [before, adjusted]},
    )
    return item


def operating_cost(survey: CostSurvey) -> int:
    """The survey's operating cost in fen: each item's industry share of its adjusted (else
    declared) amount, rounded at the item, subsidies deducted."""
    return sum(item.counted_fen for item in survey.items.all())


@transaction.atomic
def conclude_survey(*, by, survey: CostSurvey) -> CostSurvey:
    """Fix the operating cost; items the reviewer did not adjust count as declared."""
    require(by, Perm.FINANCE_REGULATE)
    survey = _survey_for_update(survey, SurveyStatus.REVIEWING)
    cost = operating_cost(survey)
    if cost <= 0:
        raise RuleViolation(_("核定经营成本须大于零（补助不能超过成本）。"))
    survey.status, survey.cost_fen = SurveyStatus.CONCLUDED, cost
    survey.concluded_by, survey.concluded_at = by, timezone.now()
    survey.save(update_fields=["status", "cost_fen", "concluded_by", "concluded_at"])
    audit.record(
        actions.SURVEY_CONCLUDE,
        by=by,
        target=survey,
        summary=_("核定经营成本 %(amount)s 元") % {"amount": f"{money.yuan(cost):,}"},
    )
    return survey


# --- Maximum allowed revenue ----------------------------------------------------------------


@transaction.atomic
def propose_allowance(*, by, survey: CostSurvey, year_index: int, profit_rate, tax) -> Allowance:
    """The MAR of one operating year of the survey's period: the concluded cost, a profit rate
    within the bond yield of the year before the survey plus the markup in force, the taxes."""
    require(by, Perm.FINANCE_REGULATE)
    survey = CostSurvey.objects.select_related("period").get(pk=survey.pk)
    if survey.status != SurveyStatus.CONCLUDED:
        raise RuleViolation(_("成本调查尚未核定，不能测算最高准许收入。"))
    period = survey.period
    years = period.years()
    if not 1 <= year_index <= len(years):
        raise RuleViolation(_("该定价周期只有 %(count)s 个运营年度。") % {"count": len(years)})
    starts_on, ends_on = years[year_index - 1]
    bond = BondYield.objects.filter(year=survey.year - 1).first()
    if bond is None:
        raise RuleViolation(
            _("请先录入 %(year)s 年10年期国债平均收益率。") % {"year": survey.year - 1}
        )
    markup = limit_in_force(Limit.PROFIT_MARKUP, starts_on)
    highest = money.profit_rate_limit(bond.percent, markup.value)
    rate = _percent(profit_rate, _("准许利润率"), most=highest)
    deduction = carried_into(period.operator, starts_on)
    figures = money.allowance(survey.cost_fen, rate, typed_amount(tax, _("税金")), deduction)
    if Allowance.objects.filter(period=period, year_index=year_index).exists():
        raise RuleViolation(_("该运营年度已有最高准许收入。"))
    made = Allowance.objects.create(
        period=period, year_index=year_index, starts_on=starts_on, ends_on=ends_on, survey=survey,
        bond_yield=bond, markup=markup.value, markup_document=markup.document,
        profit_rate=figures.profit_rate, cost_fen=figures.cost, profit_fen=figures.profit,
        tax_fen=figures.tax, deduction_fen=figures.deduction, total_fen=figures.total,
        proposed_by=by,
    )  # fmt: skip
    audit.record(
        actions.ALLOWANCE_PROPOSE,
        by=by,
        target=made,
        summary=_("测算 %(code)s 第%(year)s运营年度最高准许收入 %(amount)s 元")
        % {"code": period.code, "year": year_index, "amount": f"{money.yuan(made.total_fen):,}"},
    )
    return made


@transaction.atomic
def approve_allowance(*, by, allowance: Allowance, document: str) -> Allowance:
    """Record the approval of the development-and-reform and data departments (批复文号)."""
    require(by, Perm.FINANCE_REGULATE)
    allowance = Allowance.objects.select_for_update().get(pk=allowance.pk)
    if allowance.status != AllowanceStatus.PROPOSED:
        raise RuleViolation(_("该最高准许收入已批复。"))
    document = document.strip()
    if not document:
        raise RuleViolation(_("请填写批复文号。"))
    allowance.status, allowance.approval_document = AllowanceStatus.APPROVED, document[:100]
    allowance.approved_by, allowance.approved_at = by, timezone.now()
    allowance.save(update_fields=["status", "approval_document", "approved_by", "approved_at"])
    audit.record(
        actions.ALLOWANCE_APPROVE,
        by=by,
        target=allowance,
        summary=_("最高准许收入已批复（%(document)s）") % {"document": document},
    )
    return allowance


# --- Year end: actual revenue against the MAR -----------------------------------------------


def months_of(starts_on: date, ends_on: date) -> list[str]:
    """The months (YYYY-MM) from `starts_on` to `ends_on`."""
    months, day = [], starts_on.replace(day=1)
    while day <= ends_on:
        months.append(day.strftime("%Y-%m"))
        day = add_months(day, 1)
    return months


def carried_into(operator: Organisation, starts_on: date) -> int:
    """What earlier years' revenue above their MAR deducts from the operating year starting on
    `starts_on`: the k-th part of a closed year's carry-over falls on the year that starts on
    the k-th anniversary of that year's start."""
    total = 0
    for closed in YearEnd.objects.filter(allowance__period__operator=operator).select_related(
        "allowance"
    ):
        for k, part in enumerate(closed.parts(), start=1):
            if add_years(closed.allowance.starts_on, k) == starts_on:
                total += part
    return total


RESPOND_WITHIN_DAYS = 60  # the default time given to adjust prices or caps after a year end


@transaction.atomic
def close_year(
    *, by, allowance: Allowance, carry_years: int = 1, respond_within: int = RESPOND_WITHIN_DAYS
) -> YearEnd:
    """Close an approved operating year once it is over and every month of it has its revenue
    computed: the operator's actual revenue, the deviation from the MAR, what it asks for (of
    the operator or the bureau, within `respond_within` days: a task on their workbench), and
    the revenue above the MAR carried into the next `carry_years` years."""
    require(by, Perm.FINANCE_REGULATE)
    allowance = Allowance.objects.select_for_update().select_related("period").get(pk=allowance.pk)
    if allowance.status != AllowanceStatus.APPROVED:
        raise RuleViolation(_("最高准许收入尚未批复，不能清算。"))
    if YearEnd.objects.filter(allowance=allowance).exists():
        raise RuleViolation(_("该运营年度已清算。"))
    if allowance.ends_on >= timezone.localdate():
        raise RuleViolation(_("运营年度尚未结束。"))
    if not 1 <= carry_years <= 3:
        raise RuleViolation(_("超收分摊年数应为 1 至 3 年。"))
    if not 7 <= respond_within <= 180:
        raise RuleViolation(_("调整期限应为 7 至 180 天。"))
    months = months_of(allowance.starts_on, allowance.ends_on)
    computed = set(RevenueMonth.objects.filter(month__in=months).values_list("month", flat=True))
    missing = [m for m in months if m not in computed]
    if missing:
        raise RuleViolation(
            _("以下月份的收入尚未计算：%(months)s。") % {"months": "、".join(missing)}
        )
    lines = RevenueLine.objects.filter(operator=allowance.period.operator, month__in=months)
    actual = sum(lines.values_list("amount_fen", flat=True))
    threshold = limit_in_force(Limit.DEVIATION_THRESHOLD, allowance.ends_on)
    adjustment = money.adjustment(actual, allowance.total_fen, threshold.value)
    respond_by = (
        None
        if adjustment == money.Adjustment.NONE
        else timezone.localdate() + timedelta(days=respond_within)
    )
    closed = YearEnd.objects.create(
        allowance=allowance, actual_fen=actual,
        deviation=money.deviation(actual, allowance.total_fen).quantize(Decimal("0.000001")),
        threshold=threshold.value, threshold_document=threshold.document, adjustment=adjustment,
        carry_years=carry_years, carried_fen=max(0, actual - allowance.total_fen), closed_by=by,
        respond_by=respond_by,
    )  # fmt: skip
    audit.record(
        actions.YEAR_CLOSE,
        by=by,
        target=closed,
        summary=_(
            "%(code)s 第%(year)s运营年度清算：实际收入 %(actual)s 元，最高准许收入 %(allowed)s 元，"
            "%(what)s"
        )
        % {
            "code": allowance.period.code,
            "year": allowance.year_index,
            "actual": f"{money.yuan(actual):,}",
            "allowed": f"{money.yuan(allowance.total_fen):,}",
            "what": closed.get_adjustment_display(),
        },
    )
    return closed


@transaction.atomic
def record_adjustment(*, by, year_end: YearEnd, response: str) -> YearEnd:
    """What was done about a year's deviation: the operator's new actual prices, or the
    bureau's new caps (who answers depends on what the year end asked for)."""
    year_end = (
        YearEnd.objects.select_for_update().select_related("allowance__period").get(pk=year_end.pk)
    )
    if year_end.adjustment == Adjustment.OPERATOR_PRICES:
        require(by, Perm.FINANCE_DECLARE)
        if by.organisation_id != year_end.allowance.period.operator_id:
            raise RuleViolation(_("只能反馈本单位的调价情况。"))
    elif year_end.adjustment == Adjustment.BUREAU_CAPS:
        require(by, Perm.FINANCE_REGULATE)
    else:
        raise RuleViolation(_("该年度偏差在阈值内且无需调整。"))
    if year_end.responded_at is not None:
        raise RuleViolation(_("已反馈调整情况。"))
    response = response.strip()
    if len(response) < 10:
        raise RuleViolation(_("请写明调整了哪些产品的价格、调整前后的标准和施行日期。"))
    year_end.response, year_end.responded_by = response[:500], by
    year_end.responded_at = timezone.now()
    year_end.save(update_fields=["response", "responded_by", "responded_at"])
    audit.record(
        actions.YEAR_RESPOND,
        by=by,
        target=year_end,
        summary=_("反馈 %(code)s 第%(year)s运营年度的调整情况：%(what)s")
        % {
            "code": year_end.allowance.period.code,
            "year": year_end.allowance.year_index,
            "what": year_end.get_adjustment_display(),
        },
    )
    return year_end


# --- Evidence of cost items -----------------------------------------------------------------

EVIDENCE_MAX_BYTES = 10 * 1024 * 1024
EVIDENCE_PER_ITEM = 20


def evidence_dir() -> Path:
    return Path(settings.DATA_DIR) / "finance" / "evidence"


@transaction.atomic
def attach_evidence(*, by, item: CostItem, upload) -> CostEvidence:
    """A PDF or image proving a declared cost, while the survey takes declarations: the type is
    sniffed from the bytes, never trusted from the name; stored by its hash."""
    require(by, Perm.FINANCE_DECLARE)
    survey = _survey_for_update(item.survey, SurveyStatus.DECLARING)
    if by.organisation_id != survey.period.operator_id:
        raise RuleViolation(_("只能为本单位的成本项目上传证明材料。"))
    if upload.size > EVIDENCE_MAX_BYTES:
        raise RuleViolation(_("文件超过 10 MiB。"))
    if item.evidence.count() >= EVIDENCE_PER_ITEM:
        raise RuleViolation(_("每个成本项目最多 %(n)s 份证明材料。") % {"n": EVIDENCE_PER_ITEM})
    content_type, extension = sniffed(upload)
    data = b"".join(upload.chunks())
    digest = hashlib.sha256(data).hexdigest()
    # Stored by content: a rolled-back upload leaves at most a file the next identical upload
    # reuses, never a record pointing at nothing.
    target = evidence_dir() / f"{digest}.{extension}"
    target.parent.mkdir(parents=True, exist_ok=True)
    if not target.exists():
        target.write_bytes(data)
        target.chmod(0o440)
    made = CostEvidence.objects.create(
        item=item, filename=Path(upload.name).name[:255], stored=target.name,
        content_type=content_type, sha256=digest, bytes=len(data), uploaded_by=by,
    )  # fmt: skip
    audit.record(
        actions.COST_EVIDENCE,
        by=by,
        target=made,
        changes={"item": item.pk, "sha256": digest},
        summary=_("上传成本证明材料 %(name)s（%(category)s）")
        % {"name": made.filename, "category": item.get_category_display()},
    )
    return made
