"""The parse sandbox: each kernel limit ends the child alone and is reported by name; a child's
own exception never brings its message back (it may quote raw data)."""

import os

import pytest

from pdao.core import sandbox
from tests import hostile

LIMITS = sandbox.Limits(
    memory_bytes=1 << 30, cpu_seconds=20, file_bytes=8 << 20, open_files=64, wall_seconds=30
)


def test_a_value_and_progress_come_back():
    seen, usage = [], []
    assert (
        sandbox.run(hostile.report, limits=LIMITS, progress=lambda *a: seen.append(a), usage=usage)
        == "done"
    )
    assert seen == [("step", 0, 3), ("step", 1, 3), ("step", 2, 3)]
    assert 0 < usage[0].peak_bytes < LIMITS.memory_bytes


@pytest.mark.parametrize(
    ("fn", "args", "limit"),
    [
        (hostile.allocate, (2048,), "memory"),
        (hostile.spin, (30,), "cpu"),
        (hostile.sleep, (60,), "wall"),
        (hostile.write, (None, 64), "file"),
    ],
)
def test_each_limit_ends_the_child_and_is_named(fn, args, limit, tmp_path):
    if fn is hostile.write:
        args = (str(tmp_path / "out.bin"), args[1])
    limits = LIMITS
    if limit == "cpu":
        limits = sandbox.Limits(**{**LIMITS.__dict__, "cpu_seconds": 1})
    if limit == "wall":
        limits = sandbox.Limits(**{**LIMITS.__dict__, "wall_seconds": 1})
    with pytest.raises(sandbox.LimitExceeded) as raised:
        sandbox.run(fn, *args, limits=limits)
    assert raised.value.limit == limit
    assert "超过上限" in str(raised.value)
    if limit == "file":
        assert os.path.getsize(tmp_path / "out.bin") <= LIMITS.file_bytes


def test_an_unexpected_exception_comes_back_without_its_message():
    with pytest.raises(sandbox.Failed) as raised:
        sandbox.run(hostile.fail_with_data, limits=LIMITS)
    assert raised.value.kind == "ValueError"
    assert "450202" not in str(raised.value) and "张三" not in str(raised.value)
