import json
from io import StringIO

from django.core.management import call_command

from pdao.products.models import Delivery
from pdao.supervision.models import Alert
from pdao.supervision.rules import DEFAULTS


def test_simulated_misuse_is_detected_without_false_alerts_and_nothing_stays(demo):
    deliveries = Delivery.objects.count()

    out = StringIO()
    call_command("simulate_traffic", "--json", stdout=out)
    result = json.loads(out.getvalue())

    assert result["kinds"] == dict.fromkeys(result["kinds"], True), result
    assert set(result["kinds"]) == set(DEFAULTS) and result["false_alerts"] == []
    assert result["recall"] == 1.0 and result["precision"] == 1.0
    assert Delivery.objects.count() == deliveries and not Alert.objects.exists()  # rolled back

    text = StringIO()
    call_command("simulate_traffic", stdout=text)
    assert text.getvalue().rstrip().endswith("recall=1.00 precision=1.00")
