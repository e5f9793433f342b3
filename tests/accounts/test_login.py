import re

import pytest
from captcha.models import CaptchaStore
from django.contrib.auth.hashers import identify_hasher
from django.test import Client
from django.urls import reverse

import pdao.settings as real_settings
from pdao.accounts import services
from pdao.audit.models import AuditEvent
from pdao.core.permissions import Role
from tests.factories import PASSWORD, user_with_role

pytestmark = pytest.mark.django_db
LOGIN = "/accounts/login/"


def _login(client, username, password, *, captcha=None):
    """Sign in as a person would: open the form, and when it shows a captcha, read the image
    (here: the answer the platform stored for it) unless `captcha` says what to type."""
    data = {"username": username, "password": password}
    page = client.get(LOGIN).content.decode()
    key = re.search(r'name="captcha_0" value="(\w+)"', page)
    if key:
        answer = CaptchaStore.objects.get(hashkey=key.group(1)).response
        data |= {"captcha_0": key.group(1), "captcha_1": captcha or answer}
    return client.post(LOGIN, data)


def test_real_settings_hash_with_argon2_and_sign_in_through_it(settings):
    settings.PASSWORD_HASHERS = real_settings.PASSWORD_HASHERS
    user = user_with_role(Role.OPERATOR)
    user.set_password(PASSWORD)
    user.save()
    assert identify_hasher(user.password).algorithm == "argon2"
    response = _login(Client(), user.username, PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == reverse("core:workbench")


def test_login_and_logout_are_audited_without_the_password():
    user = user_with_role(Role.OPERATOR)
    client = Client()
    _login(client, user.username, PASSWORD)
    client.post(reverse("accounts:logout"))
    actions = list(AuditEvent.objects.order_by("id").values_list("action", flat=True))
    assert actions == ["auth.login", "auth.logout"]
    assert not AuditEvent.objects.filter(summary__contains=PASSWORD).exists()


def test_failed_login_is_audited_with_username_and_address():
    user = user_with_role(Role.OPERATOR)
    response = _login(Client(), user.username, "wrong-password")
    assert response.status_code == 200
    assert "用户名或密码错误" in response.content.decode()
    [event] = AuditEvent.objects.filter(action="auth.login_failed")
    assert event.actor_username == user.username
    assert event.ip == "127.0.0.1"
    assert "wrong-password" not in event.summary + str(event.changes)


def test_lockout_after_repeated_failures_even_with_the_right_password(settings):
    user = user_with_role(Role.OPERATOR)
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _login(client, user.username, "wrong-password")
    response = _login(client, user.username, PASSWORD)
    assert response.status_code == 429
    assert "账号已暂时锁定" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert AuditEvent.objects.filter(action="auth.locked_out").exists()


def test_a_failed_sign_in_says_how_many_attempts_are_left_and_how_long_a_lockout_lasts(settings):
    user = user_with_role(Role.OPERATOR)
    page = _login(Client(), user.username, "wrong-password").content.decode()
    left = settings.AXES_FAILURE_LIMIT - 1
    assert f"再失败 {left} 次，该账号在此地址将被锁定 30 分钟" in page


def test_after_three_failures_from_an_address_the_form_asks_for_a_captcha(settings):
    user = user_with_role(Role.OPERATOR)
    client = Client(REMOTE_ADDR="203.0.113.20")
    for name in ("somebody", "else", user.username):  # any usernames, one address
        assert 'name="captcha_0"' not in client.get(LOGIN).content.decode()
        failed = _login(client, name, "wrong-password")
    assert 'name="captcha_0"' in failed.content.decode()  # asked at once, on the third
    page = client.get(LOGIN).content.decode()
    assert 'data-testid="captcha"' in page
    image = re.search(r'<img src="(/captcha/image/\w+/)"', page).group(1)
    response = client.get(image)
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    # A wrong captcha: refused, and the (right) password is not even tried.
    wrong = _login(client, user.username, PASSWORD, captcha="zzzzz")
    assert "验证码不正确" in wrong.content.decode() and "_auth_user_id" not in client.session
    assert _login(client, user.username, PASSWORD).status_code == 302  # solved: signed in
    # Elsewhere nobody is asked.
    assert 'name="captcha_0"' not in Client(REMOTE_ADDR="198.51.100.8").get(LOGIN).content.decode()


def test_the_lockout_page_says_how_long_in_the_readers_language(settings):
    user = user_with_role(Role.OPERATOR)
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT + 1):
        response = _login(client, user.username, "wrong-password")
    page = response.content.decode()
    assert response.status_code == 429 and "锁定 30 分钟" in page and "Account" not in page
    client.cookies["django_language"] = "en"
    english = _login(client, user.username, "x").content.decode()
    assert "locked from this address for 30 minutes" in english


