"""The one SQL-quoting helper: its examples run, and it stays importable without Django (the
pure ingest and quality libraries use it)."""

import doctest
import subprocess
import sys
from pathlib import Path

from pdao.core import sql

ROOT = Path(__file__).resolve().parents[2]


def test_the_examples_run():
    result = doctest.testmod(sql)
    assert result.attempted > 0
    assert result.failed == 0


def test_quotes_inside_are_doubled():
    assert sql.quote_ident('a"b') == '"a""b"'
    assert sql.quote_string("it's") == "'it''s'"
    assert sql.quote_ident("it's") == '"it\'s"'
    assert sql.quote_string('a"b') == "'a\"b'"


def test_imports_no_django():
    code = (
        "import sys\nimport pdao.core.sql\n"
        "print(sorted(m for m in sys.modules if m == 'django' or m.startswith('django.')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
