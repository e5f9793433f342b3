"""示范与评估: the scenario registry (every authorization's one scenario, with its case write-up
and the use the delivery records measure), the departments' domains, the published scoring
criteria, and the nominations of typical scenarios with their expert scores."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from pdao.catalogue.choices import Domain
from pdao.core.permissions import Perm
from pdao.showcase.choices import (
    DisclosureStatus,
    EvaluationStatus,
    NominationStatus,
    Period,
    RectificationStatus,
    ReportStatus,
    Result,
)


class ScenarioQuerySet(models.QuerySet):
    def visible_to(self, user) -> "ScenarioQuerySet":
        """Those who see the registry see every scenario; an expert the ones nominated; an
        operator its own; anyone a confirmed typical one."""
        typical = Q(nominations__status=NominationStatus.CONFIRMED)
        if not user.is_authenticated:
            return self.filter(typical).distinct()
        if user.has_perm(Perm.SHOWCASE_VIEW):
            return self
        seen = typical
        if user.has_perm(Perm.SHOWCASE_SCORE):
            seen |= Q(nominations__status=NominationStatus.NOMINATED)
        if user.has_perm(Perm.AUTHZ_APPLY):
            seen |= Q(authorization__operator_id=user.organisation_id)
        return self.filter(seen).distinct()


class Scenario(models.Model):
    """应用场景 — the one scenario an authorization is bound to (一场景一授权), made a record of
    its own: the operator writes the case; its use is measured from the delivery records."""

    code = models.CharField(_("场景编号"), max_length=30, unique=True)
    authorization = models.OneToOneField(
        "authorization.Authorization", on_delete=models.PROTECT, related_name="scenario_record"
    )
    users = models.CharField(_("服务对象"), max_length=300, blank=True)
    background = models.TextField(_("建设背景"), max_length=4000, blank=True)
    approach = models.TextField(_("数据应用方式"), max_length=4000, blank=True)
    outcomes = models.TextField(_("应用成效"), max_length=4000, blank=True)
    updated_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(_("更新时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    objects = ScenarioQuerySet.as_manager()

    class Meta:
        verbose_name = _("应用场景")
        verbose_name_plural = _("应用场景")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def name(self) -> str:
        return self.authorization.application.scenario

    @property
    def domain(self) -> str:
        return self.authorization.application.domain

    @property
    def domain_label(self) -> str:
        return str(Domain(self.domain).label)

    @property
    def operator(self):
        return self.authorization.operator

    @property
    def has_case(self) -> bool:
        return bool(self.background and self.approach and self.outcomes)


class ScenarioImage(models.Model):
    """案例图片 — an image of the case, re-encoded as PNG without its metadata and kept by hash."""

    scenario = models.ForeignKey(Scenario, on_delete=models.CASCADE, related_name="images")
    caption = models.CharField(_("图片说明"), max_length=100)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    width = models.PositiveIntegerField(_("宽度"))
    height = models.PositiveIntegerField(_("高度"))
    bytes = models.PositiveIntegerField(_("大小"))
    uploaded_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("案例图片")
        verbose_name_plural = _("案例图片")
        ordering = ["uploaded_at", "pk"]

    def __str__(self) -> str:
        return self.caption


class Steward(models.Model):
    """行业主管部门的领域 — which department leads typical scenarios of which domain (set by the
    taskforce); a department nominates only in its domains."""

    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.CASCADE, related_name="stewarded_domains"
    )
    domain = models.CharField(_("领域"), max_length=20, choices=Domain.choices)
    set_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    set_at = models.DateTimeField(_("设定时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("行业主管领域")
        verbose_name_plural = _("行业主管领域")
        ordering = ["domain", "organisation__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "domain"], name="%(app_label)s_%(class)s_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.organisation} · {self.get_domain_display()}"


class Criteria(models.Model):
    """典型场景评选标准 — the five criteria's weights (whole percentages adding up to 100), as the
    taskforce published them; a nomination is scored on the edition in force when it was made."""

    weights = models.JSONField(_("权重"))
    note = models.CharField(_("依据"), max_length=200)
    published_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    published_at = models.DateTimeField(_("发布时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("典型场景评选标准")
        verbose_name_plural = _("典型场景评选标准")
        ordering = ["-published_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.published_at:%Y-%m-%d} {self.note}"


class Nomination(models.Model):
    """典型场景推荐 — an industry department's nomination of one scenario, scored by experts
    and confirmed (or not) by the taskforce; a confirmed one may be packaged for the national
    数据要素× call."""

    code = models.CharField(_("推荐编号"), max_length=30, unique=True)
    scenario = models.ForeignKey(Scenario, on_delete=models.PROTECT, related_name="nominations")
    criteria = models.ForeignKey(Criteria, on_delete=models.PROTECT, related_name="nominations")
    department = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    reason = models.TextField(_("推荐理由"), max_length=2000)
    status = models.CharField(
        _("状态"),
        max_length=20,
        choices=NominationStatus.choices,
        default=NominationStatus.NOMINATED,
    )
    nominated_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    nominated_at = models.DateTimeField(_("推荐时间"), auto_now_add=True)
    mean_score = models.DecimalField(
        _("专家平均分"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    decision_note = models.TextField(_("认定意见"), max_length=2000, blank=True)
    decided_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(_("认定时间"), null=True, blank=True)
    package_sha256 = models.CharField(_("申报材料 SHA-256"), max_length=64, blank=True)
    package_pdf_sha256 = models.CharField(max_length=64, blank=True)
    packaged_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    packaged_at = models.DateTimeField(_("申报材料生成时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("典型场景推荐")
        verbose_name_plural = _("典型场景推荐")
        ordering = ["-nominated_at", "-pk"]
        constraints = [
            # One nomination under way or confirmed per scenario at a time.
            models.UniqueConstraint(
                fields=["scenario"],
                condition=Q(status__in=["nominated", "confirmed"]),
                name="%(app_label)s_%(class)s_one_live",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["nominated", "withdrawn"], decided_at__isnull=True)
                | Q(status__in=["confirmed", "declined"], decided_at__isnull=False),
                name="%(app_label)s_%(class)s_decided",
            ),
            models.CheckConstraint(
                condition=Q(packaged_at__isnull=True) | Q(status="confirmed"),
                name="%(app_label)s_%(class)s_packaged_confirmed",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.scenario.name}"

    @property
    def counted_scores(self):
        return [s for s in self.scores.all() if not s.recused]


class NominationScore(models.Model):
    """专家评分 — one expert's scores on the five criteria after declaring no conflict of
    interest, or a recusal."""

    nomination = models.ForeignKey(Nomination, on_delete=models.CASCADE, related_name="scores")
    reviewer = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    criteria = models.JSONField(_("分项得分"), default=dict)
    total = models.DecimalField(_("加权总分"), max_digits=5, decimal_places=2, default=0)
    comment = models.TextField(_("评审意见"), max_length=2000, blank=True)
    no_conflict_declared = models.BooleanField(_("已声明无利益冲突"), default=False)
    recused = models.BooleanField(_("回避"), default=False)
    recusal_reason = models.CharField(_("回避理由"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("评分时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("典型场景专家评分")
        verbose_name_plural = _("典型场景专家评分")
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["nomination", "reviewer"], name="%(app_label)s_%(class)s_once"
            ),
            models.CheckConstraint(
                condition=Q(recused=True) | Q(no_conflict_declared=True),
                name="%(app_label)s_%(class)s_declared",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.nomination.code} · {self.reviewer}"


class KpiValue(models.Model):
    """One month's value of one figure (pdao.showcase.kpis), as last computed."""

    month = models.CharField(_("月份"), max_length=7)  # YYYY-MM, Asia/Shanghai
    key = models.CharField(_("指标"), max_length=30)
    value = models.DecimalField(_("数值"), max_digits=20, decimal_places=2, null=True)
    computed_at = models.DateTimeField(_("计算时间"))

    class Meta:
        verbose_name = _("绩效指标值")
        verbose_name_plural = _("绩效指标值")
        constraints = [
            models.UniqueConstraint(fields=["month", "key"], name="%(app_label)s_%(class)s_once")
        ]

    def __str__(self) -> str:
        return f"{self.month} {self.key} {self.value}"


