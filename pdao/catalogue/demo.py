"""Demo catalogue: the synthetic datasets of pdao.catalogue.synthetic, registered under their
providers, ingested through the real pipeline, tagged and activated. Idempotent."""

from __future__ import annotations

import tempfile
from pathlib import Path

import duckdb

from pdao.accounts.models import Organisation
from pdao.catalogue import services
from pdao.catalogue.choices import PIKind
from pdao.catalogue.models import Resource
from pdao.catalogue.synthetic import RESOURCES, pools, write_csv


def seed(*, scale: float = 1.0, stdout=None) -> list[tuple[str, int]]:
    """Register and ingest what is missing; leave what exists. Returns (name, rows)."""
    providers = {o.short_name: o for o in Organisation.objects.all()}
    with tempfile.TemporaryDirectory(prefix="pdao-demo-") as work:
        return _seed(Path(work), providers, scale, stdout)


def _seed(work: Path, providers, scale: float, stdout) -> list[tuple[str, int]]:
    done = []
    con = duckdb.connect()
    pools(con)
    for short, attributes, rows, fields in RESOURCES:
        provider = providers[short]
        existing = Resource.objects.filter(provider=provider, name=attributes["name"]).first()
        if existing is not None and existing.active_version is not None:
            done.append((existing.name, existing.active_version.rows))
            continue
        resource = existing or services.register_resource(
            by=None,
            provider=provider,
            fields=[
                {"name": n, "label": label, "type": t, "pi_kind": pi, "is_privacy_unit": unit,
                 "is_quasi_identifier": quasi,
                 "sensitivity": "sensitive_pi" if pi == PIKind.RESIDENT_ID else "internal"}
                for n, label, t, pi, unit, quasi, _sql in fields
            ],
            is_synthetic=True,
            responsible_unit="数据管理科",
            **attributes,
        )  # fmt: skip
        count = max(1_000, int(rows * scale))
        path = work / f"{resource.code}.csv"
        write_csv(con, fields, count, path)
        if stdout is not None:
            stdout.write(f"  {resource.name}: ingesting {count:,} synthetic rows…")
        version = services.ingest_version(resource, path, by=None, declared_format="csv")
        services.activate_version(version, by=None)
        path.unlink()
        done.append((resource.name, version.rows))
    con.close()
    return done
