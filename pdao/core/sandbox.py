"""A parse of an uploaded file runs in a child process with limits of its own, so a hostile file
ends that parse with a clear status and nothing else: the web process, the task worker and the
database never share its memory, its CPU or its disk.

`run(fn, *args, limits=..., progress=...)` starts a child from a fork server (multiprocessing's
"forkserver": a fresh interpreter that imported the parsers, so no inherited database
connections or threads, and a child costs milliseconds), sets the kernel's resource limits in
it — address space (RLIMIT_AS), CPU seconds (RLIMIT_CPU), the largest file it may write
(RLIMIT_FSIZE), open files (RLIMIT_NOFILE) — and asks the kernel to kill it if its parent dies
(PR_SET_PDEATHSIG; the fork server in turn exits when its parent does). The parent waits with
a wall-clock limit, relays the child's progress messages, and gets back the function's value or
exception. `fn` must be importable and must not touch the database (pdao.catalogue.ingest.ingest,
pdao.catalogue.excel.read).

An exception the child raises comes back as itself when it is one the caller expects
(`passes`, e.g. IngestError); anything else as `Failed` with its type name only — a message
from DuckDB or openpyxl may quote a line of raw data.

Written here rather than taken from a library: the standard library has every piece
(multiprocessing, resource, signal), and the process-pool libraries neither set rlimits per
task nor report which limit ended it.
"""

from __future__ import annotations

import ctypes
import errno
import multiprocessing
import os
import resource
import signal
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, fields

from django.conf import settings

from pdao.core.files import size


@dataclass(frozen=True)
class Limits:
    memory_bytes: int
    cpu_seconds: int
    file_bytes: int
    open_files: int
    wall_seconds: float


def limits(purpose: str, **overrides) -> Limits:
    values = settings.PARSE_LIMITS[purpose] | overrides
    return Limits(**{f.name: values[f.name] for f in fields(Limits)})


class LimitExceeded(Exception):
    """The child went past one of its limits and was stopped: `limit` is "memory", "cpu",
    "file" or "wall"."""

    MESSAGES = {
        "memory": "处理所需内存超过上限 {memory}",
        "cpu": "处理所需 CPU 时间超过上限 {cpu} 秒",
        "file": "处理中写出的文件超过上限 {file}",
        "wall": "处理时间超过上限 {wall} 秒",
    }

    def __init__(self, limit: str, limits: Limits):
        self.limit = limit
        super().__init__(
            self.MESSAGES[limit].format(
                memory=size(limits.memory_bytes),
                cpu=limits.cpu_seconds,
                file=size(limits.file_bytes),
                wall=int(limits.wall_seconds),
            )
        )


class Failed(Exception):
    """The child raised something unexpected, or died: `kind` is the exception's type name or
    "died"; the message never carries the child's own message."""

    def __init__(self, kind: str):
        super().__init__(f"parse failed: {kind}")
        self.kind = kind


@dataclass(frozen=True)
class Usage:
    peak_bytes: int  # the child's peak resident memory
    cpu_seconds: float


def run(
    fn: Callable,
    /,
    *args,
    limits: Limits,
    progress: Callable[..., None] | None = None,
    passes: tuple[type[BaseException], ...] = (),
    usage: list[Usage] | None = None,
    **kwargs,
):
    """`fn(*args, **kwargs)` in a limited child; its value, or its exception if one of
    `passes`, else LimitExceeded or Failed. `progress` (if given) is passed to `fn` as its
    `progress` keyword and called here with what the child reports. `usage`, if a list, gets
    the child's peak memory and CPU time appended."""
    context = _context()
    receive, send = context.Pipe(duplex=False)
    child = context.Process(
        target=_child,
        args=(send, limits, fn, args, kwargs, progress is not None),
        name="pdao-parse",
        daemon=True,
    )
    child.start()
    send.close()
    deadline = time.monotonic() + limits.wall_seconds
    message = None
    try:
        while message is None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise LimitExceeded("wall", limits)
            if receive.poll(min(remaining, 0.5)):
                try:
                    kind, payload = receive.recv()
                except EOFError:  # died without a word
                    break
                if kind == "progress":
                    if progress is not None:
                        progress(*payload)
                    continue
                message = (kind, payload)
            elif not child.is_alive() and not receive.poll(0):
                break
    finally:
        if child.is_alive() and message is None:
            child.kill()
        child.join(5)
        if child.is_alive():
            child.kill()
            child.join()
        receive.close()
    if message is None:
        signum = -child.exitcode if child.exitcode is not None and child.exitcode < 0 else 0
        if signum in (signal.SIGXCPU, signal.SIGKILL) and limits.cpu_seconds:
            raise LimitExceeded("cpu", limits)
        if signum == signal.SIGXFSZ:
            raise LimitExceeded("file", limits)
        raise Failed(f"died (exit {child.exitcode})")
    kind, payload = message
    if usage is not None:
        usage.append(payload["usage"])
    if kind == "value":
        return payload["value"]
    if kind == "passed":
        if isinstance(payload["error"], passes):
            raise payload["error"]
        raise Failed(type(payload["error"]).__name__)
    if kind == "limit":
        raise LimitExceeded(payload["limit"], limits)
    raise Failed(payload["kind"])


