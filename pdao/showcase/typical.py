"""典型场景评选 (section 五 of the plan): the taskforce publishes the criteria's weights and
which department leads which domain; a 行业主管部门 nominates a scenario of its domains; at
least two experts score it on the five criteria (never their own organisation's, nor a related
party's); the taskforce confirms it as 市级典型 or not; a confirmed scenario is packaged for the
national 数据要素× call as a Word and PDF dossier kept by hash and anchored on the ledger.

Weighted totals are Decimal: Σ score × weight / 100, rounded half-up to 0.01; the mean is the
mean of the counted totals, rounded the same way."""

from __future__ import annotations

import hashlib
from decimal import ROUND_HALF_UP, Decimal

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from pdao.accounts.choices import OrganisationType
from pdao.audit.services import record
from pdao.catalogue.choices import Domain
from pdao.core import papers, stored
from pdao.core.codes import next_code
from pdao.core.permissions import Perm, Role
from pdao.core.rules import RuleViolation, require, typed_text
from pdao.ledger import services as ledger
from pdao.market.choices import RegistrationStatus
from pdao.market.orders import related_codes
from pdao.notifications.services import holders, members, notify
from pdao.showcase import actions
from pdao.showcase.choices import CRITERIA, NominationStatus
from pdao.showcase.models import Criteria, Nomination, NominationScore, Scenario, Steward
from pdao.showcase.scenarios import image_bytes, measured_use

MIN_SCORES = 2  # expert scores needed before the taskforce decides
TARGET_TYPICAL = 10  # the plan: 打造典型应用场景不少于 10 个
TARGET_NATIONAL = 1  # the plan: 形成国家级"数据要素×"典型案例不少于 1 个
AREA = "showcase"
CENT = Decimal("0.01")


def _text(value: str, limit: int, label: str, *, required: bool = True) -> str:
    return typed_text(value, label, limit, required=required)


# --- What the taskforce sets --------------------------------------------------------------------


def criteria_in_force() -> Criteria | None:
    return Criteria.objects.first()


@transaction.atomic
def publish_criteria(*, by, weights: dict, note: str) -> Criteria:
    """New weights for the five criteria: whole percentages adding up to 100. Nominations
    already made keep the edition they were made under."""
    require(by, Perm.SHOWCASE_MANAGE)
    note = _text(note, 200, _("依据"))
    try:
        cleaned = {key: int(str(weights.get(key, "")).strip()) for key in CRITERIA}
    except ValueError:
        raise RuleViolation(_("每项权重须为整数百分比。")) from None
    if any(not 0 <= w <= 100 for w in cleaned.values()) or sum(cleaned.values()) != 100:
        raise RuleViolation(_("五项权重须在 0–100 之间，合计为 100。"))
    criteria = Criteria.objects.create(weights=cleaned, note=note, published_by=by)
    record(
        actions.CRITERIA_SET,
        by=by,
        target=criteria,
        changes={"weights": cleaned},
        summary=_("发布典型场景评选标准：%(n)s") % {"n": note},
    )
    return criteria


@transaction.atomic
def set_steward(*, by, organisation, domain: str, on: bool) -> None:
    """A department leads a domain (or no longer does)."""
    require(by, Perm.SHOWCASE_MANAGE)
    if domain not in Domain.values:
        raise RuleViolation(_("请选择领域。"))
    if organisation.type not in (OrganisationType.INDUSTRY, OrganisationType.PROVIDER):
        raise RuleViolation(_("只有政府部门可以作为行业主管部门。"))
    if on:
        _steward, created = Steward.objects.get_or_create(
            organisation=organisation, domain=domain, defaults={"set_by": by}
        )
    else:
        created = bool(Steward.objects.filter(organisation=organisation, domain=domain).delete()[0])
    if created:
        record(
            actions.STEWARD_SET,
            by=by,
            target=organisation,
            changes={"domain": domain, "leads": on},
            summary=(_("%(o)s 主管领域：%(d)s") if on else _("%(o)s 不再主管领域：%(d)s"))
            % {"o": organisation.name, "d": Domain(domain).label},
        )


