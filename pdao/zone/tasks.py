"""Background work of the zone, run by the task worker (`manage.py db_worker`)."""

from django.tasks import task

from pdao.zone.services import run_submitted


@task
def execute_query(query_id: int) -> str:
    """专区查询: run a query the workspace page submitted (see services.run_submitted)."""
    return run_submitted(query_id).decision
