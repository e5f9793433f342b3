"""示范与评估 pages: the public showcase of confirmed typical scenarios by domain, the scenario
registry with measured use, a scenario's case (written by its operator), nominations with their
expert scores and the taskforce's decision, the national dossier, and the criteria.

A scenario is seen by those who see the registry, by its operator, by experts while it is
nominated, and by anyone once confirmed; otherwise 404. Each form posts to one service verb.
"""

from __future__ import annotations

from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _

from pdao.accounts.choices import OrganisationType
from pdao.accounts.models import Organisation
from pdao.catalogue.choices import Domain
from pdao.core import papers
from pdao.core.access import public, requires, requires_login
from pdao.core.downloads import attach
from pdao.core.permissions import Perm
from pdao.core.posts import perform
from pdao.showcase import scenarios as registry
from pdao.showcase import typical
from pdao.showcase.choices import CRITERIA, NominationStatus
from pdao.showcase.models import Nomination, Scenario, ScenarioImage, Steward

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
    may_nominate = (
        user.is_authenticated
        and user.has_perm(Perm.SHOWCASE_NOMINATE)
        and scenario.domain in typical.domains_of(user.organisation_id)
        and not scenario.nominations.filter(
            status__in=[NominationStatus.NOMINATED, NominationStatus.CONFIRMED]
        ).exists()
    )
    return render(
        request,
        "showcase/scenario.html",
        {
            "scenario": scenario,
            "use": registry.measured_use([scenario])[scenario.pk],
            "images": scenario.images.all(),
            "nominations": nominations,
            "confirmed": confirmed,
            "own": own and user.has_perm(Perm.AUTHZ_APPLY),
            "locked": scenario.nominations.filter(status=NominationStatus.NOMINATED).exists(),
            "may_nominate": may_nominate,
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
            raise typical.RuleViolation(_("请选择图片文件。"))
        if upload.size > registry.IMAGE_MAX_BYTES:
            raise typical.RuleViolation(_("图片不能超过 5 MB。"))
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
    return perform(
        request,
        lambda: typical.decide(
            nomination,
            by=request.user,
            confirm=request.POST.get("decision") == "confirm",
            note=request.POST.get("note", ""),
        ),
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
            raise typical.RuleViolation(_("请选择部门。"))
        return typical.set_steward(
            by=request.user,
            organisation=organisation,
            domain=post.get("domain", ""),
            on=post.get("on") != "0",
        )

    return perform(request, apply, _("主管领域已更新。"), "showcase:criteria")
