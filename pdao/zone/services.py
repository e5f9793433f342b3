"""Queries in the zone: the authorization is asked first (access.grant), the engine decides
what leaves, and every query — released, refused or cut short — is recorded and audited.

Nothing holds the database while a query runs. A query is validated (no data read), then
recorded as running — with a DP query's ε debited and the daily limit counted, under a short
lock on the authorization row — and committed; the engine runs outside any transaction; the
outcome is written after. A process killed mid-query leaves a "running" record that
`mark_interrupted` closes; the ε it debited stays spent.

The workspace page does not wait for the engine: `submit_query` records the query as
"queued" and hands it to the task worker, which runs it through the very same path as
`run_query` (`run_submitted`), as the user who asked. The page polls the record.
"""

from __future__ import annotations

import logging
import math
import traceback
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pdao.audit import actions
from pdao.audit.services import record
from pdao.authorization import access
from pdao.authorization.choices import OutputForm
from pdao.authorization.models import Authorization
from pdao.catalogue.choices import Grade, highest_grade
from pdao.catalogue.models import Resource
from pdao.core import identity, monitoring
from pdao.core.permissions import Perm
from pdao.core.rules import RuleViolation
from pdao.ledger import services as ledger
from pdao.zone import engine, policy
from pdao.zone.engine import history
from pdao.zone.models import (
    DerivedDataset,
    RegisterLock,
    ReleasedValue,
    ReleasedValueCode,
    ZoneQuery,
)

ZONE_QUERY_SUBMIT = actions.define("zone.query.submit", gettext_lazy("提交专区查询"))
ZONE_QUERY_START = actions.define("zone.query.start", gettext_lazy("专区查询开始"))
ZONE_QUERY = actions.define("zone.query", gettext_lazy("专区查询"))
ZONE_QUERY_INTERRUPTED = actions.define("zone.query.interrupted", gettext_lazy("专区查询中断"))
ZONE_DERIVE = actions.define("zone.derive", gettext_lazy("生成衍生数据"))
# Ledger entry types that are not audit actions, by their names (the ledger's pages).
actions.define("dataset.derived", gettext_lazy("生成衍生数据"))
DEFAULT_EPSILON = 0.5
GRACE_SECONDS = 60  # past the engine's own time limit, a running query's process is gone
# A submitted query no worker has taken for this long is closed unrun (nothing was debited).
QUEUE_SECONDS = 15 * 60
# Queries closed before they started (no worker took them; their author took them back):
# they read nothing and count against no limit.
NEVER_RAN = ("limits.queue", "limits.cancelled")
FAILED_MESSAGE = "查询执行出错，结果未输出，请稍后重试；如仍失败请联系平台运维"
logger = logging.getLogger(__name__)


# The platform callers that may query a workspace, each for its own reason: the gateway runs
# filed products for their consumers; the command line acts for audits and operations. The
# scheduler runs no queries.
QUERY_CALLERS = (identity.GATEWAY, identity.CLI)
# Who may ask for a model output: a model answers for one object by design, so it leaves only
# through a filed product (the gateway) or an administrator's audit (the command line).
MODEL_CALLERS = (identity.GATEWAY, identity.CLI)


def may_use(authorization: Authorization, by) -> bool:
    """The operator's own people work in its workspace; of the platform's callers, those in
    QUERY_CALLERS. No one signed in (None) may not."""
    if identity.is_system(by):
        return by in QUERY_CALLERS
    return by is not None and (
        by.has_perm(Perm.AUTHZ_APPLY) and by.organisation_id == authorization.operator_id
    )


def _epsilon(value) -> float:
    """ε as given at the edge, refused unless it is a finite positive number (NaN, infinities,
    zero and negatives never reach the budget)."""
    try:
        epsilon = float(value)
    except (TypeError, ValueError):
        raise RuleViolation(_("ε 须为数值。")) from None
    if not math.isfinite(epsilon) or epsilon <= 0:
        raise RuleViolation(_("ε 须为大于 0 的有限数。"))
    return epsilon


def run_query(
    authorization: Authorization,
    *,
    by,
    sql: str,
    form: str,
    epsilon: float | None = None,
) -> ZoneQuery:
    """Run `sql` in the authorization's workspace as `form` and record what happened, in this
    process (the command line, the API, report editions); the page uses `submit_query`."""
    if not may_use(authorization, by):
        raise RuleViolation(_("只有被授权的运营单位可以在该专区工作空间查询。"))
    if form == "dp":
        epsilon = _epsilon(DEFAULT_EPSILON if epsilon is None else epsilon)
    return _run(authorization, by, sql, form, epsilon)


