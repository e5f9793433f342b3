"""Recomputing every stored finance figure from the records (`manage.py finance_verify`): the
revenue lines of each month, each concluded survey's operating cost, each allowance's MAR."""

from pdao.finance import money, revenue
from pdao.finance.choices import SurveyStatus
from pdao.finance.models import Allowance, CostSurvey, RevenueLine, RevenueMonth


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
        cost = sum(item.counted_fen for item in survey.items.all())
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
    return found
