"""Every type of ledger entry the platform writes has a name for the ledger's pages (the
overview listed authorization.agreement, dataset.derived, delivery.batch and report.release
as code names)."""

import re
from pathlib import Path

from django.urls import get_resolver

from pdao.audit import actions

SOURCE = Path(__file__).resolve().parents[2] / "pdao"
ANCHORED = re.compile(r"""(?:anchor|Fact)\(\s*"([a-z_]+\.[a-z_]+)\"""")


def test_every_ledger_entry_type_written_has_a_label():
    assert get_resolver().url_patterns  # every pillar's modules, with their definitions, imported
    codes = {
        code
        for path in SOURCE.rglob("*.py")
        for code in ANCHORED.findall(path.read_text(encoding="utf-8"))
    }
    assert {"authorization.agreement", "dataset.derived", "report.release"} <= codes
    assert sorted(c for c in codes if actions.label(c) == c) == []
