"""Grades in order, and the k each holds the zone's aggregates to."""

import doctest

import pytest

from pdao.catalogue import choices
from pdao.catalogue.choices import Grade, highest_grade, min_k


def test_the_examples_run():
    result = doctest.testmod(choices)
    assert result.attempted > 0
    assert result.failed == 0


@pytest.mark.parametrize(
    ("grades", "highest"),
    [
        ([], None),
        ([Grade.CORE], None),
        (["general_2", "general_1"], Grade.GENERAL_2),
        ([Grade.GENERAL_4, Grade.IMPORTANT, Grade.GENERAL_3], Grade.IMPORTANT),
        (iter(["general_3", "core"]), Grade.GENERAL_3),
    ],
)
def test_highest_grade_is_the_most_demanding_ranked_one(grades, highest):
    assert highest_grade(grades) == highest


@pytest.mark.parametrize(
    ("grades", "k"),
    [
        ([], 10),
        (["general_1", "general_3", "core"], 10),
        (["general_1", "general_4"], 15),
        ([Grade.GENERAL_4, Grade.IMPORTANT], 20),
        (iter(["important"]), 20),
    ],
)
def test_min_k_is_the_strictest_k_and_never_below_the_default(grades, k):
    assert min_k(grades) == k
