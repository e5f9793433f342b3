"""The calendar work on the scheduler's heartbeat: last month's revenue computed once from the
metering records, and overdue remittances chased."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from pdao.audit.models import AuditEvent
from pdao.finance import tasks
from pdao.finance.models import RevenueLine, RevenueMonth
from pdao.products.choices import Charging
from pdao.products.models import Delivery
from pdao.supervision.tasks import monitor
from tests.finance.test_revenue import _calls, _listed

pytestmark = pytest.mark.django_db


def test_the_heartbeat_computes_last_months_revenue_once(industry):
    product = _listed(industry, "0.50", name="按次", charging=Charging.PER_CALL,
                      unit_price=Decimal("0.50"))  # fmt: skip
    assert _calls(industry, product, ["2024-01-01", "2024-02-01", "2024-03-01"]) == [200] * 3
    first_of_month = timezone.localdate().replace(day=1)
    in_last_month = timezone.now().replace(
        year=(first_of_month - timedelta(days=1)).year,
        month=(first_of_month - timedelta(days=1)).month,
        day=15,
    )
    Delivery.objects.update(created_at=in_last_month)
    month = tasks.last_month(timezone.localdate())
    monitor.call()  # the every-minute task: its heartbeat reaches the finance pillar
    assert RevenueMonth.objects.get(month=month).total_fen == 150
    assert RevenueLine.objects.get(month=month).calls == 3
    event = AuditEvent.objects.get(action="finance.revenue.compute")
    assert event.system == "scheduler"
    assert tasks.due_work() == {"computed": None, "chased": 0}  # already computed: nothing
    assert AuditEvent.objects.filter(action="finance.revenue.compute").count() == 1
