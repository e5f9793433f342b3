"""The registry of audit actions: a stable code for machines and a label for people.

Each app defines its actions next to its services:

    VERIFY = audit.actions.define("organisation.verify", _("核验组织"))
"""

from django.utils.functional import Promise

_labels: dict[str, Promise | str] = {}


def define(code: str, label: Promise | str) -> str:
    if code in _labels and _labels[code] != label:
        raise ValueError(f"audit action {code!r} defined twice with different labels")
    _labels[code] = label
    return code


def label(code: str) -> Promise | str:
    return _labels.get(code, code)


def choices() -> list[tuple[str, Promise | str]]:
    return sorted(_labels.items())