_PRELOAD = ["pdao.core.parsers"]


def _context():
    """Forks of a fork server that was itself started fresh (no inherited connections or
    threads) with the parsers already imported: a child costs milliseconds, not an interpreter
    start. The server exits when this process does; its children die with it (PDEATHSIG)."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(_PRELOAD)
    return context


def _child(send, limits: Limits, fn, args, kwargs, with_progress: bool) -> None:
    _die_with_parent()
    _limit(limits)

    def report(*payload):
        send.send(("progress", payload))

    if with_progress:
        kwargs = kwargs | {"progress": report}
    try:
        value = fn(*args, **kwargs)
        message = ("value", {"value": value})
    except MemoryError:
        message = ("limit", {"limit": "memory"})
    except OSError as error:
        if error.errno == errno.EFBIG:
            message = ("limit", {"limit": "file"})
        elif error.errno == errno.ENOMEM:
            message = ("limit", {"limit": "memory"})
        else:
            message = ("failed", {"kind": type(error).__name__})
    except BaseException as error:
        if _is_out_of_memory(error):
            message = ("limit", {"limit": "memory"})
        elif "file too large" in str(error).lower():  # DuckDB's IOException for EFBIG
            message = ("limit", {"limit": "file"})
        elif _passes(error):
            message = ("passed", {"error": error})
        else:
            # Where, not what: the message may quote raw data.
            message = (
                "failed",
                {
                    "kind": type(error).__name__,
                    "where": "".join(traceback.format_tb(error.__traceback__)[-3:]),
                },
            )
    used = resource.getrusage(resource.RUSAGE_SELF)
    message[1]["usage"] = Usage(used.ru_maxrss * 1024, used.ru_utime + used.ru_stime)
    try:
        send.send(message)
    except Exception:
        send.send(("failed", {"kind": "unpicklable", "usage": message[1]["usage"]}))
    send.close()


def _passes(error: BaseException) -> bool:
    """Exceptions of pdao's own modules cross back as themselves (they carry no raw data by
    construction: problems name rows, columns and kinds)."""
    return type(error).__module__.startswith("pdao.")


def _is_out_of_memory(error: BaseException) -> bool:
    name = type(error).__name__
    return name == "OutOfMemoryException" or (
        "out of memory" in str(error).lower() and "duckdb" in type(error).__module__
    )


def _die_with_parent() -> None:
    parent = os.getppid()
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except OSError:  # not Linux: the wall-clock limit still ends an orphan's work
        pass
    if os.getppid() != parent:  # the parent died before the request took effect
        os._exit(1)


def _limit(limits: Limits) -> None:
    # A write past RLIMIT_FSIZE raises EFBIG instead of killing with SIGXFSZ: reported as such.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    for which, value in (
        (resource.RLIMIT_AS, limits.memory_bytes),
        (resource.RLIMIT_FSIZE, limits.file_bytes),
        (resource.RLIMIT_NOFILE, limits.open_files),
    ):
        resource.setrlimit(which, (value, value))
    # SIGXCPU at the soft limit (the default action ends the process), SIGKILL a second later.
    cpu = int(limits.cpu_seconds)
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
