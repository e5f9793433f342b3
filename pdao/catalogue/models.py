from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from pdao.catalogue.choices import (
    Domain,
    FieldType,
    Frequency,
    Grade,
    GradingStatus,
    Opening,
    PIKind,
    Sensitivity,
    Sharing,
    UpdateMode,
    VersionStatus,
)
from pdao.core.models import PublicObjection
from pdao.core.permissions import Perm


class ResourceQuerySet(models.QuerySet):
    def visible_to(self, user) -> "ResourceQuerySet":
        """The catalogue's metadata is shared among participants; never any data."""
        if user.is_authenticated and user.has_perm(Perm.CATALOGUE_VIEW):
            return self
        return self.none()

    def supplied_by(self, user) -> "ResourceQuerySet":
        """Resources whose versions `user` may upload: their own department's."""
        if not (user.is_authenticated and user.has_perm(Perm.CATALOGUE_SUPPLY)):
            return self.none()
        return self.filter(provider_id=user.organisation_id)


class Resource(models.Model):
    """数据资源 — a catalogue entry of one provider's dataset (谁提供谁负责)."""

    code = models.CharField(_("目录编码"), max_length=32, unique=True)
    name = models.CharField(_("资源名称"), max_length=200)
    description = models.TextField(_("资源摘要"), blank=True)
    provider = models.ForeignKey(
        "accounts.Organisation",
        verbose_name=_("提供单位"),
        on_delete=models.PROTECT,
        related_name="resources",
    )
    responsible_unit = models.CharField(_("责任处室"), max_length=100, blank=True)
    responsible_person = models.CharField(_("责任人"), max_length=50, blank=True)
    domain = models.CharField(_("领域"), max_length=20, choices=Domain.choices)
    theme = models.CharField(_("主题"), max_length=100, blank=True)
    sharing = models.CharField(_("共享属性"), max_length=20, choices=Sharing.choices)
    opening = models.CharField(_("开放属性"), max_length=20, choices=Opening.choices)
    frequency = models.CharField(_("更新频率"), max_length=20, choices=Frequency.choices)
    grade = models.CharField(_("分级"), max_length=20, choices=Grade.choices)
    harm_objects = models.JSONField(_("影响对象"), default=list, blank=True)
    tags = models.JSONField(_("标签"), default=list, blank=True)
    is_synthetic = models.BooleanField(_("合成数据"), default=False)
    # Declared by the bureau at the grading review: no field names a person or an entity (a
    # weather series, say), so the zone answers aggregates exactly instead of perturbing them.
    non_personal = models.BooleanField(_("非个人数据"), default=False)
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)
    grading_status = models.CharField(
        _("分级审定"), max_length=20, choices=GradingStatus.choices, default=GradingStatus.PENDING
    )
    grading_note = models.CharField(_("审定意见"), max_length=500, blank=True)
    grading_reviewed_at = models.DateTimeField(_("审定时间"), null=True, blank=True)
    grading_reviewed_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    grading_review_due = models.DateField(_("下次复审日期"), null=True, blank=True)

    objects = ResourceQuerySet.as_manager()

    class Meta:
        verbose_name = _("数据资源")
        verbose_name_plural = _("数据资源")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def is_authorizable(self) -> bool:
        """Core data never is; anything else only once the bureau approved its grade."""
        return self.grading_status == GradingStatus.APPROVED and self.grade != Grade.CORE

    @property
    def active_version(self):
        return self.versions.filter(status=VersionStatus.ACTIVE).first()


