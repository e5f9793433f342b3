"""Scheduled work of authorization, run by the task worker (`manage.py db_worker`)."""

from django.tasks import task

from pdao.authorization.services.authorizations import expire_if_due


@task
def expire_authorization(authorization_id: int) -> bool:
    """Queued at activation to run after the term's last day (see services.schedule_expiry)."""
    return expire_if_due(authorization_id)
