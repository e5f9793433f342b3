"""Access-decision benchmark: `pdao.authorization.access.decide` against its floor, in one run.

    make bench            # or: .venv/bin/python bench/access.py [--calls 5000]

The floor is the least any correct check must do per request: read the authorization's row
(one indexed query) — a cache alone would miss a suspension made in another process. Measured
on a SQLite file through Django, for an authorization granting 3 resources × 8 fields:

* floor: that row read with a bare cursor (and, for reference, through the ORM);
* decide, warm: the scope cached under the row's revision (the steady state);
* decide, cold: the revision bumped before every call, so the scope is rebuilt each time (the
  first request after every state change).

Prints µs per call and the ratio to the floor; writes bench/results/access.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def setup(workdir: Path):
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "pdao.settings",
            "PDAO_SECRET_KEY": "bench-only-" + "x" * 40,
            "DATABASE_URL": f"sqlite:///{workdir / 'pdao.sqlite3'}",
            "PDAO_DATA_DIR": str(workdir),
            "PDAO_DEBUG": "false",
            "PDAO_DEMO": "false",
        }
    )
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from datetime import timedelta

    from django.utils import timezone

    from pdao.accounts import credit_code
    from pdao.accounts.models import Organisation, RoleGrant, User
    from pdao.authorization import services
    from pdao.authorization.models import Application, Authorization, DemandField, DemandItem
    from pdao.catalogue import services as catalogue

    def org(name, kind, n):
        return Organisation.objects.create(
            name=name,
            type=kind,
            credit_code=credit_code.make("91", "450200", f"{n:08d}"),
            division_code="450200",
        )

    bureau = User.objects.create(username="bureau", organisation=org("市数据局", "data_bureau", 1))
    RoleGrant.objects.create(user=bureau, role="bureau_admin")
    operator = org("运营单位", "operator", 2)
    provider = org("提供单位", "provider", 3)
    application = Application.objects.create(
        code="LZ-AP-BENCH-0001",
        operator=operator,
        scenario="基准场景",
        domain="governance",
        description="d",
        beneficiaries="b",
        purpose="industry",
        outcomes="o",
        security_plan="s",
        status="active",
    )
    for r in range(3):
        fields = [{"name": f"字段{i}", "type": "string"} for i in range(8)]
        resource = catalogue.register_resource(
            by=None,
            provider=provider,
            fields=fields,
            name=f"资源{r}",
            domain="governance",
            sharing="conditional",
            opening="none",
            frequency="daily",
            grade="general_2",
        )
        item = DemandItem.objects.create(
            application=application,
            resource=resource,
            output_forms=["aggregate", "dp"],
            frequency="每日",
        )
        DemandField.objects.bulk_create(
            DemandField(item=item, field=f, purpose="p") for f in resource.fields.all()
        )
    agreement = services._make_agreement(application, by=bureau, limits={})
    authorization = Authorization.objects.create(
        code="LZ-AU-BENCH-0001",
        application=application,
        agreement=agreement,
        operator=operator,
        starts_on=timezone.localdate(),
        ends_on=timezone.localdate() + timedelta(days=365),
    )
    return authorization, operator, resource


def timed(fn, calls: int) -> float:
    fn()
    start = time.perf_counter()
    for _ in range(calls):
        fn()
    return (time.perf_counter() - start) / calls * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=5000)
    args = parser.parse_args()
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    with tempfile.TemporaryDirectory(prefix="pdao-bench-access-") as work:
        authorization, operator, resource = setup(Path(work))
        from django.db.models import F

        from pdao.authorization import access
        from pdao.authorization.models import Authorization

        code = authorization.code
        question = {
            "operator": operator.pk,
            "authorization": code,
            "resource": resource.code,
            "field": "字段7",
            "output_form": "dp",
        }
        assert access.decide(**question).allowed

        from django.db import connection

        def floor():
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT status, ends_on FROM authorization_authorization WHERE code = %s",
                    [code],
                )
                cursor.fetchone()

        def orm():
            Authorization.objects.filter(code=code).values("status", "ends_on").first()

        def warm():
            access.decide(**question)

        def cold():
            Authorization.objects.filter(code=code).update(revision=F("revision") + 1)
            access.decide(**question)

        def bump():
            Authorization.objects.filter(code=code).update(revision=F("revision") + 1)

        results = {
            "floor_us": timed(floor, args.calls),
            "orm_us": timed(orm, args.calls),
            "warm_us": timed(warm, args.calls),
            "cold_us": timed(cold, args.calls // 5) - timed(bump, args.calls // 5),
        }
    print(f"access decision, {args.calls:,} calls — {machine}")
    print(f"{'':<40}{'µs/call':>10}{'× floor':>10}")
    for label, key in (
        ("floor: one indexed row read (cursor)", "floor_us"),
        ("the same read through the ORM", "orm_us"),
        ("decide, scope cached (steady state)", "warm_us"),
        ("decide, scope rebuilt (after a change)", "cold_us"),
    ):
        print(f"{label:<40}{results[key]:>10.1f}{results[key] / results['floor_us']:>10.2f}")
    out = ROOT / "bench" / "results" / "access.json"
    out.write_text(json.dumps({"machine": machine, "calls": args.calls, **results}, indent=2))
    print(f"written to {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
