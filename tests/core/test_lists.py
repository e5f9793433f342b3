"""pdao.core.lists over the simplest lists: organisations and users (bureau), demands (public,
staff export only), the zone's query log (no SQL text in its export)."""

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from pdao.accounts.choices import OrganisationType
from pdao.audit.models import AuditEvent
from pdao.authorization import services as authorizations
from pdao.catalogue import demands
from pdao.core.permissions import Role
from tests.factories import OrganisationFactory, user_with_role

pytestmark = pytest.mark.django_db


def _sheet(response) -> list[tuple]:
    assert response.status_code == 200
    return list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))


def test_organisations_filter_as_chips_and_export_what_is_shown(client):
    bureau = user_with_role(Role.BUREAU_ADMIN)
    OrganisationFactory(type=OrganisationType.PROVIDER, name="柳州市测试局")
    client.force_login(bureau)
    url = reverse("accounts:organisation_list")
    page = client.get(url, {"type": OrganisationType.PROVIDER, "q": "测试"})
    assert [o.name for o in page.context["page"]] == ["柳州市测试局"]
    assert {(c.label, c.value) for c in page.context["chips"]} == {
        ("类型", str(OrganisationType.PROVIDER.label)),
        ("名称或信用代码", "测试"),
    }
    rows = _sheet(
        client.get(url, {"type": OrganisationType.PROVIDER, "q": "测试", "export": "xlsx"})
    )
    assert rows[1][:2] == ("柳州市测试局", str(OrganisationType.PROVIDER.label))
    assert AuditEvent.objects.filter(action="list.export", actor_id=bureau.pk).count() == 1


def test_users_filter_by_role_and_export_role_names(client):
    admin = user_with_role(Role.BUREAU_ADMIN)
    supervisor = user_with_role(Role.SUPERVISOR)
    client.force_login(admin)
    url = reverse("accounts:user_list")
    page = client.get(url, {"role": Role.SUPERVISOR})
    assert [u.pk for u in page.context["page"]] == [supervisor.pk]
    rows = _sheet(client.get(url, {"role": Role.SUPERVISOR, "export": "xlsx"}))
    assert rows[1][0] == supervisor.username
    assert rows[1][3] == str(Role.SUPERVISOR.label)  # the role by name, not its code


def test_the_public_demand_list_filters_but_only_staff_may_export(client):
    demands.post_demand(
        by=None, title="公交到站数据", description="用于出行服务", name="市民",
        contact="13800000000", domain="",
    )  # fmt: skip
    url = reverse("catalogue:demands")
    public = client.get(url, {"q": "公交", "export": "xlsx"})
    assert public["Content-Type"].startswith("text/html")  # no download for visitors
    assert 'data-testid="export-xlsx"' not in public.content.decode()
    assert [d.title for d in public.context["page"]] == ["公交到站数据"]
    client.force_login(user_with_role(Role.BUREAU_ADMIN))
    rows = _sheet(client.get(url, {"export": "xlsx"}))
    assert rows[1][0] == "公交到站数据"
    cells = {c for r in rows for c in r}
    assert "13800000000" not in cells  # contacts never leave
    assert not any(str(c).startswith("XQ") for c in cells)  # nor the tracking numbers


def test_qualifications_filter_by_status_and_export(client):
    owner = user_with_role(Role.OPERATOR)
    authorizations.save_qualification(owner.organisation, by=owner, submit=True, dengbao_level=3)
    client.force_login(user_with_role(Role.BUREAU_ADMIN))
    url = reverse("authorization:qualification_list")
    assert client.get(url, {"status": "verified"}).context["page"].paginator.count == 0
    waiting = client.get(url, {"status": "submitted"})
    assert [q.organisation for q in waiting.context["page"]] == [owner.organisation]
    rows = _sheet(client.get(url, {"status": "submitted", "export": "xlsx"}))
    assert rows[1][:2] == (owner.organisation.name, 3)


def test_control_characters_anyone_can_type_never_break_an_export(client):
    demands.post_demand(
        by=None, title="需求\x08控制字符", description="d", name="测试\x01人",
        contact="ctl@example.com",
    )  # fmt: skip
    client.force_login(user_with_role(Role.CONSUMER))  # every role reads the list ...
    assert client.get(reverse("catalogue:demands"), {"export": "xlsx"})["Content-Type"].startswith(
        "text/html"
    )  # ... the bureau, who answers demands, exports it
    client.force_login(user_with_role(Role.BUREAU_ADMIN))
    rows = _sheet(client.get(reverse("catalogue:demands"), {"export": "xlsx"}))
    assert rows[1][0] == "需求控制字符" and rows[1][2] == "测试人"


@pytest.mark.parametrize(
    ("name", "query"),
    [
        ("products:deliveries", {"date": "9999-12-31"}),
        ("zone:queries", {"date": "0001-01-01"}),
        ("zone:queries", {"created_after": "0001-01-01"}),
        ("supervision:alert_list", {"date": "9999-12-31", "export": "xlsx"}),
        ("supervision:incident_list", {"month": "9999-12"}),
    ],
)
def test_the_edges_of_the_calendar_break_nothing(client, name, query):
    client.force_login(user_with_role(Role.SUPERVISOR))
    assert client.get(reverse(name), query).status_code == 200  # each was a 500
