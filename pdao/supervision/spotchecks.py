"""数据样本抽查: a stratified random sample of deliveries, reviewed against what was filed.

The sample is drawn from a recorded seed by ranking: within each stratum (a product and a
consumer) every delivery is ranked by SHA-256(seed, its id) and the lowest ranks are taken.
This is simple random sampling without replacement per stratum, and — unlike `random.sample`,
whose algorithm Python does not promise to keep — it gives the same sample for the same seed
on any machine, any year later, so anyone can redraw and compare. The draw (seed, period,
filters, the ids drawn) is anchored on the ledger before the review begins: a supervisor
cannot quietly redraw until the sample looks comfortable.

The population ends at the moment of the draw, so later deliveries never change it.

Each sampled delivery is checked automatically, and a reviewer then records a conclusion:

* **记录完整** — the record is in an anchored batch whose digest still recomputes.
* **期限内** — delivered within the subscription's and the authorization's term.
* **内容可复现** — the body the gateway would send from the zone's release (marked for this
  recipient) reproduces the record's digest: the consumer received exactly the released answer.
* **输出字段** — the released columns are the product's declared output.
* **出域控制** — the release came from the zone under the product's output form, and what it
  disclosed meets the form's policy (k units behind each aggregate cell, ε within the filing,
  a watermark on records, at most ten rows for a model output).
* **计量一致** — the metered rows are the released rows; a refusal delivered nothing.
"""

from __future__ import annotations

import hashlib
import heapq
import json
import secrets
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pdao.accounts.models import Organisation
from pdao.audit import actions
from pdao.audit.services import record
from pdao.core.codes import next_code
from pdao.core.permissions import Perm
from pdao.core.rules import RuleViolation, require
from pdao.ledger.models import LedgerEntry
from pdao.ledger.services import anchor
from pdao.products import delivery as deliveries
from pdao.products import gateway, params
from pdao.products.choices import ProductKind
from pdao.products.models import Delivery, Product
from pdao.supervision import incidents
from pdao.supervision.choices import Severity
from pdao.supervision.models import SpotCheck, SpotCheckItem
from pdao.zone.policy import k_for_tables

SPOTCHECK_DRAW = actions.define("spotcheck.draw", gettext_lazy("样本抽查抽样"))
SPOTCHECK_FINDING = actions.define("spotcheck.finding", gettext_lazy("记录抽查复核结论"))
SPOTCHECK_COMPLETE = actions.define("spotcheck.complete", gettext_lazy("样本抽查完成备案"))

MAX_SIZE = 500
MODEL_MAX_ROWS = 10
RECORDS_MAX_ROWS = 10_000

CHECKS = {
    "record": gettext_lazy("记录完整"),
    "term": gettext_lazy("期限内"),
    "content": gettext_lazy("内容可复现"),
    "declared_output": gettext_lazy("输出字段"),
    "disclosure": gettext_lazy("出域控制"),
    "metering": gettext_lazy("计量一致"),
}


# --- Drawing ------------------------------------------------------------------------------------


def _rank(seed: str, *parts) -> str:
    return hashlib.sha256(":".join([seed, *map(str, parts)]).encode()).hexdigest()


def allocate(sizes: dict, n: int) -> dict:
    """Sample sizes per stratum: everyone when n covers the population; otherwise one per
    stratum and the rest in proportion to what each stratum has left (largest remainders,
    ties broken by the stratum key), never more than a stratum holds. Needs n ≥ strata."""
    if n >= sum(sizes.values()):
        return dict(sizes)
    alloc = dict.fromkeys(sizes, 1)
    left = n - len(sizes)
    while left > 0:
        room = {k: sizes[k] - alloc[k] for k in sorted(sizes) if sizes[k] > alloc[k]}
        weight = sum(room.values())
        quotas = {k: left * r / weight for k, r in room.items()}
        give = {k: int(q) for k, q in quotas.items()}
        for k in sorted(room, key=lambda k: (give[k] - quotas[k], k))[: left - sum(give.values())]:
            give[k] += 1
        for k, g in give.items():
            alloc[k] += min(g, room[k])
        left = n - sum(alloc.values())
    return alloc


