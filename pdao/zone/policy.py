"""The engine's policy for one authorization, built from the access decision (what it grants)
and the catalogue (active versions, field types, privacy units, declared ranges, value sets and
joins), pointing the engine at the zone's keyed copy of each version (`zone.tables`)."""

from __future__ import annotations

import functools
from pathlib import Path

from django.conf import settings
from django.db.models import Sum

from pdao.authorization import access
from pdao.catalogue.choices import PIKind, min_k
from pdao.catalogue.ingest import TYPES
from pdao.catalogue.models import DeclaredJoin, Resource
from pdao.core import keys
from pdao.zone import engine, tables
from pdao.zone.models import DerivedDataset, ReleasedValue, ReleasedValueCode

# Direct identifiers: never filtered, grouped or ordered on; pseudonymised in records.
IDENTIFIER_KINDS = {
    PIKind.RESIDENT_ID,
    PIKind.MOBILE,
    PIKind.BANK_CARD,
    PIKind.LICENCE_PLATE,
    PIKind.CREDIT_CODE,
    PIKind.PERSON_NAME,
    PIKind.ADDRESS,
    PIKind.OTHER,
}


def pseudonym_key(authorization) -> bytes:
    """A key per authorization, derived (never stored) from the key-encryption secret: the
    same person gets the same pseudonym within one authorization and unlinkable ones across."""
    return keys.derive(keys.ZONE_PSEUDONYMS, authorization.code.encode())


@functools.cache
def noise_key() -> bytes:
    """One key for the whole platform, derived (never stored) from the key-encryption secret:
    the cell key method gives a cell the same noise whoever asks, so two authorizations (or
    two operators comparing notes) never get two independent draws of one cell."""
    return keys.derive(keys.ZONE_NOISE)


def table_name(resource: Resource) -> str:
    """Queries name a table by its resource's Chinese name."""
    return resource.name


def epsilon_left(authorization) -> float:
    """The agreement's ε total minus what the authorization's queries have debited."""
    spent = authorization.zone_queries.aggregate(s=Sum("epsilon_spent"))["s"] or 0.0
    return max(0.0, authorization.epsilon_total - spent)


def k_for_tables(names: list[str]) -> int:
    """The least k an aggregate over these tables (by their names in queries) is held to."""
    grades = list(Resource.objects.filter(name__in=names).values_list("grade", flat=True))
    grades += DerivedDataset.objects.filter(name__in=names).values_list("grade", flat=True)
    return min_k(grades)


def unavailable(authorization, grant: access.Grant) -> dict[str, str]:
    """Granted tables the zone cannot answer for, with why (shown in the workspace)."""
    found = {}
    for resource in Resource.objects.filter(code__in=grant.scope).prefetch_related("fields"):
        if resource.active_version is None:
            found[table_name(resource)] = "尚无启用的数据版本"
        elif not resource.non_personal and not any(
            f.is_privacy_unit for f in resource.fields.all()
        ):
            found[table_name(resource)] = "未标注隐私单元，也未声明为非个人数据"
    return found


