#!/usr/bin/env python
import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pdao.settings")
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:
        settings.INSTALLED_APPS  # noqa: B018 — load settings now, so a missing value is named
    except ImproperlyConfigured as error:
        # Django would otherwise swallow this and fail later with an unrelated traceback.
        sys.exit(f"pdao: configuration error: {error}")
    execute_from_command_line(sys.argv)
