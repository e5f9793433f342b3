"""示范与评估 pages: the public showcase of confirmed typical scenarios by domain, the scenario
registry with measured use, a scenario's case (written by its operator), nominations with their
expert scores and the taskforce's decision, the national dossier, and the criteria.

A scenario is seen by those who see the registry, by its operator, by experts while it is
nominated, and by anyone once confirmed; otherwise 404. Each form posts to one service verb.
"""

from __future__ import annotations

from datetime import date

from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.translation import gettext as _

from pdao.accounts.choices import OrganisationType
from pdao.accounts.models import Organisation
from pdao.authorization.models import Authorization
from pdao.catalogue.choices import Domain
from pdao.core import papers
from pdao.core.access import public, requires, requires_login
from pdao.core.downloads import attach
from pdao.core.permissions import Perm
from pdao.core.posts import perform
from pdao.core.rules import RuleViolation
from pdao.showcase import disclosures, evaluations, kpis, typical, workreports
from pdao.showcase import scenarios as registry
from pdao.showcase.choices import (
    CRITERIA,
    QUALITATIVE,
    DisclosureStatus,
    EvaluationStatus,
    NominationStatus,
    Period,
    Result,
)
from pdao.showcase.models import (
    Disclosure,
    Evaluation,
    KpiValue,
    Nomination,
    Scenario,
    ScenarioImage,
    Steward,
    WorkReport,
)
from pdao.supervision.dashboard import _tabled

POST = ("POST",)
RELATED = ("authorization__application", "authorization__operator")


def _scenario(request, code: str) -> Scenario:
    return get_object_or_404(
        Scenario.objects.visible_to(request.user).select_related(*RELATED), code=code
    )


def _nominations_visible(user):
    nominations = Nomination.objects.select_related(
        "scenario__authorization__application", "scenario__authorization__operator", "department"
    )
    if user.has_perm(Perm.SHOWCASE_VIEW):
        return nominations
    if user.has_perm(Perm.SHOWCASE_SCORE):
        return nominations.filter(status=NominationStatus.NOMINATED) | nominations.filter(
            scores__reviewer=user
        )
    return nominations.none()


@public()
def home(request):
    """The public showcase: confirmed typical scenarios grouped by domain."""
    confirmed = typical.typical()
    use = registry.measured_use([n.scenario for n in confirmed])
    groups = []
    for value, label in Domain.choices:
        entries = [(n, use[n.scenario_id]) for n in confirmed if n.scenario.domain == value]
        if entries:
            groups.append((label, entries))
    return render(
        request,
        "showcase/home.html",
        {"groups": groups, "counts": typical.counts(), "domains": len(groups)},
    )


@requires_login()
def scenario_list(request):
    """The registry: every scenario the user may see, with its measured use."""
    scenarios = Scenario.objects.visible_to(request.user).select_related(*RELATED)
    domain = request.GET.get("domain", "")
    if domain in Domain.values:
        scenarios = scenarios.filter(authorization__application__domain=domain)
    scenarios = list(scenarios)
    use = registry.measured_use(scenarios)
    live = {
        n.scenario_id: n
        for n in Nomination.objects.filter(
            scenario__in=scenarios,
            status__in=[NominationStatus.NOMINATED, NominationStatus.CONFIRMED],
        )
    }
    return render(
        request,
        "showcase/scenarios.html",
        {
            "rows": [(s, use[s.pk], live.get(s.pk)) for s in scenarios],
            "domains": Domain.choices,
            "domain": domain,
        },
    )


