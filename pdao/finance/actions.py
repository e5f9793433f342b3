"""The finance pillar's audit actions (their codes are also the ledger's entry types)."""

from django.utils.translation import gettext_lazy as _

from pdao.audit.actions import define

LIMIT_SET = define("finance.limit.set", _("设定价格机制参数"))
BOND_YIELD_RECORD = define("finance.bond_yield.record", _("录入国债平均收益率"))
PERIOD_OPEN = define("finance.period.open", _("设立定价周期"))
SURVEY_START = define("finance.survey.start", _("发起成本调查"))
COST_DECLARE = define("finance.cost.declare", _("申报成本"))
SURVEY_SUBMIT = define("finance.survey.submit", _("提交成本调查"))
COST_ADJUST = define("finance.cost.adjust", _("核定成本"))
SURVEY_CONCLUDE = define("finance.survey.conclude", _("核定经营成本"))
ALLOWANCE_PROPOSE = define("finance.allowance.propose", _("测算最高准许收入"))
ALLOWANCE_APPROVE = define("finance.allowance.approve", _("批复最高准许收入"))
YEAR_CLOSE = define("finance.year.close", _("年度收入清算"))
YEAR_RESPOND = define("finance.year.respond", _("反馈年度调价情况"))
REVENUE_COMPUTE = define("finance.revenue.compute", _("计算月度收入"))
PAYEE_SET = define("finance.payee.set", _("设定收缴账户"))
REMITTANCE_ISSUE = define("finance.remittance.issue", _("开具缴款通知"))
REMITTANCE_PAY = define("finance.remittance.pay", _("登记缴款"))
REMITTANCE_CONFIRM = define("finance.remittance.confirm", _("确认收款"))
REMITTANCE_CHASE = define("finance.remittance.chase", _("催缴"))
BUDGET_ALLOCATE = define("finance.budget.allocate", _("登记预算安排"))
REPORT_GENERATE = define("finance.report.generate", _("生成年度价格与收益报告"))
REPORT_FILE = define("finance.report.file", _("报送年度价格与收益报告"))
REVENUE_DECLARE = define("finance.revenue.declare", _("上传申报收入"))
COST_EVIDENCE = define("finance.cost.evidence", _("上传成本证明材料"))
