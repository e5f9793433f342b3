"""Merkle tree hashing and proofs exactly as RFC 9162 §2.1 (Certificate Transparency v2).

SHA-256; leaf hash = H(0x00 ‖ entry); node hash = H(0x01 ‖ left ‖ right); the tree of n
leaves splits at the largest power of two smaller than n. Proofs are lists of 32-byte hashes in
the RFC's order. Pure Python with no Django import, so receipts verify anywhere.

Two ways in:

* functions over the entries themselves (`root_hash`, `inclusion_proof`, `consistency_proof`),
  which hash every entry — for tests, small trees and independent checks;
* `Tree`, over a `NodeStore` of stored subtree hashes, which appends in amortised O(1) hashes
  and answers roots and proofs in O(log² n) node reads without rehashing any entry.

>>> entries = [b"a", b"b", b"c"]
>>> root = root_hash(entries)
>>> verify_inclusion(leaf_hash(b"c"), 2, 3, inclusion_proof(entries, 2), root)
True
>>> old = root_hash(entries[:2])
>>> verify_consistency(2, 3, old, root, consistency_proof(entries, 2))
True
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from typing import Protocol

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()


class ProofError(ValueError):
    """A proof was asked for arguments that have none (index or size out of range)."""


def leaf_hash(entry: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two strictly smaller than n (n ≥ 2)."""
    return 1 << ((n - 1).bit_length() - 1)


# --- The RFC's recursive definitions, over any way of hashing a range of leaves ------------
# `mth(start, end)` returns MTH(D[start:end]); both ways in share the proof shapes below.

RangeHash = Callable[[int, int], bytes]


def _path(mth: RangeHash, m: int, start: int, end: int) -> list[bytes]:
    """PATH(m, D[start:end]) of RFC 9162 §2.1.3.1, m relative to start."""
    n = end - start
    if n == 1:
        return []
    k = _split(n)
    if m < k:
        return [*_path(mth, m, start, start + k), mth(start + k, end)]
    return [*_path(mth, m - k, start + k, end), mth(start, start + k)]


def _subproof(mth: RangeHash, m: int, start: int, end: int, whole: bool) -> list[bytes]:
    """SUBPROOF(m, D[start:end], b) of RFC 9162 §2.1.4.1."""
    n = end - start
    if m == n:
        return [] if whole else [mth(start, end)]
    k = _split(n)
    if m <= k:
        return [*_subproof(mth, m, start, start + k, whole), mth(start + k, end)]
    return [*_subproof(mth, m - k, start + k, end, False), mth(start, start + k)]


# --- Over the entries ---------------------------------------------------------------------


def _range_hasher(entries: Sequence[bytes]) -> RangeHash:
    leaves = [leaf_hash(e) for e in entries]

    def mth(start: int, end: int) -> bytes:
        if end - start == 1:
            return leaves[start]
        k = _split(end - start)
        return node_hash(mth(start, start + k), mth(start + k, end))

    return mth


def root_hash(entries: Sequence[bytes]) -> bytes:
    """MTH of the entries; SHA-256 of the empty string for no entries."""
    if not entries:
        return EMPTY_ROOT
    return _range_hasher(entries)(0, len(entries))


def inclusion_proof(entries: Sequence[bytes], index: int) -> list[bytes]:
    """The audit path of entry `index` in the tree of all `entries`."""
    if not 0 <= index < len(entries):
        raise ProofError(f"index {index} outside a tree of {len(entries)} entries")
    return _path(_range_hasher(entries), index, 0, len(entries))


def consistency_proof(entries: Sequence[bytes], old_size: int) -> list[bytes]:
    """The proof that the tree of the first `old_size` entries is a prefix of all `entries`."""
    if not 0 < old_size <= len(entries):
        raise ProofError(f"old size {old_size} outside 1..{len(entries)}")
    return _subproof(_range_hasher(entries), old_size, 0, len(entries), True)


# --- Verification (RFC 9162 §2.1.3.2 and §2.1.4.2) ----------------------------------------


def _valid_hashes(*hashes: bytes) -> bool:
    return all(isinstance(h, bytes) and len(h) == HASH_SIZE for h in hashes)


def verify_inclusion(
    leaf: bytes, index: int, tree_size: int, proof: Sequence[bytes], root: bytes
) -> bool:
    """True if `proof` shows the leaf hash `leaf` at `index` in the tree of `tree_size` with
    `root`. The size is bound only through the proof's shape; a signed checkpoint binds it to
    the root."""
    if not _valid_hashes(leaf, root, *proof) or not 0 <= index < tree_size:
        return False
    fn, sn, r = index, tree_size - 1, leaf
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> bool:
    """True if `proof` shows the tree (`old_size`, `old_root`) is a prefix of
    (`new_size`, `new_root`). Equal sizes need equal roots and an empty proof; the empty tree
    is a prefix of every tree."""
    if not _valid_hashes(old_root, new_root, *proof) or not 0 <= old_size <= new_size:
        return False
    if old_size == new_size:
        return not proof and old_root == new_root
    if old_size == 0:
        return not proof and old_root == EMPTY_ROOT
    if not proof:
        return False
    path = list(proof)
    if old_size & (old_size - 1) == 0:  # a power of two: the old root is itself a subtree
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return fr == old_root and sr == new_root and sn == 0


