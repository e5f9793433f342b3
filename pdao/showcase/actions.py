"""The showcase's audit actions, with their labels."""

from django.utils.translation import gettext_lazy as _

from pdao.audit.actions import define

CASE_SAVE = define("showcase.case", _("编写场景案例"))
IMAGE_ADD = define("showcase.image_add", _("上传场景案例图片"))
IMAGE_REMOVE = define("showcase.image_remove", _("删除场景案例图片"))
CRITERIA_SET = define("showcase.criteria", _("发布典型场景评选标准"))
STEWARD_SET = define("showcase.steward", _("设定行业主管部门领域"))
NOMINATE = define("showcase.nominate", _("推荐典型场景"))
WITHDRAW = define("showcase.withdraw", _("撤回典型场景推荐"))
SCORE = define("showcase.score", _("典型场景专家评分"))
RECUSE = define("showcase.recuse", _("典型场景评审回避"))
DECIDE = define("showcase.decide", _("认定市级典型场景"))
PACKAGE = define("showcase.package", _("生成数据要素×申报材料"))
