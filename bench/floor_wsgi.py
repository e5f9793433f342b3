"""The benchmark's WSGI application: pdao with bench/floor_urls.py (see bench/gateway.py)."""

from django.core.wsgi import get_wsgi_application

application = get_wsgi_application()
