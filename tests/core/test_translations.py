"""The English catalogue is complete and its compiled form is current.

(CI also re-extracts the catalogue with makemessages and fails when the source drifted.)
"""

import ast
import gettext
from pathlib import Path

PO = Path(__file__).resolve().parents[2] / "pdao/locale/en/LC_MESSAGES/django.po"


def _read_po(path: Path) -> list[tuple[str, str, bool]]:
    """(msgid, msgstr, fuzzy) for each singular entry; enough of the .po format for this."""
    entries, current, field, fuzzy = [], {}, None, False
    for line in [*path.read_text(encoding="utf-8").splitlines(), ""]:
        if not line.strip():
            if "msgid" in current and "msgid_plural" not in current:
                entries.append((current["msgid"], current.get("msgstr", ""), fuzzy))
            current, field, fuzzy = {}, None, False
        elif line.startswith("#,") and "fuzzy" in line:
            fuzzy = True
        elif line.startswith(("msgid ", "msgstr ", "msgid_plural ")):
            field, _, literal = line.partition(" ")
            current[field] = ast.literal_eval(literal)
        elif line.startswith('"') and field:
            current[field] += ast.literal_eval(line)
    return [e for e in entries if e[0]]


def test_every_message_has_an_english_translation():
    entries = _read_po(PO)
    assert len(entries) > 100
    assert [msgid for msgid, msgstr, _ in entries if not msgstr] == []
    assert [msgid for msgid, _, fuzzy in entries if fuzzy] == []


def test_compiled_catalogue_matches_the_source():
    with PO.with_suffix(".mo").open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    stale = [msgid for msgid, msgstr, _ in _read_po(PO) if compiled.gettext(msgid) != msgstr]
    assert stale == [], "run `make messages` to recompile the catalogue"
