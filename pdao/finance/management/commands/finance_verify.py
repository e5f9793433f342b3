from django.core.management.base import BaseCommand, CommandError

from pdao.finance import verify


class Command(BaseCommand):
    help = (
        "Recompute every revenue line from the delivery records, every concluded cost survey "
        "from its items and every maximum allowed revenue from its inputs; exit non-zero listing "
        "each figure that differs."
    )

    def handle(self, *args, **options):
        found = verify.problems()
        if found:
            raise CommandError("\n".join(["finance figures differ from the records:", *found]))
        self.stdout.write("finance figures agree with the records")