class Disclosure(models.Model):
    """年度信息披露 — one party's disclosure of a year: the bureau's (实施机构: authorizations
    granted with scope and term, fee caps) or an operator's (resources authorized, products and
    services with registration numbers, scenarios, actual prices). Drafted from the records,
    the party's own text edited, then published: fixed, hashed and anchored."""

    year = models.PositiveSmallIntegerField(_("披露年度"))
    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="disclosures"
    )
    status = models.CharField(
        _("状态"), max_length=20, choices=DisclosureStatus.choices, default=DisclosureStatus.DRAFT
    )
    content = models.JSONField(_("披露内容"))
    contact = models.CharField(_("联系方式"), max_length=200, blank=True)
    statement = models.TextField(_("情况说明"), max_length=4000, blank=True)
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)
    drafted_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    drafted_at = models.DateTimeField(_("起草时间"))
    published_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    published_at = models.DateTimeField(_("公开时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("年度信息披露")
        verbose_name_plural = _("年度信息披露")
        ordering = ["-year", "organisation__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["year", "organisation"], name="%(app_label)s_%(class)s_once"
            ),
            models.CheckConstraint(
                condition=Q(status="draft", published_at__isnull=True)
                | Q(status="published", published_at__isnull=False) & ~Q(sha256=""),
                name="%(app_label)s_%(class)s_published",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.year} {self.organisation}"


class Consequence(models.Model):
    """绩效评估结果的运用 — what each result means, as the taskforce configured it."""

    result = models.CharField(_("评估结果"), max_length=20, choices=Result.choices, unique=True)
    allow_renewal = models.BooleanField(_("可申请续期"), default=True)
    rectification_days = models.PositiveSmallIntegerField(
        _("整改期限（天，0 为无需整改）"), default=0
    )
    note = models.CharField(_("说明"), max_length=300, blank=True)
    set_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    set_at = models.DateTimeField(_("设定时间"), auto_now=True)

    class Meta:
        verbose_name = _("评估结果运用")
        verbose_name_plural = _("评估结果运用")

    def __str__(self) -> str:
        return self.get_result_display()


class Evaluation(models.Model):
    """绩效评估 — one authorization's yearly evaluation (or before its renewal): the scorecard
    computed from the operator's records, the experts' qualitative scores, and the result."""

    code = models.CharField(_("评估编号"), max_length=30, unique=True)
    authorization = models.ForeignKey(
        "authorization.Authorization", on_delete=models.PROTECT, related_name="evaluations"
    )
    year = models.PositiveSmallIntegerField(_("评估年度"))
    status = models.CharField(
        _("状态"),
        max_length=20,
        choices=EvaluationStatus.choices,
        default=EvaluationStatus.SCORING,
    )
    scorecard = models.JSONField(_("量化指标"))  # key → {"value", "points", "max"}
    quantitative = models.DecimalField(_("量化得分"), max_digits=5, decimal_places=2)
    qualitative = models.DecimalField(
        _("专家评分"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    total = models.DecimalField(_("总分"), max_digits=5, decimal_places=2, null=True, blank=True)
    result = models.CharField(_("评估结果"), max_length=20, choices=Result.choices, blank=True)
    note = models.TextField(_("评估意见"), max_length=2000, blank=True)
    started_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    started_at = models.DateTimeField(_("发起时间"), auto_now_add=True)
    concluded_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    concluded_at = models.DateTimeField(_("结论时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("绩效评估")
        verbose_name_plural = _("绩效评估")
        ordering = ["-year", "-started_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["authorization", "year"], name="%(app_label)s_%(class)s_once"
            ),
            models.CheckConstraint(
                condition=Q(status="scoring", result="", concluded_at__isnull=True)
                | Q(status="concluded", concluded_at__isnull=False) & ~Q(result=""),
                name="%(app_label)s_%(class)s_concluded",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.authorization.code}"


class EvaluationScore(models.Model):
    evaluation = models.ForeignKey(Evaluation, on_delete=models.CASCADE, related_name="scores")
    reviewer = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    criteria = models.JSONField(_("分项得分"))
    total = models.DecimalField(_("平均分"), max_digits=5, decimal_places=2)
    comment = models.TextField(_("评审意见"), max_length=2000)
    created_at = models.DateTimeField(_("评分时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("绩效评估专家评分")
        verbose_name_plural = _("绩效评估专家评分")
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["evaluation", "reviewer"], name="%(app_label)s_%(class)s_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.evaluation.code} · {self.reviewer}"


class Rectification(models.Model):
    """整改任务 — set by an evaluation's result: the operator reports, the taskforce accepts."""

    evaluation = models.OneToOneField(
        Evaluation, on_delete=models.PROTECT, related_name="rectification"
    )
    due_on = models.DateField(_("整改期限"))
    status = models.CharField(
        _("状态"),
        max_length=20,
        choices=RectificationStatus.choices,
        default=RectificationStatus.OPEN,
    )
    report = models.TextField(_("整改情况"), max_length=4000, blank=True)
    reported_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reported_at = models.DateTimeField(_("报送时间"), null=True, blank=True)
    accepted_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    accepted_at = models.DateTimeField(_("验收时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("整改任务")
        verbose_name_plural = _("整改任务")

    def __str__(self) -> str:
        return f"{self.evaluation.code} {self.get_status_display()}"


class WorkReport(models.Model):
    """工作报告 — the taskforce's monthly or quarterly report, generated with its charts as Word
    and PDF (kept by hash), reviewed and filed."""

    period = models.CharField(_("周期"), max_length=10, choices=Period.choices)
    label = models.CharField(_("报告期"), max_length=10)  # 2026-10 or 2026-Q3
    status = models.CharField(
        _("状态"), max_length=10, choices=ReportStatus.choices, default=ReportStatus.DRAFT
    )
    docx_sha256 = models.CharField(max_length=64)
    pdf_sha256 = models.CharField(max_length=64)
    generated_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    generated_at = models.DateTimeField(_("生成时间"))
    filed_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    filed_at = models.DateTimeField(_("归档时间"), null=True, blank=True)
    review_note = models.TextField(_("审核意见"), max_length=2000, blank=True)

    class Meta:
        verbose_name = _("工作报告")
        verbose_name_plural = _("工作报告")
        ordering = ["-label", "-generated_at"]
        constraints = [
            models.UniqueConstraint(fields=["period", "label"], name="%(app_label)s_%(class)s_once")
        ]

    def __str__(self) -> str:
        return f"{self.get_period_display()} {self.label}"
