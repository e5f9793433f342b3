"""Agreements: signatures verify, one changed character breaks them, Word and PDF render, and
only the parties sign. Qualification documents: type sniffed, size capped, never served."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from pdao.authorization import agreements, services
from pdao.authorization.models import Agreement, Authorization, Qualification
from pdao.core.rules import RuleViolation
from pdao.ledger.models import SigningKey


@pytest.fixture
def signed(city):
    application = city.to_decision(city.draft((city.social, ["aggregate", "dp"])))
    return city.activate(application).agreement


def test_both_signatures_verify(signed):
    ok, checks = agreements.verify(signed)
    assert ok and len(checks) == 2 and all(c.valid for c in checks)
    assert signed.sha256 == agreements.digest(signed.terms)


def test_one_changed_character_breaks_verification(signed):
    terms = signed.terms
    terms["scenario"]["description"] = terms["scenario"]["description"][:-1] + "!"
    Agreement.objects.filter(pk=signed.pk).update(terms=terms)
    signed.refresh_from_db()
    ok, checks = agreements.verify(signed)
    assert not ok and not any(c.valid for c in checks)


def test_a_changed_limit_breaks_verification(signed):
    terms = signed.terms
    terms["limits"]["epsilon_total"] = "30.0"
    Agreement.objects.filter(pk=signed.pk).update(terms=terms)
    signed.refresh_from_db()
    assert agreements.verify(signed)[0] is False


def test_keys_are_per_organisation_and_never_in_a_page(city, signed, client_for):
    keys = SigningKey.objects.filter(purpose=SigningKey.Purpose.AGREEMENT)
    assert {k.holder for k in keys} == {
        city.bureau.organisation.name,
        city.operator.organisation.name,
    }
    page = (
        client_for(city.operator)
        .get(reverse("authorization:agreement_detail", args=[signed.pk]))
        .content.decode()
    )
    assert "签名有效" in page and signed.sha256 in page
    for key in keys:
        assert "PRIVATE KEY" not in page and bytes(key.encrypted_private_key).decode() not in page


def test_only_the_parties_sign_once_each(city):
    application = city.to_decision(city.draft((city.social, ["aggregate"])))
    agreement = services.decide(application, by=city.bureau, approve=True, reason="同意")
    for outsider in (city.provider, city.reviewers[0]):
        with pytest.raises(RuleViolation, match="协议双方"):
            services.sign_agreement(agreement, by=outsider)
    services.sign_agreement(agreement, by=city.operator)
    with pytest.raises(RuleViolation, match="已签署"):
        services.sign_agreement(agreement, by=city.operator)
    assert not Authorization.objects.filter(application=application).exists()


def test_word_and_pdf_carry_the_terms_and_the_hash(signed):
    from docx import Document

    document = Document(io.BytesIO(agreements.render_docx(signed)))
    text = "\n".join(p.text for p in document.paragraphs)
    assert signed.sha256 in text and "禁止行为" in text and "验证通过" in text
    scope = document.tables[0]
    assert signed.terms["scope"][0]["resource_name"] in scope.rows[1].cells[0].text
    pdf = agreements.render_pdf(signed)
    assert pdf.startswith(b"%PDF-") and len(pdf) > 5_000


def test_the_pdf_gives_the_output_forms_room_for_their_names(signed):
    """输出形式 was squeezed to one character a line: the scope table has fixed widths."""
    from django.template.loader import render_to_string
    from weasyprint import HTML

    html = render_to_string("authorization/agreement_print.html", agreements._context(signed))
    document = HTML(string=html).render()

    def boxes(box):
        yield box
        for child in getattr(box, "children", None) or []:
            yield from boxes(child)

    widths = {}
    for page in document.pages:
        for box in boxes(page._page_box):
            if type(box).__name__ == "TableCellBox":
                text = "".join(getattr(b, "text", "") for b in boxes(box))
                widths.setdefault(text, box.width)
    assert widths["输出形式"] >= 100  # CSS px: seven characters at 10.5 pt, at least
    assert widths["字段（用途）"] > widths["输出形式"]


def test_downloads_through_the_page(city, signed, client_for):
    client = client_for(city.operator)
    for fmt, kind in (("docx", "wordprocessingml"), ("pdf", "application/pdf")):
        response = client.get(reverse("authorization:agreement_download", args=[signed.pk, fmt]))
        assert response.status_code == 200 and kind in response["Content-Type"]


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def test_documents_are_sniffed_capped_and_stored_outside_served_paths(city, client_for, settings):
    profile = Qualification.objects.get(organisation=city.operator.organisation)
    # The name says PDF, the bytes say PNG: stored as what it is.
    document = services.add_document(
        profile, SimpleUploadedFile("licence.pdf", PNG), kind="licence", by=city.operator
    )
    assert document.content_type == "image/png" and document.stored.endswith(".png")
    stored = services.documents_dir() / document.stored
    assert stored.read_bytes() == PNG and str(settings.STATIC_ROOT) not in str(stored)
    with pytest.raises(RuleViolation, match="PDF、PNG 或 JPEG"):
        services.add_document(
            profile,
            SimpleUploadedFile("x.pdf", b"MZ\x90\x00 not a pdf"),
            kind="licence",
            by=city.operator,
        )
    with pytest.raises(RuleViolation, match="10 MiB"):
        services.add_document(
            profile,
            SimpleUploadedFile("big.pdf", b"%PDF-" + b"0" * (10 << 20)),
            kind="licence",
            by=city.operator,
        )
    url = reverse("authorization:document_download", args=[document.pk])
    assert client_for(city.operator).get(url).status_code == 200
    assert client_for(city.bureau).get(url).status_code == 200
    assert client_for(city.provider).get(url).status_code == 404


def test_a_document_downloads_under_its_sniffed_type_never_the_uploaders_name(city, client_for):
    """A PDF named a.pdf.html (with a script in it) is a PDF: served as application/pdf, an
    attachment named a.pdf, not sniffable by the browser, and never cached."""
    profile = Qualification.objects.get(organisation=city.operator.organisation)
    document = services.add_document(
        profile,
        SimpleUploadedFile("a.pdf.html", b"%PDF-1.4\n<script>alert(1)</script>"),
        kind="licence",
        by=city.operator,
    )
    response = client_for(city.bureau).get(
        reverse("authorization:document_download", args=[document.pk])
    )
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="a.pdf"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response["Cache-Control"]


def test_changing_a_verified_profile_sends_it_back_for_verification(city):
    services.save_qualification(city.operator.organisation, by=city.operator, dengbao_level=2)
    profile = Qualification.objects.get(organisation=city.operator.organisation)
    assert profile.status == "draft" and profile.problems()


def test_a_profile_holds_a_bounded_set_of_documents(city, monkeypatch):
    """Found by the second attack on files: 20 × 10 MiB went in at 60 MB/s with no limit."""
    monkeypatch.setattr(services.qualifications, "DOCUMENTS_PER_PROFILE", 3)
    profile = Qualification.objects.get(organisation=city.operator.organisation)
    profile.documents.all().delete()
    for i in range(3):
        services.add_document(
            profile, SimpleUploadedFile(f"{i}.png", PNG + bytes([i])), kind="licence",
            by=city.operator,
        )  # fmt: skip
    with pytest.raises(RuleViolation, match="最多保存 3 份"):
        services.add_document(
            profile, SimpleUploadedFile("x.png", PNG + b"x"), kind="licence", by=city.operator
        )
    assert profile.documents.count() == 3


def test_a_date_field_is_rendered_as_a_browser_date_input_can_show_it(city):
    """A <input type=date> takes YYYY-MM-DD only; the Chinese locale's 2028/11/27 left it
    empty (found by the second attack on files, looking at the qualification page)."""
    from datetime import date

    from pdao.authorization.forms import QualificationForm

    profile = Qualification.objects.get(organisation=city.operator.organisation)
    profile.dengbao_expires = date(2028, 11, 27)
    html = str(QualificationForm(instance=profile)["dengbao_expires"])
    assert 'value="2028-11-27"' in html
