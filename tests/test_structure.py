"""Guards of the code's structure: what says it is pure is pure, and every doctest runs.

Purity: a module whose docstring declares it pure ("Pure: …", "Pure library", "no Django")
must import in a process where Django cannot be imported at all — as a government auditor runs
pdao-verify, or a benchmark runs the zone engine. The modules are found by reading docstrings,
so a new module that declares itself pure is covered without touching this file; a package
that declares itself pure covers each of its submodules; and an explicit minimum list keeps
the discovery from silently finding nothing.

Doctests: every module under pdao/ (migrations aside) whose source holds `>>>` has its
examples run here, so they run in `make test` and cannot drift from the code.
"""

from __future__ import annotations

import ast
import doctest
import functools
import importlib
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PDAO = ROOT / "pdao"

# What a module docstring says when the module is pure: "Pure: …", "Pure library", "Pure,
# no Django", "Pure (the standard library)", "with no Django import" — but not "the pure
# modules beside this one", which speaks of other modules.
DECLARES_PURE = re.compile(r"\bPure\b|\b[Nn]o Django\b")

# At least these must be checked, whatever the discovery finds. entry and receipt are pure by
# the ledger's design (pdao.ledger.models names them; pdao-verify imports them) without their
# own docstrings saying so; every other one declares it.
MINIMUM = {
    "pdao.zone.engine",
    "pdao.zone.sample",
    "pdao.watermark",
    "pdao.catalogue.ingest",
    "pdao.catalogue.quality",
    "pdao.catalogue.matching",
    "pdao.products.params",
    "pdao.products.reports",
    "pdao.ledger.merkle",
    "pdao.ledger.note",
    "pdao.ledger.entry",
    "pdao.ledger.receipt",
    "pdao.ledger.verify_cli",
    "pdao.finance.money",
}
NOT_SELF_DECLARED = {"pdao.ledger.entry", "pdao.ledger.receipt"}


@functools.cache
def _modules() -> dict[str, Path]:
    """Every module under pdao/ except migrations: dotted name → file."""
    found = {}
    for path in sorted(PDAO.rglob("*.py")):
        relative = path.relative_to(ROOT).with_suffix("")
        if "migrations" in relative.parts:
            continue
        parts = relative.parts[:-1] if relative.name == "__init__" else relative.parts
        found[".".join(parts)] = path
    return found


def _docstring(path: Path) -> str:
    return " ".join((ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or "").split())


@functools.cache
def _declared_pure() -> frozenset[str]:
    """Modules whose own docstring declares them pure."""
    return frozenset(
        name for name, path in _modules().items() if DECLARES_PURE.search(_docstring(path))
    )


def _with_submodules(names: set[str]) -> set[str]:
    """`names`, and for each package among them every module inside it."""
    modules = _modules()
    covered = set(names)
    for name in names:
        if modules.get(name, Path()).name == "__init__.py":
            covered |= {m for m in modules if m.startswith(name + ".")}
    return covered


PURE = sorted(_with_submodules(_declared_pure() | MINIMUM))

# Run in a fresh interpreter: Django is made unimportable, then each module is imported on its
# own. A module that reaches Django fails with the chain of pdao files that led there.
_PROBE = r"""
import importlib, json, sys, traceback

PACKAGE = sys.argv[2]

class NoDjango:
    def find_spec(self, name, path=None, target=None):
        if name == "django" or name.startswith("django."):
            chain = [f"pdao/{f.filename[len(PACKAGE):]}:{f.lineno}"
                     for f in traceback.extract_stack() if f.filename.startswith(PACKAGE)]
            raise ModuleNotFoundError(f"{name} imported via " + " -> ".join(chain), name=name)
        return None

sys.meta_path.insert(0, NoDjango())
results = {}
for module in json.loads(sys.argv[1]):
    try:
        importlib.import_module(module)
        results[module] = None
    except BaseException as error:
        results[module] = f"{type(error).__name__}: {error}"
leaked = sorted(m for m in sys.modules if m == "django" or m.startswith("django."))
print(json.dumps({"results": results, "leaked": leaked}))
"""


