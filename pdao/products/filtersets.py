"""Filters of the products pillar's working lists (pdao.core.lists)."""

import django_filters
from django.db.models import CharField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Cast, Coalesce, Concat
from django.utils.translation import gettext_lazy as _

from pdao.accounts.models import Organisation
from pdao.core.lists import ByOperator, Column, DateRange, Day, FilterSet
from pdao.products import gateway
from pdao.products.choices import ProductKind, ProductStatus, SubscriptionStatus
from pdao.products.models import Delivery, Product, Subscription, Usage


class DeliveryFilter(FilterSet):
    """交付记录: by product, consumer, outcome, trace number, a day (a chart's drill-down) or a
    date range."""

    product = django_filters.ModelChoiceFilter(
        label=_("产品"), to_field_name="code", queryset=Product.objects.none()
    )
    consumer = django_filters.ModelChoiceFilter(
        label=_("使用方"), queryset=Organisation.objects.none()
    )
    outcome = django_filters.ChoiceFilter(
        label=_("结果"),
        choices=[("answered", _("已应答")), ("refused", _("被拒绝"))],
        method="by_outcome",
        empty_label=_("全部"),
    )
    trace = django_filters.CharFilter(label=_("追踪号"), field_name="trace_id", max_length=32)
    date = Day(label=_("日期"), field_name="created_at")
    created = DateRange(label=_("时间范围"), field_name="created_at")

    class Meta:
        model = Delivery
        fields = []

    def __init__(self, *args, products, consumers, **kwargs):
        """`products` and `consumers`: those the user may filter by, from the small tables
        (never a scan of the deliveries)."""
        super().__init__(*args, **kwargs)
        self.offer("product", products.order_by("code"))
        self.offer("consumer", consumers.order_by("name"))

    def by_outcome(self, rows, name, value):
        answered = Q(status=200)
        return rows.filter(answered if value == "answered" else ~answered)


DELIVERY_COLUMNS = [
    Column(_("时间"), lambda d: d.created_at),
    Column(_("追踪号"), lambda d: d.trace_id),
    Column(_("使用方"), lambda d: d.consumer.name if d.consumer else ""),
    Column(_("产品编号"), lambda d: d.product.code if d.product else ""),
    Column(_("产品名称"), lambda d: d.product.name if d.product else ""),
    Column(_("HTTP 状态"), lambda d: d.status),
    Column(_("结果"), lambda d: d.result),
    Column(_("结果代码"), lambda d: d.code),
    Column(_("行数"), lambda d: d.rows),
    Column(_("字节数"), lambda d: d.bytes),
    Column(_("耗时（毫秒）"), lambda d: d.latency_ms),
    Column(_("水印标识"), lambda d: d.watermark_id),
    Column(_("上链批次"), lambda d: d.batch_id),
]


class ProductFilter(ByOperator):
    q = django_filters.CharFilter(label=_("编号或名称"), method="by_text", max_length=100)
    status = django_filters.ChoiceFilter(
        label=_("状态"), choices=ProductStatus.choices, empty_label=_("全部状态")
    )
    kind = django_filters.ChoiceFilter(
        label=_("产品类型"), choices=ProductKind.choices, empty_label=_("全部类型")
    )
    created = DateRange(label=_("创建时间范围"), field_name="created_at")

    class Meta:
        model = Product
        fields = []

    def by_text(self, rows, name, value):
        return rows.filter(code__icontains=value) | rows.filter(name__icontains=value)


PRODUCT_COLUMNS = [
    Column(_("产品编号"), lambda p: p.code),
    Column(_("产品名称"), lambda p: p.name),
    Column(_("产品类型"), lambda p: p.get_kind_display()),
    Column(_("运营单位"), lambda p: p.operator.name),
    Column(_("授权编号"), lambda p: p.authorization.code),
    Column(_("输出形式"), lambda p: p.form_label),
    Column(_("状态"), lambda p: p.get_status_display()),
    Column(_("备案编号"), lambda p: p.filing_no),
    Column(_("上限收费标准（元）"), lambda p: p.price_cap),
    Column(_("创建时间"), lambda p: p.created_at),
]


class SubscriptionFilter(FilterSet):
    status = django_filters.ChoiceFilter(
        label=_("状态"), choices=SubscriptionStatus.choices, empty_label=_("全部状态")
    )
    product = django_filters.ModelChoiceFilter(
        label=_("产品"), to_field_name="code", queryset=Product.objects.none()
    )
    ends = DateRange(label=_("截止日期范围"), field_name="ends_on")

    class Meta:
        model = Subscription
        fields = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.offer(
            "product",
            Product.objects.filter(pk__in=self.queryset.order_by().values("product_id")).order_by(
                "code"
            ),
        )


def with_usage(subscriptions):
    """Subscriptions with this month's calls and rows (`calls_used`, `rows_used`) read in the
    same query: the list and its export show them for every row."""
    month = Usage.objects.filter(
        key=Concat(Value("s:"), Cast(OuterRef("pk"), CharField())), period=gateway.quota_month()
    )
    return subscriptions.annotate(
        calls_used=Coalesce(Subquery(month.values("calls")[:1]), 0),
        rows_used=Coalesce(Subquery(month.values("rows")[:1]), 0),
    )


SUBSCRIPTION_COLUMNS = [
    Column(_("订阅编号"), lambda s: s.code),
    Column(_("产品编号"), lambda s: s.product.code),
    Column(_("产品名称"), lambda s: s.product.name),
    Column(_("方案"), lambda s: s.plan.name),
    Column(_("起始日期"), lambda s: s.starts_on),
    Column(_("截止日期"), lambda s: s.ends_on),
    Column(_("本月调用次数"), lambda s: s.calls_used),
    Column(_("本月输出行数"), lambda s: s.rows_used),
    Column(_("状态"), lambda s: s.get_status_display()),
]