def _run(authorization, by, sql: str, form: str, epsilon, queued: ZoneQuery | None = None):
    """The one path every query takes: the access decision, the plan, the limits and the
    debit (`_start`), the engine outside any transaction, the outcome (`_finished`). A
    `queued` record is the one `submit_query` made; it is filled in instead of a new one."""
    if form == "model" and by not in MODEL_CALLERS:
        # A model output answers for one object by design; which model is fit to release is
        # the compliance review's judgement, so it leaves only through a filed product.
        refused = engine.Refused(
            "model.product_only",
            "模型输出只能通过备案的数据产品提供；在工作空间中请用聚合统计检验模型结果",
        )
        return _finished(_start(authorization, by, sql, form, refused, queued), refused)
    grant = access.grant(authorization)
    if isinstance(grant, access.Decision):
        refused = engine.Refused(f"authorization.{grant.code}", grant.message)
        return _finished(_start(authorization, by, sql, form, refused, queued), refused)
    built = policy.build(authorization, grant, epsilon_per_query=epsilon)
    planned = engine.plan(sql, built, form=form)
    query = _start(authorization, by, sql, form, planned, queued)
    if isinstance(planned, engine.Refused) or query.decision != ZoneQuery.Decision.RUNNING:
        return query
    result = engine.execute(planned, built)  # no transaction is open here
    return _finished(query, result, built)


def active_query(authorization: Authorization, user) -> ZoneQuery | None:
    """The user's query in this workspace that is still queued or running, if any."""
    return (
        authorization.zone_queries.filter(
            user=user, decision__in=(ZoneQuery.Decision.QUEUED, ZoneQuery.Decision.RUNNING)
        )
        .order_by("-pk")
        .first()
    )


def submit_query(authorization: Authorization, *, by, sql: str, form: str) -> ZoneQuery:
    """Record `sql` as queued and hand it to the task worker, which runs it as `by` through
    the same path as `run_query` (`run_submitted`); the page follows the record. One query at a
    time per person and workspace: a second while one waits or runs is refused."""
    from pdao.zone.tasks import execute_query  # tasks import this module

    if not may_use(authorization, by):
        raise RuleViolation(_("只有被授权的运营单位可以在该专区工作空间查询。"))
    with transaction.atomic():
        locked = Authorization.objects.select_for_update().get(pk=authorization.pk)
        if active_query(locked, by) is not None:
            raise RuleViolation(_("上一条查询仍在执行，请等待其结束后再提交新的查询。"))
        query = ZoneQuery.objects.create(
            authorization=locked,
            user=by,
            sql=sql[: engine.MAX_SQL_CHARS],
            form=form,
            decision=ZoneQuery.Decision.QUEUED,
        )
        record(
            ZONE_QUERY_SUBMIT,
            by=by,
            target=query,
            changes={"authorization": locked.code, "form": form},
            summary=_("提交专区查询（%(code)s，%(form)s）")
            % {"code": locked.code, "form": OutputForm(form).label},
        )
        # robust: a failed hand-off is logged and the query stays queued, to be cancelled by
        # its author or closed by the janitor; the request itself has succeeded.
        transaction.on_commit(lambda: execute_query.enqueue(query.pk), robust=True)
    return query


def run_submitted(query_id: int) -> ZoneQuery:
    """The worker's side of `submit_query`: run the queued query through `run_query`'s path as
    the user who asked (who must still be allowed to). Whatever goes wrong ends the record as
    interrupted with a message, never leaves it waiting."""
    query = ZoneQuery.objects.select_related("authorization", "user").get(pk=query_id)
    if query.decision != ZoneQuery.Decision.QUEUED:
        return query
    try:
        if query.user is None or not may_use(query.authorization, query.user):
            refused = engine.Refused(
                "authorization.operator", "只有被授权的运营单位可以在该专区工作空间查询"
            )
            started = _start(query.authorization, query.user, query.sql, query.form, refused, query)
            return _finished(started, refused)
        epsilon = DEFAULT_EPSILON if query.form == "dp" else None
        return _run(query.authorization, query.user, query.sql, query.form, epsilon, query)
    except Exception as error:
        # The traceback without the message: an engine message can quote a value.
        logger.error(
            "zone query %s failed: %s\n%s",
            query_id,
            type(error).__name__,
            "".join(traceback.format_tb(error.__traceback__)),
        )
        _close(query_id, rule="limits.failed", message=FAILED_MESSAGE)
        return ZoneQuery.objects.get(pk=query_id)


