from django.utils.translation import gettext_lazy as _

from pdao.core import navigation
from pdao.core.permissions import Perm

navigation.add("showcase", _("典型场景展示"), "showcase:home", Perm.CATALOGUE_VIEW)
navigation.add("showcase", _("应用场景登记"), "showcase:scenarios", Perm.SHOWCASE_VIEW)
navigation.add("showcase", _("应用场景登记"), "showcase:scenarios", Perm.AUTHZ_APPLY)
navigation.add("showcase", _("典型场景评审"), "showcase:nominations", Perm.SHOWCASE_VIEW)
navigation.add("showcase", _("典型场景评审"), "showcase:nominations", Perm.SHOWCASE_SCORE)
navigation.add("showcase", _("评选标准与主管领域"), "showcase:criteria", Perm.SHOWCASE_VIEW)
navigation.add("showcase", _("绩效指标与目标"), "showcase:kpis", Perm.SHOWCASE_VIEW)
navigation.add("showcase", _("绩效评估"), "showcase:evaluations", Perm.SHOWCASE_MANAGE)
navigation.add("showcase", _("绩效评估"), "showcase:evaluations", Perm.AUTHZ_DECIDE)
navigation.add("showcase", _("绩效评估"), "showcase:evaluations", Perm.SHOWCASE_SCORE)
navigation.add("showcase", _("绩效评估"), "showcase:evaluations", Perm.AUTHZ_APPLY)
navigation.add("showcase", _("信息披露"), "showcase:disclosures", Perm.CATALOGUE_VIEW)
navigation.add("showcase", _("本单位信息披露"), "showcase:disclosure_mine", Perm.AUTHZ_DECIDE)
navigation.add("showcase", _("本单位信息披露"), "showcase:disclosure_mine", Perm.AUTHZ_APPLY)
navigation.add("showcase", _("工作报告"), "showcase:reports", Perm.SHOWCASE_VIEW)
