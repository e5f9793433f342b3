from django.conf import settings
from django.urls import include, path

from pdao.accounts.views import captcha_image
from pdao.api import api
from pdao.products import oauth
from pdao.products.api import api as gateway_api

urlpatterns = [
    path("", include("pdao.core.urls")),
    path("accounts/", include("pdao.accounts.urls")),
    path("audit/", include("pdao.audit.urls")),
    path("ledger/", include("pdao.ledger.urls")),
    path("catalogue/", include("pdao.catalogue.urls")),
    path("authorization/", include("pdao.authorization.urls")),
    path("zone/", include("pdao.zone.urls")),
    path("notifications/", include("pdao.notifications.urls")),
    path("products/", include("pdao.products.urls")),
    path("supervision/", include("pdao.supervision.urls")),
    path("finance/", include("pdao.finance.urls")),
    path("market/", include("pdao.market.urls")),
    path("showcase/", include("pdao.showcase.urls")),
    path("api/v1/", api.urls),
    path("gateway/oauth/token", oauth.token, name="gateway_token"),
    path("gateway/v1/", gateway_api.urls),
    # The sign-in captcha's image (django-simple-captcha's view, under our access rules); the
    # name is the package's own, which its widget reverses.
    path("captcha/image/<str:key>/", captcha_image, {"scale": 1}, name="captcha-image"),
]
if settings.OIDC_ENABLED:
    urlpatterns.append(path("oidc/", include("mozilla_django_oidc.urls")))

handler400 = "pdao.core.errors.bad_request"
handler403 = "pdao.core.errors.permission_denied"
handler404 = "pdao.core.errors.page_not_found"
handler500 = "pdao.core.errors.server_error"
