from axes.models import AccessAttempt
from captcha import views as captcha_views
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.core.exceptions import ValidationError
from django.db.models import Count, Prefetch
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from pdao.accounts import forms, services
from pdao.accounts.choices import ROLES_BY_ORGANISATION_TYPE, OrganisationType
from pdao.accounts.filtersets import (
    ORGANISATION_COLUMNS,
    USER_COLUMNS,
    OrganisationFilter,
    UserFilter,
)
from pdao.accounts.models import Organisation, RoleGrant, User
from pdao.core.access import public, requires, requires_login
from pdao.core.confirm import unconfirmed
from pdao.core.lists import listing
from pdao.core.permissions import Perm, Role
from pdao.core.posts import perform, refusal_text

POST = ("POST",)
GET_POST = ("GET", "HEAD", "POST")


class SignInView(auth_views.LoginView):
    """Sign-in that says how many attempts are left before the lockout and how long it lasts,
    and asks for an image captcha after repeated failures from the same address."""

    template_name = "accounts/login.html"
    redirect_authenticated_user = True
    authentication_form = forms.SignInForm

    def form_invalid(self, form):
        response = super().form_invalid(form)
        if not form.errors.get("captcha"):
            username = form.cleaned_data.get("username") or ""  # as django-axes stored it
            response.context_data["attempts_left"] = forms.attempts_left(self.request, username)
        response.context_data["lockout_minutes"] = forms.lockout_minutes()
        if forms.needs_captcha(self.request):  # this failure was the one that calls for it
            form.add_captcha()
        return response


login = public(methods=GET_POST)(SignInView.as_view())
captcha_image = public()(captcha_views.captcha_image)
logout = requires_login(methods=POST)(auth_views.LogoutView.as_view())


# --- Own account ------------------------------------------------------------------------------


@requires_login()
def profile(request):
    return render(
        request, "accounts/profile.html", {"permissions": sorted(request.user.permissions)}
    )


@requires_login(methods=GET_POST)
def password_change(request):
    form = forms.PasswordChangeForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.change_password(request.user, form.cleaned_data["new_password1"])
        update_session_auth_hash(request, request.user)
        messages.success(request, _("密码已修改。"))
        return redirect("accounts:profile")
    return render(request, "accounts/password_change.html", {"form": form})


# --- Organisations ------------------------------------------------------------------------------


@requires(Perm.ORGANISATIONS_VIEW)
def organisation_list(request):
    visible = Organisation.objects.visible_to(request.user)
    type_counts = dict(visible.values_list("type").annotate(n=Count("id")).values_list("type", "n"))
    facets = [
        (value, label, type_counts.get(value, 0)) for value, label in OrganisationType.choices
    ]
    return listing(
        request,
        visible.annotate(member_count=Count("users")).in_display_order(),
        OrganisationFilter,
        "accounts/organisation_list.html",
        columns=ORGANISATION_COLUMNS,
        title=_("组织"),
        context={"facets": facets},
        per_page=25,
    )


@requires(Perm.ORGANISATIONS_VIEW)
def organisation_detail(request, pk: int):
    organisation = get_object_or_404(Organisation.objects.visible_to(request.user), pk=pk)
    members = organisation.users.prefetch_related("role_grants").order_by("username")
    return render(
        request,
        "accounts/organisation_detail.html",
        {
            "organisation": organisation,
            "members": members,
            "allowed_roles": sorted(ROLES_BY_ORGANISATION_TYPE[organisation.type]),
        },
    )


@requires(Perm.ORGANISATIONS_MANAGE, methods=GET_POST)
def organisation_create(request):
    form = forms.OrganisationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        organisation = services.create_organisation(by=request.user, **form.cleaned_data)
        messages.success(request, _("已登记组织「%(name)s」。") % {"name": organisation.name})
        return redirect("accounts:organisation_detail", pk=organisation.pk)
    return render(request, "accounts/organisation_form.html", {"form": form})


@requires(Perm.ORGANISATIONS_MANAGE, methods=GET_POST)
def organisation_edit(request, pk: int):
    organisation = get_object_or_404(Organisation, pk=pk)
    form = forms.OrganisationForm(request.POST or None, instance=Organisation.objects.get(pk=pk))
    if request.method == "POST" and form.is_valid():
        try:
            services.update_organisation(organisation, by=request.user, **form.cleaned_data)
        except (services.RuleViolation, ValidationError) as error:
            messages.error(request, refusal_text(error))
        else:
            messages.success(request, _("组织信息已保存。"))
            return redirect("accounts:organisation_detail", pk=pk)
    return render(
        request, "accounts/organisation_form.html", {"form": form, "organisation": organisation}
    )


@requires(Perm.ORGANISATIONS_MANAGE, methods=POST)
def organisation_verify(request, pk: int):
    organisation = get_object_or_404(Organisation, pk=pk)
    return perform(
        request,
        lambda: services.verify_organisation(organisation, by=request.user),
        _("已核验组织「%(name)s」。") % {"name": organisation.name},
        ("accounts:organisation_detail", pk),
    )