def draw(seed: str, population: list[tuple[int, int, int]], n: int) -> tuple[list[int], dict]:
    """(delivery ids drawn, {stratum: (population, drawn)}) from (id, product, consumer)
    triples: stratified by (product, consumer), ranked by SHA-256 of the seed and the id."""
    strata: dict[tuple[int, int], list[int]] = defaultdict(list)
    for pk, product_id, consumer_id in population:
        strata[(product_id, consumer_id)].append(pk)
    sizes = {k: len(v) for k, v in strata.items()}
    if n < len(strata):  # fewer draws than strata: the strata themselves are drawn, one each
        chosen = sorted(strata, key=lambda k: _rank(seed, "stratum", *k))[:n]
        alloc = {k: (1 if k in chosen else 0) for k in strata}
    else:
        alloc = allocate(sizes, n)
    prefix = hashlib.sha256(f"{seed}:".encode())

    def rank(pk: int) -> bytes:  # the bytes of _rank(seed, pk): same order, no hex or join
        digest = prefix.copy()
        digest.update(str(pk).encode())
        return digest.digest()

    drawn = []
    for key, members in strata.items():
        drawn += heapq.nsmallest(alloc[key], members, key=rank)
    return sorted(drawn), {k: (sizes[k], alloc[k]) for k in sorted(strata)}


def _population(start: datetime, end: datetime, product_id, answered_only: bool):
    rows = Delivery.objects.filter(
        created_at__gte=start, created_at__lt=end, product__isnull=False, consumer__isnull=False
    )
    if product_id:
        rows = rows.filter(product_id=product_id)
    if answered_only:
        rows = rows.filter(status=200)
    return list(rows.order_by("pk").values_list("pk", "product_id", "consumer_id"))