def domains_of(organisation_id) -> set[str]:
    return set(
        Steward.objects.filter(organisation_id=organisation_id).values_list("domain", flat=True)
    )


# --- Nomination ---------------------------------------------------------------------------------


@transaction.atomic
def nominate(scenario: Scenario, *, by, reason: str) -> Nomination:
    """推荐: a department nominates a scenario of a domain it leads, with a written case and at
    least one answered delivery (a scenario nobody uses is not typical)."""

    require(by, Perm.SHOWCASE_NOMINATE)
    reason = _text(reason, 2000, _("推荐理由"))
    scenario = Scenario.objects.select_for_update().get(pk=scenario.pk)
    if scenario.domain not in domains_of(by.organisation_id):
        raise RuleViolation(
            _("本部门不是“%(d)s”领域的主管部门，不能推荐该场景。") % {"d": scenario.domain_label}
        )
    if not scenario.has_case:
        raise RuleViolation(_("运营单位尚未完成案例编写（建设背景、数据应用方式、应用成效）。"))
    if not measured_use([scenario])[scenario.pk].in_production:
        raise RuleViolation(_("该场景尚无成功交付记录，不能推荐为典型场景。"))
    criteria = criteria_in_force()
    if criteria is None:
        raise RuleViolation(_("工作专班尚未发布评选标准。"))
    if scenario.nominations.filter(
        status__in=[NominationStatus.NOMINATED, NominationStatus.CONFIRMED]
    ).exists():
        raise RuleViolation(_("该场景已在评审中或已认定为典型场景。"))
    try:
        with transaction.atomic():
            nomination = Nomination.objects.create(
                code=next_code("LZ-DX", Nomination),
                scenario=scenario,
                criteria=criteria,
                department=by.organisation,
                reason=reason,
                nominated_by=by,
            )
    except IntegrityError:  # a concurrent nomination of the same scenario won
        raise RuleViolation(_("该场景已在评审中或已认定为典型场景。")) from None
    record(
        actions.NOMINATE,
        by=by,
        target=nomination,
        changes={"scenario": scenario.code},
        summary=_("推荐典型场景 %(c)s：%(s)s") % {"c": nomination.code, "s": scenario.name},
    )
    link = reverse("showcase:nomination", args=[nomination.code])
    notify(
        holders(Role.REVIEWER),
        subject=_("典型场景待评审：%(s)s") % {"s": scenario.name},
        link=link,
    )
    notify(
        members(scenario.operator, Role.OPERATOR),
        subject=_("您的场景被推荐为典型场景：%(s)s") % {"s": scenario.name},
        link=link,
    )
    return nomination


@transaction.atomic
def withdraw(nomination: Nomination, *, by, reason: str) -> Nomination:
    require(by, Perm.SHOWCASE_NOMINATE)
    nomination = Nomination.objects.select_for_update().get(pk=nomination.pk)
    if nomination.department_id != by.organisation_id:
        raise RuleViolation(_("只能撤回本部门的推荐。"))
    if nomination.status != NominationStatus.NOMINATED:
        raise RuleViolation(_("只有评审中的推荐可以撤回。"))
    reason = _text(reason, 2000, _("撤回理由"))
    nomination.status, nomination.decision_note = NominationStatus.WITHDRAWN, reason
    nomination.save(update_fields=["status", "decision_note"])
    record(
        actions.WITHDRAW,
        by=by,
        target=nomination,
        changes={"reason": reason},
        summary=_("撤回典型场景推荐 %(c)s") % {"c": nomination.code},
    )
    return nomination


# --- Expert scoring -----------------------------------------------------------------------------


