from django.tasks import task


@task()
def anchor_deliveries() -> int:
    """Anchor whatever deliveries are pending (queued N seconds after a batch opens)."""
    from pdao.products.delivery import anchor_pending

    batch = anchor_pending()
    return batch.count if batch else 0