@functools.cache
def _probe() -> dict:
    out = subprocess.run(
        [sys.executable, "-c", _PROBE, json.dumps(PURE), str(PDAO) + "/"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_the_discovery_finds_the_modules_that_declare_themselves_pure():
    declared = _declared_pure()
    missing = MINIMUM - NOT_SELF_DECLARED - declared
    assert not missing, sorted(missing)
    assert "pdao.ledger.models" not in declared  # speaks of "the pure modules beside this one"
    # A pure package covers its submodules.
    assert {"pdao.zone.engine.translate", "pdao.zone.engine.dp", "pdao.watermark.stats"} <= set(
        PURE
    )


@pytest.mark.parametrize("module", PURE)
def test_a_module_declared_pure_imports_without_django(module):
    probe = _probe()
    assert probe["results"][module] is None, probe["results"][module]


def test_nothing_imported_in_the_pure_probe_leaked_django():
    assert _probe()["leaked"] == []


# --- Doctests ------------------------------------------------------------------------------

# Modules known to hold examples: the search below must find at least these.
DOCTEST_MINIMUM = {"pdao.core.calendar", "pdao.ledger.merkle", "pdao.accounts.credit_code"}


def _with_examples() -> list[str]:
    return sorted(n for n, p in _modules().items() if ">>>" in p.read_text(encoding="utf-8"))


def test_every_doctest_under_pdao_passes():
    """Django is set up by pytest-django, so modules that need it import here too."""
    modules = _with_examples()
    assert not DOCTEST_MINIMUM - set(modules), sorted(DOCTEST_MINIMUM - set(modules))
    finder = doctest.DocTestFinder()
    runner = doctest.DocTestRunner(verbose=False)
    report: list[str] = []
    attempted: dict[str, int] = {}
    for name in modules:
        module = importlib.import_module(name)
        for test in sorted(finder.find(module), key=lambda t: t.name):
            result = runner.run(test, out=report.append, clear_globs=True)
            attempted[name] = attempted.get(name, 0) + result.attempted
    assert runner.failures == 0, "".join(report)
    assert runner.tries > 0, attempted
    assert attempted.get("pdao.core.calendar", 0) >= 1, attempted


# --- Function-local imports of pdao ---------------------------------------------------------
# An import inside a function hides a dependency, and about sixty of them once hid a cycle
# between products, zone and supervision. One is allowed where it must be — a cycle broken on
# purpose (tasks that import the services that enqueue them), an AppConfig.ready() loading
# modules once models exist — and then it says why: a comment on its line (beyond a bare
# `noqa`) or on the line above. Migrations are left alone: they freeze what they imported.

_NOQA = re.compile(r"noqa(:\s*[A-Z]+[0-9]+(\s*,\s*[A-Z]+[0-9]+)*)?")


def _says_why(comment: str) -> bool:
    """Whether a comment holds words beyond a `noqa` directive."""
    return bool(re.search(r"\w", _NOQA.sub("", comment.lstrip("#"))))


def _explained(lines: list[str], lineno: int) -> bool:
    line = lines[lineno - 1]
    if "#" in line and _says_why(line[line.index("#") :]):
        return True
    # A comment above a run of imports explains the run.
    above = lineno - 2
    while above >= 0 and lines[above].lstrip().startswith(("from ", "import ")):
        above -= 1
    comment = lines[above].strip() if above >= 0 else ""
    return comment.startswith("#") and _says_why(comment)


def _local_pdao_imports(path: Path, root: Path = ROOT) -> list[str]:
    source = path.read_text(encoding="utf-8")
    lines = source.splitlines()
    found = []
    for function in ast.walk(ast.parse(source)):
        if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for node in ast.walk(function):
            if isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            else:
                continue
            ours = any(n == "pdao" or n.startswith("pdao.") for n in names)
            if ours and not _explained(lines, node.lineno):
                found.append(f"{path.relative_to(root)}:{node.lineno}: {lines[node.lineno - 1]}")
    return found


def test_every_function_local_pdao_import_says_why():
    paths = [p for p in PDAO.rglob("*.py") if "migrations" not in p.parts]
    unexplained = sorted({line for p in paths for line in _local_pdao_imports(p)})
    assert unexplained == [], "\n".join(unexplained)


def test_the_local_import_guard_tells_a_reason_from_a_bare_noqa(tmp_path):
    probe = tmp_path / "probe.py"
    probe.write_text(
        "from pdao.core import rules\n\n"
        "def bare():\n    from pdao.core import rules  # noqa: F401\n\n"
        "def silent():\n    import pdao.core.rules\n\n"
        "def same_line():\n    from pdao.core import rules  # noqa: F401 — rules import this\n\n"
        "def line_above():\n    # loaded late: rules import this module\n"
        "    import pdao.core.rules\n    from pdao.core import files\n\n"
        "def not_ours():\n    import json\n\n"
        "def after_code():\n    x = 1\n    from pdao.core import files\n",
        encoding="utf-8",
    )
    found = _local_pdao_imports(probe, root=tmp_path)
    assert [line.split(":")[1] for line in found] == ["4", "7", "22"]
