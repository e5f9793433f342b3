"""Query-string filters ignore what they cannot read, instead of failing the page."""

from datetime import date

import pytest
from django.urls import reverse

from pdao.core.filters import day_span, month_bounds, whole_number
from pdao.core.permissions import Role
from tests.factories import user_with_role


@pytest.mark.parametrize("text", ["", "x", "²", "٣", "-1", "1e3", "9" * 40, " 1", None])
def test_whole_number_refuses_what_is_not_a_plain_id(text):
    assert whole_number(text) is None


def test_bounds_read_local_days_and_months_and_ignore_the_rest():
    start, end = month_bounds("2026-12")
    assert (start.year, start.month, end.year, end.month) == (2026, 12, 2027, 1)
    for text in ("2026-13", "99999999999-1", "2026-1-5", "-1", "²"):
        assert month_bounds(text) is None


@pytest.mark.django_db
@pytest.mark.parametrize(
    "name, query",
    [
        ("supervision:filing_list", {"year": "²"}),
        ("supervision:incident_list", {"month": "99999999999-1"}),
        ("supervision:alert_list", {"date": "2026-99-01"}),
        ("products:deliveries", {"consumer": "99999999999999999999999", "date": "x"}),
        ("zone:queries", {"authorization": "²", "date": "٣"}),
    ],
)
def test_lists_ignore_malformed_filters(client, name, query):
    client.force_login(user_with_role(Role.SUPERVISOR))
    assert client.get(reverse(name), query).status_code == 200


def test_days_and_months_at_the_edges_of_the_calendar_are_nothing_to_find():
    assert day_span(date(9999, 12, 31)) is None and day_span(date(1, 1, 1)) is None
    assert month_bounds("9999-12") is None and month_bounds("0001-01") is None
    start, end = day_span(date(2026, 11, 28))
    assert (end - start).days == 1 and start.utcoffset().total_seconds() == 8 * 3600
