"""Public submissions (公示异议, 登记异议, 数据需求) get a tracking number (受理编号), and the
same submission sent again within a day is recognised instead of stored twice.

The number is a kind prefix, the day and six random hexadecimal digits (YY20261128A1B2C3): not
guessable one from another, and a lookup needs the contact given with it as well
(`pdao.core.views.track`), so neither alone reveals anything.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.contrib import messages
from django.utils import timezone
from django.utils.translation import gettext as _

REPEAT_WINDOW = timedelta(days=1)


def tracking_no(prefix: str) -> str:
    return f"{prefix}{timezone.localdate():%Y%m%d}{secrets.token_hex(3).upper()}"


def fingerprint(*parts) -> str:
    """Of what makes two submissions the same, whitespace and letter case aside."""
    text = "\x1f".join(" ".join(str(p).split()).casefold() for p in parts)
    return hashlib.sha256(text.encode()).hexdigest()


def repeat_of(queryset, fingerprint_: str, *, created: str):
    """The same submission received within REPEAT_WINDOW, if any (the earliest)."""
    since = timezone.now() - REPEAT_WINDOW
    return (
        queryset.filter(fingerprint=fingerprint_, **{f"{created}__gte": since})
        .order_by(created)
        .first()
    )


def create_once(model, *, prefix: str, parts: tuple, created: str, **fields):
    """The submission, created with a fresh tracking number; or the identical one received in
    the last day, marked `repeated = True`. Call inside the caller's transaction, holding a
    lock on what the submissions are about (two at once are then one after the other)."""
    fp = fingerprint(*parts)
    found = repeat_of(model.objects.select_for_update(), fp, created=created)
    if found is not None:
        found.repeated = True
        return found
    number = tracking_no(prefix)
    while model.objects.filter(tracking_no=number).exists():  # 16⁶ a day: rare, never a 500
        number = tracking_no(prefix)
    made = model.objects.create(tracking_no=number, fingerprint=fp, **fields)
    made.repeated = False
    return made


def say_received(request, submission, first: str) -> None:
    """The tracking number, or that the same submission was received already."""
    if submission.repeated:
        messages.info(
            request,
            _("相同内容已受理，未重复登记：受理编号 %(no)s，可凭编号和联系方式查询办理进度。")
            % {"no": submission.tracking_no},
        )
    else:
        messages.success(
            request,
            first
            + " "
            + _("受理编号 %(no)s，可凭编号和联系方式查询办理进度。")
            % {"no": submission.tracking_no},
        )


def objection_status(answered_at, upheld) -> str:
    """An objection's state as its author reads it."""
    if answered_at is None:
        return _("待答复")
    return _("已答复：异议成立") if upheld else _("已答复：异议不成立")


# Prefix → a function (number, contact) → what the submitter may see of it, or None. Each app
# registers its kinds in its AppConfig.ready(), so core knows no pillar.
_LOOKUPS: dict[str, object] = {}


def register(prefix: str, lookup) -> None:
    _LOOKUPS[prefix] = lookup


def lookup(number: str, contact: str) -> dict | None:
    """The submission with this tracking number, if `contact` is the contact it was given with
    (compared without spaces): {"kind", "subject", "received", "status", "response",
    "answered"}."""
    number = number.strip().upper()
    find = _LOOKUPS.get(number[:2])
    if find is None or not contact.strip():
        return None
    found = find(number)
    if found is None or _plain(found.pop("contact")) != _plain(contact):
        return None
    return found


def _plain(text: str) -> str:
    return "".join(str(text).split()).casefold()
