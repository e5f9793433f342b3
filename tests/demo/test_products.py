from pdao.products.models import Delivery, DeliveryBatch, Product, Subscription


def test_demo_products_are_filed_listed_subscribed_and_called(demo):
    out = demo.output
    listed = Product.objects.filter(status="listed")
    assert {p.authorization.code for p in listed} == {
        "DEMO-AGG",
        "DEMO-DP",
        "DEMO-DEID",
        "DEMO-MODEL",
        "DEMO-FIN",  # the finance demo's year of history (tests/demo/test_finance.py)
    }
    assert all(p.filing_no.startswith("LZ-BA-") for p in listed)
    assert Product.objects.filter(status="review").count() == 1
    direct = Subscription.objects.exclude(product__authorization__code="DEMO-FIN")
    assert direct.filter(order__isnull=True).count() == 5  # the market's orders add their own
    assert "client_secret=" in out  # shown once, at seeding, never stored in clear
    calls = Delivery.objects.exclude(product__authorization__code="DEMO-FIN")
    assert calls.count() == 6 and calls.filter(status=200).count() >= 4
    deid = calls.get(product__form="deidentified")
    # tiny --scale: everything may be k-anonymised away
    assert deid.status != 200 or deid.watermark_id or deid.rows == 0
    assert DeliveryBatch.objects.exists() and not calls.filter(batch__isnull=True).exists()

    from pdao.supervision.services import run_rules

    assert run_rules() == []  # the demo's ordinary traffic raises no alert

    from pdao.supervision.models import SpotCheck

    check = SpotCheck.objects.get()  # every answered demo call, proved against its release
    assert check.status == "completed" and check.items.count() == calls.filter(status=200).count()
    assert all(item.checks_passed for item in check.items.all())

    every = Delivery.objects.count()
    demo.seed_again()
    assert Product.objects.count() == 7 and Delivery.objects.count() == every
    assert SpotCheck.objects.count() == 1
