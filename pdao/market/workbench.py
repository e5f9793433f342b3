"""The market's pending work: contracts to sign, payments to record or confirm, deliveries to
accept, disputes to mediate, registrations to confirm, and registrations about to lapse (urgent
in their last 60 days: a lapsed registration delists the product)."""

from datetime import timedelta

from django.db.models import Max
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from pdao.core.permissions import Role
from pdao.core.workbench import WorkItem, pending_work
from pdao.market.choices import (
    Disposition,
    FirmStatus,
    ListingStatus,
    OrderStatus,
    RegistrationStatus,
    SurveyStatus,
)
from pdao.market.listings import RENEWAL_DAYS
from pdao.market.models import (
    ExistingService,
    FirmApplication,
    Listing,
    MigrationTask,
    Order,
    ProductRegistration,
    ServiceSurvey,
)
from pdao.market.survey import overdue_providers
from pdao.products.models import Product


def _expiring(products):
    """Products among `products` whose latest confirmed registration ends within the renewal
    window and has no renewal pending."""
    today = timezone.localdate()
    latest = (
        ProductRegistration.objects.filter(
            product__in=products, status=RegistrationStatus.CONFIRMED
        )
        .values("product")
        .annotate(until=Max("valid_until"))
        .filter(until__gte=today, until__lte=today + timedelta(days=RENEWAL_DAYS))
    )
    pending = set(
        ProductRegistration.objects.filter(
            product__in=products, status=RegistrationStatus.SUBMITTED
        ).values_list("product", flat=True)
    )
    return [row for row in latest if row["product"] not in pending]


def _unsigned(orders, organisation_id):
    return orders.filter(status=OrderStatus.ORDERED).exclude(
        signatures__organisation_id=organisation_id
    )


def _orders(status: str) -> str:
    return f"{reverse('market:orders')}?status={status}"


@pending_work(Role.OPERATOR)
def seller(user):
    orders = Order.objects.filter(operator_id=user.organisation_id)
    yield WorkItem(
        _("待签署的交易合同"),
        _unsigned(orders, user.organisation_id).count(),
        _orders(OrderStatus.ORDERED),
    )
    yield WorkItem(
        _("已签署待登记付款的订单"),
        orders.filter(status=OrderStatus.SIGNED).count(),
        _orders(OrderStatus.SIGNED),
    )
    yield WorkItem(
        _("交易争议"),
        orders.filter(status=OrderStatus.DISPUTED).count(),
        _orders(OrderStatus.DISPUTED),
        urgent=True,
    )
    expiring = _expiring(Product.objects.filter(operator_id=user.organisation_id))
    yield WorkItem(
        _("产品登记即将到期，请申请续期"),
        len(expiring),
        reverse("market:listings"),
        hint=_("最早 %(day)s 到期") % {"day": min(r["until"] for r in expiring).isoformat()}
        if expiring
        else "",
        urgent=True,
    )
    yield WorkItem(
        _("挂牌公示中"),
        Listing.objects.filter(
            product__operator_id=user.organisation_id, status=ListingStatus.NOTICE
        ).count(),
        reverse("market:listings"),
    )


@pending_work(Role.CONSUMER)
def buyer(user):
    orders = Order.objects.filter(consumer_id=user.organisation_id)
    yield WorkItem(
        _("待签署的交易合同"),
        _unsigned(orders, user.organisation_id).count(),
        _orders(OrderStatus.ORDERED),
    )
    yield WorkItem(
        _("合同已签署、待付款的订单"),
        orders.filter(status=OrderStatus.SIGNED).count(),
        _orders(OrderStatus.SIGNED),
        hint=_("按合同转账后，由卖方登记付款"),
    )
    yield WorkItem(
        _("待确认的付款"),
        orders.filter(status=OrderStatus.PAYMENT_RECORDED).count(),
        _orders(OrderStatus.PAYMENT_RECORDED),
    )
    yield WorkItem(
        _("已交付待验收的订单"),
        orders.filter(status=OrderStatus.DELIVERED).count(),
        _orders(OrderStatus.DELIVERED),
    )


@pending_work(Role.BUREAU_ADMIN)
def regulator(user):
    yield WorkItem(
        _("待确认的数据产品登记"),
        ProductRegistration.objects.filter(status=RegistrationStatus.SUBMITTED).count(),
        reverse("market:registrations"),
    )
    yield WorkItem(
        _("待调处的交易争议"),
        Order.objects.filter(status=OrderStatus.DISPUTED).count(),
        _orders(OrderStatus.DISPUTED),
        urgent=True,
    )
    expiring = _expiring(Product.objects.all())
    yield WorkItem(
        _("登记即将到期的数据产品"),
        len(expiring),
        reverse("market:registrations"),
        hint=_("到期未续期的产品将自动下架、摘牌"),
    )
    waiting = list(
        Listing.objects.filter(objections__answered_at__isnull=True, status=ListingStatus.NOTICE)
        .distinct()
        .values_list("code", flat=True)
    )
    yield WorkItem(
        _("未答复的挂牌公示异议"),
        len(waiting),
        reverse("market:listing_detail", args=[waiting[0]])
        if waiting
        else reverse("market:listings"),
        hint="、".join(waiting[:3]),
        urgent=True,
    )


@pending_work(Role.PROVIDER)
def survey_returns(user):
    """Open surveys the department has not returned, urgent once past the deadline."""
    today = timezone.localdate()
    for survey in ServiceSurvey.objects.filter(status=SurveyStatus.OPEN).exclude(
        returns__provider_id=user.organisation_id
    ):
        yield WorkItem(
            _("存量服务摸底待报送：%(t)s") % {"t": survey.title},
            1,
            reverse("market:survey_detail", args=[survey.code]),
            hint=_("截止 %(d)s") % {"d": survey.deadline.isoformat()},
            urgent=survey.deadline < today,
        )


@pending_work(Role.BUREAU_ADMIN)
def survey_work(user):
    link = reverse("market:surveys")
    overdue = sum(survey.overdue_providers_count for survey in _open_surveys_past_deadline())
    yield WorkItem(_("逾期未报送存量服务摸底的部门"), overdue, link, urgent=True)
    yield WorkItem(
        _("待处置的存量数据服务"),
        ExistingService.objects.filter(disposition=Disposition.PENDING).count(),
        link,
    )
    open_tasks = MigrationTask.objects.filter(closed_at__isnull=True)
    yield WorkItem(
        _("未完成的存量服务迁移任务"),
        open_tasks.count(),
        link,
        urgent=open_tasks.filter(due_on__lt=timezone.localdate()).exists(),
    )
    yield WorkItem(
        _("待核验的服务机构入库申请"),
        FirmApplication.objects.filter(status=FirmStatus.SUBMITTED).count(),
        reverse("market:firms_review"),
    )


def _open_surveys_past_deadline():
    for survey in ServiceSurvey.objects.filter(
        status=SurveyStatus.OPEN, deadline__lt=timezone.localdate()
    ):
        survey.overdue_providers_count = overdue_providers(survey).count()
        yield survey
