"""Scheduled work of authorization, run by the task worker (`manage.py db_worker`)."""

from django.tasks import task


@task
def expire_authorization(authorization_id: int) -> bool:
    """Queued at activation to run after the term's last day (see services.schedule_expiry)."""
    from pdao.authorization.services import expire_if_due

    return expire_if_due(authorization_id)
