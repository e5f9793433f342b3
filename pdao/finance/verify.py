"""Recomputing every stored finance figure from the records (`manage.py finance_verify`): the
revenue lines of each month, each concluded survey's operating cost, each allowance's MAR and
each closed year's actual revenue and carry-over, and each remittance's amount and notice."""

from pdao.finance import money, remittances, revenue, services
from pdao.finance.choices import SurveyStatus
from pdao.finance.models import Allowance, CostSurvey, RevenueLine, RevenueMonth, YearEnd


def problems() -> list[str]:
    """One sentence per figure that differs from its recomputation; empty when all agree."""
    found = []
    months = set(RevenueLine.objects.values_list("month", flat=True))
    months |= set(RevenueMonth.objects.values_list("month", flat=True))
    for month in sorted(months):
        found += revenue.verify_month(month)
    for survey in CostSurvey.objects.filter(status=SurveyStatus.CONCLUDED).prefetch_related(
        "items"
    ):
        cost = services.operating_cost(survey)
        if cost != survey.cost_fen:
            found.append(f"cost survey {survey.pk}: holds {survey.cost_fen} fen, items give {cost}")
    for allowance in Allowance.objects.select_related("survey"):
        again = money.allowance(
            allowance.survey.cost_fen, allowance.profit_rate, allowance.tax_fen,
            allowance.deduction_fen,
        )  # fmt: skip
        held = (allowance.cost_fen, allowance.profit_fen, allowance.total_fen)
        if held != (again.cost, again.profit, again.total):
            found.append(
                f"allowance {allowance.pk}: holds cost/profit/total {held}, "
                f"recomputed {(again.cost, again.profit, again.total)}"
            )
    for closed in YearEnd.objects.select_related("allowance__period"):
        allowance = closed.allowance
        months = services.months_of(allowance.starts_on, allowance.ends_on)
        lines = RevenueLine.objects.filter(operator=allowance.period.operator, month__in=months)
        actual = sum(lines.values_list("amount_fen", flat=True))
        carried = max(0, actual - allowance.total_fen)
        held = (closed.actual_fen, closed.carried_fen)
        if held != (actual, carried):
            found.append(
                f"year end {closed.pk}: holds actual/carried {held}, "
                f"the revenue lines give {(actual, carried)}"
            )
    found += remittances.problems()
    return found
