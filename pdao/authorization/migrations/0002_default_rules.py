"""The qualification table the bureau starts with (editable on the rules page): important
data needs 等保 level 3, DSMM level 3 and ISO/IEC 27001; general level 4 等保 3; level 3
等保 2; lower levels no certificate beyond a verified profile."""

from django.db import migrations

DEFAULTS = [
    ("important", 3, 3, 0, True),
    ("general_4", 3, 2, 0, False),
    ("general_3", 2, 0, 0, False),
    ("general_2", 0, 0, 0, False),
    ("general_1", 0, 0, 0, False),
]


def add(apps, schema_editor):
    Rule = apps.get_model("authorization", "QualificationRule")
    for grade, dengbao, dsmm, dcmm, iso in DEFAULTS:
        Rule.objects.get_or_create(
            grade=grade,
            defaults={"min_dengbao": dengbao, "min_dsmm": dsmm, "min_dcmm": dcmm,
                      "needs_iso27001": iso},
        )


class Migration(migrations.Migration):
    dependencies = [("authorization", "0001_initial")]
    operations = [migrations.RunPython(add, migrations.RunPython.noop)]
