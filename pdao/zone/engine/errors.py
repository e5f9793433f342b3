"""Refusals: every way the engine says no, as a stable rule code and a Chinese message that never
quotes a data value (only names from the policy and what the query itself said)."""

from __future__ import annotations


class Refusal(Exception):
    """Raised inside the engine; `run`, `plan` and `materialise` turn it into `Refused`."""

    def __init__(self, rule: str, message: str):
        super().__init__(message)
        self.rule, self.message = rule, message


def refuse(rule: str, message: str):
    raise Refusal(rule, message)
