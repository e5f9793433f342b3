"""Rules every pillar's services share: the one exception a broken platform rule raises, the
permission check a verb makes on its acting user, and calendar months for terms (from the pure
`pdao.core.calendar`, which the finance arithmetic also uses)."""

import re

from django.utils.translation import gettext as _

from pdao.core.calendar import add_months

__all__ = ["CONTROL", "RuleViolation", "add_months", "require", "typed_text"]

CONTROL = re.compile(
    # control characters, non-characters, lone surrogates, and the bidirectional overrides and
    # isolates that make text display otherwise than it is stored
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u202a-\u202e\u2066-\u2069\ufffe\uffff\ud800-\udfff]"
)


class RuleViolation(Exception):
    """A request that breaks a platform rule; the message is shown to the user as is."""


def require(user, perm: str) -> None:
    """The acting user must hold `perm` (a Perm); nobody (None) holds nothing."""
    if user is None or not user.has_perm(perm):
        raise RuleViolation(_("没有执行此操作的权限。"))


def typed_text(value, label: str, limit: int, *, required: bool = True) -> str:
    """Text a person typed: stripped, required unless said otherwise, within `limit`, without
    control characters (line breaks are kept)."""
    value = (value or "").strip()
    if CONTROL.search(value):
        raise RuleViolation(_("%(field)s含有不可见的控制字符，请删除后重试。") % {"field": label})
    if required and not value:
        raise RuleViolation(_("请填写%(field)s。") % {"field": label})
    if len(value) > limit:
        raise RuleViolation(
            _("%(field)s不能超过 %(n)s 个字符。") % {"field": label, "n": f"{limit:,}"}
        )
    return value
