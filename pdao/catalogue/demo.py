"""Demo catalogue: the synthetic datasets of pdao.catalogue.synthetic, registered under their
providers, ingested through the real pipeline, tagged and activated. Idempotent."""

from __future__ import annotations

import ast
import re
import tempfile
from pathlib import Path

import duckdb

from pdao.accounts.models import Organisation, User
from pdao.catalogue import joins, services
from pdao.catalogue.choices import PIKind
from pdao.catalogue.models import DeclaredJoin, Field, Resource
from pdao.catalogue.synthetic import RESOURCES, pools, write_csv


def seed(*, scale: float = 1.0, stdout=None) -> list[tuple[str, int]]:
    """Register and ingest what is missing; leave what exists. Returns (name, rows)."""
    providers = {o.short_name: o for o in Organisation.objects.all()}
    with tempfile.TemporaryDirectory(prefix="pdao-demo-") as work:
        done = _seed(Path(work), providers, scale, stdout)
    _zone_declarations()
    return done


# The bureau's declarations the zone uses: a resource with nothing about any person or unit
# in it (answered exactly), and the one join the demo catalogue allows.
NON_PERSONAL = "气象观测"
JOIN = (("社保缴纳记录", "单位信用代码"), ("企业登记信息", "统一社会信用代码"))


def _zone_declarations() -> None:
    bureau = User.objects.filter(username="bureau").first()
    if bureau is None:
        return
    weather = Resource.objects.filter(name=NON_PERSONAL).first()
    if weather is not None and not weather.non_personal:
        services.review_grading(
            weather, by=bureau, approve=True, grade=weather.grade, harm_objects=["public_interest"],
            note="逐时气象观测，不含任何个人或单位信息，声明为非个人数据。", non_personal=True,
        )  # fmt: skip
    (left_name, left_column), (right_name, right_column) = JOIN
    left = Field.objects.filter(resource__name=left_name, name=left_column).first()
    right = Field.objects.filter(resource__name=right_name, name=right_column).first()
    if (
        left
        and right
        and not DeclaredJoin.objects.filter(
            left_resource=left.resource, left_column=left.name, active=True
        ).exists()
    ):
        joins.declare(
            by=bureau,
            left=left,
            right=right,
            note="参保记录的用人单位，关联到企业登记信息（企业为隐私单元，分别计数）。",
        )


_PICK = re.compile(r"^list_element\((\[.*\]), \(hash")
_MONEY = re.compile(r"^round\((\d+) \+ \(hash\(i, '[^']*'\) % (\d+)\)::DOUBLE / 100, 2\)$")
_INT = re.compile(r"^\((\d+) \+ \(hash\(i, '[^']*'\) % (\d+)\)::BIGINT\)$")


def declared(field_type: str, sql: str) -> dict:
    """What a provider would declare of a generated column: the category set of a string
    picked from a list, the value range of an amount or a count (from the generator's spec,
    never from the data)."""
    if field_type == "string" and (m := _PICK.match(sql)):
        return {"choices": list(dict.fromkeys(str(v) for v in ast.literal_eval(m.group(1))))}
    if m := _MONEY.match(sql):
        low = int(m.group(1))
        return {"bound_low": float(low), "bound_high": low + int(m.group(2)) / 100}
    if m := _INT.match(sql):
        low = int(m.group(1))
        return {"bound_low": float(low), "bound_high": float(low + int(m.group(2)) - 1)}
    return {}


def _seed(work: Path, providers, scale: float, stdout) -> list[tuple[str, int]]:
    done = []
    con = duckdb.connect()
    pools(con)
    for short, attributes, rows, fields in RESOURCES:
        provider = providers[short]
        existing = Resource.objects.filter(provider=provider, name=attributes["name"]).first()
        if existing is not None and existing.active_version is not None:
            _declare(existing, fields)
            done.append((existing.name, existing.active_version.rows))
            continue
        resource = existing or services.register_resource(
            by=None,
            provider=provider,
            fields=[
                {"name": n, "label": label, "type": t, "pi_kind": pi, "is_privacy_unit": unit,
                 "is_quasi_identifier": quasi,
                 "sensitivity": "sensitive_pi" if pi == PIKind.RESIDENT_ID else "internal",
                 **declared(t, sql)}
                for n, label, t, pi, unit, quasi, sql in fields
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


def _declare(resource: Resource, fields) -> None:
    """Bring a demo resource seeded by an earlier release up to today's declarations."""
    for name, _label, field_type, *_rest, sql in fields:
        values = declared(field_type, sql)
        if values:
            resource.fields.filter(name=name, bound_low__isnull=True, choices=[]).update(**values)