def _draw_hash(check: SpotCheck, ids: list[int]) -> str:
    canonical = {
        "code": check.code,
        "seed": check.seed,
        "period": [check.period_start.isoformat(), check.period_end.isoformat()],
        "product": check.product.code if check.product else "",
        "answered_only": check.answered_only,
        "size": check.size,
        "deliveries": ids,
    }
    text = json.dumps(canonical, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


@transaction.atomic
def draw_check(
    *,
    by,
    title: str,
    date_from: date,
    date_to: date,
    size: int,
    product: Product | None = None,
    answered_only: bool = True,
    seed: str = "",
) -> SpotCheck:
    """Draw a sample, check each delivery automatically, anchor the draw; review follows."""
    require(by, Perm.SUPERVISION_MANAGE)
    if not title.strip():
        raise RuleViolation(_("请填写抽查名称。"))
    if date_from > date_to:
        raise RuleViolation(_("期间的开始日期晚于结束日期。"))
    if not 1 <= size <= MAX_SIZE:
        raise RuleViolation(_("样本量应在 1 到 %(n)s 之间。") % {"n": MAX_SIZE})
    seed = seed.strip() or secrets.token_hex(16)
    if len(seed) > 64 or not seed.isascii() or not seed.isalnum():
        raise RuleViolation(_("随机种子应为不超过 64 位的字母或数字。"))
    now = timezone.now()
    start = timezone.make_aware(datetime.combine(date_from, time.min))
    end = min(timezone.make_aware(datetime.combine(date_to + timedelta(days=1), time.min)), now)
    if start >= end:
        raise RuleViolation(_("抽查期间尚未开始。"))
    population = _population(start, end, product.pk if product else None, answered_only)
    if not population:
        raise RuleViolation(_("所选期间内没有可抽查的交付记录。"))
    ids, strata = draw(seed, population, size)
    names = _names({p for p, _c in strata}, {c for _p, c in strata})
    check = SpotCheck.objects.create(
        code=next_code("LZ-CC", SpotCheck),
        title=title.strip()[:200],
        period_start=start,
        period_end=end,
        product=product,
        answered_only=answered_only,
        size=size,
        seed=seed,
        population=len(population),
        strata=[
            {
                "product": names["product"].get(p, ""),
                "consumer": names["consumer"].get(c, ""),
                "product_id": p,
                "consumer_id": c,
                "population": total,
                "drawn": taken,
            }
            for (p, c), (total, taken) in strata.items()
        ],
        created_by=by,
    )
    rows = Delivery.objects.filter(pk__in=ids).select_related(
        "product__authorization", "subscription", "credential__application", "batch"
    )
    batches: dict[int, _Result] = {}  # samples share batches: each is recomputed once
    SpotCheckItem.objects.bulk_create(
        SpotCheckItem(spot_check=check, delivery=row, checks=examine(row, batches=batches))
        for row in rows
    )
    anchor("spotcheck.draw", content_hash=_draw_hash(check, ids), by=by, target=check)
    record(
        SPOTCHECK_DRAW,
        by=by,
        target=check,
        changes={"seed": seed, "size": size, "population": len(population), "drawn": len(ids)},
        summary=_("样本抽查 %(code)s：自 %(n)s 条交付记录中分 %(h)s 层抽取 %(k)s 条")
        % {"code": check.code, "n": len(population), "h": len(strata), "k": len(ids)},
    )
    return check


def _names(product_ids: set, consumer_ids: set) -> dict:
    return {
        "product": dict(Product.objects.filter(pk__in=product_ids).values_list("pk", "code")),
        "consumer": dict(
            Organisation.objects.filter(pk__in=consumer_ids).values_list("pk", "name")
        ),
    }


def redraw(check: SpotCheck) -> bool:
    """Whether the recorded seed, period and filters give the same sample today."""
    population = _population(
        check.period_start, check.period_end, check.product_id, check.answered_only
    )
    ids, _strata = draw(check.seed, population, check.size)
    return ids == sorted(check.items.values_list("delivery_id", flat=True))


# --- Automatic checks ---------------------------------------------------------------------------


@dataclass
class _Result:
    passed: bool | None
    note: str
    url: str = ""  # the record the check read, when it has a page

    def as_dict(self) -> dict:
        return {"passed": self.passed, "note": self.note} | ({"url": self.url} if self.url else {})


def examine(row: Delivery, *, batches: dict | None = None) -> dict:
    """The automatic checks of one delivery: code → {"passed": True/False/None, "note"}.
    `batches` keeps the batch results of earlier deliveries of the same draw."""
    answered = row.status == 200
    release, hashes = gateway.rebuilt(row) if answered else (None, [])
    results = {
        "record": _record_once(row, batches),
        "term": _term(row),
        "content": _content(row, hashes) if answered else _na(_("拒绝的调用无交付内容。")),
        "declared_output": _declared(row, release) if answered else _na(_("无输出。")),
        "disclosure": _disclosure(row, release, hashes) if answered else _na(_("无输出。")),
        "metering": _metering(row, release),
    }
    if release is not None and release.zone_query_id:
        results["disclosure"].url = reverse("zone:query_detail", args=[release.zone_query_id])
    return {code: result.as_dict() for code, result in results.items()}


def _na(note: str) -> _Result:
    return _Result(None, note)


def _record_once(row: Delivery, batches: dict | None) -> _Result:
    if batches is None or row.batch_id is None:
        return _record(row)
    if row.batch_id not in batches:
        batches[row.batch_id] = _record(row)
    return batches[row.batch_id]


def _record(row: Delivery) -> _Result:
    batch = row.batch
    if batch is None:
        return _na(_("尚未批量上链，稍后复核。"))
    if not deliveries.verify_batch(batch):
        return _Result(False, _("交付批次 #%(b)s 的摘要重算不一致。") % {"b": batch.pk})
    anchored = LedgerEntry.objects.filter(
        object_type="products.deliverybatch", object_id=str(batch.pk), content_hash=batch.digest
    ).exists()
    if not anchored:
        return _Result(False, _("交付批次 #%(b)s 未见上链记录。") % {"b": batch.pk})
    return _Result(True, _("批次 #%(b)s 摘要一致且已上链。") % {"b": batch.pk})


def _term(row: Delivery) -> _Result:
    subscription, product = row.subscription, row.product
    if subscription is None or product is None:
        return _na(_("未关联订阅。"))
    day = timezone.localdate(row.created_at)
    authorization = product.authorization
    if not subscription.starts_on <= day <= subscription.ends_on:
        return _Result(False, _("交付日期 %(d)s 不在订阅期限内。") % {"d": day})
    if not authorization.starts_on <= day <= authorization.ends_on:
        return _Result(False, _("交付日期 %(d)s 不在授权期限内。") % {"d": day})
    return _Result(True, _("在订阅和授权 %(a)s 期限内。") % {"a": authorization.code})


def _content(row: Delivery, hashes: list[str]) -> _Result:
    if hashes:
        return _Result(True, _("由专区输出结果重建的交付内容与记录摘要一致。"))
    return _Result(False, _("无法由专区输出结果重建与记录摘要一致的交付内容。"))


def _declared(row: Delivery, release) -> _Result:
    product = row.product
    if product.kind == ProductKind.REPORT:
        return _Result(True, _("交付的是经结果出域审核发布的报告期次。"))
    if release is None:
        return _Result(False, _("找不到该参数组合的专区输出记录。"))
    declared = params.output_names(product.sql)
    annotated = [c["name"] for c in product.output_columns]
    if (declared and release.columns != declared) or not set(annotated) <= set(release.columns):
        return _Result(
            False,
            _("输出字段 %(got)s 与备案的查询模板和输出字段说明 %(want)s 不一致。")
            % {"got": ", ".join(release.columns), "want": ", ".join(declared or annotated)},
        )
    return _Result(True, _("输出字段与备案声明一致（%(n)s 列）。") % {"n": len(release.columns)})


def _disclosure(row: Delivery, release, hashes: list[str]) -> _Result:
    product = row.product
    if product.kind == ProductKind.REPORT:
        if hashes:
            return _Result(True, _("报告期次已通过结果出域审核。"))
        return _Result(False, _("交付内容不是任何已发布的报告期次。"))
    query = release.zone_query if release is not None else None
    if query is None:
        return _Result(False, _("输出没有对应的专区查询记录。"))
    if query.decision != "released" or query.form != product.form:
        return _Result(
            False,
            _("专区查询 #%(q)s 的输出形式 %(f)s 与产品备案的 %(p)s 不一致。")
            % {"q": query.pk, "f": query.form, "p": product.form},
        )
    if product.form == "aggregate":
        k = k_for_tables(query.tables)
        units = [cell[3] for cell in query.cells if cell[3] is not None]
        if units and min(units) < k:
            return _Result(
                False,
                _("有单元格背后仅 %(m)s 个隐私单元，低于 k=%(k)s。") % {"m": min(units), "k": k},
            )
        return _Result(
            True,
            _("%(n)s 个单元格背后均不少于 k=%(k)s 个隐私单元；抑制 %(s)s 个。")
            % {"n": len(units), "k": k, "s": query.suppressed_cells},
        )
    if product.form == "dp":
        spent = query.epsilon_spent
        if not 0 < spent <= product.epsilon_per_call + 1e-9:
            return _Result(
                False,
                _("消耗 ε=%(e)s，备案为每个参数组合 %(f)s。")
                % {"e": spent, "f": product.epsilon_per_call},
            )
        return _Result(True, _("差分隐私输出，消耗 ε=%(e)s。") % {"e": spent})
    if product.form == "deidentified":
        if row.rows and not row.watermark_id:
            return _Result(False, _("记录级输出未加水印。"))
        if row.rows > RECORDS_MAX_ROWS:
            return _Result(False, _("记录级输出 %(n)s 行，超过上限。") % {"n": row.rows})
        return _Result(True, _("去标识化记录已加水印（%(w)s）。") % {"w": row.watermark_id or "—"})
    if product.form == "model":
        if row.rows > MODEL_MAX_ROWS:
            return _Result(False, _("模型输出 %(n)s 行，超过每次 10 行。") % {"n": row.rows})
        return _Result(True, _("模型输出 %(n)s 行，不含标识符。") % {"n": row.rows})
    return _na(_("未知的输出形式。"))


def _metering(row: Delivery, release) -> _Result:
    if row.status != 200:
        if row.rows or row.watermark_id:
            return _Result(False, _("拒绝的调用却记录了输出。"))
        return _Result(True, _("拒绝（%(c)s），未计输出。") % {"c": row.code})
    if row.product is not None and row.product.kind == ProductKind.REPORT:
        return _Result(True, _("报告下载，%(b)s 字节。") % {"b": row.bytes})
    if release is None:
        return _Result(False, _("找不到输出记录，无法核对计量。"))
    if row.rows != len(release.rows):
        return _Result(
            False,
            _("计量 %(m)s 行，输出 %(r)s 行。") % {"m": row.rows, "r": len(release.rows)},
        )
    return _Result(True, _("计量 %(n)s 行，与输出一致。") % {"n": row.rows})


# --- Review -------------------------------------------------------------------------------------


@transaction.atomic
def conclude(item: SpotCheckItem, *, by, conclusion: str, note: str) -> SpotCheckItem:
    """The reviewer's conclusion on one sampled delivery (a finding needs a note)."""
    require(by, Perm.SUPERVISION_MANAGE)
    item = SpotCheckItem.objects.select_for_update().select_related("spot_check").get(pk=item.pk)
    if item.spot_check.status != SpotCheck.Status.REVIEWING:
        raise RuleViolation(_("抽查已完成，结论不可再改。"))
    if conclusion not in SpotCheckItem.Conclusion.values or conclusion == "pending":
        raise RuleViolation(_("未知的复核结论。"))
    note = note.strip()
    if conclusion != SpotCheckItem.Conclusion.COMPLIANT and not note:
        raise RuleViolation(_("「需关注」和「不合规」须写明复核意见。"))
    failed = item.checks_passed is False
    if conclusion == SpotCheckItem.Conclusion.COMPLIANT and failed and not note:
        raise RuleViolation(_("自动核验有未通过项，认定合规须写明理由。"))
    before = item.conclusion
    item.conclusion, item.note = conclusion, note
    item.reviewed_by, item.reviewed_at = by, timezone.now()
    item.save(update_fields=["conclusion", "note", "reviewed_by", "reviewed_at"])
    record(
        SPOTCHECK_FINDING,
        by=by,
        target=item.spot_check,
        changes={"delivery": item.delivery_id, "conclusion": [before, conclusion]},
        summary=_("抽查 %(code)s 交付记录 #%(d)s：%(c)s")
        % {
            "code": item.spot_check.code,
            "d": item.delivery_id,
            "c": SpotCheckItem.Conclusion(conclusion).label,
        },
    )
    return item


def tally(check: SpotCheck) -> dict[str, int]:
    counts = dict.fromkeys(SpotCheckItem.Conclusion.values, 0)
    for conclusion in check.items.values_list("conclusion", flat=True):
        counts[conclusion] += 1
    return counts


def _result_hash(check: SpotCheck) -> str:
    items = [
        {
            "delivery": i.delivery.trace_id,
            "digest": i.delivery.digest,
            "checks": {k: v["passed"] for k, v in sorted(i.checks.items())},
            "conclusion": i.conclusion,
            "note": i.note,
        }
        for i in check.items.select_related("delivery").order_by("delivery_id")
    ]
    text = json.dumps(
        {"code": check.code, "seed": check.seed, "items": items, "conclusion": check.conclusion},
        ensure_ascii=False,
        sort_keys=True,
        separators=(",", ":"),
    )
    return hashlib.sha256(text.encode()).hexdigest()


@transaction.atomic
def complete(check: SpotCheck, *, by, conclusion: str) -> SpotCheck:
    """完成并备案: every sample concluded, an overall conclusion written; the results' hash is
    anchored and the check enters the filings register under its code."""
    require(by, Perm.SUPERVISION_MANAGE)
    check = SpotCheck.objects.select_for_update().get(pk=check.pk)
    if check.status != SpotCheck.Status.REVIEWING:
        raise RuleViolation(_("抽查已完成。"))
    counts = tally(check)
    if counts["pending"]:
        raise RuleViolation(_("还有 %(n)s 条样本未复核。") % {"n": counts["pending"]})
    if not conclusion.strip():
        raise RuleViolation(_("请填写抽查结论。"))
    check.conclusion = conclusion.strip()
    check.status = SpotCheck.Status.COMPLETED
    check.completed_by, check.completed_at = by, timezone.now()
    check.save(update_fields=["conclusion", "status", "completed_by", "completed_at"])
    anchor("spotcheck.complete", content_hash=_result_hash(check), by=by, target=check)
    record(
        SPOTCHECK_COMPLETE,
        by=by,
        target=check,
        changes={k: v for k, v in counts.items() if k != "pending"},
        summary=_("样本抽查 %(code)s 完成备案：合规 %(ok)s、需关注 %(obs)s、不合规 %(bad)s")
        % {
            "code": check.code,
            "ok": counts["compliant"],
            "obs": counts["observation"],
            "bad": counts["noncompliant"],
        },
    )
    return check


@transaction.atomic
def open_incident(item: SpotCheckItem, *, by) -> SpotCheckItem:
    """A finding (需关注 or 不合规) opens a security incident that names the delivery."""
    require(by, Perm.SUPERVISION_MANAGE)
    item = SpotCheckItem.objects.select_for_update().get(pk=item.pk)
    if item.conclusion not in (
        SpotCheckItem.Conclusion.OBSERVATION,
        SpotCheckItem.Conclusion.NONCOMPLIANT,
    ):
        raise RuleViolation(_("只有「需关注」或「不合规」的样本可以开立安全事件。"))
    if item.incident_id:
        raise RuleViolation(_("该样本已开立安全事件 %(code)s。") % {"code": item.incident.code})
    row = Delivery.objects.select_related("product", "consumer").get(pk=item.delivery_id)
    failed = [str(CHECKS[k]) for k, v in item.checks.items() if v["passed"] is False]
    incident = incidents.open_incident(
        by=by,
        title=_("样本抽查 %(code)s 发现：%(product)s / %(consumer)s")
        % {
            "code": item.spot_check.code,
            "product": row.product.code if row.product else "—",
            "consumer": row.consumer.name if row.consumer else "—",
        },
        description=_("交付记录 %(trace)s（%(at)s）。复核意见：%(note)s。未通过的自动核验：%(f)s。")
        % {
            "trace": row.trace_id,
            "at": timezone.localtime(row.created_at).strftime("%Y-%m-%d %H:%M"),
            "note": item.note,
            "f": "、".join(failed) or _("无"),
        },
        severity=Severity.HIGH
        if item.conclusion == SpotCheckItem.Conclusion.NONCOMPLIANT
        else Severity.MEDIUM,
    )
    item.incident = incident
    item.save(update_fields=["incident"])
    return item
