"""Queries in the zone: the authorization is asked first (access.grant), the engine decides
what leaves, and every query — released or refused — is recorded and audited."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pdao.accounts.services import RuleViolation
from pdao.audit import actions
from pdao.audit.services import record
from pdao.authorization import access
from pdao.authorization.models import Authorization
from pdao.core.permissions import Perm
from pdao.zone import engine, policy
from pdao.zone.models import ZoneQuery

ZONE_QUERY = actions.define("zone.query", gettext_lazy("专区查询"))
ZONE_DERIVE = actions.define("zone.derive", gettext_lazy("生成衍生数据"))
DEFAULT_EPSILON = 0.5


def may_use(authorization: Authorization, user) -> bool:
    """The operator's own people work in its workspace; the CLI (user None) acts for audits."""
    return user is None or (
        user.has_perm(Perm.AUTHZ_APPLY) and user.organisation_id == authorization.operator_id
    )


def run_query(
    authorization: Authorization, *, by, sql: str, form: str, epsilon: float = DEFAULT_EPSILON
) -> ZoneQuery:
    """Run `sql` in the authorization's workspace as `form` and record what happened."""
    if not may_use(authorization, by):
        raise RuleViolation(_("只有被授权的运营单位可以在该专区工作空间查询。"))
    with transaction.atomic():
        # One query at a time per authorization: the privacy budget and the differencing
        # history are read and written under this lock.
        locked = Authorization.objects.select_for_update().get(pk=authorization.pk)
        grant = access.grant(locked, operator=None)
        if isinstance(grant, access.Decision):
            result = engine.Refused(f"authorization.{grant.code}", grant.message)
        else:
            built = policy.build(locked, grant, epsilon_per_query=epsilon)
            result = engine.run(sql, built, form=form)
        released = isinstance(result, engine.Released)
        query = ZoneQuery.objects.create(
            authorization=locked,
            user=by,
            sql=sql[: engine.MAX_SQL_CHARS],
            form=form,
            decision=result.decision,
            rule="" if released else result.rule,
            message="" if released else result.message[:500],
            tables=result.tables,
            columns=result.columns_used,
            rows_released=len(result.rows) if released else 0,
            rows_scanned=result.rows_scanned if released else 0,
            suppressed_cells=result.suppressed_cells if released else 0,
            epsilon_spent=result.epsilon_spent if released else 0.0,
            seconds=result.seconds,
            result={
                "columns": result.columns,
                "rows": result.rows,
                "suppression": result.suppression[:200],
                "epsilon_left": result.epsilon_left,
            }
            if released
            else {},
            cells=[[c[0], c[1], list(c[2]), c[3]] for c in result.cells] if released else [],
        )
        record(
            ZONE_QUERY,
            by=by,
            target=query,
            changes={
                "authorization": locked.code,
                "form": form,
                "decision": result.decision,
                "rule": query.rule,
                "tables": result.tables,
                "columns": result.columns_used,
                "suppressed_cells": query.suppressed_cells,
                "rows_scanned": query.rows_scanned,
                "epsilon_spent": query.epsilon_spent,
            },
            summary=_("专区查询(%(code)s,%(form)s):%(d)s")
            % {"code": locked.code, "form": form, "d": query.get_decision_display()},
        )
        from pdao.supervision.services import ensure_scheduled

        transaction.on_commit(ensure_scheduled)  # probing and differencing rules watch these
    return query


def describe(authorization: Authorization) -> dict:
    """Tables, columns with their output forms, privacy unit and quasi-identifiers the
    authorization sees (the authorized fields only)."""
    grant = access.grant(authorization)
    if isinstance(grant, access.Decision):
        return {
            "authorization": authorization.code,
            "decision": "refused",
            "rule": grant.code,
            "message": grant.message,
        }
    built = policy.build(authorization, grant)
    tables = engine.describe(built)
    for table in tables.values():
        authorized = set(table["columns"])
        table["types"] = {c: t for c, t in table["types"].items() if c in authorized}
        table["quasi_identifiers"] = [c for c in table["quasi_identifiers"] if c in authorized]
        table["identifiers"] = [c for c in table["identifiers"] if c in authorized]
        if table["privacy_unit"] not in authorized:
            table["privacy_unit_hidden"] = True
    return {
        "authorization": authorization.code,
        "epsilon_total": authorization.epsilon_total,
        "epsilon_left": policy.epsilon_left(authorization),
        "k": built.k,
        "tables": tables,
    }


