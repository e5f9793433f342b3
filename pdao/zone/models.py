from django.db import models
from django.utils.translation import gettext_lazy as _

from pdao.authorization.choices import OutputForm
from pdao.core import identity

# What a refusal's rule code is about, by its family (the code itself stays beside it in a
# <code>: the API returns it, and support staff search by it).
RULE_FAMILIES = {
    "sql": _("SQL 语句"),
    "shape": _("查询形式"),
    "columns": _("列"),
    "table": _("数据表"),
    "filter": _("筛选条件"),
    "key": _("分组键"),
    "measure": _("统计量"),
    "function": _("函数"),
    "join": _("关联"),
    "limits": _("资源限制"),
    "dp": _("差分隐私"),
    "deid": _("去标识化"),
    "model": _("模型输出"),
    "derive": _("衍生数据"),
    "form": _("输出形式"),
    "policy": _("专区配置"),
    "authorization": _("授权"),
}


# Messages of queries the platform closed (pdao.zone.services): read at display time.
CLOSED_MESSAGES = {
    "limits.failed": _("查询执行出错，结果未输出，请稍后重试；如仍失败请联系平台运维"),
    "limits.interrupted": _("查询进程在运行中终止，结果未输出"),
    "limits.queue": _("查询排队超时，未开始执行，未读取数据也未消耗预算，请重新提交"),
    "limits.cancelled": _("查询已由提交人取消，未执行，未读取数据也未消耗预算"),
}


class ZoneQuery(models.Model):
    """专区查询 — every query run in the zone, released or refused, with what it used and what
    disclosure control did. `result` holds only what was released (after disclosure control).

    It is recorded (and a DP query's ε debited) before the engine reads any data, as
    "running"; the outcome is written when the engine returns. A query asked from the
    workspace page is first "queued" for the task worker (nothing checked or debited yet).
    A query whose process died stays "running" (or "queued", if no worker took it) until the
    janitor marks it "interrupted" (services.mark_interrupted)."""

    class Decision(models.TextChoices):
        QUEUED = "queued", _("排队中")
        RUNNING = "running", _("运行中")
        RELEASED = "released", _("已输出")
        REFUSED = "refused", _("已拒绝")
        INTERRUPTED = "interrupted", _("已中断")

    authorization = models.ForeignKey(
        "authorization.Authorization", on_delete=models.PROTECT, related_name="zone_queries"
    )
    user = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The platform caller that asked when no person did: the gateway serving a consumer, the
    # command line (pdao.core.identity).
    system = models.CharField(_("系统调用方"), max_length=16, blank=True, choices=identity.CHOICES)
    sql = models.TextField(_("SQL"))
    form = models.CharField(_("输出形式"), max_length=20, choices=OutputForm.choices)
    decision = models.CharField(_("结果"), max_length=20, choices=Decision.choices)
    rule = models.CharField(_("规则"), max_length=60, blank=True)
    message = models.CharField(_("说明"), max_length=500, blank=True)
    tables = models.JSONField(_("数据表"), default=list)
    columns = models.JSONField(_("使用的列"), default=list)
    rows_released = models.PositiveIntegerField(_("输出行数"), default=0)
    rows_scanned = models.BigIntegerField(_("扫描行数"), default=0)
    suppressed_cells = models.PositiveIntegerField(_("抑制单元格"), default=0)
    # Numbers answered as an earlier, different one fewer than k people away (the register).
    near_numbers = models.PositiveIntegerField(_("沿用相近输出的数值"), default=0)
    # Cells whose showing differs from a remembered cell a few people away (near k): a pair
    # built around one person (engine/history.py, docs/zone.md "thresholds near k").
    presence_flips = models.PositiveIntegerField(_("k 附近显示不一致的分组"), default=0)
    epsilon_spent = models.FloatField(_("消耗 ε"), default=0)
    seconds = models.FloatField(_("耗时（秒）"), default=0)
    result = models.JSONField(_("输出结果"), default=dict, blank=True)
    cells = models.JSONField(default=list, blank=True)  # released cell signatures (differencing)
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)
    # When the engine was given it: a queued query may wait for the worker (the janitor's
    # clock for a running query starts here, not at created_at).
    started_at = models.DateTimeField(_("开始执行时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("结束时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("专区查询")
        verbose_name_plural = _("专区查询")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["authorization", "created_at"]),
            models.Index(fields=["decision", "created_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(user__isnull=True) | models.Q(system=""),
                name="%(app_label)s_%(class)s_person_or_system",
            )
        ]

    def __str__(self) -> str:
        return f"{self.authorization_id} {self.decision} {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def actor(self):
        """Who asked: the person, else the platform caller (None for a deleted user)."""
        return self.user or identity.ACTORS.get(self.system)

    @property
    def actor_label(self) -> str:
        return str(self.actor) if self.actor is not None else ""

    @property
    def pending(self) -> bool:
        """Queued or running: the outcome is not written yet."""
        return self.decision in (self.Decision.QUEUED, self.Decision.RUNNING)

    @property
    def message_text(self) -> str:
        """Why it ended so, in the reader's language where the platform (not the engine) wrote
        it: a query closed before or while running; otherwise the stored message."""
        return str(CLOSED_MESSAGES.get(self.rule, self.message))

    @property
    def rule_label(self) -> str:
        """The refusal's rule in words (its family), or "" when released."""
        if not self.rule:
            return ""
        return str(RULE_FAMILIES.get(self.rule.split(".", 1)[0], _("其他规则")))


class DerivedDataset(models.Model):
    """衍生数据 — a dataset made in the zone from an authorization's data (cleaning, joining,
    summarising each unit's rows). It stays in the zone (Parquet under PDAO_DATA_DIR/derived),
    is queried like any authorized table under the same disclosure control, and is graded at
    least as high as its highest source. Its privacy units were found by lineage; its size is
    known outside the engine only as a perturbed unit count (None: fewer than k)."""

    authorization = models.ForeignKey(
        "authorization.Authorization", on_delete=models.PROTECT, related_name="derived_datasets"
    )
    name = models.CharField(_("名称"), max_length=100)
    sql = models.TextField(_("生成 SQL"))
    path = models.CharField(max_length=100)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    units_released = models.BigIntegerField(_("规模（隐私单元数，已扰动）"), null=True, blank=True)
    # name → {"type", "forms", "sources", "bounds", "categories", "identifier",
    #         "quasi_identifier"}
    columns = models.JSONField(_("字段"))
    privacy_unit = models.CharField(_("隐私单元"), max_length=64, blank=True)
    extra_units = models.JSONField(_("其他隐私单元"), default=list, blank=True)
    one_per_unit = models.BooleanField(_("每个隐私单元一行"), default=False)
    # Where each privacy unit's people come from (engine TablePolicy.roots), by lineage.
    roots = models.JSONField(default=list, blank=True)
    grade = models.CharField(_("分级"), max_length=20)
    lineage = models.JSONField(_("血缘"))  # [{"resource", "name", "version_sha256"}]
    created_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("生成时间"), auto_now_add=True)
    # 退出销毁: the file is deleted when its authorization exits; the row and its lineage stay,
    # and the file's hash is on the ledger with the deletion.
    destroyed_at = models.DateTimeField(_("销毁时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("衍生数据")
        verbose_name_plural = _("衍生数据")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["authorization", "name"], name="%(app_label)s_derived_name"
            )
        ]

    def __str__(self) -> str:
        return self.name