def conflict_of(nomination: Nomination, reviewer) -> str | None:
    """Why `reviewer` may not score `nomination`, or None: someone of the operator, of the
    nominating department, of an organisation the bureau declared related to the operator, or
    who filed the authorization's application."""
    operator = nomination.scenario.operator
    if reviewer.organisation_id == operator.pk:
        return _("评审专家不得评审本单位的场景（利益冲突）。")
    if reviewer.organisation_id == nomination.department_id:
        return _("评审专家不得评审本部门推荐的场景（利益冲突）。")
    if nomination.scenario.authorization.application.created_by_id == reviewer.pk:
        return _("申请人不得评审自己的场景（利益冲突）。")
    own = getattr(reviewer.organisation, "credit_code", "")
    if own and operator.credit_code in related_codes(own):
        return _("评审专家所在单位与运营单位为关联方，不得评审（利益冲突）。")
    return None


def weighted(criteria: Criteria, scores: dict[str, int]) -> Decimal:
    total = sum(Decimal(scores[key]) * Decimal(criteria.weights[key]) for key in CRITERIA)
    return (total / 100).quantize(CENT, rounding=ROUND_HALF_UP)


def _open_for_scoring(nomination: Nomination, by) -> Nomination:
    require(by, Perm.SHOWCASE_SCORE)
    nomination = Nomination.objects.select_for_update().get(pk=nomination.pk)
    if nomination.status != NominationStatus.NOMINATED:
        raise RuleViolation(_("该推荐已结束评审。"))
    if nomination.scores.filter(reviewer=by).exists():
        raise RuleViolation(_("您已评审过该场景。"))
    return nomination


@transaction.atomic
def score(
    nomination: Nomination, *, by, scores: dict, comment: str, no_conflict: bool
) -> NominationScore:
    nomination = _open_for_scoring(nomination, by)
    conflict = conflict_of(nomination, by)
    if conflict:
        raise RuleViolation(conflict)
    if not no_conflict:
        raise RuleViolation(_("评分前须声明与该场景不存在利益冲突；存在冲突请选择回避。"))
    try:
        cleaned = {key: int(str(scores.get(key, "")).strip()) for key in CRITERIA}
    except ValueError:
        raise RuleViolation(_("每项评分须为 0–100 的整数。")) from None
    if not all(0 <= v <= 100 for v in cleaned.values()):
        raise RuleViolation(_("每项评分须为 0–100 的整数。"))
    comment = _text(comment, 2000, _("评审意见"))
    total = weighted(nomination.criteria, cleaned)
    result = NominationScore.objects.create(
        nomination=nomination,
        reviewer=by,
        criteria=cleaned,
        total=total,
        comment=comment,
        no_conflict_declared=True,
    )
    record(
        actions.SCORE,
        by=by,
        target=nomination,
        changes={"total": str(total)},
        summary=_("典型场景评审 %(c)s：%(t)s 分") % {"c": nomination.code, "t": total},
    )
    if nomination.scores.filter(recused=False).count() == MIN_SCORES:
        notify(
            holders(Role.TASKFORCE),
            subject=_("典型场景评审已满 %(n)s 位专家，待认定：%(s)s")
            % {"n": MIN_SCORES, "s": nomination.scenario.name},
            link=reverse("showcase:nomination", args=[nomination.code]),
        )
    return result


@transaction.atomic
def recuse(nomination: Nomination, *, by, reason: str) -> NominationScore:
    nomination = _open_for_scoring(nomination, by)
    reason = _text(reason, 300, _("回避理由"))
    result = NominationScore.objects.create(
        nomination=nomination, reviewer=by, recused=True, recusal_reason=reason
    )
    record(
        actions.RECUSE,
        by=by,
        target=nomination,
        changes={"reason": reason},
        summary=_("专家回避典型场景评审 %(c)s") % {"c": nomination.code},
    )
    return result


def mean_of(nomination: Nomination) -> Decimal | None:
    totals = [s.total for s in nomination.scores.all() if not s.recused]
    if not totals:
        return None
    return (sum(totals) / len(totals)).quantize(CENT, rounding=ROUND_HALF_UP)


# --- The taskforce's decision -------------------------------------------------------------------


