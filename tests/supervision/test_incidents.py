"""An incident ties alerts and emergency actions together and closes with a report, exported
as Word and PDF, its hash on the ledger."""

import io
import zipfile

import pytest

from pdao.core.rules import RuleViolation
from pdao.ledger.models import LedgerEntry
from pdao.supervision import emergency, incidents, services
from pdao.zone.models import ZoneQuery
from tests.products.conftest import _data_dir, city, market  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db
REPORT = "运营单位测试脚本误用字段,已下线脚本并培训人员;复核后恢复授权,无数据出域。"


def test_incident_from_alert_to_closing_report(market, client_for):  # noqa: F811
    ZoneQuery.objects.bulk_create(
        ZoneQuery(authorization=market.authorization, sql="SELECT …", form="aggregate",
                  decision="refused", rule="columns.unauthorized", tables=["t"], columns=["c"])
        for _ in range(10)
    )  # fmt: skip
    (alert,) = services.run_rules(codes=["probing"])
    incident = incidents.open_incident(by=market.supervisor, title="专区试探",
                                       description="反复被拒", severity="high",
                                       alerts=[alert])  # fmt: skip
    action = emergency.take("suspend_authorization", market.authorization.code,
                            by=market.supervisor, reason="调查期间暂停", alert=alert)  # fmt: skip
    assert action.incident == incident  # taken on the alert: filed under its open incident

    with pytest.raises(RuleViolation, match="生效中"):
        incidents.close_incident(incident, by=market.supervisor, report=REPORT)
    emergency.lift(action, by=market.city.bureau, reason="整改完成")
    with pytest.raises(RuleViolation, match="过短"):
        incidents.close_incident(incident, by=market.supervisor, report="好")
    incidents.close_incident(incident, by=market.supervisor, report=REPORT)

    incident.refresh_from_db()
    assert incident.status == "closed" and incident.code.startswith("LZ-IN-")
    assert LedgerEntry.objects.filter(type="incident.close", object_id=str(incident.pk)).exists()
    docx = incidents.render_docx(incident)
    with zipfile.ZipFile(io.BytesIO(docx)) as archive:
        text = archive.read("word/document.xml").decode()
    assert REPORT[:10] in text and market.authorization.code in text and "专区查询反复被拒" in text
    assert incidents.render_pdf(incident).startswith(b"%PDF")
    page = client_for(market.supervisor).get(f"/supervision/incidents/{incident.pk}/report.pdf")
    assert page.status_code == 200 and page["Content-Type"] == "application/pdf"
    with pytest.raises(RuleViolation, match="已结案"):
        incidents.close_incident(incident, by=market.supervisor, report=REPORT)


def test_only_the_supervisor_opens_incidents(market):  # noqa: F811
    with pytest.raises(RuleViolation):
        incidents.open_incident(by=market.operator, title="x", description="y", severity="high")
