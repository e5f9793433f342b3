"""事前评估 — the security pre-assessment: a 0–100 risk score from the data's grade, the
personal information requested, the volume, the output forms and the operator's history,
each factor shown with its points so the bureau can see why."""

from __future__ import annotations

from django.utils.translation import gettext as _

from pdao.authorization.choices import AuthorizationStatus, OutputForm
from pdao.authorization.models import Application, Authorization
from pdao.catalogue.choices import Grade, PIKind, Sensitivity

GRADE_POINTS = {
    Grade.IMPORTANT: 35,
    Grade.GENERAL_4: 20,
    Grade.GENERAL_3: 12,
    Grade.GENERAL_2: 6,
    Grade.GENERAL_1: 2,
}
FORM_POINTS = {
    OutputForm.DEIDENTIFIED: 15,
    OutputForm.MODEL: 10,
    OutputForm.DP: 3,
    OutputForm.AGGREGATE: 0,
}
LEVELS = ((30, "low", "低"), (60, "medium", "中"), (101, "high", "高"))


def assess(application: Application) -> dict:
    items = list(application.items.select_related("resource").prefetch_related("fields__field"))
    factors = []

    grade = max((GRADE_POINTS.get(i.resource.grade, 0) for i in items), default=0)
    factors.append(_factor(_("数据分级"), grade, _("申请数据的最高分级")))

    sensitive = sum(
        1 for i in items for d in i.fields.all() if d.field.sensitivity == Sensitivity.SENSITIVE_PI
    )
    personal = sum(
        1
        for i in items
        for d in i.fields.all()
        if d.field.pi_kind not in ("", PIKind.NONE)
        and d.field.sensitivity != Sensitivity.SENSITIVE_PI
    )
    points = min(25, 8 * sensitive + 3 * personal)
    factors.append(
        _factor(
            _("个人信息字段"),
            points,
            _("敏感个人信息 %(s)d 个，一般个人信息 %(p)d 个") % {"s": sensitive, "p": personal},
        )
    )

    volume = sum(i.volume for i in items)
    points = (
        0 if volume < 10_000 else 5 if volume < 1_000_000 else 10 if volume < 10_000_000 else 15
    )
    factors.append(_factor(_("数据量"), points, _("预计每月 %(n)s 行") % {"n": f"{volume:,}"}))

    forms = {f for i in items for f in i.output_forms}
    points = max((FORM_POINTS.get(f, 0) for f in forms), default=0)
    labels = "、".join(str(OutputForm(f).label) for f in sorted(forms)) or "—"
    factors.append(_factor(_("输出形式"), points, labels))

    history = Authorization.objects.filter(operator=application.operator)
    troubled = history.filter(
        status__in=(AuthorizationStatus.SUSPENDED, AuthorizationStatus.REVOKED)
    ).count()
    if troubled:
        points, note = min(20, 10 * troubled), _("曾被暂停或撤销的授权 %(n)d 个") % {"n": troubled}
    elif history.exists():
        points, note = 0, _("已有授权 %(n)d 个，无违规记录") % {"n": history.count()}
    else:
        points, note = 5, _("首次申请，无运营记录")
    factors.append(_factor(_("运营单位历史"), points, note))

    score = min(100, sum(f["points"] for f in factors))
    level, label = next((code, label) for bound, code, label in LEVELS if score < bound)
    return {"score": score, "level": level, "level_label": label, "factors": factors}


def _factor(name, points: int, detail) -> dict:
    return {"name": str(name), "points": points, "detail": str(detail)}
