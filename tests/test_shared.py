from types import SimpleNamespace

import pytest

from tests import shared


def _request(*fixtures):
    return SimpleNamespace(fixturenames=list(fixtures), node=SimpleNamespace(nodeid="t::x"))


@pytest.mark.parametrize("committing", sorted(shared.COMMITTING))
def test_a_test_that_would_commit_cannot_share_rolled_back_data(committing):
    with pytest.raises(pytest.fail.Exception, match=committing):
        shared.for_one_test(_request("db", committing), {"rows": [1]})


def test_each_test_gets_its_own_copy_of_the_shared_objects():
    built = {"rows": [1]}
    mine = shared.for_one_test(_request("db"), built)
    mine["rows"].append(2)
    assert built == {"rows": [1]}
