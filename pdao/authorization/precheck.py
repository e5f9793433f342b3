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
from pdao.catalogue.choices import (
    Grade,
    GradingStatus,
    Opening,
    Sensitivity,
    Sharing,
    highest_grade,
)
from pdao.core.messages import Message, choice, render_stored

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
    """Every rule's findings on `application`: errors, then warnings, each in the order the
    rules below found them, then a pass for every rule nothing was found against."""
    items = list(
        application.items.select_related("resource").prefetch_related("fields__field").all()
    )
    findings = _scope(items)
    for item in items:
        findings += _item(application, item)
    findings += _domain_cap(application)
    findings += _qualification(application, [i.resource.grade for i in items])
    return _with_passes(findings)


def _item(application: Application, item) -> list[Finding]:
    """What the rules find on one demanded resource."""
    resource = item.resource
    return [
        *_grade(item),
        *_sensitive_fields(item),
        *_sharing(resource),
        *_resource_cap(application, resource),
        *_active_version(resource),
    ]


def _scope(items) -> list[Finding]:
    """An application demands at least one resource, and at least one field of each."""
    if not items or any(not item.fields.all() for item in items):
        return [_finding("scope.nonempty", "error", Message("precheck.scope_empty"))]
    return []


def _grade(item) -> list[Finding]:
    """Core data is refused; any other grade must be approved by the bureau; important data
    leaves only in aggregate forms."""
    r = item.resource
    found = []
    if r.grade == Grade.CORE:
        found.append(_finding("grade.no_core", "error", Message("precheck.core", r=r.name)))
    elif r.grading_status != GradingStatus.APPROVED:
        found.append(
            _finding("grade.reviewed", "error", Message("precheck.not_reviewed", r=r.name))
        )
    if r.grade == Grade.IMPORTANT and not set(item.output_forms) <= AGGREGATE_FORMS:
        found.append(
            _finding(
                "grade.important_outputs", "error", Message("precheck.important_outputs", r=r.name)
            )
        )
    return found


def _sensitive_fields(item) -> list[Finding]:
    """Each sensitive personal field demanded needs a justification and never trains a
    model."""
    found = []
    for demand in item.fields.all():
        f = demand.field
        if f.sensitivity != Sensitivity.SENSITIVE_PI:
            continue
        names = {"r": item.resource.name, "f": f.label or f.name}
        if not demand.justification.strip():
            found.append(_finding("pi.sensitive", "error", Message("precheck.pi_no_reason", names)))
        if OutputForm.MODEL in item.output_forms:
            found.append(_finding("pi.sensitive", "error", Message("precheck.pi_model", names)))
    return found


def _sharing(resource) -> list[Finding]:
    """Data not to be shared is refused; data already open to all is pointed out."""
    if resource.sharing == Sharing.NONE:
        message = Message("precheck.not_shared", r=resource.name)
        return [_finding("attributes.sharing", "error", message)]
    if resource.opening == Opening.UNCONDITIONAL:
        message = Message("precheck.open", r=resource.name)
        return [_finding("attributes.sharing", "warning", message)]
    return []


def _resource_cap(application: Application, resource) -> list[Finding]:
    """A resource with a cap takes no more live authorizations than the cap allows."""
    cap = Cap.objects.filter(scope=CapScope.RESOURCE, resource=resource).first()
    if cap is None or live_count(resource=resource, excluding=application) < cap.max_active:
        return []
    message = Message("precheck.resource_cap", r=resource.name, n=cap.max_active)
    return [_finding("cap.quota", "error", message)]


def _domain_cap(application: Application) -> list[Finding]:
    """A domain with a cap takes no more live authorizations than the cap allows."""
    domain = application.domain
    cap = Cap.objects.filter(scope=CapScope.DOMAIN, domain=domain).first()
    if cap is None or live_count(domain=domain, excluding=application) < cap.max_active:
        return []
    message = Message("precheck.domain_cap", d=choice("domain", domain), n=cap.max_active)
    return [_finding("cap.quota", "error", message)]


def _active_version(resource) -> list[Finding]:
    """A resource without an active version cannot be used in the zone yet (a warning)."""
    if resource.active_version is None:
        message = Message("precheck.no_version", r=resource.name)
        return [_finding("version.active", "warning", message)]
    return []


def _qualification(application: Application, grades) -> list[Finding]:
    """The operator's qualification profile is valid, and it meets the requirements of the
    highest grade demanded."""
    qualification = Qualification.objects.filter(organisation_id=application.operator_id).first()
    if qualification is None:
        return [_finding("qualification.valid", "error", Message("precheck.no_profile"))]
    found = [
        _finding("qualification.valid", "error", Message(code))
        for code in qualification.problem_codes()
    ]
    grade = highest_grade(grades)
    rule = QualificationRule.objects.filter(grade=grade).first() if grade else None
    missing = _missing(qualification, rule) if rule is not None else []
    if missing:
        message = Message(
            "precheck.insufficient",
            g=choice("grade", grade),
            m=[m.as_dict() for m in missing],
        )
        found.append(_finding("qualification.sufficient", "error", message))
    return found


def _missing(held: Qualification, rule: QualificationRule) -> list[Message]:
    """What `rule` requires that the qualification `held` does not have."""
    missing = []
    if held.dengbao_level < rule.min_dengbao:
        missing.append(Message("qualification.need_dengbao", n=rule.min_dengbao))
    if held.dsmm_level < rule.min_dsmm:
        missing.append(Message("qualification.need_dsmm", n=rule.min_dsmm))
    if held.dcmm_level < rule.min_dcmm:
        missing.append(Message("qualification.need_dcmm", n=rule.min_dcmm))
    if rule.needs_iso27001 and not held.iso27001:
        missing.append(Message("qualification.need_iso27001"))
    return missing


def _with_passes(findings: list[Finding]) -> list[Finding]:
    """Every rule appears: those without a finding as a pass, so the list shows what was
    checked, not only what failed."""
    flagged = {f.rule for f in findings}
    passes = [Finding(rule, "pass", "precheck.pass") for rule in BASIS if rule not in flagged]
    order = {"error": 0, "warning": 1, "pass": 2}
    return sorted(findings, key=lambda f: order[f.severity]) + passes
