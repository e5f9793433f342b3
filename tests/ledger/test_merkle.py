"""pdao.ledger.merkle against published RFC 6962/9162 test vectors, and properties.

The vectors are the Certificate Transparency reference tree of eight leaves used by
transparency-dev/merkle (testonly/constants.go: leaf inputs, root hashes of every size, node
hashes; proof/verify_test.go: inclusion and consistency proofs), originally from Google's
certificate-transparency implementation. Sizes and 1-based leaf numbers are as published.
"""

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pdao.ledger import merkle
from pdao.ledger.merkle import (
    EMPTY_ROOT,
    MemoryNodeStore,
    ProofError,
    Tree,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    root_hash,
    verify_consistency,
    verify_inclusion,
)

h = bytes.fromhex

LEAVES = [h(x) for x in ("", "00", "10", "2021", "3031", "40414243", "5051525354555657",
                         "606162636465666768696a6b6c6d6e6f")]  # fmt: skip
ROOTS = [
    h("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
    h("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"),
    h("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"),
    h("aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77"),
    h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
    h("4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4"),
    h("76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef"),
    h("ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c"),
    h("5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"),
]
LEAF_HASHES = [
    h("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"),
    h("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
    h("0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7"),
    h("07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7"),
    h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
    h("4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658"),
    h("b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f"),
    h("46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1"),
]
# (1-based leaf, tree size, proof)
INCLUSION = [
    (1, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (6, 8, ["bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (3, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (2, 5, ["6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
    (1, 1, []),
]  # fmt: skip
# (old size, new size, proof)
CONSISTENCY = [
    (1, 1, []),
    (1, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (6, 8, ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (2, 5, ["5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
    (6, 7, ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
]  # fmt: skip


def test_leaf_hashes_match_published():
    assert [leaf_hash(e) for e in LEAVES] == LEAF_HASHES


@pytest.mark.parametrize("size", range(9))
def test_root_of_every_size_matches_published(size):
    assert root_hash(LEAVES[:size]) == ROOTS[size]


@pytest.mark.parametrize(("leaf", "size", "proof"), INCLUSION)
def test_inclusion_proof_matches_published(leaf, size, proof):
    proof = [h(p) for p in proof]
    assert inclusion_proof(LEAVES[:size], leaf - 1) == proof
    assert verify_inclusion(LEAF_HASHES[leaf - 1], leaf - 1, size, proof, ROOTS[size])


@pytest.mark.parametrize(("old", "new", "proof"), CONSISTENCY)
def test_consistency_proof_matches_published(old, new, proof):
    proof = [h(p) for p in proof]
    assert consistency_proof(LEAVES[:new], old) == proof
    assert verify_consistency(old, new, ROOTS[old], ROOTS[new], proof)


@pytest.mark.parametrize(("leaf", "size", "proof"), INCLUSION[:4])
def test_published_inclusion_probes_are_refused(leaf, size, proof):
    """The corruptions transparency-dev/merkle probes its verifier with."""
    proof, index, root, lh = [h(p) for p in proof], leaf - 1, ROOTS[size], LEAF_HASHES[leaf - 1]
    some = h("abacaba000000000000000000000000000000000000000000060061e00123456")
    probes = [
        (index - 1, size, root, lh, proof),
        (index + 1, size, root, lh, proof),
        (index ^ 2, size, root, lh, proof),
        (index, size * 2, root, lh, proof),
        (index, size // 2, root, lh, proof),
        (index, size, root, b"WrongLeaf", proof),
        (index, size, EMPTY_ROOT, lh, proof),
        (index, size, some, lh, proof),
        (index, size, root, lh, [*proof, b""]),
        (index, size, root, lh, [*proof, root]),
        (index, size, root, lh, [b"", *proof]),
        (index, size, root, lh, [root, *proof]),
        (index, size, root, lh, proof[:-1]),
    ]
    for i in range(len(proof)):
        flipped = list(proof)
        flipped[i] = bytes([flipped[i][0] ^ 8]) + flipped[i][1:]
        probes.append((index, size, root, lh, flipped))
    accepted = [p[:2] for p in probes if verify_inclusion(p[3], p[0], p[1], p[4], p[2])]
    assert accepted == []


@pytest.mark.parametrize(("old", "new", "proof"), CONSISTENCY[1:])
def test_published_consistency_probes_are_refused(old, new, proof):
    proof, r1, r2 = [h(p) for p in proof], ROOTS[old], ROOTS[new]
    probes = [
        (old - 1, new, r1, r2, proof),
        (old + 1, new, r1, r2, proof),
        (old ^ 2, new, r1, r2, proof),
        (old, new * 2, r1, r2, proof),
        (old, new // 2, r1, r2, proof),
        (old, new, b"WrongRoot", r2, proof),
        (old, new, r1, b"WrongRoot", proof),
        (old, new, r2, r1, proof),
        (old, new, r1, r2, []),
        (old, new, r1, r2, [*proof, b""]),
        (old, new, r1, r2, [*proof, r1]),
        (old, new, r1, r2, [*proof, r2]),
        (old, new, r1, r2, [b"", *proof]),
        (old, new, r1, r2, [r1, *proof]),
        (old, new, r1, r2, [r2, *proof]),
        (old, new, r1, r2, [proof[0], *proof]),
        (old, new, r1, r2, proof[:-1]),
    ]
    for i in range(len(proof)):
        flipped = list(proof)
        flipped[i] = bytes([flipped[i][0] ^ 16]) + flipped[i][1:]
        probes.append((old, new, r1, r2, flipped))
    accepted = [p[:2] for p in probes if verify_consistency(*p)]
    assert accepted == []


def test_arguments_without_a_proof_raise():
    with pytest.raises(ProofError):
        inclusion_proof(LEAVES[:3], 3)
    with pytest.raises(ProofError):
        consistency_proof(LEAVES[:3], 0)
    with pytest.raises(ProofError):
        consistency_proof(LEAVES[:3], 4)


def test_trivial_consistency_cases():
    assert verify_consistency(0, 5, EMPTY_ROOT, ROOTS[5], [])
    assert not verify_consistency(0, 5, ROOTS[1], ROOTS[5], [])
    assert verify_consistency(5, 5, ROOTS[5], ROOTS[5], [])
    assert not verify_consistency(5, 5, ROOTS[5], ROOTS[4], [])
    assert not verify_consistency(5, 4, ROOTS[5], ROOTS[4], [])


# --- Properties -------------------------------------------------------------------------------


def _flip(value: bytes, bit: int) -> bytes:
    data = bytearray(value)
    data[bit // 8] ^= 1 << (bit % 8)
    return bytes(data)


def _directions(index: int, size: int) -> list[str]:
    """The left/right order of each step of PATH(index, D[size]), from the RFC's recursion,
    independent of the verifier's bit arithmetic."""
    if size == 1:
        return []
    k = merkle._split(size)
    if index < k:
        return [*_directions(index, k), "sibling right"]
    return [*_directions(index - k, size - k), "sibling left"]


entries_and_index = st.integers(1, 300).flatmap(
    lambda n: st.tuples(st.just([i.to_bytes(4, "big") for i in range(n)]), st.integers(0, n - 1))
)


@settings(max_examples=150, deadline=None)
@given(entries_and_index, st.data())
def test_every_inclusion_proof_verifies_and_any_bit_flip_fails(case, data):
    entries, index = case
    size, root, proof = len(entries), root_hash(entries), inclusion_proof(entries, index)
    leaf = leaf_hash(entries[index])
    assert verify_inclusion(leaf, index, size, proof, root)

    bit = data.draw(st.integers(0, 255))
    assert not verify_inclusion(leaf, index, size, proof, _flip(root, bit))
    assert not verify_inclusion(_flip(leaf, bit), index, size, proof, root)
    if proof:
        i = data.draw(st.integers(0, len(proof) - 1))
        broken = [*proof[:i], _flip(proof[i], bit), *proof[i + 1 :]]
        assert not verify_inclusion(leaf, index, size, broken, root)
    for b in range(max(size, index + 1).bit_length() + 1):
        assert not verify_inclusion(leaf, index ^ (1 << b), size, proof, root)
        other = size ^ (1 << b)
        # RFC 9162 binds the size only through the proof's shape (a signed checkpoint binds
        # it to the root): another size may pass only if its path has exactly this shape.
        if verify_inclusion(leaf, index, other, proof, root):
            assert _directions(index, other) == _directions(index, size)


@settings(max_examples=150, deadline=None)
@given(
    st.integers(2, 300).flatmap(lambda n: st.tuples(st.just(n), st.integers(1, n - 1))), st.data()
)
def test_every_consistency_proof_verifies_and_any_bit_flip_fails(sizes, data):
    new, old = sizes
    entries = [i.to_bytes(4, "big") for i in range(new)]
    r1, r2 = root_hash(entries[:old]), root_hash(entries)
    proof = consistency_proof(entries, old)
    assert verify_consistency(old, new, r1, r2, proof)

    bit = data.draw(st.integers(0, 255))
    assert not verify_consistency(old, new, _flip(r1, bit), r2, proof)
    assert not verify_consistency(old, new, r1, _flip(r2, bit), proof)
    i = data.draw(st.integers(0, len(proof) - 1))
    assert not verify_consistency(
        old, new, r1, r2, [*proof[:i], _flip(proof[i], bit), *proof[i + 1 :]]
    )
    for b in range(new.bit_length() + 1):
        if 0 < old ^ (1 << b) < new or old ^ (1 << b) > new:
            assert not verify_consistency(old ^ (1 << b), new, r1, r2, proof)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.binary(max_size=40), min_size=1, max_size=200))
def test_stored_tree_agrees_with_the_entry_functions(entries):
    tree = Tree(MemoryNodeStore())
    tree.extend(leaf_hash(e) for e in entries)
    rng = random.Random(len(entries))
    for _ in range(5):
        size = rng.randint(1, len(entries))
        index = rng.randrange(size)
        assert tree.root(size) == root_hash(entries[:size])
        assert tree.inclusion_proof(index, size) == inclusion_proof(entries[:size], index)
        old = rng.randint(1, size)
        assert tree.consistency_proof(old, size) == consistency_proof(entries[:size], old)


def test_stored_tree_appends_one_by_one_like_in_batches():
    one, batch = Tree(MemoryNodeStore()), Tree(MemoryNodeStore())
    hashes = [leaf_hash(bytes([i])) for i in range(100)]
    for x in hashes:
        one.append(x)
    batch.extend(hashes[:37])
    batch.extend(hashes[37:])
    assert one.store.nodes == batch.store.nodes
    assert one.root() == root_hash([bytes([i]) for i in range(100)])


def test_stored_tree_reads_each_proof_in_one_store_call():
    class CountingStore(MemoryNodeStore):
        calls = 0

        def get(self, keys):
            CountingStore.calls += 1
            return super().get(keys)

    tree = Tree(CountingStore())
    tree.extend(leaf_hash(i.to_bytes(4, "big")) for i in range(1000))
    CountingStore.calls = 0
    tree.inclusion_proof(377, 999)
    tree.consistency_proof(500, 999)
    tree.root(999)
    assert CountingStore.calls == 3
