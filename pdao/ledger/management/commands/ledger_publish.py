import time

from django.core.management.base import BaseCommand

from pdao.core.identity import CLI
from pdao.ledger import services


class Command(BaseCommand):
    help = "Sequence pending entries and publish a cosigned checkpoint (once, or --every N s)."

    def add_arguments(self, parser):
        parser.add_argument("--every", type=int, default=0, help="repeat every N seconds")

    def handle(self, *args, every=0, **options):
        while True:
            checkpoint = services.publish_checkpoint(by=CLI)
            self.stdout.write(
                f"checkpoint size {checkpoint.size}, {checkpoint.cosignatures.count()} cosignatures"
            )
            if not every:
                return
            time.sleep(every)
