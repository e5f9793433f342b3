"""合规预检 — the automatic compliance pre-check run on submission (and again before a
decision). Each rule gives a finding with its severity and the rule behind it, so applicant
and reviewers read the same reasons. An error blocks submission; a warning is for the bureau.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy

from pdao.authorization.choices import AGGREGATE_FORMS, AuthorizationStatus, CapScope, OutputForm
from pdao.authorization.models import (
    Application,
    Authorization,
    Cap,
    Qualification,
    QualificationRule,
)
from pdao.catalogue.choices import Grade, GradingStatus, Opening, Sensitivity, Sharing
from pdao.core.messages import Message, choice, render_stored

# From least to most demanding; core data is never authorizable at all.
GRADE_ORDER = [Grade.GENERAL_1, Grade.GENERAL_2, Grade.GENERAL_3, Grade.GENERAL_4, Grade.IMPORTANT]
LIVE = (AuthorizationStatus.ACTIVE, AuthorizationStatus.SUSPENDED)


@dataclass(frozen=True)
class Finding:
    """Stored on the application as `as_dict()`: the message as a code with parameters
    (pdao.core.messages), so it reads in the language of whoever opens the page."""

    rule: str  # stable code, e.g. "grade.no_core"
    severity: str  # "error" | "warning" | "pass"
    code: str  # a message code of pdao.core.messages
    params: dict = field(default_factory=dict)
    fallback: str = ""  # the text of a finding stored before messages had codes

    @property
    def message(self) -> str:
        return render_stored({"code": self.code, "params": self.params, "message": self.fallback})

    @property
    def basis(self) -> str:
        """The rule behind it, shown beside the finding."""
        return str(BASIS[self.rule]) if self.rule in BASIS else ""

    def as_dict(self) -> dict:
        return {"rule": self.rule, "severity": self.severity, "code": self.code,
                "params": self.params}  # fmt: skip

    @classmethod
    def stored(cls, data: dict) -> Finding:
        """A finding as `Application.precheck` holds it (older rows: text, no code)."""
        return cls(
            data.get("rule", ""),
            data.get("severity", ""),
            data.get("code", ""),
            data.get("params") or {},
            data.get("message", ""),
        )


BASIS = {
    "scope.nonempty": gettext_lazy(
        "“一场景一授权，无场景不授权”：申请须列明数据需求清单（资源、字段、用途）"
    ),
    "grade.reviewed": gettext_lazy(
        "《实施方案》合规审查：数据分类分级须经市数据局审定（就高从严）"
    ),
    "grade.no_core": gettext_lazy(
        "GB/T 43697-2024《数据安全技术 数据分类分级规则》：核心数据不予授权运营"
    ),
    "grade.important_outputs": gettext_lazy(
        "重要数据仅可以聚合统计或差分隐私形式输出，不得输出记录级数据或模型"
    ),
    "pi.sensitive": gettext_lazy(
        "《个人信息保护法》第二十八、二十九条：敏感个人信息须说明充分必要性并去标识化处理"
    ),
    "qualification.valid": gettext_lazy(
        "《实施方案》：对数据运营单位资质进行合规性审查；近三年无失信记录"
    ),
    "qualification.sufficient": gettext_lazy(
        "资质要求表（市数据局配置）：按申请数据的最高分级确定等保、DSMM 等要求"
    ),
    "attributes.sharing": gettext_lazy("数据资源目录共享、开放属性：不予共享的数据不纳入授权运营"),
    "cap.quota": gettext_lazy("“总量控制、公平竞争”：每个数据资源、每个领域的有效授权数量设有上限"),
    "version.active": gettext_lazy("授权范围内的资源须有已启用的数据版本，专区才能提供使用"),
}


def _finding(rule: str, severity: str, message: Message) -> Finding:
    return Finding(rule, severity, message.code, message.params)


def highest_grade(grades) -> str | None:
    ranked = [g for g in GRADE_ORDER if g in set(grades)]
    return ranked[-1] if ranked else None


def live_count(*, resource=None, domain: str | None = None, excluding=None) -> int:
    """Live (active or suspended) authorizations on a resource or in a domain."""
    live = Authorization.objects.filter(status__in=LIVE)
    if resource is not None:
        live = live.filter(application__items__resource=resource)
    if domain is not None:
        live = live.filter(application__domain=domain)
    if excluding is not None:
        live = live.exclude(application=excluding)
    return live.distinct().count()


def run(application: Application) -> list[Finding]:
    items = list(
        application.items.select_related("resource").prefetch_related("fields__field").all()
    )
    findings: list[Finding] = []
    if not items or any(not item.fields.all() for item in items):
        findings.append(_finding("scope.nonempty", "error", Message("precheck.scope_empty")))
    for item in items:
        r = item.resource
        if r.grade == Grade.CORE:
            findings.append(_finding("grade.no_core", "error", Message("precheck.core", r=r.name)))
        elif r.grading_status != GradingStatus.APPROVED:
            findings.append(
                _finding("grade.reviewed", "error", Message("precheck.not_reviewed", r=r.name))
            )
        if r.grade == Grade.IMPORTANT and not set(item.output_forms) <= AGGREGATE_FORMS:
            findings.append(
                _finding(
                    "grade.important_outputs",
                    "error",
                    Message("precheck.important_outputs", r=r.name),
                )
            )
        for demand in item.fields.all():
            f = demand.field
            if f.sensitivity != Sensitivity.SENSITIVE_PI:
                continue
            names = {"r": r.name, "f": f.label or f.name}
            if not demand.justification.strip():
                findings.append(
                    _finding("pi.sensitive", "error", Message("precheck.pi_no_reason", names))
                )
            if OutputForm.MODEL in item.output_forms:
                findings.append(
                    _finding("pi.sensitive", "error", Message("precheck.pi_model", names))
                )
        if r.sharing == Sharing.NONE:
            findings.append(
                _finding("attributes.sharing", "error", Message("precheck.not_shared", r=r.name))
            )
        elif r.opening == Opening.UNCONDITIONAL:
            findings.append(
                _finding("attributes.sharing", "warning", Message("precheck.open", r=r.name))
            )
        cap = Cap.objects.filter(scope=CapScope.RESOURCE, resource=r).first()
        if cap is not None:
            used = live_count(resource=r, excluding=application)
            if used >= cap.max_active:
                findings.append(
                    _finding(
                        "cap.quota",
                        "error",
                        Message("precheck.resource_cap", r=r.name, n=cap.max_active),
                    )
                )
        if r.active_version is None:
            findings.append(
                _finding("version.active", "warning", Message("precheck.no_version", r=r.name))
            )
    domain_cap = Cap.objects.filter(scope=CapScope.DOMAIN, domain=application.domain).first()
    if domain_cap is not None:
        used = live_count(domain=application.domain, excluding=application)
        if used >= domain_cap.max_active:
            findings.append(
                _finding(
                    "cap.quota",
                    "error",
                    Message(
                        "precheck.domain_cap",
                        d=choice("domain", application.domain),
                        n=domain_cap.max_active,
                    ),
                )
            )
    findings += _qualification(application, [i.resource.grade for i in items])
    return _with_passes(findings)


def _qualification(application: Application, grades) -> list[Finding]:
    qualification = Qualification.objects.filter(organisation_id=application.operator_id).first()
    if qualification is None:
        return [_finding("qualification.valid", "error", Message("precheck.no_profile"))]
    found = [
        _finding("qualification.valid", "error", Message(code))
        for code in qualification.problem_codes()
    ]
    grade = highest_grade(grades)
    rule = QualificationRule.objects.filter(grade=grade).first() if grade else None
    if rule is None:
        return found
    held = qualification
    missing = []
    if held.dengbao_level < rule.min_dengbao:
        missing.append(Message("qualification.need_dengbao", n=rule.min_dengbao))
    if held.dsmm_level < rule.min_dsmm:
        missing.append(Message("qualification.need_dsmm", n=rule.min_dsmm))
    if held.dcmm_level < rule.min_dcmm:
        missing.append(Message("qualification.need_dcmm", n=rule.min_dcmm))
    if rule.needs_iso27001 and not held.iso27001:
        missing.append(Message("qualification.need_iso27001"))
    if missing:
        found.append(
            _finding(
                "qualification.sufficient",
                "error",
                Message(
                    "precheck.insufficient",
                    g=choice("grade", grade),
                    m=[m.as_dict() for m in missing],
                ),
            )
        )
    return found


def _with_passes(findings: list[Finding]) -> list[Finding]:
    """Every rule appears: those without a finding as a pass, so the list shows what was
    checked, not only what failed."""
    flagged = {f.rule for f in findings}
    passes = [Finding(rule, "pass", "precheck.pass") for rule in BASIS if rule not in flagged]
    order = {"error": 0, "warning": 1, "pass": 2}
    return sorted(findings, key=lambda f: order[f.severity]) + passes
