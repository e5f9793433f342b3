from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.test.utils import override_settings

from pdao.accounts import demo as accounts_demo
from pdao.authorization import demo as authorization_demo
from pdao.catalogue import demo as catalogue_demo
from pdao.finance import demo as finance_demo
from pdao.market import demo as market_demo
from pdao.products import demo as products_demo
from pdao.showcase import demo as showcase_demo
from pdao.supervision import demo as supervision_demo

_NO_MAIL = "django.core.mail.backends.dummy.EmailBackend"


class Command(BaseCommand):
    help = "Load the Liuzhou demo data (idempotent; synthetic data only). Needs PDAO_DEMO=true."

    def add_arguments(self, parser):
        parser.add_argument(
            "--password",
            default=None,
            help="Password for every demo user (default: PDAO_DEMO_PASSWORD from the environment).",
        )
        parser.add_argument(
            "--scale",
            type=float,
            default=1.0,
            help="Multiply the demo datasets' sizes (1: up to 5 million rows; 0.01: a quick try).",
        )

    def handle(self, *args, password=None, scale=1.0, **options):
        if not settings.DEMO:
            raise CommandError(
                "seed_demo creates accounts with a shared password and is refused unless "
                "PDAO_DEMO=true (never set it in production)."
            )
        password = password or settings.DEMO_PASSWORD
        if not password:
            raise CommandError("Give --password or set PDAO_DEMO_PASSWORD (make demo does).")
        logins = accounts_demo.seed(password=password)
        self.stdout.write("Demo catalogue (synthetic data, generated and ingested):")
        for name, rows in catalogue_demo.seed(scale=scale, stdout=self.stdout):
            self.stdout.write(f"  {name}: {rows:,} rows, active")
        self.stdout.write("Demo authorizations (reviewed, signed by both parties, active):")
        # The review notifies people at every step; nobody is e-mailed about demo data (the
        # in-app messages are kept, so each role's inbox shows what happened).
        with override_settings(MAILERS={"default": {"BACKEND": _NO_MAIL}}):
            lines = authorization_demo.seed()
        for line in lines:
            self.stdout.write(f"  {line}")
        self.stdout.write("Demo products (reviewed, filed, listed; consumers subscribed):")
        with override_settings(MAILERS={"default": {"BACKEND": _NO_MAIL}}):
            lines = products_demo.seed()
        for line in lines:
            self.stdout.write(f"  {line}")
        self.stdout.write("Demo supervision (a spot check of the deliveries, filed):")
        for line in supervision_demo.seed():
            self.stdout.write(f"  {line}")
        self.stdout.write("Demo finance (a year of history, made at its own dates):")
        with override_settings(MAILERS={"default": {"BACKEND": _NO_MAIL}}):
            lines = finance_demo.seed(scale=scale)
        for line in lines:
            self.stdout.write(f"  {line}")
        self.stdout.write("Demo market (listings, orders, a survey of existing services, firms):")
        with override_settings(MAILERS={"default": {"BACKEND": _NO_MAIL}}):
            lines = market_demo.seed()
        for line in lines:
            self.stdout.write(f"  {line}")
        self.stdout.write("Demo showcase (scenario registry, typical scenarios confirmed):")
        with override_settings(MAILERS={"default": {"BACKEND": _NO_MAIL}}):
            lines = showcase_demo.seed()
        for line in lines:
            self.stdout.write(f"  {line}")
        self.stdout.write(self.style.SUCCESS("Demo data ready. Sign in with any of these:"))
        width = max(len(u) for u, _, _ in logins)
        for username, organisation, roles in logins:
            self.stdout.write(f"  {username.ljust(width)}  {roles}  ({organisation})")
        self.stdout.write(f"Password for every demo user: {password}")
