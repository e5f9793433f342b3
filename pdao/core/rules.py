"""Rules every pillar's services share: the one exception a broken platform rule raises, the
permission check a verb makes on its acting user, and calendar months for terms (from the pure
`pdao.core.calendar`, which the finance arithmetic also uses)."""

from django.utils.translation import gettext as _

from pdao.core.calendar import add_months

__all__ = ["RuleViolation", "add_months", "require"]


class RuleViolation(Exception):
    """A request that breaks a platform rule; the message is shown to the user as is."""


def require(user, perm: str) -> None:
    """The acting user must hold `perm` (a Perm); nobody (None) holds nothing."""
    if user is None or not user.has_perm(perm):
        raise RuleViolation(_("没有执行此操作的权限。"))
