import re

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from pdao.core.calendar import add_months
from pdao.core.identity import CLI
from pdao.finance import money, revenue


class Command(BaseCommand):
    help = (
        "Compute one month's revenue lines from the delivery records (by default the month "
        "before this one), replacing any computed before; print the lines and the total."
    )

    def add_arguments(self, parser):
        parser.add_argument("--month", help="YYYY-MM (default: last month, Asia/Shanghai)")

    def handle(self, *args, month=None, **options):
        if month is None:
            month = add_months(timezone.localdate().replace(day=1), -1).strftime("%Y-%m")
        if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", month):
            raise CommandError(f"--month must be YYYY-MM, not {month!r}")
        lines = revenue.compute_month(month, by=CLI)
        for line in lines:
            self.stdout.write(
                f"{line.product.code}  {line.subscription.code}  {line.source}  "
                f"{line.calls} calls  {line.quantity} × {line.unit_price}  "
                f"{money.yuan(line.amount_fen)}"
            )
        total = sum(line.amount_fen for line in lines)
        self.stdout.write(f"{month}: {len(lines)} lines, {money.yuan(total)} yuan")