def build(
    authorization, grant: access.Grant, *, epsilon_per_query: float | None = None
) -> engine.Policy:
    found, grades = {}, []
    resources = Resource.objects.filter(code__in=grant.scope).prefetch_related("fields")
    names = {}
    for resource in resources:
        version = resource.active_version
        fields = list(resource.fields.all())
        unit = next((f for f in fields if f.is_privacy_unit), None)
        if version is None or (unit is None and not resource.non_personal):
            continue
        allowed = grant.scope[resource.code]
        path = (
            tables.prepared(version, unit.name)
            if unit is not None and not resource.non_personal
            else tables.version_path(version)
        )
        found[table_name(resource)] = engine.TablePolicy(
            path=str(path),
            columns={f.name: frozenset(allowed[f.name]) for f in fields if f.name in allowed},
            types={f.name: TYPES[f.type] for f in fields},
            privacy_unit=None if resource.non_personal else unit.name,
            identifiers=frozenset(f.name for f in fields if f.pi_kind in IDENTIFIER_KINDS),
            quasi_identifiers=frozenset(f.name for f in fields if f.is_quasi_identifier),
            bounds={
                f.name: (f.bound_low, f.bound_high)
                for f in fields
                if f.bound_low is not None and f.bound_high is not None
            },
            categories={f.name: tuple(f.choices) for f in fields if f.choices},
            # Every version of a resource is one family of the register (the unit keys are
            # the same in every version).
            roots=(f"resource:{resource.pk}:{unit.name}",) if unit is not None else (),
        )
        names[resource.pk] = table_name(resource)
        grades.append(resource.grade)
    for derived in authorization.derived_datasets.filter(destroyed_at__isnull=True):
        found[derived.name] = derived_policy(derived)
        grades.append(derived.grade)
    joins = tuple(
        engine.Join(
            names[j.left_resource_id], j.left_column, names[j.right_resource_id], j.right_column
        )
        for j in DeclaredJoin.objects.filter(
            active=True, left_resource__in=names, right_resource__in=names
        )
    )
    per_query = authorization.epsilon_query_max if epsilon_per_query is None else epsilon_per_query
    return engine.Policy(
        tables=found,
        joins=joins,
        k=min_k(grades),
        noise_key=noise_key(),
        epsilon_left=epsilon_left(authorization),
        epsilon_per_query=per_query,
        epsilon_min=authorization.epsilon_query_min,
        epsilon_max=authorization.epsilon_query_max,
        pseudonym_key=pseudonym_key(authorization),
        timeout_seconds=settings.ZONE_QUERY_SECONDS,
        memory_limit=settings.ZONE_MEMORY_LIMIT,
        history=remembered,
    )


def remembered(family: str, codes, least: int, most: int, *, since=None) -> list[dict]:
    """The register's numbers of `family` that share one of `codes` and have between `least`
    and `most` contributors (engine history.py asks; the same for every authorization, as the
    noise is). `since`: only those added from then on."""
    shared: dict[int, list[int]] = {}  # released number → the asked codes it has
    codes = sorted(codes)
    for start in range(0, len(codes), 500):
        found = ReleasedValueCode.objects.filter(
            family=family,
            code__in=codes[start : start + 500],
            contributors__gte=least,
            contributors__lte=most,
        )
        if since is not None:
            found = found.filter(released__created_at__gte=since)
        for pk, code in found.values_list("released_id", "code"):
            shared.setdefault(pk, []).append(code)
    ids = sorted(shared)
    values = []
    for start in range(0, len(ids), 500):
        values += ReleasedValue.objects.filter(pk__in=ids[start : start + 500]).values_list(
            "pk", "contributors", "sketch", "value"
        )
    return [
        {"id": pk, "contributors": n, "codes": shared[pk], "sketch": sketch, "value": value}
        for pk, n, sketch, value in sorted(values)
    ]


def derived_policy(derived) -> engine.TablePolicy:
    """A derived dataset as a table: everything it inherits came by lineage (save_derived)."""
    columns = derived.columns
    units = [derived.privacy_unit, *derived.extra_units] if derived.privacy_unit else []
    return engine.TablePolicy(
        path=str(Path(settings.DATA_DIR) / "derived" / derived.path),
        columns={c: frozenset(v["forms"]) for c, v in columns.items() if v["forms"]},
        types={c: v["type"] for c, v in columns.items()},
        privacy_unit=units[0] if units else None,
        extra_units=tuple(units[1:]),
        identifiers=frozenset(c for c, v in columns.items() if v.get("identifier")),
        quasi_identifiers=frozenset(c for c, v in columns.items() if v.get("quasi_identifier")),
        bounds={c: tuple(v["bounds"]) for c, v in columns.items() if v.get("bounds")},
        categories={c: tuple(v["categories"]) for c, v in columns.items() if v.get("categories")},
        derived=True,
        roots=tuple(derived.roots or ()),
        computed=frozenset(c for c, v in columns.items() if not v.get("plain")),
    )
