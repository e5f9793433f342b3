"""Pages of the authorization pillar. Views stay thin: each loads what the user may see,
calls one service, and says what happened; the services check the rules."""

from django.contrib import messages
from django.db.models import Prefetch
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pdao.authorization import access, agreements, exits, forms, precheck, services
from pdao.authorization.choices import (
    ApplicationStatus,
    AuthorizationStatus,
    CapScope,
    ExitCause,
    ExitStatus,
)
from pdao.authorization.filtersets import (
    APPLICATION_COLUMNS,
    AUTHORIZATION_COLUMNS,
    QUALIFICATION_COLUMNS,
    ApplicationFilter,
    AuthorizationFilter,
    QualificationFilter,
)
from pdao.authorization.models import (
    Agreement,
    Application,
    Authorization,
    Cap,
    DemandField,
    Exit,
    NoticeObjection,
    Qualification,
    QualificationDocument,
    QualificationRule,
)
from pdao.catalogue.choices import Domain
from pdao.catalogue.models import Resource
from pdao.core import papers, submissions
from pdao.core.access import public, rate_limited, requires, requires_login
from pdao.core.confirm import unconfirmed
from pdao.core.downloads import attach
from pdao.core.lists import listing
from pdao.core.permissions import Perm
from pdao.core.posts import perform
from pdao.core.rules import RuleViolation

GET_POST = ("GET", "HEAD", "POST")
POST = ("POST",)


def _own_application(request, pk: int) -> Application:
    """One of the signed-in operator's own organisation's applications, or 404."""
    return get_object_or_404(
        Application.objects.filter(operator_id=request.user.organisation_id), pk=pk
    )


def _visible_application(request, pk: int) -> Application:
    return get_object_or_404(Application.objects.visible_to(request.user), pk=pk)


# --- Applications -----------------------------------------------------------------------------


@requires(Perm.CATALOGUE_VIEW)
def application_list(request):
    return listing(
        request,
        Application.objects.visible_to(request.user).select_related("operator"),
        ApplicationFilter,
        "authorization/application_list.html",
        columns=APPLICATION_COLUMNS,
        title=_("授权申请"),
    )


@requires(Perm.AUTHZ_APPLY, methods=GET_POST)
def application_create(request):
    form = forms.ApplicationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            application = services.create_application(by=request.user, **form.cleaned_data)
        except RuleViolation as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("已创建申请草稿，请添加数据需求清单。"))
            return redirect("authorization:application_detail", pk=application.pk)
    return render(request, "authorization/application_form.html", {"form": form})


@requires(Perm.AUTHZ_APPLY, methods=GET_POST)
def application_edit(request, pk: int):
    application = _own_application(request, pk)
    # The form validates a copy: the service compares the old values with the new to audit them.
    form = forms.ApplicationForm(request.POST or None, instance=Application.objects.get(pk=pk))
    if request.method == "POST" and form.is_valid():
        try:
            services.update_application(application, by=request.user, **form.cleaned_data)
        except RuleViolation as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("申请已保存。"))
            return redirect("authorization:application_detail", pk=pk)
    return render(
        request, "authorization/application_form.html", {"form": form, "application": application}
    )


@requires(Perm.CATALOGUE_VIEW)
def application_detail(request, pk: int):
    application = get_object_or_404(
        Application.objects.visible_to(request.user)
        .select_related("operator", "created_by")
        .prefetch_related(
            Prefetch("items__fields", DemandField.objects.select_related("field")),
            "items__resource__provider",
            "opinions__provider",
            "scores__reviewer",
            "objections",
        ),
        pk=pk,
    )
    user = request.user
    own = application.operator_id == user.organisation_id and user.has_perm(Perm.AUTHZ_APPLY)
    bureau = user.has_perm(Perm.AUTHZ_DECIDE)
    scores = list(application.scores.all())
    context = {
        "application": application,
        "own": own,
        "bureau": bureau,
        "S": ApplicationStatus,
        "findings": application.precheck,
        "my_opinion": application.opinions.filter(provider_id=user.organisation_id).first()
        if user.has_perm(Perm.AUTHZ_OPINE)
        else None,
        "scores": scores
        if (bureau or user.has_perm(Perm.AUTHZ_VIEW_ALL))
        else [s for s in scores if s.reviewer_id == user.pk],
        "criteria": services.CRITERIA,
        "can_score": user.has_perm(Perm.AUTHZ_SCORE)
        and application.status == ApplicationStatus.SCORING
        and services.conflict_of(application, user) is None
        and not any(s.reviewer_id == user.pk for s in scores),
        "conflict": services.conflict_of(application, user)
        if user.has_perm(Perm.AUTHZ_SCORE)
        else None,
        "ranking": services.competitors(application) if bureau else [],
        "decision_form": forms.DecisionForm() if bureau else None,
        "agreement": Agreement.objects.filter(application=application).first(),
        "authorization": Authorization.objects.filter(application=application).first(),
    }
    return render(request, "authorization/application_detail.html", context)


