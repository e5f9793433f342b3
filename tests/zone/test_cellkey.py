"""The perturbation table and the noise drawn from it (pdao.zone.engine.cellkey): the published
parameters hold, the same key always gives the same noise, and keys that differ give noise as
spread as the table says."""

import math
import random

import pytest

from pdao.zone.engine import cellkey
from pdao.zone.engine.cellkey import PTable

DOCUMENTED = (0.020, 0.057, 0.121, 0.191, 0.223, 0.191, 0.121, 0.057, 0.020)  # docs/zone.md


def test_the_published_table_is_the_maximum_entropy_one():
    table = PTable.build(D=4, V=3.0)
    assert math.isclose(sum(table.probabilities), 1.0)
    assert math.isclose(table.variance, 3.0, rel_tol=1e-9)
    values = range(-4, 5)
    assert math.isclose(sum(p * j for p, j in zip(table.probabilities, values, strict=True)), 0,
                        abs_tol=1e-12)  # fmt: skip
    assert tuple(round(p, 3) for p in table.probabilities) == DOCUMENTED
    # Maximum entropy under mean 0 and variance V: p(j) ∝ exp(−λ j²), so the log-ratios are
    # proportional to the differences of squares.
    ratios = [math.log(table.probabilities[4 + j] / table.probabilities[4]) / (j * j)
              for j in (1, 2, 3, 4)]  # fmt: skip
    assert max(ratios) - min(ratios) < 1e-9


@pytest.mark.parametrize(("D", "V"), [(0, 1.0), (2, 0.0), (2, 2.0), (3, 5.0)])
def test_impossible_parameters_are_refused(D, V):
    with pytest.raises(ValueError):
        PTable.build(D=D, V=V)


def test_the_noise_follows_the_table():
    table = PTable.build(D=4, V=3.0)
    rng = random.Random(5)
    draws = [table.noise(rng.random()) for _ in range(200_000)]
    for j, p in zip(range(-4, 5), table.probabilities, strict=True):
        assert abs(draws.count(j) / len(draws) - p) < 0.005
    spread = [table.continuous(rng.random()) for _ in range(200_000)]
    assert min(spread) >= -4.5 and max(spread) < 4.5
    assert abs(sum(x * x for x in spread) / len(spread) - (3.0 + 1 / 12)) < 0.05


def test_the_same_key_always_gives_the_same_noise_and_the_noise_key_matters():
    key = 12345678901234567890
    first = cellkey.perturb_count(1000, 1, key, noise_key=b"a", D=4, V=3.0, mu=0.5)
    assert all(
        cellkey.perturb_count(1000, 1, key, noise_key=b"a", D=4, V=3.0, mu=0.5) == first
        for _ in range(10)
    )
    others = {
        cellkey.perturb_count(1000, 1, key, noise_key=bytes([n]), D=4, V=3.0, mu=0.5)
        for n in range(50)
    }
    assert len(others) > 3 and all(abs(v - 1000) <= 4 for v in others)


def test_a_count_moves_by_at_most_d_steps_of_its_scale_and_a_sum_by_mu_times_the_largest():
    rng = random.Random(9)
    for _ in range(2000):
        key = rng.getrandbits(64)
        assert (
            abs(cellkey.perturb_count(500, 1, key, noise_key=b"k", D=4, V=3.0, mu=0.5) - 500) <= 4
        )
        moved = cellkey.perturb_count(500, 12, key, noise_key=b"k", D=4, V=3.0, mu=0.5) - 500
        assert abs(moved) <= math.floor(6 * 4.5 + 0.5)
        summed = cellkey.perturb_sum(1e6, 30_000, key, noise_key=b"k", D=4, V=3.0, mu=0.5)
        assert abs(summed - 1e6) <= 0.5 * 30_000 * 4.5


def test_the_documented_error_of_a_differencing_pair():
    assert math.isclose(cellkey.error_sd(V=3.0, mu=0.5), 0.5 * math.sqrt(2 * (3 + 1 / 12)))
    assert round(cellkey.error_sd(V=3.0, mu=0.5), 2) == 1.24
