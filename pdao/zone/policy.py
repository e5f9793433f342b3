"""The engine's policy for one authorization, built from the access decision (what it grants)
and the catalogue (active versions, field types, privacy units, declared ranges and sets)."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.db.models import Sum

from pdao.authorization import access
from pdao.catalogue import services as catalogue
from pdao.catalogue.choices import PIKind
from pdao.catalogue.ingest import TYPES
from pdao.catalogue.models import Resource
from pdao.zone import engine

# Direct identifiers: pseudonymised whenever a de-identified record carries them.
IDENTIFIER_KINDS = {
    PIKind.RESIDENT_ID,
    PIKind.MOBILE,
    PIKind.BANK_CARD,
    PIKind.LICENCE_PLATE,
    PIKind.CREDIT_CODE,
    PIKind.PERSON_NAME,
    PIKind.OTHER,
}
K_BY_GRADE = {"important": 20, "general_4": 15}  # k for aggregates; 10 otherwise


def pseudonym_key(authorization) -> bytes:
    """A key per authorization, derived (never stored) from the key-encryption secret: the
    same person gets the same pseudonym within one authorization and unlinkable ones across."""
    return HKDF(
        hashes.SHA256(), 32, salt=b"pdao-zone-pseudonyms", info=authorization.code.encode()
    ).derive(settings.KEY_ENCRYPTION_SECRET.encode())


def table_name(resource: Resource) -> str:
    """Queries name a table by its resource's Chinese name."""
    return resource.name


def epsilon_left(authorization) -> float:
    """The agreement's ε total minus what the authorization's queries have spent."""
    spent = authorization.zone_queries.aggregate(s=Sum("epsilon_spent"))["s"] or 0.0
    return max(0.0, authorization.epsilon_total - spent)


def k_for_tables(tables: list[str]) -> int:
    """The least k an aggregate over these tables (by their names in queries) is held to."""
    from pdao.zone.models import DerivedDataset

    grades = list(Resource.objects.filter(name__in=tables).values_list("grade", flat=True))
    grades += DerivedDataset.objects.filter(name__in=tables).values_list("grade", flat=True)
    return max([10, *(K_BY_GRADE.get(g, 10) for g in grades)])


def build(authorization, grant: access.Grant, *, epsilon_per_query: float = 0.5) -> engine.Policy:
    tables, k = {}, 10
    resources = Resource.objects.filter(code__in=grant.scope).prefetch_related("fields")
    for resource in resources:
        version = resource.active_version
        if version is None:
            continue
        allowed = grant.scope[resource.code]
        fields = list(resource.fields.all())
        unit = next((f for f in fields if f.is_privacy_unit), None)
        tables[table_name(resource)] = engine.TablePolicy(
            path=str(catalogue.versions_dir() / version.path),
            columns={f.name: frozenset(allowed[f.name]) for f in fields if f.name in allowed},
            types={f.name: TYPES[f.type] for f in fields},
            privacy_unit=unit.name if unit else fields[0].name,
            identifiers=frozenset(f.name for f in fields if f.pi_kind in IDENTIFIER_KINDS),
            quasi_identifiers=frozenset(f.name for f in fields if f.is_quasi_identifier),
            bounds={
                f.name: (f.bound_low, f.bound_high)
                for f in fields
                if f.bound_low is not None and f.bound_high is not None
            },
            categories={f.name: tuple(f.choices) for f in fields if f.choices},
        )
        k = max(k, K_BY_GRADE.get(resource.grade, 10))
    for derived in authorization.derived_datasets.all():
        cols = derived.columns
        source = tables.get(
            next((s.split(".")[0] for c in cols.values() for s in c["sources"]), "")
        )
        tables[derived.name] = engine.TablePolicy(
            path=str(Path(settings.DATA_DIR) / "derived" / derived.path),
            columns={c: frozenset(v["forms"]) for c, v in cols.items() if v["forms"]},
            types={c: v["type"] for c, v in cols.items()},
            privacy_unit=derived.privacy_unit,
            identifiers=frozenset(source.identifiers & set(cols)) if source else frozenset(),
            quasi_identifiers=frozenset(source.quasi_identifiers & set(cols))
            if source
            else frozenset(),
            bounds={c: b for c, b in (source.bounds.items() if source else []) if c in cols},
            categories={
                c: v for c, v in (source.categories.items() if source else []) if c in cols
            },
            derived=True,
        )
        k = max(k, K_BY_GRADE.get(derived.grade, 10))
    history = defaultdict(list)
    for cells in authorization.zone_queries.filter(decision="released").values_list(
        "cells", flat=True
    ):
        for table, measure, key, units in cells:
            history[(table, measure, tuple(key))].append(units)
    return engine.Policy(
        tables=tables,
        k=k,
        epsilon_left=epsilon_left(authorization),
        epsilon_per_query=epsilon_per_query,
        pseudonym_key=pseudonym_key(authorization),
        history=dict(history),
    )
