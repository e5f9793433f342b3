"""The demo's market: made by the real services at their own dates, it shows each market role
its work and the public its listings."""

from django.test import Client
from django.utils import timezone

from pdao.accounts.models import User
from pdao.core.permissions import Role
from pdao.core.workbench import work_for
from pdao.market import firms, survey
from pdao.market.choices import ListingStatus, OrderStatus, Venue
from pdao.market.models import Listing, Order, ServiceSurvey


def test_two_products_listed_one_on_an_exchange_and_three_orders_in_their_states(demo):
    listed = Listing.objects.get(status=ListingStatus.LISTED)
    assert listed.exchange_listing_no and listed.package_sha256
    assert {o.status for o in Order.objects.all()} == {
        OrderStatus.SETTLED,
        OrderStatus.DISPUTED,
        OrderStatus.SIGNED,
    }
    assert Order.objects.get(status=OrderStatus.SIGNED).venue == Venue.ON
    page = Client().get("/market/").content.decode()
    assert listed.exchange_listing_no in page
    assert "区县参保缴费统计" in page


def test_the_survey_has_six_services_from_four_departments_and_one_late(demo):
    opened = ServiceSurvey.objects.get()
    assert opened.services.count() == 6
    assert opened.services.values("provider").distinct().count() == 4
    assert opened.deadline < timezone.localdate()
    late = list(survey.overdue_providers(opened))
    assert [o.name for o in late] == ["柳州市医疗保障局"]
    bureau = User.objects.get(username="bureau")
    items = {str(i.title): i.count for i in work_for(bureau, Role.BUREAU_ADMIN)}
    assert items["逾期未报送存量服务摸底的部门"] == 1
    assert items["待调处的交易争议"] == 1
    assert items["未完成的存量服务迁移任务"] == 1


def test_three_firms_in_the_directory(demo):
    assert firms.cultivated() == 3
    assert "广西信安数据合规评估有限公司" in Client().get("/market/firms/").content.decode()
