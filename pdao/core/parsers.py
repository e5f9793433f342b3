"""Imported once by the parse sandbox's fork server (pdao.core.sandbox) so that each child starts
with Django configured — translations and choice labels work, no database connection is
opened — and with the parsers already loaded."""

import django

django.setup()

from pdao.catalogue import excel, ingest  # noqa: E402, F401 — loaded for the children
from pdao.products import leaks  # noqa: E402, F401