@transaction.atomic
def decide(nomination: Nomination, *, by, confirm: bool, note: str) -> Nomination:
    """认定: confirmed as 市级典型 or not, after at least two experts scored it."""
    require(by, Perm.SHOWCASE_MANAGE)
    nomination = Nomination.objects.select_for_update().get(pk=nomination.pk)
    if nomination.status != NominationStatus.NOMINATED:
        raise RuleViolation(_("该推荐已办结。"))
    counted = nomination.scores.filter(recused=False).count()
    if counted < MIN_SCORES:
        raise RuleViolation(
            _("须至少 %(n)s 位专家评分后才能认定（已有 %(k)s 位）。")
            % {"n": MIN_SCORES, "k": counted}
        )
    note = _text(note, 2000, _("认定意见"), required=not confirm)
    nomination.status = NominationStatus.CONFIRMED if confirm else NominationStatus.DECLINED
    nomination.mean_score = mean_of(nomination)
    nomination.decision_note = note
    nomination.decided_by, nomination.decided_at = by, timezone.now()
    nomination.save()
    record(
        actions.DECIDE,
        by=by,
        target=nomination,
        changes={"status": nomination.status, "mean": str(nomination.mean_score)},
        summary=_("典型场景 %(c)s：%(s)s")
        % {"c": nomination.code, "s": nomination.get_status_display()},
    )
    subject = _("典型场景评审结果：%(s)s %(r)s") % {
        "s": nomination.scenario.name,
        "r": nomination.get_status_display(),
    }
    link = reverse("showcase:nomination", args=[nomination.code])
    notify(
        members(nomination.department, Role.INDUSTRY_LEAD), subject=subject, link=link, body=note
    )
    notify(
        members(nomination.scenario.operator, Role.OPERATOR), subject=subject, link=link, body=note
    )
    return nomination


def typical() -> list[Nomination]:
    """The confirmed typical scenarios, by domain then code."""
    confirmed = Nomination.objects.filter(status=NominationStatus.CONFIRMED).select_related(
        "scenario__authorization__application", "scenario__authorization__operator", "department"
    )
    order = {d: i for i, d in enumerate(Domain.values)}
    return sorted(confirmed, key=lambda n: (order[n.scenario.domain], n.scenario.code))


def counts() -> dict[str, int]:
    confirmed = Nomination.objects.filter(status=NominationStatus.CONFIRMED)
    return {
        "typical": confirmed.count(),
        "national": confirmed.filter(packaged_at__isnull=False).count(),
        "typical_target": TARGET_TYPICAL,
        "national_target": TARGET_NATIONAL,
    }


# --- The national 数据要素× dossier -------------------------------------------------------------


