"""Write (or, with --check, compare) the generated OpenAPI documents of the platform API and
the consumer gateway under docs/openapi/. CI runs the check: a committed copy that drifted
from the code fails the build (make openapi regenerates)."""

import json
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

DOCS = Path(settings.BASE_DIR) / "docs" / "openapi"


def documents() -> dict[str, str]:
    # The APIs import every app's views: loaded when the command runs, not when it is listed.
    from pdao.api import api
    from pdao.products.api import api as gateway

    out = {}
    for name, instance, prefix in (
        ("platform", api, "/api/v1"),
        ("gateway", gateway, "/gateway/v1"),
    ):
        schema = instance.get_openapi_schema(path_prefix=prefix)
        out[f"{name}.json"] = (
            json.dumps(schema, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
        )
    return out


class Command(BaseCommand):
    help = "Write the OpenAPI documents to docs/openapi/ (--check: fail when they drifted)."

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true")

    def handle(self, *args, check=False, **options):
        drifted = []
        for name, text in documents().items():
            path = DOCS / name
            if check:
                if not path.exists() or path.read_text(encoding="utf-8") != text:
                    drifted.append(name)
            else:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(text, encoding="utf-8")
                self.stdout.write(f"wrote {path.relative_to(settings.BASE_DIR)}")
        if drifted:
            raise CommandError(
                "OpenAPI documents drifted from the code: "
                + ", ".join(drifted)
                + " (run make openapi)"
            )
