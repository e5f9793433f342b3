from django import template

from pdao.ledger.services import entries_for

register = template.Library()


@register.inclusion_tag("ledger/_badge.html", takes_context=True)
def ledger_badge(context, target):
    """已上链 with a link to the entry and its receipt, for an object anchored on the ledger."""
    entry = entries_for(target).filter(position__isnull=False).order_by("-position").first()
    pending = entry is None and entries_for(target).exists()
    return {"entry": entry, "pending": pending, "perms": context.get("perms")}
