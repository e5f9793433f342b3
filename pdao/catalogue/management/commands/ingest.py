import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from pdao.accounts.models import User
from pdao.catalogue import ingest, services
from pdao.catalogue.choices import UpdateMode
from pdao.catalogue.models import Resource
from pdao.core import sandbox
from pdao.core.rules import RuleViolation


class Command(BaseCommand):
    help = (
        "归集：ingest FILE (CSV in UTF-8/GBK/GB18030, .xlsx or Parquet) as the next version of "
        "the resource CODE. Exits non-zero with the problem report when the file is refused."
    )

    def add_arguments(self, parser):
        parser.add_argument("code", help="the resource's catalogue code")
        parser.add_argument("file", type=Path)
        parser.add_argument("--mode", choices=UpdateMode.values, default=UpdateMode.REPLACE)
        parser.add_argument("--activate", action="store_true", help="activate it when allowed")
        parser.add_argument("--as-user", help="username of the provider acting (default: system)")

    def handle(self, *args, code, file, mode, activate, as_user, **options):
        resource = Resource.objects.filter(code=code).first()
        if resource is None:
            raise CommandError(f"no resource with code {code}")
        user = User.objects.filter(username=as_user).first() if as_user else None
        if as_user and user is None:
            raise CommandError(f"no user {as_user}")
        declared = file.suffix.lower().lstrip(".") or None
        if declared not in (None, "csv", "xlsx", "parquet"):
            raise CommandError(f"unsupported file type .{declared} (csv, xlsx, parquet)")
        try:
            version = services.ingest_version(
                resource, file, by=user, declared_format=declared, mode=mode, progress=_bar
            )
        except ingest.IngestError as error:
            sys.stderr.write("\n")
            for problem in error.problems:
                self.stderr.write(f"- {problem}")
            raise CommandError(f"{file.name} was refused: {error.problems[0]}") from None
        except RuleViolation as error:
            raise CommandError(str(error)) from None
        except sandbox.Failed as failed:  # a crash of the parse, not of the file: say which
            raise CommandError(f"{file.name}: the parse failed ({failed.kind})") from None
        sys.stderr.write("\n")
        self.stdout.write(
            f"{resource.code} v{version.number}: {version.rows} rows, sha256 {version.sha256}"
        )
        for finding in version.pi_findings:
            self.stdout.write(
                f"  personal information: {finding['column']} looks like {finding['kind']} "
                f"({finding['share']:.0%} by {finding['by']})"
            )
        if activate:
            try:
                services.activate_version(version, by=user)
            except RuleViolation as error:
                raise CommandError(str(error)) from None
            self.stdout.write(f"  activated: the zone now reads v{version.number}")


def _bar(stage: str, done: int, total: int) -> None:
    if total:
        filled = int(30 * done / total)
        sys.stderr.write(f"\r{stage:<22}[{'#' * filled}{'.' * (30 - filled)}] {done / total:4.0%}")
    else:
        sys.stderr.write(f"\r{stage:<22}{'':<37}")
    sys.stderr.flush()