@requires(Perm.ORGANISATIONS_MANAGE, methods=POST)
def organisation_set_active(request, pk: int):
    organisation = get_object_or_404(Organisation, pk=pk)
    if not forms.ActiveForm.base_fields["active"].clean(request.POST.get("active")):
        page = unconfirmed(
            request,
            title=_("注销组织「%(name)s」") % {"name": organisation.name},
            consequences=[
                _("该组织的所有用户立即不能登录"),
                _("该组织不能再提交申请、订阅或归集数据；已有记录保留"),
                _("注销连同理由记入审计日志"),
            ],
            back=reverse("accounts:organisation_detail", args=[pk]),
        )
        if page is not None:
            return page
    form = forms.ActiveForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请填写理由。"))
    else:
        try:
            services.set_organisation_active(
                organisation,
                active=form.cleaned_data["active"],
                by=request.user,
                reason=form.cleaned_data["reason"],
            )
        except services.RuleViolation as error:
            messages.error(request, refusal_text(error))
        else:
            messages.success(request, _("组织状态已更新。"))
    return redirect("accounts:organisation_detail", pk=pk)


# --- Users --------------------------------------------------------------------------------------


@requires(Perm.USERS_MANAGE)
def user_list(request):
    users = User.objects.select_related("organisation").prefetch_related(
        Prefetch("role_grants", queryset=RoleGrant.objects.order_by("role"))
    )
    locked = set(
        AccessAttempt.objects.filter(
            failures_since_start__gte=settings.AXES_FAILURE_LIMIT
        ).values_list("username", flat=True)
    )
    return listing(
        request,
        users,
        UserFilter,
        "accounts/user_list.html",
        columns=USER_COLUMNS,
        title=_("用户与角色"),
        context={"locked": locked},
        per_page=25,
    )


@requires(Perm.USERS_MANAGE, methods=GET_POST)
def user_create(request):
    initial = {"organisation": request.GET.get("organisation")}
    form = forms.UserCreateForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = services.create_user(
                by=request.user,
                username=data["username"],
                organisation=data["organisation"],
                password=data["password"],
                display_name=data["display_name"],
                email=data["email"],
                phone=data["phone"],
                roles=data["roles"],
            )
        except (services.RuleViolation, ValidationError) as error:
            messages.error(request, refusal_text(error))
        else:
            messages.success(request, _("已创建用户 %(u)s。") % {"u": user.username})
            return redirect("accounts:user_detail", pk=user.pk)
    return render(request, "accounts/user_form.html", {"form": form})


@requires(Perm.USERS_MANAGE)
def user_detail(request, pk: int):
    subject = get_object_or_404(User.objects.select_related("organisation"), pk=pk)
    allowed = (
        ROLES_BY_ORGANISATION_TYPE.get(subject.organisation.type, frozenset())
        if subject.organisation
        else frozenset()
    )
    held = set(subject.role_grants.values_list("role", flat=True))
    attempts = AccessAttempt.objects.filter(username=subject.username).order_by("-attempt_time")
    return render(
        request,
        "accounts/user_detail.html",
        {
            "subject": subject,
            "held_roles": [Role(r) for r in sorted(held)],
            "grantable_roles": [r for r in Role if r in allowed and r.value not in held],
            "attempts": attempts[:10],
            "password_form": forms.SetPasswordForm(subject),
        },
    )


def _user_action(request, pk: int, form_class, act):
    subject = get_object_or_404(User, pk=pk)
    form = form_class(request.POST) if form_class else None
    if form is not None and not form.is_valid():
        messages.error(request, "；".join(e for errors in form.errors.values() for e in errors))
        return redirect("accounts:user_detail", pk=pk)
    return perform(
        request,
        lambda: act(subject, form.cleaned_data if form else {}),
        _("操作已完成。"),
        ("accounts:user_detail", pk),
    )


@requires(Perm.USERS_MANAGE, methods=POST)
def user_grant_role(request, pk: int):
    return _user_action(
        request, pk, forms.RoleForm, lambda u, d: services.grant_role(u, d["role"], by=request.user)
    )


@requires(Perm.USERS_MANAGE, methods=POST)
def user_revoke_role(request, pk: int):
    return _user_action(
        request,
        pk,
        forms.RoleForm,
        lambda u, d: services.revoke_role(u, d["role"], by=request.user),
    )


@requires(Perm.USERS_MANAGE, methods=POST)
def user_set_active(request, pk: int):
    if not forms.ActiveForm.base_fields["active"].clean(request.POST.get("active")):
        subject = get_object_or_404(User, pk=pk)
        page = unconfirmed(
            request,
            title=_("停用用户 %(u)s") % {"u": subject.username},
            consequences=[
                _("该用户立即退出登录且不能再登录"),
                _("其创建的记录保留，可随时重新启用"),
                _("停用连同理由记入审计日志"),
            ],
            back=reverse("accounts:user_detail", args=[pk]),
        )
        if page is not None:
            return page
    return _user_action(
        request,
        pk,
        forms.ActiveForm,
        lambda u, d: services.set_user_active(
            u, active=d["active"], by=request.user, reason=d["reason"]
        ),
    )


@requires(Perm.USERS_MANAGE, methods=POST)
def user_unlock(request, pk: int):
    return _user_action(request, pk, None, lambda u, d: services.unlock_user(u, by=request.user))


@requires(Perm.USERS_MANAGE, methods=POST)
def user_set_password(request, pk: int):
    subject = get_object_or_404(User, pk=pk)
    form = forms.SetPasswordForm(subject, request.POST)
    if form.is_valid():
        services.set_password(subject, form.cleaned_data["new_password1"], by=request.user)
        messages.success(request, _("已重置用户 %(u)s 的密码。") % {"u": subject.username})
    else:
        messages.error(request, "；".join(e for errors in form.errors.values() for e in errors))
    return redirect("accounts:user_detail", pk=pk)
