"""审查: acceptance, the providing departments' opinions (提供单位意见), the risk assessment
(事前评估), expert scoring with the conflict-of-interest rule, and the public notice (公示) with
its objections."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pdao.audit import actions
from pdao.audit.services import record
from pdao.authorization import risk
from pdao.authorization.choices import OPEN_STATUSES, ApplicationStatus, Verdict
from pdao.authorization.models import Application, NoticeObjection, Opinion, Score
from pdao.authorization.services.steps import (
    BUREAU,
    OPERATOR,
    Notice,
    advance,
    expect,
    link,
    move,
    tell,
)
from pdao.catalogue.registration import add_working_days
from pdao.core import submissions
from pdao.core.permissions import Perm, Role
from pdao.core.rules import RuleViolation, require
from pdao.notifications.services import holders, members, notify

APPLICATION_ACCEPT = actions.define("authz.accept", gettext_lazy("受理授权申请"))
APPLICATION_RETURN = actions.define("authz.return", gettext_lazy("退回补正"))
OPINION_GIVE = actions.define("authz.opinion", gettext_lazy("提出提供单位意见"))
ASSESSMENT_DONE = actions.define("authz.assessment", gettext_lazy("完成事前评估"))
SCORE_GIVE = actions.define("authz.score", gettext_lazy("专家评分"))
SCORE_RECUSE = actions.define("authz.recuse", gettext_lazy("评审回避"))
SCORING_CLOSE = actions.define("authz.scoring_closed", gettext_lazy("结束评审并公示"))
NOTICE_OBJECTION = actions.define("authz.objection", gettext_lazy("公示异议"))
NOTICE_ANSWER = actions.define("authz.objection_answer", gettext_lazy("答复公示异议"))
NOTICE_CLOSE = actions.define("authz.notice_closed", gettext_lazy("公示期结束"))

MIN_SCORES = 2  # expert scores needed before the notice
CRITERIA = {  # expert scoring: criterion → (label, weight)
    "value": (gettext_lazy("场景价值与社会效益"), 0.30),
    "feasibility": (gettext_lazy("技术方案可行性"), 0.20),
    "security": (gettext_lazy("数据安全保障能力"), 0.30),
    "capability": (gettext_lazy("运营能力与信用"), 0.20),
}


# --- Acceptance and correction (受理、退回补正) ---------------------------------------------


@transaction.atomic
def accept(application: Application, *, by) -> Application:
    """受理: ask each providing department for its opinion."""
    require(by, Perm.AUTHZ_DECIDE)
    expect(application, ApplicationStatus.SUBMITTED)
    providers = {
        i.resource.provider for i in application.items.select_related("resource__provider")
    }
    for provider in providers:
        Opinion.objects.get_or_create(application=application, provider=provider)
    advance(
        application,
        ApplicationStatus.OPINIONS,
        by=by,
        action=APPLICATION_ACCEPT,
        summary=_("受理授权申请 %(c)s") % {"c": application.code},
        notice=Notice(OPERATOR, _("申请已受理：%(c)s") % {"c": application.code}),
    )
    for provider in providers:
        notify(
            members(provider, Role.PROVIDER),
            link=link(application),
            subject=_("请对授权申请提出意见：%(c)s %(s)s")
            % {"c": application.code, "s": application.scenario},
        )
    return application


@transaction.atomic
def return_for_correction(application: Application, *, by, reason: str) -> Application:
    require(by, Perm.AUTHZ_DECIDE)
    if application.status not in OPEN_STATUSES or application.status == ApplicationStatus.NOTICE:
        raise RuleViolation(_("该申请当前不能退回。"))
    if not reason.strip():
        raise RuleViolation(_("退回补正须写明理由。"))
    application.opinions.all().delete()
    application.scores.all().delete()
    return advance(
        application,
        ApplicationStatus.RETURNED,
        by=by,
        action=APPLICATION_RETURN,
        changes={"reason": reason},
        summary=_("退回补正 %(c)s") % {"c": application.code},
        notice=Notice(OPERATOR, _("申请被退回补正：%(c)s") % {"c": application.code}, reason),
        return_reason=reason,
    )


# --- Opinions and assessment (意见、事前评估) ------------------------------------------------


@transaction.atomic
def give_opinion(application: Application, *, by, verdict: str, text: str) -> Opinion:
    require(by, Perm.AUTHZ_OPINE)
    expect(application, ApplicationStatus.OPINIONS)
    opinion = application.opinions.filter(provider_id=by.organisation_id).first()
    if opinion is None:
        raise RuleViolation(_("本单位的数据不在该申请中，无需提出意见。"))
    if verdict not in Verdict.values:
        raise RuleViolation(_("请选择意见。"))
    if verdict != Verdict.AGREE and not text.strip():
        raise RuleViolation(_("有条件同意或不同意须写明理由。"))
    opinion.verdict, opinion.text = verdict, text
    opinion.given_by, opinion.given_at = by, timezone.now()
    opinion.save()
    record(
        OPINION_GIVE,
        by=by,
        target=application,
        changes={"verdict": verdict},
        summary=_("%(p)s 对 %(c)s 提出意见：%(v)s")
        % {"p": by.organisation.name, "c": application.code, "v": opinion.get_verdict_display()},
    )
    if not application.opinions.filter(verdict="").exists():
        # The last opinion moves the application on; its audit event is the opinion's.
        move(application, ApplicationStatus.ASSESSMENT, risk=risk.assess(application))
        tell(
            application,
            Notice(BUREAU, _("提供单位意见已齐，待事前评估：%(c)s") % {"c": application.code}),
        )
    return opinion


@transaction.atomic
def complete_assessment(application: Application, *, by, note: str = "") -> Application:
    """事前评估: the bureau confirms the computed risk (recomputed now) and opens scoring."""
    require(by, Perm.AUTHZ_DECIDE)
    expect(application, ApplicationStatus.ASSESSMENT)
    assessment = risk.assess(application) | {"note": note}
    advance(
        application,
        ApplicationStatus.SCORING,
        by=by,
        action=ASSESSMENT_DONE,
        changes={"score": assessment["score"], "level": assessment["level"]},
        summary=_("完成 %(c)s 事前评估：风险 %(s)d 分")
        % {"c": application.code, "s": assessment["score"]},
        risk=assessment,
    )
    reviewers = [u for u in holders(Role.REVIEWER) if u.organisation_id != application.operator_id]
    notify(
        reviewers,
        link=link(application),
        subject=_("请评审授权申请：%(c)s %(s)s")
        % {"c": application.code, "s": application.scenario},
    )
    return application


# --- Expert scoring (专家评审) --------------------------------------------------------------


def conflict_of(application: Application, reviewer) -> str | None:
    """Why `reviewer` may not score `application`, or None: an author, or anyone of the
    applying organisation, can never review its own."""
    if reviewer.organisation_id == application.operator_id:
        return _("评审专家不得评审本单位的申请（利益冲突）。")
    if application.created_by_id == reviewer.pk:
        return _("申请人不得评审自己的申请（利益冲突）。")
    return None


@transaction.atomic
def score(
    application: Application, *, by, criteria: dict[str, int], comment: str, no_conflict: bool
) -> Score:
    require(by, Perm.AUTHZ_SCORE)
    expect(application, ApplicationStatus.SCORING)
    conflict = conflict_of(application, by)
    if conflict:
        raise RuleViolation(conflict)
    if not no_conflict:
        raise RuleViolation(_("评分前须声明与申请单位不存在利益冲突；存在冲突请选择回避。"))
    if set(criteria) != set(CRITERIA) or not all(0 <= int(v) <= 100 for v in criteria.values()):
        raise RuleViolation(_("每项评分须在 0–100 之间。"))
    total = round(sum(int(criteria[k]) * w for k, (_l, w) in CRITERIA.items()), 2)
    if application.scores.filter(reviewer=by).exists():
        raise RuleViolation(_("您已评审过该申请。"))
    result = Score.objects.create(
        application=application,
        reviewer=by,
        criteria={k: int(v) for k, v in criteria.items()},
        total=total,
        comment=comment,
        no_conflict_declared=True,
    )
    record(
        SCORE_GIVE,
        by=by,
        target=application,
        changes={"total": total},
        summary=_("专家评审 %(c)s：%(t)s 分") % {"c": application.code, "t": total},
    )
    return result


@transaction.atomic
def recuse(application: Application, *, by, reason: str) -> Score:
    require(by, Perm.AUTHZ_SCORE)
    expect(application, ApplicationStatus.SCORING)
    if application.scores.filter(reviewer=by).exists():
        raise RuleViolation(_("您已评审过该申请。"))
    result = Score.objects.create(
        application=application, reviewer=by, recused=True, recusal_reason=reason
    )
    record(
        SCORE_RECUSE,
        by=by,
        target=application,
        changes={"reason": reason},
        summary=_("专家回避评审 %(c)s") % {"c": application.code},
    )
    return result


# --- The public notice (公示) and its objections --------------------------------------------


def notice_days() -> int:
    return settings.AUTHZ_NOTICE_DAYS


@transaction.atomic
def close_scoring(application: Application, *, by) -> Application:
    """Enough scores: publish the notice (公示) for the configured number of working days."""
    require(by, Perm.AUTHZ_DECIDE)
    expect(application, ApplicationStatus.SCORING)
    counted = application.scores.filter(recused=False).count()
    if counted < MIN_SCORES:
        raise RuleViolation(
            _("至少需要 %(n)d 位专家评分（当前 %(c)d 位）。") % {"n": MIN_SCORES, "c": counted}
        )
    today = timezone.localdate()
    ends = add_working_days(today, notice_days())
    return advance(
        application,
        ApplicationStatus.NOTICE,
        by=by,
        action=SCORING_CLOSE,
        changes={"mean_score": application.mean_score, "notice_ends": ends.isoformat()},
        summary=_("%(c)s 评审结束，公示至 %(d)s") % {"c": application.code, "d": ends},
        notice=Notice(
            OPERATOR,
            _("申请进入公示：%(c)s，公示至 %(d)s") % {"c": application.code, "d": ends},
        ),
        notice_starts=today,
        notice_ends=ends,
        step_deadline=ends,
    )


@transaction.atomic
def raise_objection(application: Application, *, name: str, contact: str, text: str):
    """Anyone may object while the notice runs (no one is signed in: `by` is the public)."""
    today = timezone.localdate()
    if application.status != ApplicationStatus.NOTICE or today > application.notice_ends:
        raise RuleViolation(_("该申请不在公示期内。"))
    if not (name.strip() and contact.strip() and text.strip()):
        raise RuleViolation(_("请填写姓名（或单位）、联系方式和异议内容。"))
    # Two identical objections at once (a double click): one after the other, so the second
    # finds the first.
    Application.objects.select_for_update().filter(pk=application.pk).first()
    objection = submissions.create_once(
        NoticeObjection,
        prefix="GS",
        parts=(application.pk, name, contact, text),
        created="created_at",
        application=application,
        name=name[:100],
        contact=contact[:100],
        text=text[:2000],
    )
    if objection.repeated:
        return objection
    record(
        NOTICE_OBJECTION,
        by=None,
        target=application,
        changes={"objection": objection.pk},
        summary=_("收到对 %(c)s 的公示异议") % {"c": application.code},
    )
    tell(application, Notice(BUREAU, _("收到公示异议：%(c)s") % {"c": application.code}))
    return objection


def track_objection(number: str) -> dict | None:
    """What the person who objected may see of it, by its tracking number (受理编号)."""
    objection = (
        NoticeObjection.objects.select_related("application").filter(tracking_no=number).first()
    )
    if objection is None:
        return None
    return {
        "kind": _("授权公示异议"),
        "subject": objection.application.code,
        "received": objection.created_at,
        "status": submissions.objection_status(objection.answered_at, objection.upheld),
        "response": objection.response,
        "answered": objection.answered_at,
        "contact": objection.contact,
    }


@transaction.atomic
def answer_objection(
    objection: NoticeObjection, *, by, response: str, upheld: bool
) -> NoticeObjection:
    require(by, Perm.AUTHZ_DECIDE)
    if not response.strip():
        raise RuleViolation(_("请填写答复。"))
    objection.response, objection.upheld = response, upheld
    objection.answered_by, objection.answered_at = by, timezone.now()
    objection.save()
    record(
        NOTICE_ANSWER,
        by=by,
        target=objection.application,
        changes={"objection": objection.pk, "upheld": upheld},
        summary=_("答复 %(c)s 的公示异议") % {"c": objection.application.code},
    )
    return objection


@transaction.atomic
def close_notice(application: Application, *, by) -> Application:
    require(by, Perm.AUTHZ_DECIDE)
    expect(application, ApplicationStatus.NOTICE)
    if timezone.localdate() <= application.notice_ends:
        raise RuleViolation(_("公示期至 %(d)s，期满后方可决定。") % {"d": application.notice_ends})
    if application.objections.filter(answered_at__isnull=True).exists():
        raise RuleViolation(_("还有未答复的公示异议。"))
    return advance(
        application,
        ApplicationStatus.DECISION,
        by=by,
        action=NOTICE_CLOSE,
        summary=_("%(c)s 公示期满，待决定") % {"c": application.code},
    )
