"""Tell people what needs them: an in-app message each, and an e-mail through Django's mail
framework (PDAO_EMAIL_BACKEND) to those with an address. Sent after the business transaction
commits, so nobody is told about a change that was rolled back."""

import logging
from collections.abc import Iterable

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction

from pdao.accounts.models import User
from pdao.notifications.models import Notification

logger = logging.getLogger(__name__)


def notify(recipients: Iterable, *, subject: str, body: str = "", link: str = "") -> None:
    users = {u.pk: u for u in recipients if u is not None and u.is_active}.values()
    Notification.objects.bulk_create(
        Notification(recipient=u, subject=subject[:200], body=body, link=link) for u in users
    )
    addresses = sorted({u.email for u in users if u.email})
    if not addresses:
        return
    text = body + (f"\n\n{settings.SITE_URL.rstrip('/')}{link}" if link else "")

    def send():
        try:
            send_mail(subject, text, None, addresses)
        except OSError:  # a mail server down must not undo or block the change itself
            logger.warning("notification mail not sent: %s", subject)

    transaction.on_commit(send)


def members(organisation, *roles) -> list:
    """The active users of `organisation` holding any of `roles`."""
    if organisation is None:
        return []
    return list(
        User.objects.filter(
            organisation=organisation, is_active=True, role_grants__role__in=roles
        ).distinct()
    )


def holders(*roles) -> list:
    """Every active user holding any of `roles`, platform-wide."""
    return list(User.objects.filter(is_active=True, role_grants__role__in=roles).distinct())
