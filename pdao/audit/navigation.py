from django.utils.translation import gettext_lazy as _

from pdao.core import navigation
from pdao.core.permissions import Perm

navigation.add("supervision", _("审计日志"), "audit:event_list", Perm.AUDIT_VIEW)