# --- A stored tree --------------------------------------------------------------------------


class NodeStore(Protocol):
    """Where a `Tree` keeps the hashes of its complete subtrees.

    A node (level, index) is the root of the 2**level leaves starting at index * 2**level;
    level 0 holds the leaf hashes. Nodes are written once and never change.
    """

    def get(self, keys: Sequence[tuple[int, int]]) -> dict[tuple[int, int], bytes]: ...

    def put(self, nodes: dict[tuple[int, int], bytes]) -> None: ...


class MemoryNodeStore:
    """A NodeStore in a dict, for tests, benchmarks and rebuilding a tree to check it."""

    def __init__(self) -> None:
        self.nodes: dict[tuple[int, int], bytes] = {}

    def get(self, keys):
        return {k: self.nodes[k] for k in keys}

    def put(self, nodes):
        self.nodes.update(nodes)


def new_nodes(size: int, leaf: bytes, read: Callable[[int, int], bytes]) -> dict:
    """The nodes to store when the leaf hash `leaf` becomes leaf number `size` (0-based):
    the leaf itself and every complete subtree it closes. `read(level, index)` returns a
    node stored (or about to be stored) earlier."""
    nodes = {(0, size): leaf}
    level, index, current = 0, size, leaf
    while index & 1:
        left = nodes.get((level, index - 1)) or read(level, index - 1)
        current = node_hash(left, current)
        level, index = level + 1, index >> 1
        nodes[(level, index)] = current
    return nodes


class Tree:
    """An append-only Merkle tree over a NodeStore; sizes are passed in, so one store serves
    every historical size (the tree never forgets an old root).

    Args:
        store: the node store.
        size: how many leaves the store already holds.
    """

    def __init__(self, store: NodeStore, size: int = 0) -> None:
        self.store = store
        self.size = size

    def append(self, leaf: bytes) -> int:
        """Append one leaf hash; returns its index."""
        return self.extend([leaf])[0]

    def extend(self, leaves: Iterable[bytes]) -> list[int]:
        """Append leaf hashes in order, storing all new nodes in one `put`."""
        # The left siblings an append can need are the roots of the complete subtrees that
        # make up the tree now (its frontier): one read, however many leaves follow.
        pending: dict[tuple[int, int], bytes] = (
            dict(self.store.get(self._keys(0, self.size))) if self.size else {}
        )
        stored = set(pending)

        def read(level: int, index: int) -> bytes:
            return pending[(level, index)]

        indices = []
        for leaf in leaves:
            if len(leaf) != HASH_SIZE:
                raise ValueError("a leaf hash is 32 bytes")
            pending.update(new_nodes(self.size, leaf, read))
            indices.append(self.size)
            self.size += 1
        self.store.put({k: v for k, v in pending.items() if k not in stored})
        return indices

    def _keys(self, start: int, end: int) -> list[tuple[int, int]]:
        """The complete subtrees that make up [start, end), left to right."""
        keys = []
        while start < end:
            size = end - start
            if size & (size - 1) == 0:
                level = size.bit_length() - 1
                keys.append((level, start >> level))
                break
            k = _split(size)
            level = k.bit_length() - 1
            keys.append((level, start >> level))
            start += k
        return keys

    def _batched(self, compute: Callable[[RangeHash], object]):
        """Run `compute` twice: once to learn which ranges it hashes, then with every node
        those ranges need fetched in a single `store.get` (one query for a database store)."""
        ranges: list[tuple[int, int]] = []

        def record(start: int, end: int) -> bytes:
            ranges.append((start, end))
            return bytes(HASH_SIZE)

        compute(record)
        keys = sorted({k for start, end in ranges for k in self._keys(start, end)})
        nodes = self.store.get(keys)

        def mth(start: int, end: int) -> bytes:
            hashes = [nodes[k] for k in self._keys(start, end)]
            root = hashes[-1]
            for h in reversed(hashes[:-1]):
                root = node_hash(h, root)
            return root

        return compute(mth)

    def _checked(self, size: int) -> int:
        if not 0 <= size <= self.size:
            raise ProofError(f"size {size} outside 0..{self.size}")
        return size

    def root(self, size: int | None = None) -> bytes:
        size = self.size if size is None else self._checked(size)
        return EMPTY_ROOT if size == 0 else self._batched(lambda mth: mth(0, size))

    def leaf(self, index: int) -> bytes:
        return self.store.get([(0, index)])[(0, index)]

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        size = self.size if size is None else self._checked(size)
        if not 0 <= index < size:
            raise ProofError(f"index {index} outside a tree of {size}")
        return self._batched(lambda mth: _path(mth, index, 0, size))

    def consistency_proof(self, old_size: int, new_size: int | None = None) -> list[bytes]:
        new_size = self.size if new_size is None else self._checked(new_size)
        if not 0 < old_size <= new_size:
            raise ProofError(f"old size {old_size} outside 1..{new_size}")
        return self._batched(lambda mth: _subproof(mth, old_size, 0, new_size, True))
