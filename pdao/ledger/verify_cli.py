"""pdao-verify: check a ledger receipt offline, with no Django and no network.

    pdao-verify RECEIPT.json --key LOG_VKEY [--witness VKEY ...] [--file PATH | --sha256 HEX]

Exit status 0 when the receipt proves the entry is in the ledger (and, with --file or --sha256,
that the entry anchors exactly that content); 1 when it does not; 2 for bad arguments.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

from pdao.ledger import note, receipt


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="pdao-verify", description="验证上链回执 / verify a pdao ledger receipt offline"
    )
    parser.add_argument("receipt", type=Path, help="receipt JSON file")
    parser.add_argument("--key", required=True, help="the ledger's public key (vkey)")
    parser.add_argument(
        "--witness", action="append", default=[], help="a witness public key (vkey); repeatable"
    )
    parser.add_argument("--min-witnesses", type=int, default=None, help="default: all given")
    content = parser.add_mutually_exclusive_group()
    content.add_argument("--file", type=Path, help="the anchored file, to compare its SHA-256")
    content.add_argument("--sha256", help="the anchored content's SHA-256 in hex")
    args = parser.parse_args(argv)

    try:
        log_key = note.Verifier.from_vkey(args.key)
        witness_keys = [note.Verifier.from_vkey(k) for k in args.witness]
        data = json.loads(args.receipt.read_text(encoding="utf-8"))
        expected = _sha256_file(args.file) if args.file else (args.sha256 or "").lower()
    except (OSError, ValueError) as error:
        print(f"参数错误 / bad argument: {error}", file=sys.stderr)
        return 2
    try:
        result = receipt.verify(
            data,
            log_key=log_key,
            witness_keys=witness_keys,
            required_witnesses=args.min_witnesses,
        )
    except receipt.ReceiptError as error:
        print(f"验证失败 / INVALID: {error}")
        return 1
    if expected and result.entry["content_hash"] != expected:
        print("验证失败 / INVALID: the entry anchors different content than given")
        return 1
    print("验证通过 / VALID")
    print(f"  entry #{result.index}: {result.entry['type']} {result.entry['subject']}")
    print(f"  content SHA-256: {result.entry['content_hash']}")
    print(f"  time: {result.entry['time']}  actor: {result.entry['actor'] or '-'}")
    print(f"  checkpoint: {result.checkpoint.origin} size {result.checkpoint.size}")
    print(f"  cosigned by: {', '.join(result.witnesses) or '-'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