@requires(Perm.AUTHZ_APPLY, methods=GET_POST)
def item_edit(request, pk: int):
    """A demand line: choose a resource, then its fields with the purpose of each."""
    application = _own_application(request, pk)
    resources = (
        Resource.objects.visible_to(request.user).select_related("provider").order_by("code")
    )
    resource = resources.filter(
        pk=request.GET.get("resource") or request.POST.get("resource")
    ).first()
    existing = application.items.filter(resource=resource).first() if resource else None
    chosen = {d.field_id: d for d in existing.fields.all()} if existing else {}
    form = forms.ItemForm(
        request.POST or None,
        initial={
            "output_forms": existing.output_forms if existing else [],
            "volume": existing.volume if existing else 100_000,
            "frequency": existing.frequency if existing else _("每日"),
        },
    )
    if request.method == "POST" and resource is not None and form.is_valid():
        picked = []
        for field in resource.fields.all():
            if request.POST.get(f"field-{field.pk}"):
                picked.append(
                    {
                        "field": field,
                        "purpose": request.POST.get(f"purpose-{field.pk}", ""),
                        "justification": request.POST.get(f"justification-{field.pk}", ""),
                    }
                )
        try:
            services.set_item(
                application, by=request.user, resource=resource, fields=picked, **form.cleaned_data
            )
        except RuleViolation as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("已保存数据需求：%(r)s") % {"r": resource.name})
            return redirect("authorization:application_detail", pk=pk)
    return render(
        request,
        "authorization/item_form.html",
        {
            "application": application,
            "resources": resources,
            "resource": resource,
            "fields": resource.fields.all() if resource else [],
            "chosen": chosen,
            "form": form,
        },
    )


@requires(Perm.AUTHZ_APPLY, methods=POST)
def item_remove(request, pk: int, item: int):
    application = _own_application(request, pk)
    line = get_object_or_404(application.items, pk=item)
    return perform(
        request,
        lambda: services.remove_item(line, by=request.user),
        _("已移除。"),
        ("authorization:application_detail", pk),
    )


@requires(Perm.AUTHZ_APPLY, methods=POST)
def application_submit(request, pk: int):
    application = _own_application(request, pk)
    try:
        findings = services.submit(application, by=request.user)
    except RuleViolation as error:
        messages.error(request, str(error))
    else:
        if any(f.severity == "error" for f in findings):
            messages.error(request, _("合规预检未通过，请按提示修改后再提交。"))
        else:
            messages.success(request, _("申请已提交，等待市数据局受理。"))
    return redirect("authorization:application_detail", pk=pk)


@requires(Perm.AUTHZ_APPLY, methods=POST)
def application_withdraw(request, pk: int):
    application = _own_application(request, pk)
    return perform(
        request,
        lambda: services.withdraw(
            application, by=request.user, reason=request.POST.get("reason", "")
        ),
        _("申请已撤回。"),
        ("authorization:application_detail", pk),
    )


def _bureau_step(step, success):
    @requires(Perm.AUTHZ_DECIDE, methods=POST)
    def view(request, pk: int):
        application = get_object_or_404(Application, pk=pk)
        return perform(
            request,
            lambda: step(application, request),
            success,
            ("authorization:application_detail", pk),
        )

    return view


application_accept = _bureau_step(
    lambda a, r: services.accept(a, by=r.user), _("已受理，已请提供单位提出意见。")
)
application_return = _bureau_step(
    lambda a, r: services.return_for_correction(a, by=r.user, reason=r.POST.get("reason", "")),
    _("已退回补正。"),
)
application_assess = _bureau_step(
    lambda a, r: services.complete_assessment(a, by=r.user, note=r.POST.get("note", "")),
    _("事前评估已完成，进入专家评审。"),
)
application_close_scoring = _bureau_step(
    lambda a, r: services.close_scoring(a, by=r.user), _("评审已结束，申请进入公示。")
)
application_close_notice = _bureau_step(
    lambda a, r: services.close_notice(a, by=r.user), _("公示期结束，待作出决定。")
)


