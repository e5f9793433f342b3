"""Background work of the catalogue, run by the task worker (`manage.py db_worker`)."""

from django.tasks import task


@task
def run_ingest(job_id: int) -> None:
    """归集: turn a staged upload into a version (see services.run_ingest_job)."""
    from pdao.catalogue.services import run_ingest_job  # services imports this module

    run_ingest_job(job_id)
