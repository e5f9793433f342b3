from axes.models import AccessAttempt
from captcha.fields import CaptchaField
from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm, SetPasswordForm
from django.contrib.auth.password_validation import validate_password
from django.db.models import Sum
from django.urls import reverse_lazy
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from pdao.accounts import credit_code
from pdao.accounts.choices import ROLES_BY_ORGANISATION_TYPE
from pdao.accounts.models import Organisation, User
from pdao.core.context import client_ip
from pdao.core.permissions import Role


def _failures(**where) -> int:
    """Failed sign-ins still counting (within the cool-off, as django-axes counts them)."""
    since = timezone.now() - settings.AXES_COOLOFF_TIME
    found = AccessAttempt.objects.filter(attempt_time__gte=since, **where).aggregate(
        n=Sum("failures_since_start")
    )
    return int(found["n"] or 0)


def attempts_left(request, username: str) -> int:
    """Failed sign-ins this username may still make from this address before the lockout."""
    ip = client_ip(request)
    used = _failures(username=username, ip_address=ip) if username else 0
    return max(0, settings.AXES_FAILURE_LIMIT - used)


def lockout_minutes() -> int:
    return int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)


def needs_captcha(request) -> bool:
    """Repeated failures from one address, whatever usernames they tried."""
    return _failures(ip_address=client_ip(request)) >= settings.LOGIN_CAPTCHA_AFTER


class SignInForm(AuthenticationForm):
    """The sign-in form; with a captcha after LOGIN_CAPTCHA_AFTER failures from the address.
    A wrong captcha is checked before the password, so guessing costs a solved image each."""

    def __init__(self, request=None, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        if request is not None and needs_captcha(request):
            self.add_captcha()

    def add_captcha(self) -> None:
        if "captcha" not in self.fields:
            self.fields["captcha"] = CaptchaField(
                label=_("验证码"),
                help_text=_("请输入图中字符，不区分大小写。"),
                error_messages={"invalid": _("验证码不正确，请重新输入。")},
            )

    def clean(self):
        if "captcha" in self.fields and "captcha" not in self.cleaned_data:
            return self.cleaned_data  # no password is tried without the captcha
        return super().clean()


class OrganisationForm(forms.ModelForm):
    class Meta:
        model = Organisation
        fields = [
            "name",
            "short_name",
            "type",
            "credit_code",
            "division_code",
            "contact_name",
            "contact_phone",
            "address",
        ]

    def clean_credit_code(self):
        return credit_code.normalise(self.cleaned_data["credit_code"])


class UserCreateForm(forms.ModelForm):
    roles = forms.MultipleChoiceField(
        label=_("角色"), choices=Role.choices, widget=forms.CheckboxSelectMultiple, required=False
    )
    password = forms.CharField(
        label=_("初始密码"), widget=forms.PasswordInput(render_value=False), strip=False
    )

    class Meta:
        model = User
        fields = ["username", "display_name", "organisation", "email", "phone"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["organisation"]
        field.required = True
        field.queryset = Organisation.objects.filter(is_active=True).order_by("type", "name")
        # Choosing an organisation offers only the roles its type may hold (the page swaps the
        # roles in place; without scripts the roles are checked when the form is sent).
        field.widget.attrs.update({
            "hx-get": reverse_lazy("accounts:user_create"), "hx-trigger": "change",
            "hx-target": "#field-roles", "hx-select": "#field-roles", "hx-swap": "outerHTML",
        })  # fmt: skip
        if not self.is_bound:  # a form sent is checked against every role, then narrowed
            self._offer(self._chosen_organisation())

    def _offer(self, organisation) -> None:
        if organisation is None:
            return
        allowed = ROLES_BY_ORGANISATION_TYPE.get(organisation.type, frozenset())
        self.fields["roles"].choices = [(r.value, r.label) for r in Role if r in allowed]
        self.fields["roles"].help_text = _("「%(type)s」类组织的成员可担任的角色。") % {
            "type": organisation.get_type_display()
        }

    def _chosen_organisation(self):
        raw = self.data.get("organisation") if self.is_bound else self.initial.get("organisation")
        if not raw:
            return None
        try:
            return self.fields["organisation"].queryset.filter(pk=int(raw)).first()
        except (TypeError, ValueError):
            return None

    def clean(self):
        cleaned = super().clean()
        organisation = cleaned.get("organisation")
        roles = [Role(r) for r in cleaned.get("roles", [])]
        if organisation is not None:
            allowed = ROLES_BY_ORGANISATION_TYPE[organisation.type]
            wrong = [str(r.label) for r in roles if r not in allowed]
            if wrong:
                self.add_error(
                    "roles",
                    _("「%(type)s」类组织的成员不能担任：%(roles)s")
                    % {"type": organisation.get_type_display(), "roles": "、".join(wrong)},
                )
        cleaned["roles"] = tuple(roles)
        self._offer(organisation)
        password = cleaned.get("password")
        if password:
            candidate = User(
                username=cleaned.get("username", ""),
                display_name=cleaned.get("display_name", ""),
                email=cleaned.get("email", ""),
            )
            try:
                validate_password(password, candidate)
            except forms.ValidationError as error:
                self.add_error("password", error)
        return cleaned


class RoleForm(forms.Form):
    role = forms.ChoiceField(label=_("角色"), choices=Role.choices)

    def clean_role(self):
        return Role(self.cleaned_data["role"])


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("理由"), max_length=500)


class ActiveForm(ReasonForm):
    active = forms.BooleanField(label=_("启用"), required=False)


__all__ = [
    "ActiveForm",
    "OrganisationForm",
    "PasswordChangeForm",
    "ReasonForm",
    "RoleForm",
    "SetPasswordForm",
    "UserCreateForm",
]