@public()
def scenario_detail(request, code: str):
    scenario = _scenario(request, code)
    user = request.user
    nominations = (
        _nominations_visible(user).filter(scenario=scenario) if user.is_authenticated else []
    )
    confirmed = scenario.nominations.filter(status=NominationStatus.CONFIRMED).first()
    own = user.is_authenticated and scenario.authorization.operator_id == user.organisation_id
    use = registry.measured_use([scenario])[scenario.pk]
    nominating = (
        user.is_authenticated
        and user.has_perm(Perm.SHOWCASE_NOMINATE)
        and scenario.domain in typical.domains_of(user.organisation_id)
    )
    may_nominate = (
        nominating
        and scenario.has_case
        and use.in_production
        and not scenario.nominations.filter(
            status__in=[NominationStatus.NOMINATED, NominationStatus.CONFIRMED]
        ).exists()
    )
    return render(
        request,
        "showcase/scenario.html",
        {
            "scenario": scenario,
            "use": use,
            "images": scenario.images.all(),
            "nominations": nominations,
            "confirmed": confirmed,
            "own": own and user.has_perm(Perm.AUTHZ_APPLY),
            "locked": registry.locked(scenario),
            "may_nominate": may_nominate,
            "nominating": nominating,
            "limits": registry.CASE_LIMITS,
        },
    )


@requires(Perm.AUTHZ_APPLY, methods=POST)
def scenario_case(request, code: str):
    scenario = _scenario(request, code)
    post = request.POST
    return perform(
        request,
        lambda: registry.save_case(
            scenario, by=request.user, **{k: post.get(k, "") for k in registry.CASE_FIELDS}
        ),
        _("案例已保存。"),
        ("showcase:scenario", scenario.code),
    )


@requires(Perm.AUTHZ_APPLY, methods=POST)
def scenario_image_add(request, code: str):
    scenario = _scenario(request, code)
    upload = request.FILES.get("image")

    def add():
        if upload is None:
            raise RuleViolation(_("请选择图片文件。"))
        if upload.size > registry.IMAGE_MAX_BYTES:
            raise RuleViolation(_("图片不能超过 5 MB。"))
        return registry.add_image(
            scenario, by=request.user, data=upload.read(), caption=request.POST.get("caption", "")
        )

    return perform(request, add, _("图片已上传。"), ("showcase:scenario", scenario.code))


@public()
def scenario_image(request, pk: int):
    image = get_object_or_404(ScenarioImage.objects.select_related("scenario"), pk=pk)
    if not Scenario.objects.visible_to(request.user).filter(pk=image.scenario_id).exists():
        raise Http404
    data = registry.image_bytes(image)
    if data is None:
        raise Http404
    return HttpResponse(data, content_type="image/png")


@requires(Perm.AUTHZ_APPLY, methods=POST)
def scenario_image_remove(request, pk: int):
    image = get_object_or_404(ScenarioImage.objects.select_related("scenario"), pk=pk)
    if not Scenario.objects.visible_to(request.user).filter(pk=image.scenario_id).exists():
        raise Http404
    code = image.scenario.code
    return perform(
        request,
        lambda: registry.remove_image(image, by=request.user),
        _("图片已删除。"),
        ("showcase:scenario", code),
    )


@requires(Perm.SHOWCASE_NOMINATE, methods=POST)
def scenario_nominate(request, code: str):
    scenario = _scenario(request, code)
    return perform(
        request,
        lambda: typical.nominate(scenario, by=request.user, reason=request.POST.get("reason", "")),
        _("已推荐，等待专家评审。"),
        lambda n: ("showcase:nomination", n.code),
        back=("showcase:scenario", scenario.code),
    )


@requires_login()
def nomination_list(request):
    user = request.user
    if not (user.has_perm(Perm.SHOWCASE_VIEW) or user.has_perm(Perm.SHOWCASE_SCORE)):
        raise Http404
    status = request.GET.get("status", "")
    nominations = _nominations_visible(user).distinct()
    if status in NominationStatus.values:
        nominations = nominations.filter(status=status)
    return render(
        request,
        "showcase/nominations.html",
        {
            "nominations": nominations.order_by("-nominated_at", "-pk"),
            "statuses": NominationStatus.choices,
            "status": status,
            "counts": typical.counts(),
        },
    )


def _nomination(request, code: str) -> Nomination:
    return get_object_or_404(_nominations_visible(request.user).distinct(), code=code)