def _close(
    query_id: int,
    *,
    rule: str,
    message: str,
    now=None,
    by=identity.SCHEDULER,
    only_queued: bool = False,
) -> bool:
    """End a queued or running query (only a queued one, if `only_queued`) as interrupted,
    audited; True if it was closed here, False if it had ended or started meanwhile. The ε a
    running one debited stays spent; a queued one had debited none. The query's row alone is
    locked: `_start` locks the authorization first, and two orders would deadlock."""
    now = now or timezone.now()
    with transaction.atomic():
        query = (
            ZoneQuery.objects.select_for_update(of=("self",))
            .select_related("authorization")
            .get(pk=query_id)
        )
        if not query.pending or (only_queued and query.decision != ZoneQuery.Decision.QUEUED):
            return False
        query.decision = ZoneQuery.Decision.INTERRUPTED
        query.rule, query.message, query.finished_at = rule, message, now
        query.save(update_fields=["decision", "rule", "message", "finished_at"])
        record(
            ZONE_QUERY_INTERRUPTED,
            by=by,
            target=query,
            changes={
                "authorization": query.authorization.code,
                "form": query.form,
                "rule": rule,
                "epsilon_spent": query.epsilon_spent,
            },
            summary=_("专区查询 #%(pk)s 中断：%(why)s") % {"pk": query.pk, "why": message},
        )
    return True


@transaction.atomic
def cancel_query(query: ZoneQuery, *, by) -> ZoneQuery:
    """取消: the person who submitted a query takes it back while it still waits for the
    worker (a running one cannot be stopped; it ends by itself within the engine's limit)."""
    if query.user_id != getattr(by, "pk", None):
        raise RuleViolation(_("只能取消本人提交的查询。"))
    if not _close(
        query.pk,
        rule="limits.cancelled",
        message="查询已由提交人取消，未执行，未读取数据也未消耗预算",
        by=by,
        only_queued=True,
    ):
        raise RuleViolation(_("查询已开始执行或已结束，不能取消。"))
    query.refresh_from_db()
    return query


def _start(authorization, by, sql: str, form: str, planned, queued=None) -> ZoneQuery:
    """Record the query, refused or running; for a running one count it against the day's
    limit and debit its ε, all under a lock on the authorization row, then commit. A queued
    record the janitor closed meanwhile is returned as it is (nothing runs)."""
    with transaction.atomic():
        locked = Authorization.objects.select_for_update().get(pk=authorization.pk)
        if queued is not None:
            query = ZoneQuery.objects.select_for_update().get(pk=queued.pk)
            if query.decision != ZoneQuery.Decision.QUEUED:
                return query
        refusal = planned if isinstance(planned, engine.Refused) else _limits(locked, by, planned)
        spent = planned.epsilon if refusal is None else 0.0
        now = timezone.now()
        fields = {
            "sql": sql[: engine.MAX_SQL_CHARS],
            "form": form,
            "decision": (
                ZoneQuery.Decision.RUNNING if refusal is None else ZoneQuery.Decision.REFUSED
            ),
            "rule": "" if refusal is None else refusal.rule,
            "message": "" if refusal is None else refusal.message[:500],
            "tables": planned.tables,
            "columns": planned.columns_used,
            "epsilon_spent": spent,
            "started_at": now if refusal is None else None,
            "finished_at": None if refusal is None else now,
        }
        if queued is None:
            query = ZoneQuery.objects.create(
                authorization=locked,
                user=None if identity.is_system(by) else by,
                system=identity.system_code(by),
                **fields,
            )
        else:
            for name, value in fields.items():
                setattr(query, name, value)
            query.save(update_fields=list(fields))
        if refusal is None:
            record(
                ZONE_QUERY_START,
                by=by,
                target=query,
                changes={
                    "authorization": locked.code,
                    "form": form,
                    "tables": planned.tables,
                    "columns": planned.columns_used,
                    "epsilon_debited": spent,
                },
                summary=_("专区查询开始（%(code)s，%(form)s）")
                % {"code": locked.code, "form": form},
            )
        else:
            _audit(query, locked)
        transaction.on_commit(monitoring.watch)  # the probing and differencing rules read these
    return query


