"""数据商 and service firms: who may apply, the bureau's verification, and the public directory
with the work the platform records for each firm."""

import pytest

from pdao.accounts.choices import OrganisationType
from pdao.core.permissions import Role
from pdao.core.rules import RuleViolation
from pdao.market import firms
from pdao.market.choices import FirmStatus
from pdao.products.models import ReviewSignOff
from tests.conftest import AUTH_BACKEND
from tests.factories import OrganisationFactory, user_with_role

pytestmark = pytest.mark.django_db


def _apply(user, category="compliance"):
    return firms.apply(by=user, category=category, qualifications="数据合规评估团队 12 人",
                       certificates="ZX-2025-01", contact="0772-1234567")  # fmt: skip


def test_applications_are_verified_by_the_bureau_and_listed_with_their_work(shop, client):
    city = shop.city
    with pytest.raises(RuleViolation, match="只有企业和评估机构"):
        _apply(city.provider)
    body = OrganisationFactory(type=OrganisationType.REVIEWER_BODY)
    assessor = user_with_role(Role.REVIEWER, organisation=body)
    with pytest.raises(RuleViolation, match="尚未通过核验"):
        _apply(assessor)
    from pdao.accounts.services import verify_organisation

    verify_organisation(body, by=city.bureau)
    assessor.refresh_from_db()
    application = _apply(assessor)
    with pytest.raises(RuleViolation, match="已申请或已入库"):
        _apply(assessor)
    with pytest.raises(RuleViolation, match="写明理由"):
        firms.decide(application, by=city.bureau, verify=False)
    with pytest.raises(RuleViolation):
        firms.decide(application, by=shop.operator, verify=True)
    firms.decide(application, by=city.bureau, verify=True)
    verify_organisation(shop.operator.organisation, by=city.bureau)
    shop.operator.refresh_from_db()
    merchant = firms.apply(by=shop.operator, category="merchant", qualifications="运营柳州数据产品",
                           certificates="", contact="x")  # fmt: skip
    firms.decide(merchant, by=city.bureau, verify=True)
    assert firms.cultivated() == 2
    # The assessor's people signed a compliance review: the directory counts it.
    review = shop.traded.reviews.get()
    ReviewSignOff.objects.filter(review=review, role="reviewer").update(user=assessor)
    entries = {e["organisation"].pk: e for e in firms.directory()}
    assert entries[body.pk]["work"]["reviews"] == 1
    assert entries[shop.operator.organisation_id]["work"]["products"] == 1
    assert body.name in client.get("/market/firms/").content.decode()
    client.force_login(city.bureau, backend=AUTH_BACKEND)
    assert "已培育 2 家" in client.get("/market/firms/").content.decode()
    firms.decide(application, by=city.bureau, verify=False, note="资质过期")
    application.refresh_from_db()
    assert application.status == FirmStatus.REVOKED
    assert firms.cultivated() == 1


def test_a_decision_that_is_none_of_the_buttons_is_refused(shop, client_for):
    from django.urls import reverse

    from pdao.accounts.services import verify_organisation
    from pdao.market.models import FirmApplication

    body = OrganisationFactory(type=OrganisationType.REVIEWER_BODY)
    verify_organisation(body, by=shop.city.bureau)
    body.refresh_from_db()
    application = _apply(user_with_role(Role.REVIEWER, organisation=body))
    client_for(shop.city.bureau).post(
        reverse("market:firm_decide", args=[application.pk]), {"decision": "bogus", "note": "x"}
    )
    assert FirmApplication.objects.get(pk=application.pk).status == FirmStatus.SUBMITTED
