import json

import pytest
from django.test import Client
from django.urls import reverse

from pdao.accounts import services as accounts
from pdao.core.permissions import Role
from pdao.ledger import note, receipt, services
from tests.factories import OrganisationFactory, user_with_role

pytestmark = pytest.mark.django_db


def test_verifying_an_organisation_puts_it_on_the_ledger_with_a_badge(
    bureau_admin, client_for, django_capture_on_commit_callbacks
):
    organisation = OrganisationFactory()
    with django_capture_on_commit_callbacks(execute=True):
        accounts.verify_organisation(organisation, by=bureau_admin)
    [row] = services.entries_for(organisation)
    assert row.type == "organisation.verify" and row.position is not None
    body = (
        client_for(bureau_admin)
        .get(reverse("accounts:organisation_detail", args=[organisation.pk]))
        .content.decode()
    )
    assert "已上链" in body
    assert reverse("ledger:entry_receipt", args=[row.position]) in body


def test_downloaded_receipt_verifies(bureau_admin, client_for, django_capture_on_commit_callbacks):
    organisation = OrganisationFactory()
    with django_capture_on_commit_callbacks(execute=True):
        accounts.verify_organisation(organisation, by=bureau_admin)
    [row] = services.entries_for(organisation)
    operator = user_with_role(Role.OPERATOR)
    response = client_for(operator).get(reverse("ledger:entry_receipt", args=[row.position]))
    assert response["Content-Disposition"].startswith("attachment;")
    log = note.Verifier.from_vkey(services.log_key().vkey)
    witnesses = [note.Verifier.from_vkey(w.vkey) for w in services.witness_keys()]
    verified = receipt.verify(json.loads(response.content), log_key=log, witness_keys=witnesses)
    assert verified.entry["subject"] == {"accounts.organisation": str(organisation.pk)}


def test_public_keys_page_shows_vkeys_and_never_private_keys(django_capture_on_commit_callbacks):
    body = Client().get(reverse("ledger:keys")).content.decode()
    assert services.log_key().vkey in body
    assert "PRIVATE" not in body


def test_checkpoint_api_is_public_text_and_404_before_the_first(client_for):
    response = Client().get("/api/v1/ledger/checkpoint")
    assert response.status_code == 404
    assert response.json()["code"] == "no_checkpoint"
    services.anchor("test.fact", content_hash="1" * 64, by=None)
    services.publish_checkpoint()
    response = Client().get("/api/v1/ledger/checkpoint")
    assert response["Content-Type"].startswith("text/plain")
    assert response.content.decode().startswith("pdao.liuzhou/ledger\n1\n")


def test_proof_outside_the_tree_is_a_clear_400(client_for):
    services.anchor("test.fact", content_hash="1" * 64, by=None)
    services.publish_checkpoint()
    response = Client().get("/api/v1/ledger/proofs/consistency?old_size=1&new_size=5")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "no_such_proof" and "超出范围" in body["message"]


def test_supervisor_publishes_and_verifies_from_the_page(supervisor, client_for):
    services.anchor("test.fact", content_hash="1" * 64, by=None)
    client = client_for(supervisor)
    response = client.post(reverse("ledger:publish"), follow=True)
    assert "已发布树大小为 1 的签名检查点" in response.content.decode()
    response = client.post(reverse("ledger:verify"), follow=True)
    assert "账本校验通过" in response.content.decode()
