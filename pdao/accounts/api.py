from datetime import datetime

from django.shortcuts import get_object_or_404
from ninja import Router, Schema

from pdao.accounts.models import Organisation
from pdao.core.access import api_requires, api_requires_login
from pdao.core.permissions import Perm

router = Router(tags=["accounts"])


class OrganisationOut(Schema):
    id: int
    name: str
    short_name: str
    type: str
    type_label: str
    credit_code: str
    division_code: str
    is_active: bool
    verified_at: datetime | None

    @staticmethod
    def resolve_type_label(obj) -> str:
        return str(obj.get_type_display())


class MeOut(Schema):
    id: int
    username: str
    display_name: str
    organisation: OrganisationOut | None
    roles: list[str]
    permissions: list[str]


@router.get("/me", response=MeOut, summary="The signed-in user, roles and permissions")
@api_requires_login()
def me(request):
    user = request.user
    return {
        "id": user.pk,
        "username": user.username,
        "display_name": user.display_name,
        "organisation": user.organisation,
        "roles": sorted(user.roles),
        "permissions": sorted(user.permissions),
    }


@router.get("/organisations", response=list[OrganisationOut], summary="Organisations visible")
@api_requires(Perm.ORGANISATIONS_VIEW)
def list_organisations(request, type: str | None = None):
    organisations = Organisation.objects.visible_to(request.user)
    if type:
        organisations = organisations.filter(type=type)
    return organisations


@router.get("/organisations/{organisation_id}", response=OrganisationOut)
@api_requires(Perm.ORGANISATIONS_VIEW)
def get_organisation(request, organisation_id: int):
    return get_object_or_404(Organisation.objects.visible_to(request.user), pk=organisation_id)