class Field(models.Model):
    """字段 — one column of a resource, with its rules and sensitivity tags."""

    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="fields")
    position = models.PositiveIntegerField(_("顺序"))
    name = models.CharField(_("字段名"), max_length=64)
    label = models.CharField(_("中文名称"), max_length=100, blank=True)
    type = models.CharField(_("类型"), max_length=20, choices=FieldType.choices)
    unit = models.CharField(_("单位"), max_length=20, blank=True)
    description = models.CharField(_("说明"), max_length=300, blank=True)
    required = models.BooleanField(_("必填"), default=False)
    choices = models.JSONField(_("枚举值"), default=list, blank=True)
    pattern = models.CharField(_("格式（正则）"), max_length=200, blank=True)
    sensitivity = models.CharField(
        _("敏感级别"), max_length=20, choices=Sensitivity.choices, default=Sensitivity.INTERNAL
    )
    pi_kind = models.CharField(
        _("个人信息类型"),
        max_length=20,
        choices=PIKind.choices,
        blank=True,
        help_text=_("空表示尚未标注"),
    )
    is_privacy_unit = models.BooleanField(_("隐私主体键"), default=False)
    is_quasi_identifier = models.BooleanField(_("准标识符"), default=False)
    # Declared value range (not measured: bounds read from the data would leak its extremes);
    # differential privacy clamps to it.
    bound_low = models.FloatField(_("取值下限"), null=True, blank=True)
    bound_high = models.FloatField(_("取值上限"), null=True, blank=True)

    class Meta:
        verbose_name = _("字段")
        verbose_name_plural = _("字段")
        ordering = ["resource", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["resource", "name"], name="%(app_label)s_%(class)s_name"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class DeclaredJoin(models.Model):
    """声明的关联 — a join the bureau allows in the zone: a fact table's column to a dimension
    table's key (社保缴纳记录.单位信用代码 → 企业登记信息.统一社会信用代码). The zone joins
    tables on nothing else, and counts the privacy units of both sides."""

    left_resource = models.ForeignKey(
        Resource, on_delete=models.CASCADE, related_name="+", verbose_name=_("主表")
    )
    left_column = models.CharField(_("主表关联列"), max_length=64)
    right_resource = models.ForeignKey(
        Resource, on_delete=models.CASCADE, related_name="+", verbose_name=_("关联表")
    )
    right_column = models.CharField(_("关联表键"), max_length=64)
    note = models.CharField(_("说明"), max_length=300, blank=True)
    active = models.BooleanField(_("有效"), default=True)
    declared_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    declared_at = models.DateTimeField(_("声明时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("声明的关联")
        verbose_name_plural = _("声明的关联")
        ordering = ["left_resource", "right_resource"]
        constraints = [
            models.UniqueConstraint(
                fields=["left_resource", "left_column", "right_resource", "right_column"],
                name="%(app_label)s_%(class)s_unique",
            ),
            models.CheckConstraint(
                condition=~models.Q(left_resource=models.F("right_resource")),
                name="%(app_label)s_%(class)s_not_self",
            ),
        ]

    def __str__(self) -> str:
        left, right = self.left_resource.name, self.right_resource.name
        return f"{left}.{self.left_column} → {right}.{self.right_column}"


class Version(models.Model):
    """数据版本 — one immutable ingested copy of a resource (Parquet, SHA-256, on the ledger)."""

    resource = models.ForeignKey(Resource, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField(_("版本号"))
    mode = models.CharField(_("更新方式"), max_length=20, choices=UpdateMode.choices)
    status = models.CharField(_("状态"), max_length=20, choices=VersionStatus.choices)
    path = models.CharField(_("存储路径"), max_length=300)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    rows = models.BigIntegerField(_("行数"))
    bytes = models.BigIntegerField(_("大小"))
    source_format = models.CharField(_("来源格式"), max_length=10)
    encoding = models.CharField(_("编码"), max_length=20)
    pi_findings = models.JSONField(_("个人信息扫描结果"), default=list)
    created_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("归集时间"), auto_now_add=True)
    activated_at = models.DateTimeField(_("启用时间"), null=True, blank=True)
    quality_score = models.FloatField(_("质量得分"), null=True, blank=True)
    quality_report = models.JSONField(_("质量报告"), default=list, blank=True)

    class Meta:
        verbose_name = _("数据版本")
        verbose_name_plural = _("数据版本")
        ordering = ["resource", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["resource", "number"], name="%(app_label)s_%(class)s_number"
            ),
            models.UniqueConstraint(
                fields=["resource"],
                condition=Q(status="active"),
                name="%(app_label)s_%(class)s_one_active",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.resource.code} v{self.number}"


class QualityRule(models.Model):
    """质量规则 — a check every new version of a resource must pass (see catalogue.quality)."""

    class Kind(models.TextChoices):
        COMPLETENESS = "completeness", _("完整性")
        UNIQUENESS = "uniqueness", _("唯一性")
        VALIDITY = "validity", _("有效性")
        RANGE = "range", _("值域")
        REFERENTIAL = "referential", _("参照一致性")

    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="quality_rules")
    kind = models.CharField(_("规则类型"), max_length=20, choices=Kind.choices)
    columns = models.JSONField(_("字段"))
    threshold = models.FloatField(_("合格阈值"), default=1.0)
    params = models.JSONField(_("参数"), default=dict, blank=True)
    name = models.CharField(_("规则名称"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("质量规则")
        verbose_name_plural = _("质量规则")
        ordering = ["resource", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(threshold__gte=0) & Q(threshold__lte=1),
                name="%(app_label)s_%(class)s_threshold_share",
            )
        ]

    def __str__(self) -> str:
        return self.name or f"{self.kind}({', '.join(self.columns)})"


class Registration(models.Model):
    """登记 — a national registration record of a resource (公共数据资源登记管理暂行办法, 2025).

    submitted by the provider with a signed commitment → public notice (公示) for a number of
    working days, in which anyone may object → confirmed by the bureau with a registration
    code (登记查询码) once every objection is answered and none upheld, or rejected.
    """

    class Kind(models.TextChoices):
        INITIAL = "initial", _("首次登记")
        CHANGE = "change", _("变更登记")
        CORRECTION = "correction", _("更正登记")
        CANCELLATION = "cancellation", _("注销登记")

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("已提交")
        NOTICE = "notice", _("公示中")
        CONFIRMED = "confirmed", _("已确认")
        REJECTED = "rejected", _("未通过")

    resource = models.ForeignKey(Resource, on_delete=models.PROTECT, related_name="registrations")
    kind = models.CharField(_("登记类型"), max_length=20, choices=Kind.choices)
    status = models.CharField(_("状态"), max_length=20, choices=Status.choices)
    snapshot = models.JSONField(_("登记内容"))
    commitment_signed_by = models.CharField(_("承诺书签署人"), max_length=50)
    commitment_signed_at = models.DateTimeField(_("承诺书签署时间"))
    submitted_by = models.ForeignKey(
        "accounts.User", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    submitted_at = models.DateTimeField(_("提交时间"), auto_now_add=True)
    notice_start = models.DateField(_("公示开始"), null=True, blank=True)
    notice_end = models.DateField(_("公示截止"), null=True, blank=True)
    code = models.CharField(_("登记查询码"), max_length=40, unique=True, null=True, blank=True)
    decided_at = models.DateTimeField(_("决定时间"), null=True, blank=True)
    decided_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decision_note = models.CharField(_("决定说明"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("登记")
        verbose_name_plural = _("登记")
        ordering = ["-submitted_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="confirmed", code__isnull=False)
                | (~Q(status="confirmed") & Q(code__isnull=True)),
                name="%(app_label)s_%(class)s_code_iff_confirmed",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.resource.code}"


class Objection(PublicObjection):
    """异议 — raised by anyone during a registration's public notice, answered by the bureau."""

    registration = models.ForeignKey(
        Registration, on_delete=models.CASCADE, related_name="objections"
    )

    class Meta(PublicObjection.Meta):
        verbose_name = _("异议")
        verbose_name_plural = _("异议")

    def __str__(self) -> str:
        return f"{self.registration} · {self.raised_by_name}"


class Demand(models.Model):
    """数据需求 — a wish for data, posted by an operator or anyone from the public."""

    class Status(models.TextChoices):
        OPEN = "open", _("待处理")
        SCHEDULED = "scheduled", _("已调度")
        MET = "met", _("已满足")
        CLOSED = "closed", _("已关闭")

    title = models.CharField(_("需求名称"), max_length=200)
    description = models.TextField(_("需求说明"), max_length=4000)
    domain = models.CharField(_("领域"), max_length=20, choices=Domain.choices, blank=True)
    raised_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    raised_by_name = models.CharField(_("提出人"), max_length=100)
    contact = models.CharField(_("联系方式"), max_length=100)
    status = models.CharField(_("状态"), max_length=20, choices=Status.choices, default=Status.OPEN)
    met_by = models.ForeignKey(
        Resource, null=True, blank=True, on_delete=models.SET_NULL, related_name="demands_met"
    )
    created_at = models.DateTimeField(_("提出时间"), auto_now_add=True)

    tracking_no = models.CharField(_("受理编号"), max_length=20, unique=True, null=True, blank=True)
    fingerprint = models.CharField(max_length=64, blank=True, db_index=True)  # repeats

    class Meta:
        verbose_name = _("数据需求")
        verbose_name_plural = _("数据需求")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.title


class SchedulingTask(models.Model):
    """调度任务 — the bureau's order to a provider to supply data for a demand, by a deadline."""

    demand = models.ForeignKey(Demand, on_delete=models.CASCADE, related_name="tasks")
    provider = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="scheduling_tasks"
    )
    instructions = models.TextField(_("调度要求"), max_length=2000)
    deadline = models.DateField(_("完成时限"))
    created_by = models.ForeignKey(
        "accounts.User", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("下达时间"), auto_now_add=True)
    completed_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    resource = models.ForeignKey(
        Resource, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    completion_note = models.CharField(_("完成说明"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("调度任务")
        verbose_name_plural = _("调度任务")
        ordering = ["deadline"]

    def __str__(self) -> str:
        return f"{self.demand} → {self.provider}"

    @property
    def is_overdue(self) -> bool:
        from django.utils import timezone

        return self.completed_at is None and self.deadline < timezone.localdate()


class IngestJob(models.Model):
    """归集任务 — an uploaded file waiting for, or being turned into, a version by the task
    worker, with its progress for the page. The staged file lives under PDAO_DATA_DIR/incoming;
    it is deleted when the job succeeds or the file is refused, and kept for a retry when the
    job was interrupted (its worker died: no heartbeat) or failed inside the platform — until
    it is retried or INGEST_KEEP_FAILED_DAYS pass."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("排队中")
        RUNNING = "running", _("处理中")
        SUCCEEDED = "succeeded", _("已完成")
        FAILED = "failed", _("未通过")
        INTERRUPTED = "interrupted", _("已中断")

    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="ingest_jobs")
    requested_by = models.ForeignKey(
        "accounts.User", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    mode = models.CharField(_("更新方式"), max_length=20, choices=UpdateMode.choices)
    declared_format = models.CharField(_("文件类型"), max_length=10)
    filename = models.CharField(_("文件名"), max_length=255)
    staged = models.CharField(max_length=100)
    bytes = models.BigIntegerField(_("大小"))
    status = models.CharField(
        _("状态"), max_length=20, choices=Status.choices, default=Status.QUEUED
    )
    stage = models.CharField(_("阶段"), max_length=40, blank=True)
    percent = models.FloatField(_("进度"), default=0)
    problems = models.JSONField(_("问题"), default=list, blank=True)
    version = models.ForeignKey(
        Version, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("提交时间"), auto_now_add=True)
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    heartbeat_at = models.DateTimeField(_("最近心跳"), null=True, blank=True)
    retryable = models.BooleanField(_("可重试"), default=False)
    retry_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    peak_memory = models.BigIntegerField(_("峰值内存"), null=True, blank=True)
    cpu_seconds = models.FloatField(_("CPU 时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("归集任务")
        verbose_name_plural = _("归集任务")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.resource.code} ← {self.filename}"

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.SUCCEEDED, self.Status.FAILED, self.Status.INTERRUPTED)
