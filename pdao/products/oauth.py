"""The token endpoint: django-oauth-toolkit's, open to anyone (the client authenticates with
its id and secret), limited per address, and refusing revoked credentials."""

from django.views.decorators.csrf import csrf_exempt
from oauth2_provider.views import TokenView

from pdao.core.access import public, rate_limited

token = csrf_exempt(public(methods=("POST",))(rate_limited("120/m")(TokenView.as_view())))
