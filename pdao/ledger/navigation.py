from django.utils.translation import gettext_lazy as _

from pdao.core import navigation
from pdao.core.permissions import Perm

navigation.add("ledger", _("账本与检查点"), "ledger:overview", Perm.LEDGER_VIEW)
navigation.add("ledger", _("签名检查点"), "ledger:checkpoint_list", Perm.LEDGER_VIEW)
