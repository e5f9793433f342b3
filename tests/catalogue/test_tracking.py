"""Public submissions get a tracking number (受理编号); the same one sent again within a day is
recognised, not stored twice; anyone holding the number and the contact given with it can
follow it — nobody else."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from pdao.catalogue import registration as reg
from pdao.catalogue.models import Demand, Objection

pytestmark = pytest.mark.django_db
NUMBER = re.compile(r"受理编号 ((?:YY|XQ|GS)\d{8}[0-9A-F]{6})")


def _object(client, record, text="请说明更新频率"):
    response = client.post(
        reverse("catalogue:notices"),
        {"registration": record.pk, "name": "市民王某", "contact": "138 0000 0000", "text": text},
        follow=True,
    )
    return NUMBER.search(response.content.decode()).group(1), response.content.decode()


def test_an_objection_is_numbered_followed_and_never_stored_twice(resource, provider, bureau_admin):
    record = reg.submit(resource, by=provider, kind="initial", commitment_signed_by="黄美玲")
    reg.open_notice(record, by=bureau_admin)
    client = Client(REMOTE_ADDR="203.0.113.30")
    number, page = _object(client, record)
    assert number.startswith("YY") and "异议已提交" in page
    again, page = _object(client, record, text="  请说明更新频率 ")  # the same, spaced
    assert again == number and "未重复登记" in page
    assert Objection.objects.count() == 1
    other, _page = _object(client, record, text="另一个问题")
    assert other != number and Objection.objects.count() == 2

    track = reverse("core:track")
    looked = client.post(track, {"no": number.lower(), "contact": "13800000000"})
    body = looked.content.decode()
    assert 'data-testid="tracked"' in body and "待答复" in body
    assert "13800000000" not in client.get(track).content.decode()  # never in a URL
    for contact in ("13900000000", ""):  # the number alone says nothing
        page = client.post(track, {"no": number, "contact": contact}).content.decode()
        assert 'data-testid="tracked"' not in page and "请说明更新频率" not in page
    reg.answer_objection(
        Objection.objects.get(tracking_no=number), by=bureau_admin, response="每日更新",
        upheld=False,
    )  # fmt: skip
    body = client.post(track, {"no": number, "contact": "13800000000"}).content.decode()
    assert "已答复\uff1a异议不成立" in body and "每日更新" in body


def test_a_demand_is_numbered_and_followed_by_its_status():
    client = Client(REMOTE_ADDR="203.0.113.31")
    data = {"title": "公交刷卡客流", "description": "按站点统计", "contact": "a@b.cn",
            "name": "某公司", "domain": ""}  # fmt: skip
    first = client.post(reverse("catalogue:demands"), data, follow=True).content.decode()
    number = NUMBER.search(first).group(1)
    second = client.post(reverse("catalogue:demands"), data, follow=True).content.decode()
    assert NUMBER.search(second).group(1) == number and Demand.objects.count() == 1
    page = client.post(reverse("core:track"), {"no": number, "contact": "A@B.cn"})
    assert "公交刷卡客流" in page.content.decode()
    assert Demand.objects.get().get_status_display() in page.content.decode()