def _limits(authorization: Authorization, by, planned: engine.Plan) -> engine.Refused | None:
    """The agreement's limits, read under the row lock: queries a day by the operator's people,
    and for DP the ε left (what other queries debited meanwhile is counted)."""
    if not identity.is_system(by) and authorization.daily_queries:
        today = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
        made = (
            ZoneQuery.objects.filter(
                authorization=authorization, user__isnull=False, created_at__gte=today
            )
            .exclude(decision=ZoneQuery.Decision.QUEUED)  # counted when they start
            .exclude(rule__in=NEVER_RAN)
            .count()
        )
        if made >= authorization.daily_queries:
            return engine.Refused(
                "limits.daily",
                f"已达到协议约定的每日查询上限({authorization.daily_queries} 次)",
                planned.tables,
                planned.columns_used,
            )
    if planned.form == "dp":
        left = policy.epsilon_left(authorization)
        if planned.epsilon > left + 1e-12:
            return engine.Refused(
                "dp.budget",
                f"隐私预算不足：剩余 ε={left:.3g}，本次需要 ε={planned.epsilon:.3g}",
                planned.tables,
                planned.columns_used,
            )
    return None


def _remember(query: ZoneQuery, remember: dict, built) -> bool:
    """Add the released numbers to the register, unless a number within fewer than k people
    of one of them was added while this query ran (two near-identical queries at once would
    each have answered fresh): then nothing is released. Called under the register's lock."""

    lock = remember["family"]
    RegisterLock.objects.get_or_create(family=lock)
    RegisterLock.objects.select_for_update().get(family=lock)
    values = remember["values"]
    if _registered_meanwhile(values, built, since=query.created_at):
        return False
    created = ReleasedValue.objects.bulk_create(
        ReleasedValue(
            family=v["family"],
            contributors=v["contributors"],
            sketch=v["sketch"],
            value=v["value"],
            zone_query=query,
        )
        for v in values
    )
    ReleasedValueCode.objects.bulk_create(
        (
            ReleasedValueCode(
                released=row, family=v["family"], code=code, contributors=v["contributors"]
            )
            for row, v in zip(created, values, strict=True)
            for code in v["codes"]
        ),
        batch_size=2000,
    )
    return True


def _registered_meanwhile(values: list[dict], built, *, since) -> bool:
    """Whether a number within fewer than k people of one of `values` was registered since
    `since`. Only numbers sharing a lookup code and near in size are compared (as the engine
    looks them up), each sketch read once: this runs under the register's lock, which on
    SQLite is the database's write lock."""
    reach = built.k + built.perturbation.D
    for family in {v["family"] for v in values}:
        mine = [
            (v, set(v["codes"]), [history.Part.from_json(p) for p in v["sketch"]["parts"]])
            for v in values
            if v["family"] == family
        ]
        meanwhile = policy.remembered(
            family,
            {c for _v, codes, _p in mine for c in codes},
            min(v["contributors"] for v, _c, _p in mine) - reach,
            max(v["contributors"] for v, _c, _p in mine) + reach,
            since=since,
        )
        for other in meanwhile:
            shared = set(other["codes"])
            theirs = None
            for value, codes, parts in mine:
                if not codes & shared or abs(value["contributors"] - other["contributors"]) > reach:
                    continue
                if theirs is None:
                    theirs = [history.Part.from_json(p) for p in other["sketch"]["parts"]]
                if history.similar(parts, theirs, built) is not None:
                    return True
    return False


def _finished(query: ZoneQuery, result, built=None) -> ZoneQuery:
    """Write the outcome of a running query (a refusal before running is already final)."""
    if query.decision != ZoneQuery.Decision.RUNNING:
        return query
    released = isinstance(result, engine.Released)
    with transaction.atomic():
        query = ZoneQuery.objects.select_for_update().get(pk=query.pk)
        if query.decision != ZoneQuery.Decision.RUNNING:  # the janitor got there first
            return query
        query.decision = result.decision
        query.rule = "" if released else result.rule
        query.message = "" if released else result.message[:500]
        query.seconds = result.seconds
        query.finished_at = timezone.now()
        if released and result.remember and not _remember(query, result.remember, built):
            released = False
            result = engine.Refused(
                "limits.concurrent", "同时有相近的查询正在执行，请稍后重试", result.tables,
                result.columns_used,
            )  # fmt: skip
            query.decision = result.decision
            query.rule, query.message = result.rule, result.message
        if released:
            query.rows_released = len(result.rows)
            query.rows_scanned = result.rows_scanned
            query.suppressed_cells = result.suppressed_cells
            query.near_numbers = result.near
            query.presence_flips = result.flips
            query.result = {
                "columns": result.columns,
                "rows": result.rows,
                "suppression": result.suppression[:200],
                "notes": result.notes,
                "epsilon_left": result.epsilon_left,
            }
            query.cells = [[c[0], c[1], list(c[2]), c[3]] for c in result.cells[:5000]]
        query.save()
        _audit(query, query.authorization)
    return query


