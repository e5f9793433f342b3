"""Background work of supervision, run by the task worker (`manage.py db_worker`)."""

from django.core.cache import cache
from django.tasks import task

from pdao.catalogue.services import mark_stale_jobs
from pdao.core import monitoring
from pdao.supervision import services
from pdao.zone.services import mark_interrupted


@task()
def monitor() -> int:
    """Close zone queries and ingest jobs whose process died, run the monitoring rules, then
    queue the next run a minute later."""
    mark_interrupted()
    mark_stale_jobs()
    raised = services.run_rules()
    monitoring.minute_passed.send(sender=None)
    cache.delete("pdao:supervision:scheduled")
    services.ensure_scheduled()
    return len(raised)
