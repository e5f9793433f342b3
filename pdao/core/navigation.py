"""Navigation by pillar. Apps add their entries at start-up; each entry names the permission it
needs, so a user sees only what they may open (the view still checks)."""

from dataclasses import dataclass

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from pdao.core.permissions import Perm

# The pillars of DESIGN.md in lifecycle order, then administration.
PILLARS = {
    "catalogue": _("数据归集"),
    "authorization": _("数据授权"),
    "zone": _("专区运营"),
    "products": _("产品与交付"),
    "market": _("数据交易"),
    "supervision": _("安全监管"),
    "ledger": _("区块链存证"),
    "finance": _("收益与资产"),
    "showcase": _("示范与评估"),
    "admin": _("系统管理"),
}


@dataclass(frozen=True, slots=True)
class NavEntry:
    pillar: str
    label: object
    url_name: str
    permission: Perm


_entries: list[NavEntry] = []


def add(pillar: str, label, url_name: str, permission: Perm) -> None:
    if pillar not in PILLARS:
        raise ValueError(f"unknown pillar {pillar!r}")
    entry = NavEntry(pillar, label, url_name, permission)
    if entry not in _entries:
        _entries.append(entry)


def menu_for(user) -> list[dict]:
    """[{"label": pillar label, "entries": [{"label", "url"}]}] for the pillars `user` may use."""
    if not user.is_authenticated:
        return []
    groups = []
    for key, pillar_label in PILLARS.items():
        entries, seen = [], set()
        for e in _entries:  # an entry offered under several permissions shows once
            if e.pillar == key and e.url_name not in seen and user.has_perm(e.permission):
                seen.add(e.url_name)
                entries.append(
                    {"label": e.label, "url": reverse(e.url_name), "url_name": e.url_name}
                )
        if entries:
            groups.append({"key": key, "label": pillar_label, "entries": entries})
    return groups
