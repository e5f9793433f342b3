import pytest

from pdao.accounts.choices import OrganisationType
from pdao.catalogue import services
from pdao.core.permissions import Role
from tests.catalogue.test_ingest import COLUMNS
from tests.factories import OrganisationFactory, user_with_role


@pytest.fixture(autouse=True)
def _data_dir(settings, tmp_path):
    """Version files of each test go to its own directory."""
    settings.DATA_DIR = tmp_path / "data"


@pytest.fixture
def provider():
    return user_with_role(
        Role.PROVIDER, organisation=OrganisationFactory(type=OrganisationType.PROVIDER)
    )


@pytest.fixture
def resource(provider):
    fields = [
        {"name": c.name, "type": c.type, "required": c.required, "choices": list(c.choices),
         "label": c.label}
        for c in COLUMNS
    ]  # fmt: skip
    return services.register_resource(
        by=provider, provider=provider.organisation, fields=fields, name="社保参保人员(合成)",
        domain="governance", sharing="conditional", opening="none", frequency="monthly",
        grade="general_3", is_synthetic=True,
    )  # fmt: skip