@requires(Perm.AUTHZ_DECIDE, methods=POST)
def application_decide(request, pk: int):
    application = get_object_or_404(Application, pk=pk)
    form = forms.DecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("决定信息不完整：%(e)s") % {"e": form.errors.as_text()})
        return redirect("authorization:application_detail", pk=pk)
    data = form.cleaned_data
    limits = {
        k: str(data[k])
        for k in ("epsilon_total", "epsilon_query_min", "epsilon_query_max", "fee_cap_yuan",
                  "revenue_share_percent")
    }  # fmt: skip
    limits |= {k: data[k] for k in ("daily_queries", "monthly_calls")}
    return perform(
        request,
        lambda: services.decide(
            application,
            by=request.user,
            approve=data["approve"],
            reason=data["reason"],
            passed_over_reason=data["passed_over_reason"],
            limits=limits,
        ),
        _("决定已作出。"),
        ("authorization:application_detail", pk),
    )


@requires(Perm.AUTHZ_OPINE, methods=POST)
def application_opinion(request, pk: int):
    application = _visible_application(request, pk)
    return perform(
        request,
        lambda: services.give_opinion(
            application,
            by=request.user,
            verdict=request.POST.get("verdict", ""),
            text=request.POST.get("text", ""),
        ),
        _("意见已提交。"),
        ("authorization:application_detail", pk),
    )


@requires(Perm.AUTHZ_SCORE, methods=POST)
def application_score(request, pk: int):
    application = _visible_application(request, pk)
    if request.POST.get("recuse"):
        return perform(
            request,
            lambda: services.recuse(
                application, by=request.user, reason=request.POST.get("recusal_reason", "")
            ),
            _("已回避。"),
            ("authorization:application_list"),
        )
    try:
        criteria = {k: int(request.POST.get(f"criterion-{k}", "")) for k in services.CRITERIA}
    except ValueError:
        messages.error(request, _("每项评分须在 0–100 之间。"))
        return redirect("authorization:application_detail", pk=pk)
    return perform(
        request,
        lambda: services.score(
            application,
            by=request.user,
            criteria=criteria,
            comment=request.POST.get("comment", ""),
            no_conflict=request.POST.get("no_conflict") == "yes",
        ),
        _("评分已提交。"),
        ("authorization:application_detail", pk),
    )


@requires(Perm.AUTHZ_DECIDE, methods=POST)
def objection_answer(request, pk: int):
    objection = get_object_or_404(NoticeObjection, pk=pk)
    return perform(
        request,
        lambda: services.answer_objection(
            objection,
            by=request.user,
            response=request.POST.get("response", ""),
            upheld=request.POST.get("upheld") == "yes",
        ),
        _("异议已答复。"),
        ("authorization:application_detail", objection.application_id),
    )


@public(methods=GET_POST)
@rate_limited("10/h")
def notices(request):
    """Applications under public notice (公示), and the form anyone may use to object."""
    if request.method == "POST":
        form = forms.ObjectionForm(request.POST)
        application = Application.objects.filter(
            pk=request.POST.get("application"), status=ApplicationStatus.NOTICE
        ).first()
        if application is None or not form.is_valid():
            messages.error(request, _("请完整填写异议人、联系方式和异议内容。"))
        else:
            try:
                objection = services.raise_objection(application, **form.cleaned_data)
            except RuleViolation as error:
                messages.error(request, str(error))
            else:
                submissions.say_received(
                    request, objection, _("异议已提交，市数据局将在决定前答复。")
                )
        return redirect("authorization:notices")
    applications = (
        Application.objects.filter(status=ApplicationStatus.NOTICE)
        .select_related("operator")
        .prefetch_related("items__resource", "scores")
    )
    return render(
        request,
        "authorization/notices.html",
        {"applications": applications, "form": forms.ObjectionForm()},
    )


# --- Agreements -------------------------------------------------------------------------------