def test_lockout_is_per_address_so_others_are_not_locked_out(settings):
    user = user_with_role(Role.OPERATOR)
    attacker = Client(REMOTE_ADDR="203.0.113.9")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _login(attacker, user.username, "wrong-password")
    assert _login(attacker, user.username, PASSWORD).status_code == 429
    assert _login(Client(REMOTE_ADDR="198.51.100.7"), user.username, PASSWORD).status_code == 302


def test_bureau_unlock_lifts_the_lockout(settings, bureau_admin):
    user = user_with_role(Role.OPERATOR)
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _login(client, user.username, "wrong-password")
    services.unlock_user(user, by=bureau_admin)
    assert _login(client, user.username, PASSWORD).status_code == 302
    assert AuditEvent.objects.filter(action="user.unlock", object_id=str(user.pk)).exists()


def test_inactive_user_cannot_sign_in():
    user = user_with_role(Role.OPERATOR, is_active=False)
    client = Client()
    response = _login(client, user.username, PASSWORD)
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_login_post_without_csrf_token_is_refused():
    user = user_with_role(Role.OPERATOR)
    client = Client(enforce_csrf_checks=True)
    response = _login(client, user.username, PASSWORD)
    assert response.status_code == 403


def test_state_changing_post_without_csrf_token_is_refused(bureau_admin):
    from tests.conftest import AUTH_BACKEND
    from tests.factories import OrganisationFactory

    organisation = OrganisationFactory()
    client = Client(enforce_csrf_checks=True)
    client.force_login(bureau_admin, backend=AUTH_BACKEND)
    response = client.post(reverse("accounts:organisation_verify", args=[organisation.pk]))
    assert response.status_code == 403
    organisation.refresh_from_db()
    assert organisation.verified_at is None


def test_open_redirect_after_login_is_refused():
    user = user_with_role(Role.OPERATOR)
    response = Client().post(
        LOGIN, {"username": user.username, "password": PASSWORD, "next": "https://evil.example/"}
    )
    assert response["Location"] == reverse("core:workbench")


def test_password_change_keeps_session_and_is_audited(client_for):
    user = user_with_role(Role.OPERATOR)
    client = client_for(user)
    new = "N3w-Passw0rd!long"
    response = client.post(
        reverse("accounts:password_change"),
        {"old_password": PASSWORD, "new_password1": new, "new_password2": new},
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password(new)
    assert client.get(reverse("core:workbench")).status_code == 200
    assert AuditEvent.objects.filter(action="user.change_password").exists()


@pytest.mark.parametrize(
    "weak",
    ["short1!A", "alllowercaseletters", "12345678901234", "password1234"],
)
def test_password_policy_rejects_weak_passwords(client_for, weak):
    user = user_with_role(Role.OPERATOR)
    response = client_for(user).post(
        reverse("accounts:password_change"),
        {"old_password": PASSWORD, "new_password1": weak, "new_password2": weak},
    )
    assert response.status_code == 200
    user.refresh_from_db()
    assert user.check_password(PASSWORD)
