"""The scenario registry: one record per authorization, the use measured from deliveries
(recomputed here by hand), the operator's case and its images."""

import io

import pytest
from django.urls import reverse

from pdao.core.permissions import Role
from pdao.core.rules import RuleViolation
from pdao.showcase import scenarios
from pdao.showcase.models import Scenario
from tests.factories import user_with_role
from tests.showcase.conftest import deliver, png

pytestmark = pytest.mark.django_db


def test_every_authorization_has_its_scenario_record(showcase):
    scenario = Scenario.objects.get(authorization=showcase.market.authorization)
    assert scenario.code.startswith("LZ-CJ-")
    assert scenario.name == showcase.market.authorization.application.scenario
    assert scenarios.scenario_for(showcase.market.authorization) == scenario


def test_measured_use_counts_answered_deliveries_consumers_and_months(showcase):
    first, second = showcase.subscriptions
    # Refused calls never count; 1 February 01:00 in Liuzhou is still January in UTC.
    deliver(first, (2026, 2, 1, 1), (2026, 3, 2, 10))
    deliver(second, (2026, 2, 10, 9), (2026, 4, 1, 9), status=403)
    # Another authorization's deliveries are not this scenario's.
    other = showcase.market.city.activate(
        showcase.market.city.to_decision(
            showcase.market.city.draft((showcase.market.city.enterprises, ["aggregate"]))
        )
    )
    assert scenarios.scenario_for(other) != showcase.scenario

    use = scenarios.measured_use([showcase.scenario])[showcase.scenario.pk]
    # Answered: first 2026-01-05, 01-20, 02-01, 03-02; second 2026-03-01 → 5 calls, 2 consumers,
    # months January, February and March.
    assert (use.calls, use.consumers, use.months) == (5, 2, 3)
    assert (use.first_month, use.last_month) == ("2026-01", "2026-03")
    assert use.products == [showcase.product]


def test_only_the_operator_writes_the_case_and_it_is_kept_within_limits(showcase):
    stranger = user_with_role(Role.OPERATOR)
    with pytest.raises(RuleViolation, match="本单位"):
        scenarios.save_case(showcase.scenario, by=stranger, outcomes="改写")
    with pytest.raises(RuleViolation, match="不能超过"):
        scenarios.save_case(showcase.scenario, by=showcase.operator, outcomes="很" * 4001)
    with pytest.raises(RuleViolation, match="控制字符"):
        scenarios.save_case(showcase.scenario, by=showcase.operator, users="银行\x07")
    showcase.scenario.refresh_from_db()
    assert showcase.scenario.outcomes == "授信审批由 5 天缩短到 1 天。"


def test_an_image_is_re_encoded_without_its_metadata(showcase):
    data = png(GPS="22.8N 109.4E", Author="某某")
    image = scenarios.add_image(showcase.scenario, by=showcase.operator, data=data, caption="界面")
    kept = scenarios.image_bytes(image)
    assert kept.startswith(b"\x89PNG") and (image.width, image.height) == (40, 30)
    assert b"22.8N" not in kept and "某某".encode() not in kept


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"GIF89a" + bytes(40), "PNG 或 JPEG"),
        (b"\x89PNG\r\n\x1a\n" + bytes(60), "无法读取"),  # a signature and nothing readable
        (b"\xff\xd8\xff" + b"\x00" * 100, "无法读取"),
    ],
)
def test_a_file_that_is_not_a_readable_image_is_refused(showcase, data, message):
    with pytest.raises(RuleViolation, match=message):
        scenarios.add_image(showcase.scenario, by=showcase.operator, data=data, caption="x")
    assert showcase.scenario.images.count() == 0


def test_a_decompression_bomb_is_refused_before_it_is_decoded(showcase):
    import struct
    import zlib

    def chunk(kind, body):
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    header = struct.pack(">IIBBBBB", 30_000, 30_000, 8, 2, 0, 0, 0)  # 900 million pixels
    bomb = (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\0" * 1000))
        + chunk(b"IEND", b"")
    )
    with pytest.raises(RuleViolation, match="像素过多"):
        scenarios.add_image(showcase.scenario, by=showcase.operator, data=bomb, caption="x")


def test_a_scenario_is_hidden_from_the_public_until_it_is_typical(showcase, client):
    url = reverse("showcase:scenario", args=[showcase.scenario.code])
    image = scenarios.add_image(showcase.scenario, by=showcase.operator, data=png(), caption="图")
    assert client.get(url).status_code == 404
    assert client.get(reverse("showcase:scenario_image", args=[image.pk])).status_code == 404


@pytest.mark.parametrize("size", [(1, 20_000), (20_000, 1), (9_000, 2_000), (700, 100)], ids=str)
def test_an_image_that_cannot_be_laid_out_on_a_page_is_refused(showcase, size):
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("1", size).save(buffer, format="PNG")
    with pytest.raises(RuleViolation, match="尺寸不适合排版"):
        scenarios.add_image(
            showcase.scenario, by=showcase.operator, data=buffer.getvalue(), caption="条"
        )


@pytest.mark.parametrize("caption", ["a\x1b[2Jb", "图\u202e片"])
def test_a_caption_with_control_or_direction_characters_is_refused(showcase, caption):
    with pytest.raises(RuleViolation, match="控制字符"):
        scenarios.add_image(showcase.scenario, by=showcase.operator, data=png(), caption=caption)