@requires_login()
def nomination_detail(request, code: str):
    nomination = _nomination(request, code)
    user = request.user
    scenario = nomination.scenario
    scores = list(nomination.scores.select_related("reviewer"))
    mine = next((s for s in scores if s.reviewer_id == user.pk), None)
    return render(
        request,
        "showcase/nomination.html",
        {
            "nomination": nomination,
            "scenario": scenario,
            "use": registry.measured_use([scenario])[scenario.pk],
            "scores": scores,
            "names": user.has_perm(Perm.SHOWCASE_VIEW),
            "criteria": [
                (k, label, nomination.criteria.weights[k]) for k, label in CRITERIA.items()
            ],
            "mine": mine,
            "conflict": typical.conflict_of(nomination, user)
            if user.has_perm(Perm.SHOWCASE_SCORE)
            else None,
            "may_score": user.has_perm(Perm.SHOWCASE_SCORE)
            and nomination.status == NominationStatus.NOMINATED
            and mine is None,
            "counted": len([s for s in scores if not s.recused]),
            "min_scores": typical.MIN_SCORES,
            "mean": typical.mean_of(nomination),
        },
    )


@requires(Perm.SHOWCASE_SCORE, methods=POST)
def nomination_score(request, code: str):
    nomination = _nomination(request, code)
    post = request.POST
    return perform(
        request,
        lambda: typical.score(
            nomination,
            by=request.user,
            scores={k: post.get(k, "") for k in CRITERIA},
            comment=post.get("comment", ""),
            no_conflict=post.get("no_conflict") == "on",
        ),
        _("评分已提交。"),
        ("showcase:nomination", nomination.code),
    )


@requires(Perm.SHOWCASE_SCORE, methods=POST)
def nomination_recuse(request, code: str):
    nomination = _nomination(request, code)
    return perform(
        request,
        lambda: typical.recuse(nomination, by=request.user, reason=request.POST.get("reason", "")),
        _("已登记回避。"),
        ("showcase:nomination", nomination.code),
    )


@requires(Perm.SHOWCASE_NOMINATE, methods=POST)
def nomination_withdraw(request, code: str):
    nomination = _nomination(request, code)
    return perform(
        request,
        lambda: typical.withdraw(
            nomination, by=request.user, reason=request.POST.get("reason", "")
        ),
        _("推荐已撤回。"),
        ("showcase:nomination", nomination.code),
    )


@requires(Perm.SHOWCASE_MANAGE, methods=POST)
def nomination_decide(request, code: str):
    nomination = _nomination(request, code)
    decision = request.POST.get("decision", "")

    def decide():
        if decision not in ("confirm", "decline"):
            raise RuleViolation(_("请选择认定或不予认定。"))
        return typical.decide(
            nomination,
            by=request.user,
            confirm=decision == "confirm",
            note=request.POST.get("note", ""),
        )

    return perform(
        request,
        decide,
        _("认定结果已登记。"),
        ("showcase:nomination", nomination.code),
    )


@requires(Perm.SHOWCASE_MANAGE, methods=POST)
def nomination_package(request, code: str):
    nomination = _nomination(request, code)
    return perform(
        request,
        lambda: typical.package(nomination, by=request.user),
        _("申报材料已生成并存证。"),
        ("showcase:nomination", nomination.code),
    )


@requires(Perm.SHOWCASE_VIEW)
def nomination_package_file(request, code: str, fmt: str):
    nomination = _nomination(request, code)
    if fmt not in ("docx", "pdf"):
        raise Http404
    data = typical.package_bytes(nomination, fmt)
    if data is None:
        raise Http404
    return attach(
        HttpResponse(data, content_type=papers.TYPES[fmt]),
        f"{nomination.code}-数据要素x申报材料.{fmt}",
        fallback=f"{nomination.code}-dossier.{fmt}",
    )


@requires(Perm.SHOWCASE_VIEW)
def criteria(request):
    stewards: dict[str, list] = {}
    for steward in Steward.objects.select_related("organisation"):
        stewards.setdefault(steward.domain, []).append(steward.organisation)
    return render(
        request,
        "showcase/criteria.html",
        {
            "current": typical.criteria_in_force(),
            "history": typical.Criteria.objects.select_related("published_by")[:10],
            "labels": CRITERIA,
            "domains": [(v, label, stewards.get(v, [])) for v, label in Domain.choices],
            "departments": Organisation.objects.filter(
                type__in=[OrganisationType.INDUSTRY, OrganisationType.PROVIDER]
            ).order_by("name"),
        },
    )


