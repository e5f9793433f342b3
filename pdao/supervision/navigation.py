from django.utils.translation import gettext_lazy as _

from pdao.core import navigation
from pdao.core.permissions import Perm

navigation.add("supervision", _("监管驾驶舱"), "supervision:dashboard", Perm.SUPERVISION_VIEW)
navigation.add("supervision", _("监测告警"), "supervision:alert_list", Perm.SUPERVISION_VIEW)
navigation.add("supervision", _("监测规则"), "supervision:rule_list", Perm.SUPERVISION_VIEW)
navigation.add("supervision", _("应急处置"), "supervision:action_list", Perm.SUPERVISION_VIEW)
navigation.add("supervision", _("安全事件"), "supervision:incident_list", Perm.SUPERVISION_VIEW)
navigation.add("supervision", _("样本抽查"), "supervision:spotcheck_list", Perm.SUPERVISION_VIEW)
navigation.add("supervision", _("备案登记"), "supervision:filing_list", Perm.SUPERVISION_VIEW)
