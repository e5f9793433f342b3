"""Demo supervision: one completed spot check of the demo's deliveries, filed in the register."""

from datetime import timedelta

from django.utils import timezone

from pdao.accounts.models import User
from pdao.supervision import spotchecks
from pdao.supervision.models import SpotCheck


def seed() -> list[str]:
    check = SpotCheck.objects.first()
    if check is None:
        supervisor = User.objects.get(username="supervisor")
        today = timezone.localdate()
        check = spotchecks.draw_check(
            by=supervisor,
            title="演示：本月数据产品交付抽查",
            date_from=today - timedelta(days=1),
            date_to=today,
            size=8,
            seed="liuzhou2026",
        )
        for item in check.items.all():
            passed = item.checks_passed is not False
            spotchecks.conclude(
                item,
                by=supervisor,
                conclusion="compliant" if passed else "observation",
                note="" if passed else "自动核验未通过，待运营单位说明。",
            )
        spotchecks.complete(check, by=supervisor, conclusion="抽查样本与备案的输出和出域控制一致。")
    counts = spotchecks.tally(check)
    return [
        f"{check.code} {check.title}: {check.items.count()} samples of {check.population} "
        f"deliveries, {counts['compliant']} compliant, seed {check.seed}"
    ]
