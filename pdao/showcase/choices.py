from django.db import models
from django.utils.translation import gettext_lazy as _


class NominationStatus(models.TextChoices):
    NOMINATED = "nominated", _("已推荐，专家评审中")
    CONFIRMED = "confirmed", _("市级典型场景")
    DECLINED = "declined", _("未入选")
    WITHDRAWN = "withdrawn", _("已撤回")


# 典型场景评选标准: the five published criteria; the taskforce sets their weights.
CRITERIA = {
    "effect": _("应用成效"),
    "innovation": _("创新性"),
    "leadership": _("引领效应"),
    "security": _("数据安全"),
    "replicability": _("可推广性"),
}
DEFAULT_WEIGHTS = {
    "effect": 30,
    "innovation": 20,
    "leadership": 20,
    "security": 15,
    "replicability": 15,
}
