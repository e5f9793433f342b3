"""A change and its audit event commit together or not at all, in every app.

tests/accounts/test_services.py checks this for the accounts verbs. Here: one state-changing
verb of each other app that audits, called through its public module path, with the audit
write failing as a database error would. Each test re-reads the object from the database and
finds it as it was, with nothing else of the change (ledger entries, checkpoints, tokens
deleted) left behind.

notifications and audit have no verb of their own that writes an audit event (notify() records
nothing; the audit log's only write is recording its own export, in a view), so they have no
test here.
"""

from datetime import timedelta
from unittest import mock

import duckdb
import pytest
from django.contrib.auth.hashers import check_password
from django.db import IntegrityError, transaction
from django.utils import timezone

from pdao.accounts import services as accounts
from pdao.accounts.choices import OrganisationType
from pdao.audit.models import AuditEvent
from pdao.core.permissions import Role
from tests.authorization.conftest import FIELDS, _data_dir, city  # noqa: F401 (fixtures)
from tests.factories import OrganisationFactory, user_with_role

pytestmark = pytest.mark.django_db

DISTRICTS = ["城中区", "鱼峰区", "柳南区", "柳北区", "柳江区"]


def _failing_audit():
    """Make the next audit write fail as a database error would (only the audit module's
    reference to the model is patched: the verbs are called untouched)."""
    return mock.patch(
        "pdao.audit.services.AuditEvent.objects.create",
        side_effect=IntegrityError("audit write failed"),
    )


@pytest.fixture
def live(city, tmp_path):  # noqa: F811 (the imported fixture, requested)
    """An active authorization over 社保缴纳记录 (600 people × 3 months ingested)."""
    from pdao.catalogue import services as catalogue

    path = tmp_path / "ss.csv"
    duckdb.connect().execute(f"""
        COPY (SELECT '450202' || lpad((p * 7919 % 99999999)::VARCHAR, 12, '0') AS 身份证号,
                     CAST(DATE '2024-01-01' + INTERVAL (m) MONTH AS DATE) AS 参保月份,
                     (3000 + p % 9000)::DOUBLE AS 缴费金额,
                     {DISTRICTS}[1 + p % 5] AS 区县
              FROM range(600) a(p), range(3) b(m)) TO '{path}' (HEADER)""")
    version = catalogue.ingest_version(city.social, path, by=city.provider, declared_format="csv")
    catalogue.activate_version(version, by=city.provider)
    city.social.fields.filter(name="缴费金额").update(bound_low=0, bound_high=20000)
    city.social.fields.filter(name="区县").update(choices=DISTRICTS)
    application = city.to_decision(city.draft((city.social, ["aggregate", "dp"])))
    return city.activate(application)


def test_authorization_suspend_rolls_back_when_audit_fails(city, live):  # noqa: F811
    from pdao.authorization import access, services
    from pdao.authorization.choices import AuthorizationStatus
    from pdao.authorization.models import Authorization
    from pdao.ledger.models import LedgerEntry
    from pdao.notifications.models import Notification

    before = Authorization.objects.get(pk=live.pk)
    assert before.status == AuthorizationStatus.ACTIVE
    notifications = Notification.objects.count()
    events = AuditEvent.objects.count()
    with _failing_audit() as audit_write, pytest.raises(IntegrityError):
        services.suspend(live, by=city.bureau, reason="疑似超范围使用")
    assert audit_write.call_count == 1  # the verb reached its audit write
    after = Authorization.objects.get(pk=live.pk)
    assert (after.status, after.status_reason, after.revision) == (
        before.status,
        before.status_reason,
        before.revision,
    )
    assert not LedgerEntry.objects.filter(
        type="authorization.suspended", object_id=str(live.pk)
    ).exists()
    assert not isinstance(access.grant(after), access.Decision)  # still live for access
    assert Notification.objects.count() == notifications  # nobody told of a change not made
    assert AuditEvent.objects.count() == events


def test_catalogue_grading_review_rolls_back_when_audit_fails(bureau_admin):
    from pdao.catalogue import services
    from pdao.catalogue.models import Resource
    from pdao.ledger.models import LedgerEntry

    provider = user_with_role(
        Role.PROVIDER, organisation=OrganisationFactory(type=OrganisationType.PROVIDER)
    )
    resource = services.register_resource(
        by=provider, provider=provider.organisation, fields=FIELDS, name="社保缴纳记录",
        domain="governance", sharing="conditional", opening="none", frequency="monthly",
        grade="general_3",
    )  # fmt: skip
    before = Resource.objects.get(pk=resource.pk)
    with _failing_audit() as audit_write, pytest.raises(IntegrityError):
        services.review_grading(
            resource, by=bureau_admin, approve=True, grade="general_4",
            harm_objects=["individuals", "organisations"], note="就高从严",
        )  # fmt: skip
    assert audit_write.call_count == 1  # the verb reached its audit write
    after = Resource.objects.get(pk=resource.pk)
    fields = ["grade", "harm_objects", "grading_status", "grading_note", "grading_reviewed_at",
              "grading_reviewed_by_id", "grading_review_due", "non_personal"]  # fmt: skip
    assert {f: getattr(after, f) for f in fields} == {f: getattr(before, f) for f in fields}
    assert after.grading_reviewed_at is None
    assert not LedgerEntry.objects.filter(
        type="dataset.grading", object_id=str(resource.pk)
    ).exists()


