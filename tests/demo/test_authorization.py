from pdao.authorization import access, agreements
from pdao.authorization.choices import ApplicationStatus
from pdao.authorization.models import Application, Authorization
from pdao.catalogue.models import Resource


def test_demo_authorizations_are_reviewed_signed_and_answer_by_output_form(demo):
    forms = {
        "DEMO-AGG": "aggregate",
        "DEMO-DP": "dp",
        "DEMO-DEID": "deidentified",
        "DEMO-MODEL": "model",
    }
    for code, form in forms.items():
        authorization = Authorization.objects.get(code=code)
        assert authorization.status == "active"
        assert agreements.verify(authorization.agreement)[0]
        scope = access.grant(code)
        assert isinstance(scope, access.Grant)
        ((resource, fields),) = scope.scope.items()
        assert Resource.objects.get(code=resource).active_version is not None
        assert all(form in allowed for allowed in fields.values())
        others = set(forms.values()) - {form} - {"aggregate"}
        field = next(iter(fields))
        for other in others:
            decision = access.decide(
                operator=authorization.operator,
                authorization=code,
                resource=resource,
                field=field,
                output_form=other,
            )
            assert decision.code == "output_form_not_allowed"
    stages = set(Application.objects.values_list("status", flat=True))
    assert {
        ApplicationStatus.SUBMITTED,
        ApplicationStatus.SCORING,
        ApplicationStatus.NOTICE,
        ApplicationStatus.ACTIVE,
    } <= stages
    demo.seed_again()
    # + DEMO-FIN and the showcase demo's seven scenarios
    assert Application.objects.count() == 15 and Authorization.objects.count() == 12