def _visible_agreement(request, pk: int) -> Agreement:
    return get_object_or_404(
        Agreement.objects.filter(
            application__in=Application.objects.visible_to(request.user)
        ).select_related("application__operator"),
        pk=pk,
    )


@requires(Perm.CATALOGUE_VIEW)
def agreement_detail(request, pk: int):
    agreement = _visible_agreement(request, pk)
    verified, checks = agreements.verify(agreement)
    user = request.user
    parties = {
        agreement.terms["grantor"]["credit_code"],
        agreement.terms["operator"]["credit_code"],
    }
    signed = {c.organisation for c in checks}
    can_sign = (
        agreement.application.status == ApplicationStatus.APPROVED
        and user.organisation is not None
        and user.organisation.credit_code in parties
        and user.organisation.name not in signed
        and (user.has_perm(Perm.AUTHZ_DECIDE) or user.has_perm(Perm.AUTHZ_APPLY))
    )
    return render(
        request,
        "authorization/agreement_detail.html",
        {
            "agreement": agreement,
            "t": agreement.terms,
            "checks": checks,
            "verified": verified,
            "can_sign": can_sign,
        },
    )


@requires_login(methods=POST)
def agreement_sign(request, pk: int):
    agreement = _visible_agreement(request, pk)
    return perform(
        request,
        lambda: services.sign_agreement(agreement, by=request.user),
        _("已签署。"),
        ("authorization:agreement_detail", pk),
    )


@requires(Perm.CATALOGUE_VIEW)
def agreement_download(request, pk: int, fmt: str):
    agreement = _visible_agreement(request, pk)
    name = agreement.terms["agreement_no"]
    if fmt == "pdf":
        body, content_type = agreements.render_pdf(agreement), "application/pdf"
    elif fmt == "docx":
        body = agreements.render_docx(agreement)
        content_type = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    else:
        raise Http404
    response = HttpResponse(body, content_type=content_type)
    attach(response, f"授权运营协议-{name}.{fmt}", fallback=f"{name}.{fmt}")
    return response


# --- Authorizations ---------------------------------------------------------------------------


@requires(Perm.CATALOGUE_VIEW)
def authorization_list(request):
    return listing(
        request,
        Authorization.objects.visible_to(request.user).select_related("operator", "application"),
        AuthorizationFilter,
        "authorization/authorization_list.html",
        columns=AUTHORIZATION_COLUMNS,
        title=_("授权"),
    )


@requires(Perm.CATALOGUE_VIEW)
def authorization_detail(request, pk: int):
    authorization = get_object_or_404(
        Authorization.objects.visible_to(request.user).select_related("operator", "application"),
        pk=pk,
    )
    live = access.grant(authorization)
    return render(
        request,
        "authorization/authorization_detail.html",
        {
            "authorization": authorization,
            "A": AuthorizationStatus,
            "grant": live if isinstance(live, access.Grant) else None,
            "refusal": live if isinstance(live, access.Decision) else None,
            "scope": authorization.agreement.terms["scope"],
            "exit": Exit.objects.filter(authorization=authorization).first(),
            "causes": ExitCause.choices,
        },
    )


def _authorization_step(perm, step, success, confirm=None):
    @requires(perm, methods=POST)
    def view(request, pk: int):
        authorization = get_object_or_404(Authorization.objects.visible_to(request.user), pk=pk)
        if confirm is not None:
            page = unconfirmed(
                request,
                title=confirm[0] % {"code": authorization.code},
                consequences=confirm[1],
                back=reverse("authorization:authorization_detail", args=[pk]),
            )
            if page is not None:
                return page
        reason = request.POST.get("reason", "")
        return perform(
            request,
            lambda: step(authorization, by=request.user, reason=reason),
            success,
            ("authorization:authorization_detail", pk),
        )

    return view


authorization_suspend = _authorization_step(
    Perm.AUTHZ_SUSPEND, services.suspend, gettext_lazy("授权已暂停。")
)
authorization_resume = _authorization_step(
    Perm.AUTHZ_DECIDE, services.resume, gettext_lazy("授权已恢复。")
)
authorization_revoke = _authorization_step(
    Perm.AUTHZ_DECIDE,
    services.revoke,
    gettext_lazy("授权已撤销。"),
    confirm=(
        gettext_lazy("撤销授权 %(code)s"),
        [
            gettext_lazy("授权立即终止，不能恢复；需要时只能重新申请"),
            gettext_lazy("运营单位不能再使用该授权的专区，依托它的数据产品的调用立即被拒绝"),
            gettext_lazy("撤销连同理由记入审计日志并上链存证"),
        ],
    ),
)


