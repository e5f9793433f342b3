"""Several processes anchoring at once on PostgreSQL make one linear log that verifies."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from pdao.ledger import services
from pdao.ledger.models import Checkpoint, LedgerEntry

ROOT = Path(__file__).resolve().parents[2]
WRITERS, PER_WRITER = 4, 25

WRITER = """
import hashlib, sys
import django
django.setup()
from django.db import transaction
from pdao.ledger import services
for i in range({n}):
    with transaction.atomic():
        services.anchor("test.concurrent", subject={{"writer": sys.argv[1], "n": str(i)}},
                        content_hash=hashlib.sha256(f"{{sys.argv[1]}}-{{i}}".encode()).hexdigest(),
                        by=None)
"""


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_in_several_processes_make_one_linear_log(settings):
    if connection.vendor != "postgresql":
        pytest.skip("needs a database shared between processes: runs in the PostgreSQL suite")
    db = connection.settings_dict
    url = f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    env = os.environ | {
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": url,
        "PDAO_LEDGER_MIRROR_PATH": str(settings.LEDGER_MIRROR_PATH),
        "PDAO_LEDGER_CHECKPOINT_SECONDS": "0",  # every commit publishes: the hardest case
    }
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER.format(n=PER_WRITER), str(w)],
            cwd=ROOT,
            env=env,
            stderr=subprocess.PIPE,
            text=True,
        )
        for w in range(WRITERS)
    ]
    for writer in writers:
        _out, err = writer.communicate(timeout=300)
        assert writer.returncode == 0, err[-2000:]
        # After-commit work is robust (logged, not raised): a refusal or error would hide here.
        assert "refusal" not in err and "Error" not in err, err[-2000:]

    services.publish_checkpoint()
    positions = list(LedgerEntry.objects.order_by("position").values_list("position", flat=True))
    assert positions == list(range(WRITERS * PER_WRITER))
    assert Checkpoint.objects.count() > 1
    report = services.verify_ledger()
    assert report.ok, report.problems
