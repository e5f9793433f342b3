from django.db import models
from django.utils.translation import gettext_lazy as _


class ZoneQuery(models.Model):
    """专区查询 — every query run in the zone, released or refused, with what it used and what
    disclosure control did. `result` holds only what was released (after disclosure control)."""

    class Decision(models.TextChoices):
        RELEASED = "released", _("已输出")
        REFUSED = "refused", _("已拒绝")

    authorization = models.ForeignKey(
        "authorization.Authorization", on_delete=models.PROTECT, related_name="zone_queries"
    )
    user = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    sql = models.TextField(_("SQL"))
    form = models.CharField(_("输出形式"), max_length=20)
    decision = models.CharField(_("结果"), max_length=20, choices=Decision.choices)
    rule = models.CharField(_("规则"), max_length=60, blank=True)
    message = models.CharField(_("说明"), max_length=500, blank=True)
    tables = models.JSONField(_("数据表"), default=list)
    columns = models.JSONField(_("使用的列"), default=list)
    rows_released = models.PositiveIntegerField(_("输出行数"), default=0)
    rows_scanned = models.BigIntegerField(_("扫描行数"), default=0)
    suppressed_cells = models.PositiveIntegerField(_("抑制单元格"), default=0)
    epsilon_spent = models.FloatField(_("消耗 ε"), default=0)
    seconds = models.FloatField(_("耗时(秒)"), default=0)
    result = models.JSONField(_("输出结果"), default=dict, blank=True)
    cells = models.JSONField(default=list, blank=True)  # released cell signatures (differencing)
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("专区查询")
        verbose_name_plural = _("专区查询")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["authorization", "created_at"])]

    def __str__(self) -> str:
        return f"{self.authorization_id} {self.decision} {self.created_at:%Y-%m-%d %H:%M}"


class DerivedDataset(models.Model):
    """衍生数据 — a dataset made in the zone from an authorization's data (cleaning, joining,
    aggregating). It stays in the zone (Parquet under PDAO_DATA_DIR/derived), is queried like
    any authorized table under the same disclosure control, and is graded at least as high as
    its highest source."""

    authorization = models.ForeignKey(
        "authorization.Authorization", on_delete=models.PROTECT, related_name="derived_datasets"
    )
    name = models.CharField(_("名称"), max_length=100)
    sql = models.TextField(_("生成 SQL"))
    path = models.CharField(max_length=100)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    rows = models.BigIntegerField(_("行数"))
    columns = models.JSONField(_("字段"))  # name → {"type", "forms", "sources"}
    privacy_unit = models.CharField(_("隐私单元"), max_length=64)
    grade = models.CharField(_("分级"), max_length=20)
    lineage = models.JSONField(_("血缘"))  # [{"resource", "name", "version_sha256"}]
    created_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("生成时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("衍生数据")
        verbose_name_plural = _("衍生数据")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["authorization", "name"], name="%(app_label)s_derived_name"
            )
        ]

    def __str__(self) -> str:
        return self.name
