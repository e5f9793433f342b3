"""The one shape of a form that changes something: POST → one service call → a message →
a redirect. A refused rule (RuleViolation, or a ValidationError from a model's own checks) is
shown as an error and nothing changed — the service's transaction rolled back."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect

from pdao.core.rules import RuleViolation

REFUSED = (RuleViolation, ValidationError)


def refusal_text(error: Exception) -> str:
    """What the person is told of a refusal: the rule's sentence, or the model's messages."""
    if isinstance(error, ValidationError):
        return "；".join(error.messages)
    return str(error)


def _redirect(to, result=None):
    target = to(result) if callable(to) else to
    return redirect(*target) if isinstance(target, tuple) else redirect(target)


def perform(
    request,
    action: Callable[[], object],
    success: str | Callable[[object], str] | None,
    to,
    *,
    back=None,
    refused: tuple[type[Exception], ...] = REFUSED,
):
    """Run `action` (one service call) and redirect.

    Args:
        success: the message on success, or a function of the action's result giving it
            (None: the page it leads to says it).
        to: where to go on success — a URL or URL name, a (name, *args) tuple, or a function of
            the result giving one (a new record's page).
        back: where to go on a refusal (default: `to`, which must then not be a function).
        refused: the exceptions that are the person's to fix, shown as errors.
    """
    try:
        result = action()
    except refused as error:
        messages.error(request, refusal_text(error))
        return _redirect(to if back is None else back)
    if success is not None:
        messages.success(request, success(result) if callable(success) else success)
    return _redirect(to, result)
