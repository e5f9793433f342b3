"""A small city for authorization tests: the bureau, an operator with a verified profile, two
providers with graded resources, and three experts."""

from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.utils import timezone

from pdao.accounts.choices import OrganisationType
from pdao.authorization import services
from pdao.authorization.choices import ApplicationStatus, QualificationStatus
from pdao.authorization.models import Application, Qualification
from pdao.catalogue import services as catalogue
from pdao.core.permissions import Role
from tests.factories import OrganisationFactory, user_with_role

FIELDS = [
    {
        "name": "身份证号",
        "type": "string",
        "label": "公民身份号码",
        "pi_kind": "resident_id",
        "sensitivity": "sensitive_pi",
        "is_privacy_unit": True,
    },
    {"name": "参保月份", "type": "date", "label": "参保月份", "sensitivity": "internal"},
    {"name": "缴费金额", "type": "decimal", "label": "缴费金额", "sensitivity": "internal"},
    {
        "name": "区县",
        "type": "string",
        "label": "所在区县",
        "sensitivity": "internal",
        "is_quasi_identifier": True,
    },
]


@pytest.fixture(autouse=True)
def _data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path / "data"


@dataclass
class City:
    bureau: object
    operator: object
    provider: object
    other_provider: object
    reviewers: list
    social: object  # 社保缴纳记录, general level 3, approved
    enterprises: object  # 企业登记信息, general level 2, approved (another provider)

    def resource(self, name: str, *, grade="general_3", approve=True, provider=None, **attrs):
        provider = provider or self.provider
        resource = catalogue.register_resource(
            by=provider,
            provider=provider.organisation,
            fields=FIELDS,
            name=name,
            domain=attrs.pop("domain", "governance"),
            sharing=attrs.pop("sharing", "conditional"),
            opening=attrs.pop("opening", "none"),
            frequency="monthly",
            grade=grade,
            **attrs,
        )
        if approve:
            catalogue.review_grading(
                resource, by=self.bureau, approve=True, grade=grade, harm_objects=["individuals"]
            )
        return resource

    def draft(self, *items, operator=None, **values) -> Application:
        """An application with one demand line per (resource, output forms) in `items`."""
        operator = operator or self.operator
        application = services.create_application(by=operator, **(APPLICATION | values))
        for resource, forms in items:
            fields = [
                {
                    "field": f,
                    "purpose": f"用于{f.label}统计",
                    "justification": "按户籍统计参保覆盖率所必需,输出前去标识化",
                }
                for f in resource.fields.all()
            ]
            services.set_item(
                application,
                by=operator,
                resource=resource,
                fields=fields,
                output_forms=forms,
                volume=200_000,
                frequency="每日",
            )
        return application

    def to_decision(self, application: Application, scores=(80, 70)) -> Application:
        """Walk a draft through every review step up to the decision."""
        findings = services.submit(application, by=self.operator_of(application))
        assert application.status == ApplicationStatus.SUBMITTED, [
            f for f in findings if f.severity == "error"
        ]
        services.accept(application, by=self.bureau)
        for opinion in application.opinions.all():
            provider = (
                self.provider
                if opinion.provider == self.provider.organisation
                else (self.other_provider)
            )
            services.give_opinion(application, by=provider, verdict="agree", text="")
        application.refresh_from_db()
        services.complete_assessment(application, by=self.bureau, note="风险可控")
        for reviewer, value in zip(self.reviewers, scores, strict=False):
            services.score(
                application,
                by=reviewer,
                criteria=dict.fromkeys(services.CRITERIA, value),
                comment="可行",
                no_conflict=True,
            )
        services.close_scoring(application, by=self.bureau)
        pass_notice(application)
        services.close_notice(application, by=self.bureau)
        return application

    def operator_of(self, application):
        from pdao.accounts.models import User

        return User.objects.filter(
            organisation=application.operator, role_grants__role=Role.OPERATOR
        ).first()

    def activate(self, application: Application):
        agreement = services.decide(application, by=self.bureau, approve=True, reason="场景价值高")
        services.sign_agreement(agreement, by=self.operator_of(application))
        services.sign_agreement(agreement, by=self.bureau)
        application.refresh_from_db()
        return application.authorization


APPLICATION = {
    "scenario": "柳州市灵活就业人员参保分析",
    "domain": "governance",
    "purpose": "public_welfare",
    "description": "按区县统计灵活就业人员参保与缴费情况,辅助制定扩面政策。",
    "beneficiaries": "市人社局、灵活就业人员",
    "outcomes": "参保率提升 5 个百分点",
    "security_plan": "仅在专区内以聚合方式分析,结果经审核后出域。",
    "term_months": 12,
}


def pass_notice(application: Application) -> None:
    """The notice period has run (moved into the past instead of waiting working days)."""
    Application.objects.filter(pk=application.pk).update(
        notice_starts=timezone.localdate() - timedelta(days=15),
        notice_ends=timezone.localdate() - timedelta(days=1),
    )
    application.refresh_from_db()


def verified_operator(bureau, *, dengbao=3, dsmm=3, iso=True):
    operator = user_with_role(
        Role.OPERATOR,
        organisation=OrganisationFactory(type=OrganisationType.OPERATOR),
        email="operator@example.com",
    )
    expires = timezone.localdate() + timedelta(days=365)
    services.save_qualification(
        operator.organisation,
        by=operator,
        submit=True,
        dengbao_level=dengbao,
        dengbao_expires=expires,
        dsmm_level=dsmm,
        dcmm_level=2,
        iso27001=iso,
        iso27001_expires=expires if iso else None,
        no_dishonesty=True,
    )
    services.verify_qualification(
        Qualification.objects.get(organisation=operator.organisation), by=bureau, approve=True
    )
    assert Qualification.objects.get(organisation=operator.organisation).status == (
        QualificationStatus.VERIFIED
    )
    return operator


@pytest.fixture
def city(db, bureau_admin):
    provider = user_with_role(
        Role.PROVIDER, organisation=OrganisationFactory(type=OrganisationType.PROVIDER)
    )
    other = user_with_role(
        Role.PROVIDER, organisation=OrganisationFactory(type=OrganisationType.PROVIDER)
    )
    reviewers = [user_with_role(Role.REVIEWER) for _ in range(3)]
    c = City(bureau_admin, verified_operator(bureau_admin), provider, other, reviewers, None, None)
    c.social = c.resource("社保缴纳记录")
    c.enterprises = c.resource("企业登记信息", grade="general_2", provider=other)
    return c