@requires(Perm.SHOWCASE_MANAGE, methods=POST)
def criteria_publish(request):
    post = request.POST
    return perform(
        request,
        lambda: typical.publish_criteria(
            by=request.user,
            weights={k: post.get(k, "") for k in CRITERIA},
            note=post.get("note", ""),
        ),
        _("评选标准已发布。"),
        "showcase:criteria",
    )


@requires(Perm.SHOWCASE_MANAGE, methods=POST)
def steward_set(request):
    post = request.POST

    def apply():
        organisation = (
            Organisation.objects.filter(pk=post.get("organisation", "")).first()
            if post.get("organisation", "").isdigit()
            else None
        )
        if organisation is None:
            raise RuleViolation(_("请选择部门。"))
        return typical.set_steward(
            by=request.user,
            organisation=organisation,
            domain=post.get("domain", ""),
            on=post.get("on") != "0",
        )

    return perform(request, apply, _("主管领域已更新。"), "showcase:criteria")


# --- KPIs and targets ---------------------------------------------------------------------------


@requires(Perm.SHOWCASE_VIEW)
def kpi_page(request):
    today = timezone.localdate()
    months = kpis.months_back(kpis.month_of(today), 12)
    kept = kpis.series(months)
    start, end = kpis.month_bounds(months[-1])
    groups: dict[str, list] = {}
    for kpi in kpis.KPIS:
        now = kpi.compute(start, end)
        groups.setdefault(str(kpi.group), []).append(
            {
                "kpi": kpi,
                "now": now,
                "url": kpi.url(*kpis.days_of(today)),
                "history": [kept[kpi.key].get(m) for m in months],
            }
        )
    goals = kpis.progress(today)
    figure = _tabled(
        {
            "id": "targets",
            "title": _("年度目标：当前值与年底预测"),
            "kind": "bar",
            "series": [
                {
                    "name": name,
                    "points": [
                        {"label": str(g["kpi"].short), "value": float(g[key] or 0),
                         "text": str(g[key] if g[key] is not None else "—"), "url": g["url"]}
                        for g in goals
                    ],
                }
                for name, key in (
                    (_("当前"), "value"), (_("目标"), "target"), (_("年底预测"), "forecast")
                )
            ],
        }
    )  # fmt: skip
    trend = _tabled(
        {
            "id": "use",
            "title": _("近 12 个月成功调用与使用单位"),
            "kind": "line",
            "series": [
                {
                    "name": str(kpis.BY_KEY[key].label),
                    "points": [
                        {"label": m, "value": float(kept[key].get(m) or 0),
                         "text": str(kept[key].get(m) if kept[key].get(m) is not None else "—"),
                         "url": kpis.BY_KEY[key].url(*kpis.days_of(date.fromisoformat(f"{m}-01")))}
                        for m in months
                    ],
                }
                for key in ("calls", "consumers")
            ],
        }
    )  # fmt: skip
    return render(
        request,
        "showcase/kpis.html",
        {
            "groups": groups,
            "months": months,
            "goals": goals,
            "figures": [figure, trend],
            "deadline": kpis.DEADLINE,
            "computed_at": KpiValue.objects.order_by("-computed_at")
            .values_list("computed_at", flat=True)
            .first(),
        },
    )


@requires(Perm.SHOWCASE_MANAGE, methods=POST)
def kpi_recompute(request):
    return perform(request, lambda: kpis.recompute(), _("指标已重新计算。"), "showcase:kpis")


# --- Disclosures (信息披露) ---------------------------------------------------------------------


def _disclosure_visible(user):
    published = Q(status=DisclosureStatus.PUBLISHED)
    if not user.is_authenticated:
        return Disclosure.objects.filter(published)
    if user.has_perm(Perm.SHOWCASE_VIEW):
        return Disclosure.objects.all()
    return Disclosure.objects.filter(published | Q(organisation_id=user.organisation_id))