@requires(Perm.AUTHZ_APPLY, methods=POST)
def authorization_renew(request, pk: int):
    authorization = get_object_or_404(
        Authorization.objects.filter(operator_id=request.user.organisation_id), pk=pk
    )
    try:
        application = services.renew(authorization, by=request.user)
    except RuleViolation as error:
        messages.error(request, str(error))
        return redirect("authorization:authorization_detail", pk=pk)
    messages.success(request, _("已按原授权生成续期申请草稿，请核对后提交。"))
    return redirect("authorization:application_detail", pk=application.pk)


# --- Qualifications ---------------------------------------------------------------------------


@requires(Perm.AUTHZ_APPLY, methods=GET_POST)
def qualification(request):
    organisation = request.user.organisation
    profile = Qualification.objects.filter(organisation=organisation).first()
    form = forms.QualificationForm(request.POST or None, instance=profile)
    document_form = forms.DocumentForm()
    if request.method == "POST" and "upload" in request.POST:
        document_form = forms.DocumentForm(request.POST, request.FILES)
        if document_form.is_valid():
            profile = profile or services.save_qualification(organisation, by=request.user)
            return perform(
                request,
                lambda: services.add_document(
                    profile,
                    document_form.cleaned_data["file"],
                    kind=document_form.cleaned_data["kind"],
                    by=request.user,
                ),
                _("材料已上传。"),
                "authorization:qualification",
            )
    elif request.method == "POST" and form.is_valid():
        values = {k: form.cleaned_data[k] for k in services.QUALIFICATION_FIELDS}
        return perform(
            request,
            lambda: services.save_qualification(
                organisation, by=request.user, submit="submit" in request.POST, **values
            ),
            _("资质档案已保存。"),
            "authorization:qualification",
        )
    return render(
        request,
        "authorization/qualification.html",
        {
            "profile": profile,
            "form": form,
            "document_form": document_form,
            "problems": profile.problems() if profile else [],
        },
    )


@requires(Perm.AUTHZ_DECIDE)
def qualification_list(request):
    return listing(
        request,
        Qualification.objects.select_related("organisation").order_by("status", "-updated_at"),
        QualificationFilter,
        "authorization/qualification_list.html",
        columns=QUALIFICATION_COLUMNS,
        title=_("资质核验"),
    )


@requires(Perm.AUTHZ_DECIDE, methods=GET_POST)
def qualification_review(request, pk: int):
    profile = get_object_or_404(Qualification.objects.select_related("organisation"), pk=pk)
    if request.method == "POST":
        return perform(
            request,
            lambda: services.verify_qualification(
                profile,
                by=request.user,
                approve=request.POST.get("approve") == "yes",
                note=request.POST.get("note", ""),
            ),
            _("核验结果已保存。"),
            "authorization:qualification_list",
        )
    return render(
        request,
        "authorization/qualification_review.html",
        {"profile": profile, "problems": profile.problems()},
    )


@requires(Perm.CATALOGUE_VIEW)
def document_download(request, pk: int):
    document = get_object_or_404(
        QualificationDocument.objects.select_related("qualification"), pk=pk
    )
    own = document.qualification.organisation_id == request.user.organisation_id
    if not (own or request.user.has_perm(Perm.AUTHZ_DECIDE)):
        raise Http404
    path = services.documents_dir() / document.stored
    return FileResponse(
        path.open("rb"),
        as_attachment=True,
        filename=services.download_name(document),
        content_type=document.content_type,
    )


# --- Rules: qualification table and caps ------------------------------------------------------


@requires(Perm.AUTHZ_DECIDE, methods=GET_POST)
def rules(request):
    if request.method == "POST":
        try:
            services.save_rules(by=request.user, data=request.POST)
        except (RuleViolation, ValueError) as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("资质要求与总量上限已保存。"))
        return redirect("authorization:rules")
    caps = Cap.objects.select_related("resource").order_by("scope", "domain")
    return render(
        request,
        "authorization/rules.html",
        {
            "rules": QualificationRule.objects.all(),
            "caps": caps,
            "domains": Domain.choices,
            "scopes": CapScope.choices,
            "resources": Resource.objects.order_by("code"),
            "live": {
                c.pk: precheck.live_count(resource=c.resource)
                if c.resource_id
                else precheck.live_count(domain=c.domain)
                for c in caps
            },
        },
    )