def test_products_credential_revocation_rolls_back_when_audit_fails(bureau_admin):
    from oauth2_provider.models import AccessToken
    from oauth2_provider.models import Application as OAuthApplication

    from pdao.products import services
    from pdao.products.models import Credential

    organisation = OrganisationFactory(type=OrganisationType.CONSUMER)
    consumer = user_with_role(Role.CONSUMER, organisation=organisation)
    accounts.verify_organisation(organisation, by=bureau_admin)
    consumer.organisation.refresh_from_db()
    credential, secret = services.create_credential(by=consumer, name="生产环境")
    token = AccessToken.objects.create(
        application=credential.application,
        token="rollback-test-token",
        expires=timezone.now() + timedelta(hours=1),
        scope="",
    )
    with _failing_audit() as audit_write, pytest.raises(IntegrityError):
        services.revoke_credential(credential, by=consumer, reason="密钥疑似泄露")
    assert audit_write.call_count == 1  # the verb reached its audit write
    after = Credential.objects.get(pk=credential.pk)
    assert (after.revoked_at, after.revoke_reason, after.is_active) == (None, "", True)
    application = OAuthApplication.objects.get(pk=credential.application_id)
    assert check_password(secret, application.client_secret)  # the secret still works
    assert AccessToken.objects.filter(pk=token.pk).exists()  # and its token was not deleted


def test_zone_derived_dataset_rolls_back_when_audit_fails(city, live):  # noqa: F811
    from pdao.ledger.models import LedgerEntry
    from pdao.zone import services
    from pdao.zone.models import DerivedDataset

    sql = (
        "SELECT 身份证号, 区县, AVG(缴费金额) AS 月均缴费 FROM 社保缴纳记录 GROUP BY 身份证号, 区县"
    )
    with _failing_audit() as audit_write, pytest.raises(IntegrityError):
        services.save_derived(live, by=city.operator, name="月均缴费", sql=sql)
    assert audit_write.call_count == 1  # the verb reached its audit write
    assert not DerivedDataset.objects.filter(authorization=live).exists()
    assert not LedgerEntry.objects.filter(type="dataset.derived").exists()
    # Nothing half-made blocks the same work afterwards (the name is free, the day's count
    # not spent).
    derived = services.save_derived(live, by=city.operator, name="月均缴费", sql=sql)
    assert list(DerivedDataset.objects.filter(authorization=live)) == [derived]


def test_supervision_rule_update_rolls_back_when_audit_fails(supervisor):
    from pdao.supervision import services
    from pdao.supervision.choices import Severity
    from pdao.supervision.models import MonitoringRule

    rule = services.ensure_rules()[0]
    fields = ["enabled", "severity", "threshold", "window_minutes"]
    before = {f: getattr(MonitoringRule.objects.get(pk=rule.pk), f) for f in fields}
    severity = next(s for s in Severity.values if s != rule.severity)
    with _failing_audit() as audit_write, pytest.raises(IntegrityError):
        services.update_rule(
            rule,
            by=supervisor,
            enabled=not rule.enabled,
            severity=severity,
            threshold=rule.threshold + 7,
            window_minutes=rule.window_minutes % 10080 + 1,
        )
    assert audit_write.call_count == 1  # the verb reached its audit write
    after = MonitoringRule.objects.get(pk=rule.pk)
    assert {f: getattr(after, f) for f in fields} == before


def test_ledger_checkpoint_rolls_back_when_audit_fails(
    django_capture_on_commit_callbacks, settings
):
    import hashlib

    from pdao.ledger import services
    from pdao.ledger.models import Checkpoint, Cosignature

    def anchor(text, execute):
        with django_capture_on_commit_callbacks(execute=execute), transaction.atomic():
            services.anchor(
                "test.fact", content_hash=hashlib.sha256(text.encode()).hexdigest(), by=None
            )

    anchor("first", execute=True)  # sequenced, and a first checkpoint published
    anchor("second", execute=False)  # on the log, not yet under a checkpoint
    checkpoints = list(Checkpoint.objects.order_by("size").values_list("pk", "size"))
    assert checkpoints and checkpoints[-1][1] == 1
    cosignatures = Cosignature.objects.count()
    mirror = settings.LEDGER_MIRROR_PATH
    mirrored = mirror.read_bytes() if mirror.exists() else None
    with _failing_audit() as audit_write, pytest.raises(IntegrityError):
        services.publish_checkpoint()
    assert audit_write.call_count == 1  # the verb reached its audit write
    assert list(Checkpoint.objects.order_by("size").values_list("pk", "size")) == checkpoints
    assert Cosignature.objects.count() == cosignatures
    assert (mirror.read_bytes() if mirror.exists() else None) == mirrored
    # The next publication is not stuck behind the failed one.
    assert services.publish_checkpoint().size == 2


def test_finance_cost_adjustment_rolls_back_when_audit_fails(bureau_admin):
    from datetime import date

    from pdao.finance import services
    from pdao.finance.choices import CostCategory, Standard
    from pdao.finance.models import CostItem

    operator = user_with_role(Role.OPERATOR)
    period = services.open_period(by=bureau_admin, operator=operator.organisation,
                                  starts_on=date(2026, 1, 1), ends_on=date(2026, 12, 31),
                                  standard=Standard.TRIAL)  # fmt: skip
    survey = services.start_survey(by=bureau_admin, period=period, year=2026)
    item = services.declare_cost(
        by=operator, survey=survey, category=CostCategory.STAFF, description="人员",
        amount="100", industry_percent="100",
    )  # fmt: skip
    services.submit_survey(by=operator, survey=survey)
    with _failing_audit() as audit_write, pytest.raises(IntegrityError):
        services.adjust_cost(by=bureau_admin, item=item, amount="80", note="核减")
    assert audit_write.call_count == 1  # the verb reached its audit write
    after = CostItem.objects.get(pk=item.pk)
    assert (after.adjusted_fen, after.adjusted_by, after.adjustment_note) == (None, None, "")
