import pytest
from django.core.management import CommandError, call_command

from pdao.accounts.models import Organisation

# What the seeded demo holds is tested in tests/demo/, against one seed shared by the package.


@pytest.mark.django_db
def test_seed_demo_refused_outside_demo_mode(settings):
    settings.DEMO = False
    with pytest.raises(CommandError, match="PDAO_DEMO=true"):
        call_command("seed_demo", password="Demo-Str0ng-pass")
    assert not Organisation.objects.exists()