def derived_dir():
    from pathlib import Path

    from django.conf import settings

    return Path(settings.DATA_DIR) / "derived"


def save_derived(authorization: Authorization, *, by, name: str, sql: str):
    """数据治理: run `sql` inside the zone and keep its result as a derived dataset of this
    authorization (nothing leaves the zone). Its columns allow the output forms their sources
    allow (a computed column: only the forms every source column used allows); it is graded
    at least as high as its highest source; its lineage names each source version."""
    from pdao.authorization.precheck import GRADE_ORDER
    from pdao.catalogue.models import Resource
    from pdao.ledger import services as ledger
    from pdao.zone.models import DerivedDataset

    if not may_use(authorization, by):
        raise RuleViolation(_("只有被授权的运营单位可以在该专区工作空间生成衍生数据。"))
    name = name.strip()
    if not name or len(name) > 100 or '"' in name:
        raise RuleViolation(_("请为衍生数据命名(不超过 100 个字符,不含引号)。"))
    grant = access.grant(authorization)
    if isinstance(grant, access.Decision):
        raise RuleViolation(grant.message)
    built = policy.build(authorization, grant)
    if name in built.tables:
        raise RuleViolation(_("已有同名的数据表。"))
    result = engine.materialise(sql, built, dest_dir=derived_dir())
    if isinstance(result, engine.Refused):
        raise RuleViolation(f"{result.message}({result.rule})")
    sources = {t: built.tables[t] for t in result.tables}
    columns = {}
    for column, kind in result.columns.items():
        used = [
            (t, c)
            for t, table in sources.items()
            for c in result.sources.get(column, [])
            if c in table.columns
        ]
        # A column computed from nothing (COUNT(*)) takes what every column the query read allows.
        basis = used or [
            (t, c)
            for t, table in sources.items()
            for cs in result.sources.values()
            for c in cs
            if c in table.columns
        ]
        forms = None
        for t, c in basis:
            allowed = set(sources[t].columns[c])
            forms = allowed if forms is None else forms & allowed
        columns[column] = {
            "type": kind,
            "forms": sorted(forms or []),
            "sources": [f"{t}.{c}" for t, c in used],
        }
    units = [t.privacy_unit for t in sources.values() if t.privacy_unit in result.columns]
    resources = list(Resource.objects.filter(name__in=result.tables))
    derived_parents = list(authorization.derived_datasets.filter(name__in=result.tables))
    grades = [r.grade for r in resources] + [d.grade for d in derived_parents]
    ranked = [g for g in GRADE_ORDER if g in grades]
    lineage = [
        {
            "resource": r.code,
            "name": r.name,
            "version_sha256": r.active_version.sha256 if r.active_version else None,
        }
        for r in resources
    ]
    lineage += [{"derived": d.name, "sha256": d.sha256} for d in derived_parents]
    with transaction.atomic():
        dataset = DerivedDataset.objects.create(
            authorization=authorization,
            name=name,
            sql=sql,
            path=result.path.rsplit("/", 1)[-1],
            sha256=result.sha256,
            rows=result.rows,
            columns=columns,
            privacy_unit=units[0],
            grade=ranked[-1] if ranked else "general_1",
            lineage=lineage,
            created_by=by,
        )
        ledger.anchor(
            "dataset.derived",
            content_hash=result.sha256,
            by=by,
            target=dataset,
            subject={"authorization.authorization": authorization.code},
        )
        record(
            ZONE_DERIVE,
            by=by,
            target=dataset,
            changes={
                "authorization": authorization.code,
                "rows": result.rows,
                "sha256": result.sha256,
                "lineage": lineage,
                "grade": dataset.grade,
            },
            summary=_("生成衍生数据「%(n)s」(%(code)s):%(rows)d 行")
            % {"n": name, "code": authorization.code, "rows": result.rows},
        )
    return dataset
