"""The one hook from the records supervision watches to supervision itself.

Zone queries, gateway deliveries and the task worker's heartbeat write records that the
monitoring rules (`pdao.supervision.rules`) read, so supervision must be scheduled to look at
them. The writers do not import supervision — it imports them, to read their records — they
call `watch()`, and supervision connects its scheduler to `records_written` when its app is
ready (`SupervisionConfig.ready`). Without a receiver, `watch()` does nothing.
"""

from django.dispatch import Signal

records_written = Signal()

# Sent by the every-minute monitoring task after its rules ran: the scheduler's heartbeat, for
# work that is due by the calendar (the finance pillar computes last month's revenue and chases
# overdue remittances). Receivers must be cheap and check for themselves whether work is due.
minute_passed = Signal()


def watch() -> None:
    """Ask supervision to look at records just written (inside a transaction, register it
    with `transaction.on_commit(monitoring.watch)`). Cheap: the receiver checks the queue at
    most once a minute per process."""
    records_written.send(sender=None)
