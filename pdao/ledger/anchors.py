"""External anchoring: copies of the signed checkpoints kept outside the platform's database.

`ExternalAnchor` is the plug-in point for a consortium chain (the kind Chinese governments run):
an implementation publishes each cosigned checkpoint somewhere the platform's operator cannot
rewrite, and reads back what it published. The one implementation here, `FileMirror`, appends
checkpoints to a file of its own (put it on another host or a write-once mount) and, like a
witness, refuses a checkpoint that is not consistent with the last one it holds.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from pdao.ledger import note
from pdao.ledger.merkle import verify_consistency


class AnchorRefusal(Exception):
    """The anchor will not record a checkpoint that contradicts what it already holds."""


@dataclass(frozen=True)
class Anchored:
    size: int
    root_hash: bytes
    note: str


class ExternalAnchor(Protocol):
    name: str

    def publish(self, checkpoint_note: str, *, log: note.Verifier, prove: Callable) -> Anchored:
        """Record a signed checkpoint. `prove(old_size)` returns the consistency proof from
        `old_size` to the checkpoint's size."""

    def history(self) -> list[Anchored]:
        """Everything recorded, oldest first."""

    def locked(self) -> contextlib.AbstractContextManager:
        """Held while choosing and publishing a checkpoint, so concurrent publishers arrive
        in order."""


class FileMirror:
    """An append-only JSON-lines file of cosigned checkpoints."""

    def __init__(self, path: Path, name: str = "file-mirror") -> None:
        self.path = Path(path)
        self.name = name

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path.with_suffix(".lock"), "w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def history(self) -> list[Anchored]:
        if not self.path.exists():
            return []
        records = []
        for line in self.path.read_text(encoding="utf-8").splitlines():
            data = json.loads(line)
            records.append(Anchored(data["size"], base64.b64decode(data["root"]), data["note"]))
        return records

    def publish(self, checkpoint_note: str, *, log: note.Verifier, prove: Callable) -> Anchored:
        checkpoint = note.open_checkpoint(checkpoint_note, log)
        history = self.history()
        if history:
            last = history[-1]
            if checkpoint.size < last.size:
                raise AnchorRefusal(
                    f"{self.name}: log shrank from {last.size} to {checkpoint.size}"
                )
            if checkpoint.size == last.size:
                if checkpoint.root_hash != last.root_hash:
                    raise AnchorRefusal(f"{self.name}: two roots for size {last.size}")
                return last
            proof = prove(last.size)
            if not verify_consistency(
                last.size, checkpoint.size, last.root_hash, checkpoint.root_hash, proof
            ):
                raise AnchorRefusal(
                    f"{self.name}: checkpoint {checkpoint.size} is inconsistent with {last.size}"
                )
        record = {
            "size": checkpoint.size,
            "root": base64.b64encode(checkpoint.root_hash).decode(),
            "note": checkpoint_note,
        }
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
        try:
            os.write(fd, (json.dumps(record, ensure_ascii=False) + "\n").encode())
            os.fsync(fd)
        finally:
            os.close(fd)
        return Anchored(checkpoint.size, checkpoint.root_hash, checkpoint_note)
