from django.tasks import task


@task()
def anchor_deliveries() -> int:
    """Anchor whatever deliveries are pending (queued N seconds after a batch opens)."""
    from pdao.products.delivery import anchor_pending  # delivery imports this module

    batch = anchor_pending()
    return batch.count if batch else 0


@task()
def generate_report(product_id: int, user_id: int) -> dict:
    """生成数据报告: a new edition the product page asked for (see editions.run_generation)."""
    from pdao.products.editions import run_generation  # editions imports this module

    return run_generation(product_id, user_id)
