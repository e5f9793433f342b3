"""Sign-in events into the audit log. Django and django-axes announce them only as signals, so
these receivers are the one place they can be recorded; they hold no business rules."""

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pdao.audit import actions
from pdao.audit.services import record

LOGIN = actions.define("auth.login", gettext_lazy("登录"))
LOGOUT = actions.define("auth.logout", gettext_lazy("退出登录"))
LOGIN_FAILED = actions.define("auth.login_failed", gettext_lazy("登录失败"))
LOCKED_OUT = actions.define("auth.locked_out", gettext_lazy("登录锁定"))


@receiver(user_logged_in, dispatch_uid="pdao_audit_login")
def _logged_in(sender, request, user, **kwargs):
    record(LOGIN, by=user, target=user, summary=_("用户 %(u)s 登录") % {"u": user.username})


@receiver(user_logged_out, dispatch_uid="pdao_audit_logout")
def _logged_out(sender, request, user, **kwargs):
    if user is not None:
        record(LOGOUT, by=user, target=user, summary=_("用户 %(u)s 退出") % {"u": user.username})


@receiver(user_login_failed, dispatch_uid="pdao_audit_login_failed")
def _login_failed(sender, credentials, request=None, **kwargs):
    # `credentials` has the password already masked by Django; only the username is kept.
    username = str(credentials.get("username", ""))[:150]
    record(
        LOGIN_FAILED,
        by=None,
        username=username,
        target_ref=("accounts.user", ""),
        summary=_("用户名 %(u)s 登录失败") % {"u": username},
    )


@receiver(user_locked_out, dispatch_uid="pdao_audit_locked_out")
def _locked_out(sender, request, username, ip_address, **kwargs):
    record(
        LOCKED_OUT,
        by=None,
        username=username or "",
        target_ref=("accounts.user", ""),
        summary=_("用户名 %(u)s 因连续登录失败被锁定（来源 %(ip)s）")
        % {"u": username, "ip": ip_address},
    )
