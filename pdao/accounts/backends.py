"""Authentication backends: permissions from roles, and the OIDC single sign-on seam."""

from django.conf import settings
from mozilla_django_oidc.auth import OIDCAuthenticationBackend

from pdao.accounts.models import User


class RolePermissionBackend:
    """Answers `user.has_perm("audit.view_events")` from the user's roles. Authenticates nobody."""

    def authenticate(self, request, **credentials):
        return None

    def has_perm(self, user_obj, perm, obj=None) -> bool:
        if not (user_obj.is_authenticated and user_obj.is_active):
            return False
        return perm in user_obj.permissions

    def has_module_perms(self, user_obj, app_label) -> bool:
        if not (user_obj.is_authenticated and user_obj.is_active):
            return False
        return any(p.app_label == app_label for p in user_obj.permissions)

    def get_user(self, user_id):
        return None


class OIDCBackend(OIDCAuthenticationBackend):
    """Signs in an existing platform user whose username the identity provider vouches for.

    It never creates users: accounts and roles are granted by the data bureau, so an identity
    from the city's SSO maps onto an account the bureau already set up (OIDC_USERNAME_CLAIM).
    """

    def filter_users_by_claims(self, claims):
        username = claims.get(settings.OIDC_USERNAME_CLAIM)
        if not username:
            return User.objects.none()
        return User.objects.filter(username=username, is_active=True)

    def create_user(self, claims):
        return None

    def update_user(self, user, claims):
        return user