@public()
def disclosure_years(request):
    years = disclosures.published_years()
    return render(
        request,
        "showcase/disclosures.html",
        {
            "years": [
                (y, Disclosure.objects.filter(year=y, status=DisclosureStatus.PUBLISHED).count())
                for y in years
            ],
            "late": disclosures.late() if request.user.has_perm(Perm.SHOWCASE_VIEW) else [],
        },
    )


@public()
def disclosure_year(request, year: int):
    published = Disclosure.objects.filter(
        year=year, status=DisclosureStatus.PUBLISHED
    ).select_related("organisation")
    if not published:
        raise Http404
    return render(
        request, "showcase/disclosure_year.html", {"year": year, "disclosures": published}
    )


@public()
def disclosure_year_workbook(request, year: int):
    if not Disclosure.objects.filter(year=year, status=DisclosureStatus.PUBLISHED).exists():
        raise Http404
    return attach(
        HttpResponse(disclosures.year_workbook(year), content_type=papers.EXCEL),
        f"{year}年度信息披露.xlsx",
        fallback=f"disclosures-{year}.xlsx",
    )


@public()
def disclosure_detail(request, pk: int):
    disclosure = get_object_or_404(
        _disclosure_visible(request.user).select_related("organisation"), pk=pk
    )
    own = (
        request.user.is_authenticated
        and disclosure.organisation_id == request.user.organisation_id
        and disclosure.status == DisclosureStatus.DRAFT
    )
    return render(
        request,
        "showcase/disclosure.html",
        {
            "disclosure": disclosure,
            "tables": disclosures.tables(disclosure),
            "own": own,
            "deadline": disclosures.deadline(disclosure.year),
        },
    )


@public()
def disclosure_file(request, pk: int, fmt: str):
    disclosure = get_object_or_404(
        _disclosure_visible(request.user).select_related("organisation"), pk=pk
    )
    if fmt not in ("docx", "pdf"):
        raise Http404
    data = papers.render(disclosures.paper(disclosure), fmt)
    return attach(
        HttpResponse(data, content_type=papers.TYPES[fmt]),
        f"{disclosure.year}年度信息披露-{disclosure.organisation.name}.{fmt}",
        fallback=f"disclosure-{disclosure.year}-{disclosure.pk}.{fmt}",
    )


@requires_login()
def disclosure_mine(request):
    user = request.user
    organisation = user.organisation
    discloses = organisation is not None and (
        (organisation.type == OrganisationType.DATA_BUREAU and user.has_perm(Perm.AUTHZ_DECIDE))
        or (organisation.type == OrganisationType.OPERATOR and user.has_perm(Perm.AUTHZ_APPLY))
    )
    if not discloses:
        raise Http404
    return render(
        request,
        "showcase/disclosure_mine.html",
        {
            "own": Disclosure.objects.filter(organisation=organisation),
            "due": disclosures.due_for(organisation),
            "last_year": timezone.localdate().year - 1,
        },
    )


@requires_login(methods=POST)
def disclosure_draft(request):
    year = request.POST.get("year", "")
    return perform(
        request,
        lambda: disclosures.draft(by=request.user, year=int(year) if year.isdigit() else 0),
        _("已根据平台记录起草，请核对后补充联系方式并公开。"),
        lambda d: ("showcase:disclosure", d.pk),
        back="showcase:disclosure_mine",
    )


@requires_login(methods=POST)
def disclosure_save(request, pk: int):
    disclosure = get_object_or_404(_disclosure_visible(request.user), pk=pk)
    post = request.POST
    return perform(
        request,
        lambda: disclosures.save(
            disclosure,
            by=request.user,
            contact=post.get("contact", ""),
            statement=post.get("statement", ""),
            refresh=post.get("refresh") == "yes",
        ),
        _("已保存。"),
        ("showcase:disclosure", disclosure.pk),
    )


@requires_login(methods=POST)
def disclosure_publish(request, pk: int):
    disclosure = get_object_or_404(_disclosure_visible(request.user), pk=pk)
    return perform(
        request,
        lambda: disclosures.publish(disclosure, by=request.user),
        _("信息披露已公开，内容摘要已上链存证。"),
        ("showcase:disclosure", disclosure.pk),
    )


