import json

from django.core.management.base import BaseCommand
from django.db.models import Prefetch

from pdao.catalogue.choices import VersionStatus
from pdao.catalogue.models import Field, Resource, Version


class Command(BaseCommand):
    help = (
        "Print the catalogue for scripts: each resource's code, name, provider, grade, fields "
        "with their tags, and the active version's id, row count and SHA-256. Never data."
    )

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="one JSON document (the default)")

    def handle(self, *args, **options):
        resources = Resource.objects.select_related("provider").prefetch_related(
            Prefetch("fields", queryset=Field.objects.order_by("position")),
            Prefetch(
                "versions",
                queryset=Version.objects.filter(status=VersionStatus.ACTIVE),
                to_attr="active",
            ),
        )
        catalogue = []
        for r in resources.order_by("code"):
            active = r.active[0] if r.active else None
            catalogue.append(
                {
                    "code": r.code,
                    "name": r.name,
                    "provider": r.provider.name,
                    "grade": r.grade,
                    "domain": r.domain,
                    "sharing": r.sharing,
                    "opening": r.opening,
                    "synthetic": r.is_synthetic,
                    "fields": [
                        {
                            "name": f.name,
                            "label": f.label,
                            "type": f.type,
                            "pi_kind": f.pi_kind or None,
                            "sensitivity": f.sensitivity,
                            "privacy_unit": f.is_privacy_unit,
                            "quasi_identifier": f.is_quasi_identifier,
                        }
                        for f in r.fields.all()
                    ],
                    "active_version": None
                    if active is None
                    else {
                        "id": active.pk,
                        "number": active.number,
                        "rows": active.rows,
                        "sha256": active.sha256,
                    },
                }
            )
        self.stdout.write(json.dumps({"resources": catalogue}, ensure_ascii=False, indent=2))
