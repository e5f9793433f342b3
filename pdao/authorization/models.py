"""数据授权: operators' qualifications, applications for one scenario each, their review,
agreements signed by both parties, and the authorizations that are the root of all access."""

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from pdao.authorization.choices import (
    ApplicationStatus,
    AuthorizationStatus,
    CapScope,
    DocumentKind,
    ExitCause,
    ExitStatus,
    OutputForm,
    Purpose,
    QualificationStatus,
    Verdict,
)
from pdao.catalogue.choices import Domain, Grade
from pdao.core.messages import render
from pdao.core.models import PartySignature
from pdao.core.permissions import Perm


class Qualification(models.Model):
    """资质档案 — what an operator holds; verified by the bureau, with expiry dates."""

    organisation = models.OneToOneField(
        "accounts.Organisation", on_delete=models.CASCADE, related_name="qualification"
    )
    dengbao_level = models.PositiveSmallIntegerField(_("等保级别"), default=0)
    dengbao_expires = models.DateField(_("等保测评有效期至"), null=True, blank=True)
    dcmm_level = models.PositiveSmallIntegerField(_("DCMM 等级"), default=0)
    dsmm_level = models.PositiveSmallIntegerField(_("DSMM 等级"), default=0)
    iso27001 = models.BooleanField(_("ISO/IEC 27001 认证"), default=False)
    iso27001_expires = models.DateField(_("ISO 27001 有效期至"), null=True, blank=True)
    no_dishonesty = models.BooleanField(_("近三年无失信记录"), default=False)
    status = models.CharField(
        _("状态"),
        max_length=20,
        choices=QualificationStatus.choices,
        default=QualificationStatus.DRAFT,
    )
    note = models.CharField(_("核验意见"), max_length=500, blank=True)
    verified_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    verified_at = models.DateTimeField(_("核验时间"), null=True, blank=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("资质档案")
        verbose_name_plural = _("资质档案")
        constraints = [
            # A verifier is named only with the time of the verification (the user may later
            # be deleted: the time stays).
            models.CheckConstraint(
                condition=Q(verified_by__isnull=True) | Q(verified_at__isnull=False),
                name="%(app_label)s_%(class)s_verified_by_at",
            ),
            # Verified or rejected exactly when a verification happened.
            models.CheckConstraint(
                condition=Q(
                    status__in=(QualificationStatus.VERIFIED, QualificationStatus.REJECTED),
                    verified_at__isnull=False,
                )
                | (
                    ~Q(status__in=(QualificationStatus.VERIFIED, QualificationStatus.REJECTED))
                    & Q(verified_at__isnull=True)
                ),
                name="%(app_label)s_%(class)s_verified_status",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organisation} 资质"

    @property
    def valid_until(self):
        """The earliest expiry among the certificates that have one."""
        dates = [d for d in (self.dengbao_expires, self.iso27001_expires) if d]
        return min(dates) if dates else None

    def problems(self, on=None) -> list[str]:
        """Why the profile cannot back an application on `on` (today): empty when it can."""
        return [render(code) for code in self.problem_codes(on)]

    def problem_codes(self, on=None) -> list[str]:
        """`problems` as message codes (pdao.core.messages), for records that store them."""
        on = on or timezone.localdate()
        found = []
        if self.status != QualificationStatus.VERIFIED:
            found.append("qualification.unverified")
        if not self.no_dishonesty:
            found.append("qualification.dishonesty")
        if self.dengbao_level and (not self.dengbao_expires or self.dengbao_expires < on):
            found.append("qualification.dengbao_expired")
        if self.iso27001 and (not self.iso27001_expires or self.iso27001_expires < on):
            found.append("qualification.iso27001_expired")
        return found


class QualificationDocument(models.Model):
    """资质材料 — a PDF or image, stored by hash under PDAO_DATA_DIR/documents, never served
    from a static path; downloaded only through a permission-checked view."""

    qualification = models.ForeignKey(
        Qualification, on_delete=models.CASCADE, related_name="documents"
    )
    kind = models.CharField(_("材料类型"), max_length=20, choices=DocumentKind.choices)
    filename = models.CharField(_("文件名"), max_length=255)
    stored = models.CharField(max_length=100)
    content_type = models.CharField(max_length=50)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    bytes = models.PositiveIntegerField(_("大小"))
    uploaded_by = models.ForeignKey(
        "accounts.User", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("资质材料")
        verbose_name_plural = _("资质材料")
        ordering = ["kind", "-uploaded_at"]

    def __str__(self) -> str:
        return self.filename


class QualificationRule(models.Model):
    """资质要求 — the bureau's table: what an operator must hold to receive data of a grade."""

    grade = models.CharField(_("数据分级"), max_length=20, choices=Grade.choices, unique=True)
    min_dengbao = models.PositiveSmallIntegerField(_("最低等保级别"), default=0)
    min_dsmm = models.PositiveSmallIntegerField(_("最低 DSMM 等级"), default=0)
    min_dcmm = models.PositiveSmallIntegerField(_("最低 DCMM 等级"), default=0)
    needs_iso27001 = models.BooleanField(_("需 ISO 27001"), default=False)

    class Meta:
        verbose_name = _("资质要求")
        verbose_name_plural = _("资质要求")
        ordering = ["grade"]

    def __str__(self) -> str:
        return self.get_grade_display()


class Cap(models.Model):
    """总量控制 — at most `max_active` live authorizations for a resource or a domain."""

    scope = models.CharField(_("范围"), max_length=20, choices=CapScope.choices)
    resource = models.OneToOneField(
        "catalogue.Resource", null=True, blank=True, on_delete=models.CASCADE, related_name="cap"
    )
    domain = models.CharField(_("领域"), max_length=20, choices=Domain.choices, blank=True)
    max_active = models.PositiveIntegerField(_("授权上限"))

    class Meta:
        verbose_name = _("授权总量上限")
        verbose_name_plural = _("授权总量上限")
        constraints = [
            models.UniqueConstraint(
                fields=["domain"],
                condition=Q(scope="domain"),
                name="%(app_label)s_%(class)s_domain",
            ),
            models.CheckConstraint(
                condition=Q(scope="resource", resource__isnull=False, domain="")
                | Q(scope="domain", resource__isnull=True) & ~Q(domain=""),
                name="%(app_label)s_%(class)s_scope",
            ),
        ]

    def __str__(self) -> str:
        target = self.resource.name if self.resource_id else self.get_domain_display()
        return f"{target} ≤ {self.max_active}"


class ApplicationQuerySet(models.QuerySet):
    def visible_to(self, user) -> "ApplicationQuerySet":
        """The bureau and supervisors see all; an operator its own organisation's; a provider
        those that request its data once accepted; a reviewer those it may score or scored."""
        if not user.is_authenticated:
            return self.none()
        if user.has_perm(Perm.AUTHZ_VIEW_ALL):
            return self
        seen = Q(pk__in=[])
        if user.has_perm(Perm.AUTHZ_APPLY):
            seen |= Q(operator_id=user.organisation_id)
        if user.has_perm(Perm.AUTHZ_OPINE):
            seen |= Q(opinions__provider_id=user.organisation_id)
        if user.has_perm(Perm.AUTHZ_SCORE):
            seen |= Q(status=ApplicationStatus.SCORING) & ~Q(operator_id=user.organisation_id)
            seen |= Q(scores__reviewer=user)
        return self.filter(seen).distinct()


class Application(models.Model):
    """授权申请 — one scenario (一场景一授权), its data demand list and its review."""

    code = models.CharField(_("申请编号"), max_length=30, unique=True)
    operator = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="applications"
    )
    created_by = models.ForeignKey(
        "accounts.User", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    scenario = models.CharField(_("场景名称"), max_length=200)
    domain = models.CharField(_("领域"), max_length=20, choices=Domain.choices)
    description = models.TextField(_("场景描述"))
    beneficiaries = models.CharField(_("受益对象"), max_length=300)
    purpose = models.CharField(_("用途类别"), max_length=20, choices=Purpose.choices)
    outcomes = models.TextField(_("预期成效"))
    security_plan = models.TextField(_("安全保障方案"))
    term_months = models.PositiveSmallIntegerField(_("申请授权期限（月）"), default=12)
    status = models.CharField(
        _("状态"),
        max_length=20,
        choices=ApplicationStatus.choices,
        default=ApplicationStatus.DRAFT,
    )
    step_deadline = models.DateField(_("本环节办理时限"), null=True, blank=True)
    precheck = models.JSONField(_("合规预检结果"), default=list, blank=True)
    risk = models.JSONField(_("事前评估"), default=dict, blank=True)
    return_reason = models.TextField(_("退回理由"), blank=True)
    notice_starts = models.DateField(_("公示开始"), null=True, blank=True)
    notice_ends = models.DateField(_("公示截止"), null=True, blank=True)
    decision_reason = models.TextField(_("决定理由"), blank=True)
    passed_over_reason = models.TextField(_("未按排名决定的理由"), blank=True)
    renewal_of = models.ForeignKey(
        "Authorization", null=True, blank=True, on_delete=models.SET_NULL, related_name="renewals"
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    decided_at = models.DateTimeField(_("决定时间"), null=True, blank=True)

    objects = ApplicationQuerySet.as_manager()

    class Meta:
        verbose_name = _("授权申请")
        verbose_name_plural = _("授权申请")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.code} {self.scenario}"

    @property
    def is_editable(self) -> bool:
        return self.status in (ApplicationStatus.DRAFT, ApplicationStatus.RETURNED)

    @property
    def precheck_findings(self) -> list:
        """The stored pre-check findings (`precheck`, codes with parameters) as
        `precheck.Finding`s, whose message and basis read in the reader's language."""
        from pdao.authorization.precheck import Finding  # precheck imports these models

        return [Finding.stored(f) for f in self.precheck]

    @property
    def blocking_findings(self) -> list:
        return [f for f in self.precheck_findings if f.severity == "error"]

    @property
    def mean_score(self) -> float | None:
        totals = [s.total for s in self.scores.all() if not s.recused]
        return round(sum(totals) / len(totals), 2) if totals else None


class DemandItem(models.Model):
    """数据需求清单项 — one resource, the fields wanted from it, and how results may leave."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="items")
    resource = models.ForeignKey(
        "catalogue.Resource", on_delete=models.PROTECT, related_name="demand_items"
    )
    output_forms = models.JSONField(_("输出形式"), default=list)
    volume = models.PositiveBigIntegerField(_("预计月调用/处理量（行）"), default=0)
    frequency = models.CharField(_("使用频率"), max_length=100)

    class Meta:
        verbose_name = _("数据需求清单项")
        verbose_name_plural = _("数据需求清单项")
        constraints = [
            models.UniqueConstraint(
                fields=["application", "resource"], name="%(app_label)s_%(class)s_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.application.code} · {self.resource.name}"

    def output_form_labels(self) -> list[str]:
        return [str(OutputForm(f).label) for f in self.output_forms]


class DemandField(models.Model):
    """One field of a demand item, with why it is needed (and, for sensitive personal
    information, the justification the pre-check requires)."""

    item = models.ForeignKey(DemandItem, on_delete=models.CASCADE, related_name="fields")
    field = models.ForeignKey("catalogue.Field", on_delete=models.PROTECT, related_name="+")
    purpose = models.CharField(_("使用目的"), max_length=300)
    justification = models.CharField(_("敏感个人信息使用理由"), max_length=500, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["item", "field"], name="%(app_label)s_%(class)s_once")
        ]

    def __str__(self) -> str:
        return f"{self.item} · {self.field.name}"


class Opinion(models.Model):
    """提供单位意见 — each department whose data is requested gives one."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="opinions")
    provider = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    verdict = models.CharField(_("意见"), max_length=20, choices=Verdict.choices, blank=True)
    text = models.TextField(_("意见说明"), blank=True)
    given_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    given_at = models.DateTimeField(_("提出时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("提供单位意见")
        verbose_name_plural = _("提供单位意见")
        constraints = [
            models.UniqueConstraint(
                fields=["application", "provider"], name="%(app_label)s_%(class)s_once"
            ),
            models.CheckConstraint(
                condition=Q(given_by__isnull=True) | Q(given_at__isnull=False),
                name="%(app_label)s_%(class)s_given_by_at",
            ),
            # A verdict exactly when the opinion was given.
            models.CheckConstraint(
                condition=Q(verdict="", given_at__isnull=True)
                | (~Q(verdict="") & Q(given_at__isnull=False)),
                name="%(app_label)s_%(class)s_verdict_given",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.application.code} · {self.provider}"


class Score(models.Model):
    """专家评分 — weighted criteria, after declaring no conflict of interest; or a recusal."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="scores")
    reviewer = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    criteria = models.JSONField(_("分项得分"), default=dict)
    total = models.FloatField(_("加权总分"), default=0)
    comment = models.TextField(_("评审意见"), blank=True)
    no_conflict_declared = models.BooleanField(_("已声明无利益冲突"), default=False)
    recused = models.BooleanField(_("回避"), default=False)
    recusal_reason = models.CharField(_("回避理由"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("评分时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("专家评分")
        verbose_name_plural = _("专家评分")
        constraints = [
            models.UniqueConstraint(
                fields=["application", "reviewer"], name="%(app_label)s_%(class)s_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.application.code} · {self.reviewer}"


class NoticeObjection(models.Model):
    """公示异议 — raised by anyone during the notice period; answered by the bureau."""

    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="objections"
    )
    name = models.CharField(_("异议人"), max_length=100)
    contact = models.CharField(_("联系方式"), max_length=100)
    text = models.TextField(_("异议内容"), max_length=2000)
    created_at = models.DateTimeField(_("提出时间"), auto_now_add=True)
    response = models.TextField(_("答复"), blank=True)
    upheld = models.BooleanField(_("异议成立"), default=False)
    answered_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    answered_at = models.DateTimeField(_("答复时间"), null=True, blank=True)
    tracking_no = models.CharField(_("受理编号"), max_length=20, unique=True, null=True, blank=True)
    fingerprint = models.CharField(max_length=64, blank=True, db_index=True)  # repeats

    class Meta:
        verbose_name = _("公示异议")
        verbose_name_plural = _("公示异议")
        ordering = ["created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(answered_by__isnull=True) | Q(answered_at__isnull=False),
                name="%(app_label)s_%(class)s_answered_by_at",
            ),
            # Answered exactly when a response was written.
            models.CheckConstraint(
                condition=Q(response="", answered_at__isnull=True)
                | (~Q(response="") & Q(answered_at__isnull=False)),
                name="%(app_label)s_%(class)s_answered_response",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.application.code} · {self.name}"


class Agreement(models.Model):
    """授权运营协议 — the terms in canonical JSON; what both parties sign is its SHA-256."""

    application = models.OneToOneField(
        Application, on_delete=models.PROTECT, related_name="agreement"
    )
    terms = models.JSONField(_("协议条款"))
    sha256 = models.CharField(_("规范文本 SHA-256"), max_length=64)
    created_at = models.DateTimeField(_("生成时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("授权运营协议")
        verbose_name_plural = _("授权运营协议")

    def __str__(self) -> str:
        return self.terms.get("agreement_no", self.application.code)


class Signature(PartySignature):
    """One party's signature over the agreement's SHA-256."""

    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="signatures")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["agreement", "organisation"], name="%(app_label)s_sign_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.agreement} · {self.organisation}"


class AuthorizationQuerySet(models.QuerySet):
    def visible_to(self, user) -> "AuthorizationQuerySet":
        if not user.is_authenticated:
            return self.none()
        if user.has_perm(Perm.AUTHZ_VIEW_ALL):
            return self
        seen = Q(operator_id=user.organisation_id) if user.has_perm(Perm.AUTHZ_APPLY) else Q()
        if user.has_perm(Perm.AUTHZ_OPINE):
            seen |= Q(application__items__resource__provider_id=user.organisation_id)
        return self.filter(seen).distinct() if seen else self.none()


class Authorization(models.Model):
    """授权 — exactly one per scenario, bound to its signed agreement; the root of all access.
    `revision` changes with every state change, so cached access decisions go stale at once."""

    code = models.CharField(_("授权编号"), max_length=30, unique=True)
    application = models.OneToOneField(
        Application, on_delete=models.PROTECT, related_name="authorization"
    )
    agreement = models.OneToOneField(
        Agreement, on_delete=models.PROTECT, related_name="authorization"
    )
    operator = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="authorizations"
    )
    status = models.CharField(
        _("状态"),
        max_length=20,
        choices=AuthorizationStatus.choices,
        default=AuthorizationStatus.ACTIVE,
    )
    status_reason = models.TextField(_("状态说明"), blank=True)
    starts_on = models.DateField(_("生效日期"))
    ends_on = models.DateField(_("到期日期"))
    epsilon_total = models.FloatField(_("隐私预算 ε 总量"), default=0)
    epsilon_query_min = models.FloatField(_("单次查询 ε 下限"), default=0.01)
    epsilon_query_max = models.FloatField(_("单次查询 ε 上限"), default=1.0)
    daily_queries = models.PositiveIntegerField(_("每日查询上限"), default=0)
    monthly_calls = models.PositiveIntegerField(_("每月调用配额"), default=0)
    revision = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(_("生效时间"), auto_now_add=True)

    objects = AuthorizationQuerySet.as_manager()

    class Meta:
        verbose_name = _("授权")
        verbose_name_plural = _("授权")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.code} {self.application.scenario}"


class Exit(models.Model):
    """退出 — an ended authorization wound down: products delisted, subscriptions and open
    orders ended with notice to consumers, credentials that served only it revoked, its derived
    datasets destroyed (files deleted, hashes on the ledger, lineage kept); then the operator's
    confirmation and the bureau's sign-off, with the exit report kept by hash."""

    authorization = models.OneToOneField(
        Authorization, on_delete=models.PROTECT, related_name="exit"
    )
    cause = models.CharField(_("退出原因"), max_length=20, choices=ExitCause.choices)
    reason = models.TextField(_("说明"), max_length=2000)
    status = models.CharField(
        _("状态"), max_length=20, choices=ExitStatus.choices, default=ExitStatus.WOUND_DOWN
    )
    # What the wind-down did, by kind: codes, names and hashes (never data).
    steps = models.JSONField(_("清退记录"), default=dict)
    started_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )  # none: the scheduler, at the end of the term
    started_at = models.DateTimeField(_("启动时间"), auto_now_add=True)
    statement = models.TextField(_("运营单位确认"), max_length=2000, blank=True)
    confirmed_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    confirmed_at = models.DateTimeField(_("确认时间"), null=True, blank=True)
    sign_off_note = models.TextField(_("签认意见"), max_length=2000, blank=True)
    signed_off_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    signed_off_at = models.DateTimeField(_("签认时间"), null=True, blank=True)
    report_sha256 = models.CharField(_("退出报告 SHA-256"), max_length=64, blank=True)
    report_pdf_sha256 = models.CharField(max_length=64, blank=True)

    class Meta:
        verbose_name = _("授权退出")
        verbose_name_plural = _("授权退出")
        ordering = ["-started_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="wound_down", confirmed_at__isnull=True)
                | Q(status__in=["confirmed", "closed"], confirmed_at__isnull=False),
                name="%(app_label)s_%(class)s_confirmed",
            ),
            models.CheckConstraint(
                condition=Q(status="closed", signed_off_at__isnull=False)
                | (~Q(status="closed") & Q(signed_off_at__isnull=True)),
                name="%(app_label)s_%(class)s_signed_off",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.authorization.code} {self.get_cause_display()}"