# --- Performance evaluation (绩效评估) ----------------------------------------------------------


def _evaluations_visible(user):
    """The taskforce and the bureau see every evaluation; an expert those being scored and
    those it scored; an operator its own."""
    found = Evaluation.objects.select_related(
        "authorization__operator", "authorization__application"
    )
    if user.has_perm(Perm.SHOWCASE_MANAGE) or user.has_perm(Perm.AUTHZ_DECIDE):
        return found
    seen = Q(pk__in=[])
    if user.has_perm(Perm.SHOWCASE_SCORE):
        seen |= Q(status=EvaluationStatus.SCORING) | Q(scores__reviewer=user)
    if user.has_perm(Perm.AUTHZ_APPLY):
        seen |= Q(authorization__operator_id=user.organisation_id)
    return found.filter(seen).distinct()


@requires_login()
def evaluation_list(request):
    user = request.user
    if not any(
        user.has_perm(p)
        for p in (Perm.SHOWCASE_MANAGE, Perm.AUTHZ_DECIDE, Perm.SHOWCASE_SCORE, Perm.AUTHZ_APPLY)
    ):
        raise Http404

    return render(
        request,
        "showcase/evaluations.html",
        {
            "evaluations": _evaluations_visible(user),
            "due": evaluations.due() if user.has_perm(Perm.SHOWCASE_MANAGE) else [],
            "authorizations": Authorization.objects.filter(status="active").select_related(
                "application"
            )
            if user.has_perm(Perm.SHOWCASE_MANAGE)
            else [],
            "consequences": [
                (value, label, *evaluations.consequence(value)) for value, label in Result.choices
            ],
            "year": timezone.localdate().year - 1,
        },
    )


@requires(Perm.SHOWCASE_MANAGE, methods=POST)
def evaluation_start(request):
    post = request.POST
    pk, year = post.get("authorization", ""), post.get("year", "")

    def start():
        authorization = Authorization.objects.filter(pk=pk).first() if pk.isdigit() else None
        if authorization is None:
            raise RuleViolation(_("请选择授权。"))
        return evaluations.start(
            authorization, by=request.user, year=int(year) if year.isdigit() else 0
        )

    return perform(
        request,
        start,
        _("已发起绩效评估，量化指标已根据平台记录计算。"),
        lambda e: ("showcase:evaluation", e.code),
        back="showcase:evaluations",
    )


@requires(Perm.SHOWCASE_MANAGE, methods=POST)
def consequence_set(request):
    post = request.POST
    days = post.get("days", "")
    return perform(
        request,
        lambda: evaluations.set_consequence(
            by=request.user,
            result=post.get("result", ""),
            allow_renewal=post.get("allow_renewal") == "yes",
            days=int(days) if days.isdigit() else -1,
            note=post.get("note", ""),
        ),
        _("评估结果运用已更新。"),
        "showcase:evaluations",
    )


def _evaluation(request, code: str) -> Evaluation:
    return get_object_or_404(_evaluations_visible(request.user), code=code)


@requires_login()
def evaluation_detail(request, code: str):
    evaluation = _evaluation(request, code)
    user = request.user
    scores = list(evaluation.scores.select_related("reviewer"))
    mine = next((s for s in scores if s.reviewer_id == user.pk), None)
    allow, days, meaning = (
        evaluations.consequence(evaluation.result) if evaluation.result else (True, 0, "")
    )
    return render(
        request,
        "showcase/evaluation.html",
        {
            "evaluation": evaluation,
            "card": [(evaluations.SCORECARD_LABELS[k], v) for k, v in evaluation.scorecard.items()],
            "scores": scores,
            "names": user.has_perm(Perm.SHOWCASE_MANAGE) or user.has_perm(Perm.AUTHZ_DECIDE),
            "criteria": list(QUALITATIVE.items()),
            "may_score": user.has_perm(Perm.SHOWCASE_SCORE)
            and evaluation.status == EvaluationStatus.SCORING
            and mine is None,
            "conflict": evaluations.conflict_of(evaluation, user)
            if user.has_perm(Perm.SHOWCASE_SCORE)
            else None,
            "rectification": getattr(evaluation, "rectification", None),
            "own": user.has_perm(Perm.AUTHZ_APPLY)
            and evaluation.authorization.operator_id == user.organisation_id,
            "allow_renewal": allow,
            "days": days,
            "meaning": meaning,
            "min_scores": evaluations.MIN_SCORES,
        },
    )


