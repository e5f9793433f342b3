import json
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from pdao.authorization import access
from pdao.authorization.models import Authorization
from pdao.core.identity import CLI
from pdao.core.rules import RuleViolation
from pdao.zone import engine, policy, services


class Command(BaseCommand):
    help = (
        "Run one query in an authorization's zone workspace (recorded and audited like any "
        "other), or --describe what the authorization sees. --json prints one JSON object."
    )

    def add_arguments(self, parser):
        parser.add_argument("--authorization", required=True, help="the authorization's code")
        source = parser.add_mutually_exclusive_group()
        source.add_argument("--sql", help="the query text")
        source.add_argument("--sql-file", type=Path, help="a file holding the query")
        parser.add_argument("--describe", action="store_true")
        parser.add_argument(
            "--form",
            choices=engine.FORMS,
            help="the output form (default: the first the authorization grants, aggregate first)",
        )
        parser.add_argument("--epsilon", type=float, help="ε to spend on a DP query")
        parser.add_argument("--json", action="store_true")

    def handle(
        self, *args, authorization, sql, sql_file, describe, form, epsilon, json: bool, **options
    ):
        found = Authorization.objects.filter(code=authorization).first()
        if found is None:
            raise CommandError(f"no authorization {authorization}")
        if describe:
            return self._print(services.describe(found), as_json=json)
        if sql_file:
            sql = sql_file.read_text(encoding="utf-8")
        if not sql:
            raise CommandError("give --sql, --sql-file or --describe")
        form = form or _granted_form(found)
        try:
            query = services.run_query(found, by=CLI, sql=sql, form=form, epsilon=epsilon)
        except RuleViolation as error:
            raise CommandError(str(error)) from None
        released = query.decision == "released"
        out = {
            "decision": query.decision,
            "rule": query.rule or None,
            "message": query.message or None,
            "columns": query.result.get("columns", []),
            "rows": query.result.get("rows", []),
            "suppressed_cells": query.suppressed_cells,
            "epsilon_spent": query.epsilon_spent,
            "epsilon_left": policy.epsilon_left(found),
            "notes": query.result.get("notes", []),
        }
        self._print(out, as_json=json)
        if not released:
            sys.exit(1)

    def _print(self, value: dict, *, as_json: bool) -> None:
        text = json.dumps(value, ensure_ascii=False, default=str, indent=None if as_json else 2)
        self.stdout.write(text)


def _granted_form(authorization) -> str:
    """The form a query takes when none is given: aggregate if the grant allows it anywhere,
    else the first form it allows (an authorization for DP only answers DP)."""
    grant = access.grant(authorization)
    if isinstance(grant, access.Decision):
        return "aggregate"  # refused with the grant's reason by run_query
    allowed = {
        form for fields in grant.scope.values() for forms in fields.values() for form in forms
    }
    return next((f for f in engine.FORMS if f in allowed), "aggregate")