def dossier(nomination: Nomination) -> papers.Paper:
    """The case, the measured use, the experts' scores and the compliance record."""

    scenario = nomination.scenario
    authorization = scenario.authorization
    use = measured_use([scenario])[scenario.pk]
    criteria = nomination.criteria
    products = [
        (p.code, p.name, p.get_kind_display(), p.filing_no or "—", p.get_status_display())
        for p in use.products
    ]

    registrations = [
        (r.product.code, r.code, f"{r.valid_from:%Y-%m-%d} — {r.valid_until:%Y-%m-%d}")
        for product in use.products
        for r in product.registrations.filter(status=RegistrationStatus.CONFIRMED).order_by("pk")
    ]
    scores = [
        (
            str(index),
            *(Decimal(s.criteria[key]) for key in CRITERIA),
            s.total,
        )
        for index, s in enumerate(nomination.counted_scores, start=1)
    ]
    figures = [
        papers.Figure(png, image.caption)
        for image in scenario.images.all()
        if (png := image_bytes(image)) is not None
    ]
    return papers.Paper(
        title=_("“数据要素×”典型案例申报材料：%(s)s") % {"s": scenario.name},
        facts=[
            (_("推荐编号"), nomination.code),
            (_("场景编号"), scenario.code),
            (_("领域"), scenario.domain_label),
            (_("运营单位"), f"{scenario.operator.name}（{scenario.operator.credit_code}）"),
            (_("推荐部门"), nomination.department.name),
            (_("授权编号"), authorization.code),
            (
                _("授权期限"),
                f"{authorization.starts_on:%Y-%m-%d} — {authorization.ends_on:%Y-%m-%d}"
                f" · {authorization.get_status_display()}",
            ),
            (_("市级典型认定"), f"{nomination.decided_at:%Y-%m-%d}"),
        ],
        sections=[
            papers.Section(_("一、建设背景"), [scenario.background]),
            papers.Section(_("二、数据应用方式"), [scenario.approach]),
            papers.Section(
                _("三、应用成效"),
                [scenario.outcomes, _("服务对象：%(u)s") % {"u": scenario.users or "—"}],
                figures=figures,
            ),
            papers.Section(
                _("四、实际使用情况（平台交付记录统计）"),
                [
                    _(
                        "统计口径：本场景各数据产品经网关成功应答的调用与报告下载；月数为有成功交付的自然月。"
                    ),
                ],
                header=(
                    _("成功交付（次）"),
                    _("使用单位（家）"),
                    _("在用月数"),
                    _("首月"),
                    _("最近月"),
                ),
                rows=[
                    (
                        use.calls,
                        use.consumers,
                        use.months,
                        use.first_month or "—",
                        use.last_month or "—",
                    )
                ],
            ),
            papers.Section(
                _("五、数据产品与合规记录"),
                [_("产品均经合规审查并备案；登记确认单如下。")],
                header=(_("产品编号"), _("产品名称"), _("类型"), _("备案编号"), _("状态")),
                rows=products,
            ),
            papers.Section(
                _("数据产品登记"),
                [] if registrations else [_("无")],
                header=(_("产品编号"), _("登记确认单编号"), _("有效期")) if registrations else (),
                rows=registrations,
            ),
            papers.Section(
                _("六、专家评审"),
                [
                    _("评选标准权重：%(w)s；专家平均分 %(m)s。")
                    % {
                        "w": "，".join(
                            f"{label} {criteria.weights[key]}%" for key, label in CRITERIA.items()
                        ),
                        "m": nomination.mean_score,
                    }
                ],
                header=(_("专家"), *[str(label) for label in CRITERIA.values()], _("加权总分")),
                rows=scores,
            ),
        ],
        footer=_("本材料由公共数据授权运营平台根据登记、交付与评审记录生成。"),
    )


@transaction.atomic
def package(nomination: Nomination, *, by) -> Nomination:
    """The national call's dossier as Word and PDF, kept by hash; the Word file's hash goes on
    the ledger. Packaging again (the case was improved) replaces the files and anchors anew."""
    require(by, Perm.SHOWCASE_MANAGE)
    nomination = Nomination.objects.select_for_update().get(pk=nomination.pk)
    if nomination.status != NominationStatus.CONFIRMED:
        raise RuleViolation(_("只有已认定的市级典型场景可以申报国家级案例。"))
    paper = dossier(nomination)
    word, pdf = papers.docx(paper), papers.pdf(paper)
    nomination.package_sha256 = stored.store(AREA, word, "docx")
    nomination.package_pdf_sha256 = stored.store(AREA, pdf, "pdf")
    nomination.packaged_by, nomination.packaged_at = by, timezone.now()
    nomination.save()
    ledger.anchor(
        "showcase.package",
        content_hash=hashlib.sha256(word).hexdigest(),
        by=by,
        target=nomination,
    )
    record(
        actions.PACKAGE,
        by=by,
        target=nomination,
        changes={"docx": nomination.package_sha256, "pdf": nomination.package_pdf_sha256},
        summary=_("生成数据要素×申报材料：%(s)s") % {"s": nomination.scenario.name},
    )
    return nomination


def package_bytes(nomination: Nomination, fmt: str) -> bytes | None:
    digest = nomination.package_sha256 if fmt == "docx" else nomination.package_pdf_sha256
    return stored.read(AREA, digest, fmt) if digest else None
