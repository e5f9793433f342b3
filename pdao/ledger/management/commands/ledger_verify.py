import logging

from django.core.management.base import BaseCommand, CommandError

from pdao.ledger import services

logger = logging.getLogger("pdao.ledger")


class Command(BaseCommand):
    help = (
        "Recompute the whole ledger from its stored entries; check every node, checkpoint, "
        "signature, cosignature and external anchor. Exits non-zero naming the first divergence."
    )

    def handle(self, *args, **options):
        report = services.verify_ledger()
        self.stdout.write(f"entries: {report.size}  checkpoints: {report.checkpoints}")
        if report.ok:
            self.stdout.write(self.style.SUCCESS("ledger verified: no divergence"))
            return
        logger.critical("ledger verification failed: %s", report.problems[0])
        for problem in report.problems:
            self.stderr.write(f"- {problem}")
        raise CommandError(f"ledger verification failed: {report.problems[0]}")