class ReleasedValue(models.Model):
    """已输出数值登记 — every number released from personal data (a count or a sum of a cell),
    with a sketch of what its people contributed (engine/history.py): a later number whose
    contributions differ from one of these in fewer than k people is answered with the value
    given here, whoever asks. Holds counts, unit-key hashes and released values, never a row
    of data."""

    family = models.CharField(max_length=64)  # whose people: history.family, scoped
    contributors = models.BigIntegerField()  # people contributing (first kind of unit)
    sketch = models.JSONField()  # per kind of unit: contributors, key, 64 bucket hashes
    value = models.JSONField(null=True)  # the value released (None: suppressed)
    zone_query = models.ForeignKey(
        ZoneQuery, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["family", "created_at"])]

    def __str__(self) -> str:
        return f"{self.family[:8]} {self.contributors}"


class ReleasedValueCode(models.Model):
    """One of the smallest unit keys among a released number's contributors: the register
    looks numbers up by these (two sets that differ in fewer than CODES people share one)."""

    released = models.ForeignKey(ReleasedValue, on_delete=models.CASCADE, related_name="codes")
    family = models.CharField(max_length=64)
    code = models.BigIntegerField()
    contributors = models.BigIntegerField()

    class Meta:
        indexes = [models.Index(fields=["family", "code", "contributors"])]

    def __str__(self) -> str:
        return f"{self.family[:8]} {self.code}"


class RegisterLock(models.Model):
    """One row per family of the register, locked while a query's numbers are added to it."""

    family = models.CharField(max_length=64, unique=True)

    def __str__(self) -> str:
        return self.family[:8]
