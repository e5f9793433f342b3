from django.core.management.base import BaseCommand

from pdao.authorization import services


class Command(BaseCommand):
    help = (
        "Expire every live authorization whose term has ended. Each authorization also has a "
        "task queued for its last day; this is the safety net (e.g. after restoring a backup)."
    )

    def handle(self, *args, **options):
        expired = services.expire_due()
        for code in expired:
            self.stdout.write(f"expired {code}")
        self.stdout.write(f"{len(expired)} authorization(s) expired")
