"""The committed OpenAPI documents are the generated ones (make openapi regenerates)."""

from django.core.management import call_command

from pdao.core.management.commands import openapi


def test_committed_openapi_documents_match_the_code():
    call_command("openapi", "--check")


def test_gateway_document_names_the_token_flow_and_error_shape():
    import json

    gateway = json.loads(openapi.documents()["gateway.json"])
    flows = gateway["components"]["securitySchemes"]["ConsumerToken"]["flows"]
    assert flows["clientCredentials"]["tokenUrl"] == "/gateway/oauth/token"
    responses = gateway["paths"]["/gateway/v1/products/{code}"]["post"]["responses"]
    assert {"200", "400", "401", "403", "404", "422", "429"} <= set(responses)


def test_nul_characters_are_refused_before_any_view(client, db):
    assert client.get("/api/v1/audit/events?action=a%00b").json()["code"] == "bad_request"
    response = client.post("/gateway/v1/products/X", '{"params": {"a": "\\u0000"}}',
                           content_type="application/json")  # fmt: skip
    assert response.status_code == 400 and response.json()["code"] == "bad_request"
    assert client.get("/catalogue/open/?q=%00").status_code == 400
