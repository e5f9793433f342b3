"""绩效评估 (section 九 of the plan; the agreement's evaluation clause): each authorization is
evaluated yearly, and before its renewal, by the taskforce. The score has two parts:

- 量化指标, 40 points, computed from the operator's records of that year under that
  authorization (`scorecard`): products filed and listed (10), answered deliveries (10),
  distinct consumers (5), security (10: less 5 per emergency action taken against the
  authorization or its products, less 2 per non-compliant spot-check finding on its deliveries,
  never below 0) and disclosure (5: every disclosure it owed by then published on time);
- 专家评分, 60 points: the mean of at least two experts' scores on 合规经营, 安全保障, 服务质量
  and 应用成效 (each 0–100; an expert of the operator or a related party may not score), × 0.6.

The total (Decimal, 0.01, half-up) gives the result: 优秀 ≥ 90, 合格 ≥ 75, 基本合格 ≥ 60,
不合格 below. What a result means is the taskforce's setting (`Consequence`): whether renewal
may be applied for, and a rectification deadline; by default 基本合格 gives 60 days to rectify
and 不合格 90 days with no renewal. A renewal application is refused while the authorization's
latest result forbids it.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pdao.accounts.choices import OrganisationType
from pdao.audit.actions import define
from pdao.audit.services import record
from pdao.authorization.choices import AuthorizationStatus
from pdao.authorization.models import Authorization
from pdao.authorization.services.authorizations import LIVE
from pdao.core.codes import next_code
from pdao.core.permissions import Perm, Role
from pdao.core.rules import CONTROL, RuleViolation, require
from pdao.market.orders import related_codes
from pdao.notifications.services import holders, members, notify
from pdao.products.models import Delivery, Product
from pdao.showcase import disclosures
from pdao.showcase.choices import (
    QUALITATIVE,
    THRESHOLDS,
    EvaluationStatus,
    RectificationStatus,
    Result,
)
from pdao.showcase.models import Consequence, Evaluation, EvaluationScore, Rectification
from pdao.supervision.models import EmergencyAction, SpotCheckItem

EVALUATION_START = define("showcase.evaluation", gettext_lazy("发起绩效评估"))
EVALUATION_SCORE = define("showcase.evaluation_score", gettext_lazy("绩效评估专家评分"))
EVALUATION_CONCLUDE = define("showcase.evaluation_conclude", gettext_lazy("绩效评估结论"))
CONSEQUENCE_SET = define("showcase.consequence", gettext_lazy("设定评估结果运用"))
RECTIFICATION_REPORT = define("showcase.rectification", gettext_lazy("报送整改情况"))
RECTIFICATION_ACCEPT = define("showcase.rectification_accept", gettext_lazy("整改验收"))
MIN_SCORES = 2
CENT = Decimal("0.01")
DEFAULTS = {
    Result.EXCELLENT: (True, 0),
    Result.PASS: (True, 0),
    Result.BASIC: (True, 60),
    Result.FAIL: (False, 90),
}
SCORECARD_LABELS = {
    "products": gettext_lazy("数据产品（已备案、已上架）"),
    "calls": gettext_lazy("成功交付"),
    "consumers": gettext_lazy("使用单位"),
    "security": gettext_lazy("安全合规"),
    "disclosure": gettext_lazy("信息披露"),
}


def _year_bounds(year: int) -> tuple[datetime, datetime]:
    return (
        timezone.make_aware(datetime.combine(date(year, 1, 1), time.min)),
        timezone.make_aware(datetime.combine(date(year + 1, 1, 1), time.min)),
    )


def scorecard(authorization, year: int, today: date | None = None) -> dict:
    """The 40 quantitative points of `authorization` in `year`, each with its measured value."""

    today = today or timezone.localdate()
    start, end = _year_bounds(year)
    products = Product.objects.filter(authorization=authorization)
    filed = products.filter(filed_at__lt=end).count()
    listed = products.filter(listed_at__lt=end).count()
    answered = Delivery.objects.filter(
        product__in=products, status=200, created_at__gte=start, created_at__lt=end
    )
    calls = answered.count()
    consumers = answered.order_by().values("consumer_id").distinct().count()
    targets = [authorization.code, *products.values_list("code", flat=True)]
    actions = EmergencyAction.objects.filter(
        target__in=targets, taken_at__gte=start, taken_at__lt=end
    ).count()
    findings = SpotCheckItem.objects.filter(
        delivery__product__in=products,
        conclusion=SpotCheckItem.Conclusion.NONCOMPLIANT,
        reviewed_at__gte=start,
        reviewed_at__lt=end,
    ).count()
    owed = [
        y for y in disclosures.years_due(today) if authorization.operator in disclosures.expected(y)
    ]
    published = dict(
        authorization.operator.disclosures.filter(status="published").values_list(
            "year", "published_at"
        )
    )
    on_time = all(y in published and published[y] < disclosures.deadline(y) for y in owed)
    return {
        "products": {
            "value": f"{filed} / {listed}",
            "points": (5 if filed else 0) + (5 if listed else 0),
            "max": 10,
        },
        "calls": {
            "value": calls,
            "points": 10 if calls >= 10_000 else 7 if calls >= 1_000 else 4 if calls else 0,
            "max": 10,
        },
        "consumers": {
            "value": consumers,
            "points": 5 if consumers >= 3 else 2 if consumers else 0,
            "max": 5,
        },
        "security": {
            "value": f"{actions} / {findings}",
            "points": max(0, 10 - 5 * actions - 2 * findings),
            "max": 10,
        },
        "disclosure": {
            "value": f"{sum(1 for y in owed if y in published)} / {len(owed)}",
            "points": 5 if on_time else 0,
            "max": 5,
        },
    }


def consequence(result: str) -> tuple[bool, int, str]:
    """(renewal allowed, rectification days, note) for `result`."""
    found = Consequence.objects.filter(result=result).first()
    if found is not None:
        return found.allow_renewal, found.rectification_days, found.note
    allow, days = DEFAULTS[Result(result)]
    return allow, days, ""


@transaction.atomic
def set_consequence(*, by, result: str, allow_renewal: bool, days: int, note: str) -> Consequence:
    require(by, Perm.SHOWCASE_MANAGE)
    if result not in Result.values:
        raise RuleViolation(_("请选择评估结果。"))
    if not 0 <= days <= 365:
        raise RuleViolation(_("整改期限应在 0–365 天之间。"))
    note = note.strip()
    if len(note) > 300 or CONTROL.search(note):
        raise RuleViolation(_("说明不超过 300 字，且不能含有不可见的控制字符。"))
    found, _created = Consequence.objects.update_or_create(
        result=result,
        defaults={
            "allow_renewal": allow_renewal,
            "rectification_days": days,
            "note": note,
            "set_by": by,
        },
    )
    record(
        CONSEQUENCE_SET,
        by=by,
        target=found,
        changes={"allow_renewal": allow_renewal, "days": days},
        summary=_("评估结果运用：%(r)s") % {"r": Result(result).label},
    )
    return found


@transaction.atomic
def start(authorization, *, by, year: int) -> Evaluation:
    """发起: the scorecard computed now; experts score next."""
    require(by, Perm.SHOWCASE_MANAGE)
    today = timezone.localdate()
    if not 2024 <= year <= today.year:
        raise RuleViolation(_("评估年度不正确。"))
    if authorization.created_at.year > year:
        raise RuleViolation(_("该授权在 %(y)s 年尚未生效。") % {"y": year})
    if authorization.status not in LIVE:
        raise RuleViolation(_("该授权已终止，不再评估。"))
    card = scorecard(authorization, year, today)
    quantitative = Decimal(sum(item["points"] for item in card.values())).quantize(CENT)
    try:
        with transaction.atomic():
            evaluation = Evaluation.objects.create(
                code=next_code("LZ-PG", Evaluation),
                authorization=authorization,
                year=year,
                scorecard=card,
                quantitative=quantitative,
                started_by=by,
            )
    except IntegrityError:
        raise RuleViolation(_("该授权 %(y)s 年度的绩效评估已发起。") % {"y": year}) from None
    record(
        EVALUATION_START,
        by=by,
        target=evaluation,
        changes={"year": year, "quantitative": str(quantitative)},
        summary=_("发起 %(y)s 年度绩效评估：%(c)s") % {"y": year, "c": authorization.code},
    )
    notify(
        holders(Role.REVIEWER),
        subject=_("绩效评估待评分：%(c)s") % {"c": authorization.code},
        link=reverse("showcase:evaluation", args=[evaluation.code]),
    )
    return evaluation


def conflict_of(evaluation: Evaluation, reviewer) -> str | None:
    """Why `reviewer` may not score `evaluation`: someone of the operator, of a related party,
    or of any operator (a competitor's staff do not grade it)."""
    operator = evaluation.authorization.operator
    if reviewer.organisation_id == operator.pk:
        return _("评审专家不得评估本单位（利益冲突）。")
    if getattr(reviewer.organisation, "type", "") == OrganisationType.OPERATOR:
        return _("运营单位的人员不参与其他运营单位的绩效评估（同业竞争）。")
    own = getattr(reviewer.organisation, "credit_code", "")
    if own and operator.credit_code in related_codes(own):
        return _("评审专家所在单位与运营单位为关联方，不得评估（利益冲突）。")
    return None


@transaction.atomic
def score(evaluation: Evaluation, *, by, scores: dict, comment: str) -> EvaluationScore:
    require(by, Perm.SHOWCASE_SCORE)
    evaluation = Evaluation.objects.select_for_update().get(pk=evaluation.pk)
    if evaluation.status != EvaluationStatus.SCORING:
        raise RuleViolation(_("该评估已出结果。"))
    conflict = conflict_of(evaluation, by)
    if conflict:
        raise RuleViolation(conflict)
    try:
        cleaned = {key: int(str(scores.get(key, "")).strip()) for key in QUALITATIVE}
    except ValueError:
        raise RuleViolation(_("每项评分须为 0–100 的整数。")) from None
    if not all(0 <= v <= 100 for v in cleaned.values()):
        raise RuleViolation(_("每项评分须为 0–100 的整数。"))
    comment = (comment or "").strip()
    if not comment or len(comment) > 2000 or CONTROL.search(comment):
        raise RuleViolation(_("请填写评审意见（不超过 2000 字）。"))
    if evaluation.scores.filter(reviewer=by).exists():
        raise RuleViolation(_("您已评分。"))
    mean = (Decimal(sum(cleaned.values())) / len(cleaned)).quantize(CENT, rounding=ROUND_HALF_UP)
    result = EvaluationScore.objects.create(
        evaluation=evaluation, reviewer=by, criteria=cleaned, total=mean, comment=comment
    )
    record(
        EVALUATION_SCORE,
        by=by,
        target=evaluation,
        changes={"total": str(mean)},
        summary=_("绩效评估评分 %(c)s：%(t)s 分") % {"c": evaluation.code, "t": mean},
    )
    return result


def result_of(total: Decimal) -> str:
    return next(result for result, floor in THRESHOLDS if total >= floor)


@transaction.atomic
def conclude(evaluation: Evaluation, *, by, note: str = "") -> Evaluation:
    """The result, its consequence applied: a rectification task when the setting asks one."""
    require(by, Perm.SHOWCASE_MANAGE)
    evaluation = Evaluation.objects.select_for_update().get(pk=evaluation.pk)
    if evaluation.status != EvaluationStatus.SCORING:
        raise RuleViolation(_("该评估已出结果。"))
    totals = [s.total for s in evaluation.scores.all()]
    if len(totals) < MIN_SCORES:
        raise RuleViolation(
            _("须至少 %(n)s 位专家评分（已有 %(k)s 位）。") % {"n": MIN_SCORES, "k": len(totals)}
        )
    qualitative = (sum(totals) / len(totals)).quantize(CENT, rounding=ROUND_HALF_UP)
    total = (evaluation.quantitative + qualitative * Decimal("0.6")).quantize(
        CENT, rounding=ROUND_HALF_UP
    )
    evaluation.qualitative, evaluation.total = qualitative, total
    evaluation.result = result_of(total)
    evaluation.note = (note or "").strip()[:2000]
    evaluation.status = EvaluationStatus.CONCLUDED
    evaluation.concluded_by, evaluation.concluded_at = by, timezone.now()
    evaluation.save()
    allow, days, meaning = consequence(evaluation.result)
    if days:
        Rectification.objects.create(
            evaluation=evaluation, due_on=timezone.localdate() + timedelta(days=days)
        )
    record(
        EVALUATION_CONCLUDE,
        by=by,
        target=evaluation,
        changes={"total": str(total), "result": evaluation.result, "rectify_days": days},
        summary=_("绩效评估 %(c)s：%(t)s 分，%(r)s")
        % {"c": evaluation.code, "t": total, "r": evaluation.get_result_display()},
    )
    body = []
    if days:
        body.append(_("请于 %(n)s 天内完成整改并报送整改情况。") % {"n": days})
    if not allow:
        body.append(_("该结果不得申请续期。"))
    notify(
        members(evaluation.authorization.operator, Role.OPERATOR),
        subject=_("绩效评估结果：%(c)s %(r)s")
        % {"c": evaluation.authorization.code, "r": evaluation.get_result_display()},
        body=" ".join([*body, meaning]).strip(),
        link=reverse("showcase:evaluation", args=[evaluation.code]),
    )
    return evaluation


@transaction.atomic
def report_rectification(rectification: Rectification, *, by, report: str) -> Rectification:
    require(by, Perm.AUTHZ_APPLY)
    rectification = Rectification.objects.select_for_update().get(pk=rectification.pk)
    if rectification.evaluation.authorization.operator_id != by.organisation_id:
        raise RuleViolation(_("只能报送本单位的整改情况。"))
    if rectification.status == RectificationStatus.ACCEPTED:
        raise RuleViolation(_("整改已通过验收。"))
    report = (report or "").strip()
    if not report or len(report) > 4000 or CONTROL.search(report):
        raise RuleViolation(_("请填写整改情况（不超过 4000 字）。"))
    rectification.report = report
    rectification.status = RectificationStatus.SUBMITTED
    rectification.reported_by, rectification.reported_at = by, timezone.now()
    rectification.save()
    record(
        RECTIFICATION_REPORT,
        by=by,
        target=rectification.evaluation,
        changes={"report": len(report)},
        summary=_("报送整改情况：%(c)s") % {"c": rectification.evaluation.code},
    )
    notify(
        holders(Role.TASKFORCE),
        subject=_("整改情况待验收：%(c)s") % {"c": rectification.evaluation.authorization.code},
        link=reverse("showcase:evaluation", args=[rectification.evaluation.code]),
    )
    return rectification


@transaction.atomic
def accept_rectification(rectification: Rectification, *, by) -> Rectification:
    require(by, Perm.SHOWCASE_MANAGE)
    rectification = Rectification.objects.select_for_update().get(pk=rectification.pk)
    if rectification.status != RectificationStatus.SUBMITTED:
        raise RuleViolation(_("运营单位尚未报送整改情况。"))
    rectification.status = RectificationStatus.ACCEPTED
    rectification.accepted_by, rectification.accepted_at = by, timezone.now()
    rectification.save()
    record(
        RECTIFICATION_ACCEPT,
        by=by,
        target=rectification.evaluation,
        changes={"status": rectification.status},
        summary=_("整改验收通过：%(c)s") % {"c": rectification.evaluation.code},
    )
    return rectification


def _latest(authorization) -> Evaluation | None:
    return (
        Evaluation.objects.filter(authorization=authorization, status=EvaluationStatus.CONCLUDED)
        .order_by("-year", "-concluded_at")
        .first()
    )


def latest_result(authorization) -> str:
    """The result of the authorization's latest concluded evaluation ("" when none)."""
    latest = _latest(authorization)
    return latest.result if latest else ""


def renewal_refusal(authorization) -> str | None:
    """Why `authorization` may not be renewed on its evaluations, or None."""
    latest = _latest(authorization)
    if latest is None:
        return None
    allow, _days, _note = consequence(latest.result)
    if allow:
        return None
    return _("%(y)s 年度绩效评估结果为“%(r)s”，按工作专班规定不得申请续期。") % {
        "y": latest.year,
        "r": latest.get_result_display(),
    }


def due(today: date | None = None):
    """Active authorizations with no evaluation of last year, or ending within 90 days with
    none this year (evaluated before renewal)."""

    today = today or timezone.localdate()
    active = Authorization.objects.filter(status=AuthorizationStatus.ACTIVE)
    last_year = active.filter(created_at__lt=_year_bounds(today.year)[0]).exclude(
        evaluations__year=today.year - 1
    )
    ending = active.filter(ends_on__lte=today + timedelta(days=90)).exclude(
        evaluations__year=today.year
    )
    return (last_year | ending).distinct()