@requires(Perm.SHOWCASE_SCORE, methods=POST)
def evaluation_score(request, code: str):
    evaluation = _evaluation(request, code)
    post = request.POST
    return perform(
        request,
        lambda: evaluations.score(
            evaluation,
            by=request.user,
            scores={k: post.get(k, "") for k in QUALITATIVE},
            comment=post.get("comment", ""),
        ),
        _("评分已提交。"),
        ("showcase:evaluation", evaluation.code),
    )


@requires(Perm.SHOWCASE_MANAGE, methods=POST)
def evaluation_conclude(request, code: str):
    evaluation = _evaluation(request, code)
    return perform(
        request,
        lambda: evaluations.conclude(
            evaluation, by=request.user, note=request.POST.get("note", "")
        ),
        _("评估结果已确定。"),
        ("showcase:evaluation", evaluation.code),
    )


@requires(Perm.AUTHZ_APPLY, methods=POST)
def rectification_report(request, code: str):
    evaluation = _evaluation(request, code)

    def report():
        rectification = getattr(evaluation, "rectification", None)
        if rectification is None:
            raise RuleViolation(_("该评估无整改任务。"))
        return evaluations.report_rectification(
            rectification, by=request.user, report=request.POST.get("report", "")
        )

    return perform(request, report, _("整改情况已报送。"), ("showcase:evaluation", evaluation.code))


@requires(Perm.SHOWCASE_MANAGE, methods=POST)
def rectification_accept(request, code: str):
    evaluation = _evaluation(request, code)

    def accept():
        rectification = getattr(evaluation, "rectification", None)
        if rectification is None:
            raise RuleViolation(_("该评估无整改任务。"))
        return evaluations.accept_rectification(rectification, by=request.user)

    return perform(request, accept, _("整改已验收。"), ("showcase:evaluation", evaluation.code))


# --- Periodic work reports (工作报告) -----------------------------------------------------------


@requires(Perm.SHOWCASE_VIEW)
def report_list(request):
    today = timezone.localdate()
    return render(
        request,
        "showcase/reports.html",
        {
            "reports": WorkReport.objects.select_related("generated_by", "filed_by"),
            "periods": Period.choices,
            "suggested": {
                "month": kpis.months_back(kpis.month_of(today), 2)[0],
                "quarter": workreports.previous(
                    Period.QUARTER, f"{today.year}-Q{(today.month - 1) // 3 + 1}"
                ),
            },
        },
    )


@requires(Perm.SHOWCASE_MANAGE, methods=POST)
def report_generate(request):
    post = request.POST
    return perform(
        request,
        lambda: workreports.generate(
            by=request.user, period=post.get("period", ""), label=post.get("label", "")
        ),
        _("工作报告已生成，请审核后归档。"),
        "showcase:reports",
    )


@requires(Perm.SHOWCASE_MANAGE, methods=POST)
def report_file(request, pk: int):
    report = get_object_or_404(WorkReport, pk=pk)
    return perform(
        request,
        lambda: workreports.file(report, by=request.user, note=request.POST.get("note", "")),
        _("工作报告已审核归档。"),
        "showcase:reports",
    )


@requires(Perm.SHOWCASE_VIEW)
def report_download(request, pk: int, fmt: str):
    report = get_object_or_404(WorkReport, pk=pk)
    if fmt not in ("docx", "pdf"):
        raise Http404
    data = workreports.report_bytes(report, fmt)
    if data is None:
        raise Http404
    return attach(
        HttpResponse(data, content_type=papers.TYPES[fmt]),
        f"工作{report.get_period_display()}-{report.label}.{fmt}",
        fallback=f"work-report-{report.label}.{fmt}",
    )