# --- Exit (退出机制) ---------------------------------------------------------------------------


def _exits_visible(user):
    exits_ = Exit.objects.select_related("authorization__operator", "authorization__application")
    if user.has_perm(Perm.AUTHZ_VIEW_ALL):
        return exits_
    if user.has_perm(Perm.AUTHZ_APPLY):
        return exits_.filter(authorization__operator_id=user.organisation_id)
    return exits_.none()


@requires_login()
def exit_list(request):
    user = request.user
    if not (user.has_perm(Perm.AUTHZ_VIEW_ALL) or user.has_perm(Perm.AUTHZ_APPLY)):
        raise Http404
    ended = []
    if user.has_perm(Perm.AUTHZ_DECIDE):
        ended = Authorization.objects.filter(
            status__in=[AuthorizationStatus.REVOKED, AuthorizationStatus.EXPIRED],
            exit__isnull=True,
        ).select_related("operator", "application")
    return render(
        request, "authorization/exits.html", {"exits": _exits_visible(user), "ended": ended}
    )


@requires(Perm.AUTHZ_DECIDE, methods=POST)
def exit_start(request, pk: int):
    authorization = get_object_or_404(Authorization.objects.visible_to(request.user), pk=pk)
    page = unconfirmed(
        request,
        title=_("启动授权退出：%(c)s") % {"c": authorization.code},
        consequences=[
            _("授权如仍有效将被撤销，不能恢复。"),
            _("全部数据产品下架、交易场所摘牌，未交付订单取消，订阅终止并通知数据使用方。"),
            _("仅为这些产品服务的调用凭证被吊销。"),
            _("专区内的衍生数据和模型文件被删除，文件哈希上链存证，血缘记录保留。"),
        ],
        back=reverse("authorization:authorization_detail", args=[authorization.pk]),
    )
    if page is not None:
        return page
    return perform(
        request,
        lambda: exits.start(
            authorization,
            by=request.user,
            cause=request.POST.get("cause", ""),
            reason=request.POST.get("reason", ""),
        ),
        _("已启动退出并完成清退。"),
        lambda e: ("authorization:exit_detail", e.pk),
        back=("authorization:authorization_detail", authorization.pk),
    )


@requires_login()
def exit_detail(request, pk: int):
    exit_ = get_object_or_404(_exits_visible(request.user), pk=pk)
    user = request.user
    return render(
        request,
        "authorization/exit_detail.html",
        {
            "exit": exit_,
            "steps": exit_.steps,
            "residue": exits.remaining(exit_.authorization),
            "own": user.has_perm(Perm.AUTHZ_APPLY)
            and exit_.authorization.operator_id == user.organisation_id,
            "S": ExitStatus,
        },
    )


@requires(Perm.AUTHZ_APPLY, methods=POST)
def exit_confirm(request, pk: int):
    exit_ = get_object_or_404(_exits_visible(request.user), pk=pk)
    return perform(
        request,
        lambda: exits.confirm(exit_, by=request.user, statement=request.POST.get("statement", "")),
        _("已确认退出。"),
        ("authorization:exit_detail", exit_.pk),
    )


@requires(Perm.AUTHZ_DECIDE, methods=POST)
def exit_sign_off(request, pk: int):
    exit_ = get_object_or_404(_exits_visible(request.user), pk=pk)
    return perform(
        request,
        lambda: exits.sign_off(exit_, by=request.user, note=request.POST.get("note", "")),
        _("退出已签认，退出报告已生成并存证。"),
        ("authorization:exit_detail", exit_.pk),
    )


@requires_login()
def exit_report(request, pk: int, fmt: str):
    exit_ = get_object_or_404(_exits_visible(request.user), pk=pk)
    if fmt not in ("docx", "pdf"):
        raise Http404
    data = exits.report_bytes(exit_, fmt)
    if data is None:
        raise Http404
    return attach(
        HttpResponse(data, content_type=papers.TYPES[fmt]),
        f"{exit_.authorization.code}-退出报告.{fmt}",
        fallback=f"{exit_.authorization.code}-exit-report.{fmt}",
    )