def _audit(query: ZoneQuery, authorization: Authorization) -> None:
    record(
        ZONE_QUERY,
        by=query.actor,
        target=query,
        changes={
            "authorization": authorization.code,
            "form": query.form,
            "decision": query.decision,
            "rule": query.rule,
            "tables": query.tables,
            "columns": query.columns,
            "suppressed_cells": query.suppressed_cells,
            "rows_scanned": query.rows_scanned,
            "epsilon_spent": query.epsilon_spent,
        },
        summary=_("专区查询（%(code)s，%(form)s）：%(d)s")
        % {"code": authorization.code, "form": query.form, "d": query.get_decision_display()},
    )


def mark_interrupted(*, now=None, queries=None) -> int:
    """Close queries whose process died mid-run — still running well past the engine's limit
    — and submitted ones no worker took within QUEUE_SECONDS. A running one's ε stays debited
    (a DP query is charged whether or not it finished). `queries` narrows the look (the page
    that follows one query checks it on sight, should the worker itself be gone)."""
    now = now or timezone.now()
    rows = ZoneQuery.objects.all() if queries is None else queries
    running = rows.annotate(since=Coalesce("started_at", "created_at")).filter(
        decision=ZoneQuery.Decision.RUNNING,
        since__lt=now - timedelta(seconds=settings.ZONE_QUERY_SECONDS + GRACE_SECONDS),
    )
    queued = rows.filter(
        decision=ZoneQuery.Decision.QUEUED, created_at__lt=now - timedelta(seconds=QUEUE_SECONDS)
    )
    closed = 0
    for pk in running.values_list("pk", flat=True):
        closed += _close(
            pk, rule="limits.interrupted", message="查询进程在运行中终止，结果未输出", now=now
        )
    for pk in queued.values_list("pk", flat=True):
        closed += _close(
            pk,
            rule="limits.queue",
            message="查询排队超时，未开始执行，未读取数据也未消耗预算，请重新提交",
            now=now,
            only_queued=True,
        )
    return closed


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
        table["bounds"] = {c: b for c, b in table["bounds"].items() if c in authorized}
        table["categories"] = {c: v for c, v in table["categories"].items() if c in authorized}
        if table["privacy_unit"] and table["privacy_unit"] not in authorized:
            table["privacy_unit_hidden"] = True
    return {
        "authorization": authorization.code,
        "epsilon_total": authorization.epsilon_total,
        "epsilon_left": policy.epsilon_left(authorization),
        "epsilon_query_min": authorization.epsilon_query_min,
        "epsilon_query_max": authorization.epsilon_query_max,
        "daily_queries": authorization.daily_queries,
        "k": built.k,
        "perturbation": {
            "D": built.perturbation.D,
            "V": built.perturbation.V,
            "mu": built.perturbation.mu,
        },
        "joins": [
            {
                "left": j.left,
                "left_column": j.left_column,
                "right": j.right,
                "right_column": j.right_column,
            }
            for j in built.joins
        ],
        "tables": tables,
        "unavailable": policy.unavailable(authorization, grant),
    }


def derived_dir():
    from pathlib import Path

    return Path(settings.DATA_DIR) / "derived"


def _check_may_derive(authorization: Authorization, by, name: str) -> access.Grant:
    """A person of the operator derives (no platform caller does), under a name that is new,
    within the day's limit, while the authorization holds; returns the grant."""
    if identity.is_system(by) or not may_use(authorization, by):
        raise RuleViolation(_("只有被授权的运营单位可以在该专区工作空间生成衍生数据。"))
    if not name or len(name) > 100 or '"' in name:
        raise RuleViolation(_("请为衍生数据命名（不超过 100 个字符，不含引号）。"))
    grant = access.grant(authorization)
    if isinstance(grant, access.Decision):
        raise RuleViolation(grant.message)
    today = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    made = authorization.derived_datasets.filter(created_at__gte=today).count()
    if made >= settings.ZONE_DERIVED_PER_DAY:
        raise RuleViolation(_("今天已生成 %(n)s 个衍生数据，达到每日上限。") % {"n": made})
    return grant


