"""Evidence of declared costs: PDFs and images sniffed from their bytes, stored by hash, shown
to the reviewer and downloadable only by the operator and those who see every operator."""

from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from pdao.audit.models import AuditEvent
from pdao.core.permissions import Role
from pdao.finance import services as finance
from pdao.finance.choices import CostCategory, Standard
from pdao.finance.models import CostEvidence
from tests.factories import user_with_role

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.4\n% an invoice\n"


@pytest.fixture
def item(industry):
    bureau, owner = industry.city.bureau, industry.operator
    period = finance.open_period(by=bureau, operator=owner.organisation,
                                 starts_on=date(2025, 1, 1), ends_on=date(2025, 12, 31),
                                 standard=Standard.TRIAL)  # fmt: skip
    survey = finance.start_survey(by=bureau, period=period, year=2025)
    return finance.declare_cost(
        by=owner, survey=survey, category=CostCategory.PLATFORM, description="云资源",
        amount="12000", industry_percent="100",
    )  # fmt: skip


def test_evidence_is_sniffed_stored_and_shown_to_whom_it_concerns(industry, item, client_for):
    owner = client_for(industry.operator)
    url = f"/finance/costs/{item.pk}/evidence/"
    html = SimpleUploadedFile("发票.pdf", b"<html><script>alert(1)</script></html>")
    page = owner.post(url, {"file": html}, follow=True).content.decode()
    assert "只接受 PDF、PNG 或 JPEG 文件" in page and not CostEvidence.objects.exists()
    owner.post(url, {"file": SimpleUploadedFile("云资源发票.pdf.html", PDF)})
    evidence = CostEvidence.objects.get()
    assert (evidence.content_type, evidence.bytes) == ("application/pdf", len(PDF))
    assert AuditEvent.objects.filter(action="finance.cost.evidence").exists()
    period_page = client_for(industry.city.bureau).get(f"/finance/periods/{item.survey.period_id}/")
    assert "云资源发票.pdf.html" in period_page.content.decode()
    download = client_for(industry.city.bureau).get(f"/finance/evidence/{evidence.pk}/")
    assert download.status_code == 200 and b"".join(download.streaming_content) == PDF
    # Downloaded under the type its bytes were sniffed as, never the uploader's extension.
    assert download["Content-Disposition"].endswith("%E5%8F%91%E7%A5%A8.pdf")
    stranger = client_for(user_with_role(Role.OPERATOR))
    assert stranger.get(f"/finance/evidence/{evidence.pk}/").status_code == 404
    assert stranger.post(url, {"file": SimpleUploadedFile("x.pdf", PDF)}).status_code == 404
    finance.submit_survey(by=industry.operator, survey=item.survey)
    late = owner.post(url, {"file": SimpleUploadedFile("x.pdf", PDF)}, follow=True)
    assert "不能进行此操作" in late.content.decode()
    assert CostEvidence.objects.count() == 1