def _column_forms(result: engine.Derived, built: engine.Policy) -> dict:
    """Each derived column with the output forms every source column it reads allows; a
    column computed from nothing (COUNT(*)) allows what every column read allows."""
    sources = {t: built.tables[t] for t in result.tables}
    read = [tuple(c.split(".", 1)) for info in result.columns.values() for c in info["sources"]]
    columns = {}
    for column, info in result.columns.items():
        used = [tuple(s.split(".", 1)) for s in info["sources"]]
        forms = None
        for table, col in used or read:
            allowed = set(sources[table].columns.get(col, ()))
            forms = allowed if forms is None else forms & allowed
        columns[column] = {**info, "forms": sorted(forms or [])}
    return columns


def _lineage(authorization: Authorization, tables: list[str]) -> tuple[str, list[dict]]:
    """The grade (the highest of its sources') and the lineage (each source version or
    derived parent by its hash) of a dataset derived from `tables`."""
    resources = list(Resource.objects.filter(name__in=tables))
    parents = list(authorization.derived_datasets.filter(name__in=tables))
    grade = highest_grade([r.grade for r in resources] + [d.grade for d in parents])
    grade = grade or Grade.GENERAL_1
    lineage = [
        {
            "resource": r.code,
            "name": r.name,
            "version_sha256": r.active_version.sha256 if r.active_version else None,
        }
        for r in resources
    ]
    lineage += [{"derived": d.name, "sha256": d.sha256} for d in parents]
    return grade, lineage


def save_derived(authorization: Authorization, *, by, name: str, sql: str) -> DerivedDataset:
    """数据治理: run `sql` inside the zone and keep its result as a derived dataset of this
    authorization (nothing leaves the zone). Each column allows the output forms its sources
    all allow; it is graded at least as high as its highest source; its lineage names each
    source version; its privacy units, identifiers, ranges and value sets came by lineage.
    The engine runs outside any transaction; the record, its ledger entry and its audit
    event are written together after."""
    name = name.strip()
    grant = _check_may_derive(authorization, by, name)
    built = policy.build(authorization, grant)
    if name in built.tables:
        raise RuleViolation(_("已有同名的数据表。"))
    result = engine.materialise(sql, built, dest_dir=derived_dir())
    if isinstance(result, engine.Refused):
        raise RuleViolation(f"{result.message}({result.rule})")
    grade, lineage = _lineage(authorization, result.tables)
    with transaction.atomic():
        dataset = DerivedDataset.objects.create(
            authorization=authorization,
            name=name,
            sql=sql,
            path=result.path.rsplit("/", 1)[-1],
            sha256=result.sha256,
            units_released=result.size,
            columns=_column_forms(result, built),
            privacy_unit=result.units[0] if result.units else "",
            extra_units=list(result.units[1:]),
            one_per_unit=result.one_per_unit,
            roots=list(result.roots),
            grade=grade,
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
                "units_released": result.size,
                "sha256": result.sha256,
                "lineage": lineage,
                "grade": dataset.grade,
                "privacy_units": list(result.units),
            },
            summary=_("生成衍生数据「%(n)s」（%(code)s）：%(size)s")
            % {"n": name, "code": authorization.code, "size": size_label(dataset)},
        )
    return dataset


def size_label(dataset: DerivedDataset) -> str:
    """How big a derived dataset is, as far as it may be said outside the zone."""
    if not dataset.privacy_unit:
        return _("非个人数据")
    if dataset.units_released is not None:  # made before sizes stopped being said
        return _("不少于 %(k)s 个隐私单元") % {"k": dataset.units_released}
    return _("规模请在工作空间中查询（与其他计数同样受保护）")


def dry_run(
    authorization: Authorization, *, sql: str, form: str, epsilon: float | None = None
) -> engine.Plan | engine.Refused:
    """Plan `sql` as `form` under the authorization's grant and policy, as `run_query` plans a
    query before it runs, without reading any data or recording anything: the plan names the
    tables, columns and output the query would use, or the refusal says why the zone would not
    run it. A data product's compliance review tries the product's queries this way."""
    grant = access.grant(authorization)
    if isinstance(grant, access.Decision):
        return engine.Refused(f"authorization.{grant.code}", grant.message)
    built = policy.build(authorization, grant, epsilon_per_query=epsilon)
    return engine.plan(sql, built, form=form)
