"""Limits before work: an uploaded file is inspected cheaply, from its bytes, before anything
parses it — its size; for a zip container (xlsx, docx) the number of members, each member's
decompressed size and compression ratio, the total, encryption, DTDs; for a workbook each
sheet's declared dimension and the rows, columns and cells it really holds, the shared-strings
size, external links and DDE formulas; for a CSV the first line's length and column count; for
Parquet the column count from its footer. A file over a limit is refused with a message naming
the limit, and nothing is parsed.

Python's zipfile never yields more than a member's declared size (and checks its CRC), so the
declared sizes read from the central directory bound what a parser can be made to decompress.
The sheet scan reads each worksheet once as a stream of 1 MiB chunks with byte-level regular
expressions — no XML tree, no per-cell Python objects — so it costs a fraction of the parse it
protects. openpyxl reads XML through defusedxml (installed), which refuses entities.

The limits are per purpose (`settings.FILE_LIMITS`): a data version may be a million-row
workbook, a catalogue workbook is a form. The process a parse runs in has limits of its own
(pdao.core.sandbox).

>>> inspect(Path("version.xlsx"), limits("version"))   # doctest: +SKIP
Shape(format='xlsx', sheets=[Sheet(name='xl/worksheets/sheet1.xml', rows=120000, ...)])
"""

from __future__ import annotations

import codecs
import csv
import html
import lzma
import posixpath
import re
import zipfile
import zlib
from dataclasses import dataclass, field, fields
from pathlib import Path

MiB = 1 << 20
# What Python's zipfile raises for a damaged or hostile container, when it opens it or reads a
# member: every one is "this file is damaged", never a server error.
UNREADABLE = (
    zipfile.BadZipFile,
    zlib.error,
    lzma.LZMAError,
    EOFError,
    OSError,
    NotImplementedError,
    UnicodeDecodeError,
    ValueError,
)


@dataclass(frozen=True)
class Limits:
    """What one purpose accepts; a refusal names the limit in words (LIMIT_LABELS) and keeps
    the attribute's name in `Refused.limit` for code."""

    bytes: int  # the file as uploaded
    zip_members: int  # members of an xlsx/docx container
    member_bytes: int  # one member, decompressed
    total_bytes: int  # all members, decompressed
    ratio: int  # decompressed/compressed, for members over 1 MiB
    rows: int  # a worksheet's rows (the last row's number, gaps included)
    columns: int  # a worksheet's or CSV's columns
    cells: int  # rows × columns as a sheet is read (padded to a rectangle)
    shared_strings_bytes: int  # xl/sharedStrings.xml, decompressed (held in memory whole)
    line_bytes: int  # a CSV's first line (later lines are checked by the reader)
    depth: int = 64  # XML nesting
    csv_rows: int = 0  # a CSV's lines (0: any number; a data version may have millions)
    rows_per_byte: float = 10.0  # a Parquet file's rows for each byte it takes


# Each limit in words, for the refusal (settings.FILE_LIMITS[purpose][name] changes it).
LIMIT_LABELS = {
    "bytes": "文件大小",
    "zip_members": "压缩包成员数",
    "member_bytes": "单个成员解压后大小",
    "total_bytes": "解压后总大小",
    "ratio": "压缩比",
    "rows": "工作表行数",
    "columns": "列数",
    "cells": "单元格数",
    "shared_strings_bytes": "共享字符串表大小",
    "line_bytes": "首行长度",
    "depth": "XML 嵌套层数",
    "csv_rows": "CSV 行数",
    "rows_per_byte": "每字节行数",
    "content": "文件内容",
}


class Refused(Exception):
    """The file is over a limit, or holds what no upload may (DTDs, external links, DDE).
    `limit` is the Limits attribute (or "content"); the message names it, never a value of the
    file's data."""

    def __init__(self, limit: str, message: str):
        super().__init__(message)
        self.limit, self.message = limit, message

    def __reduce__(self):  # crosses the sandbox's pipe intact
        return (Refused, (self.limit, self.message))


def limits(purpose: str) -> Limits:
    """The limits of one purpose ("version", "catalogue", "leak") from settings.FILE_LIMITS."""
    # Read here, not at import: the pure ingest pipeline imports this module without Django
    # and is given its limits by its caller.
    from django.conf import settings

    values = settings.FILE_LIMITS[purpose]
    return Limits(**{f.name: values[f.name] for f in fields(Limits) if f.name in values})


def size(n: int) -> str:
    """Bytes for a person: 1.5 GiB, 20 MiB, 512 KiB, 300 字节."""
    for unit, scale in (("GiB", 1 << 30), ("MiB", MiB), ("KiB", 1 << 10)):
        if n >= scale:
            value = n / scale
            return f"{value:.1f} {unit}".replace(".0 ", " ")
    return f"{n} 字节"


def _over(limit: str, what: str, found: str, allowed: str) -> Refused:
    return Refused(
        limit,
        f"{what}为 {found}，超过{' ' * LIMIT_LABELS[limit][0].isascii()}"
        f"{LIMIT_LABELS[limit]}上限 {allowed}",
    )


@dataclass(frozen=True)
class Sheet:
    name: str
    rows: int
    columns: int
    cells: int


@dataclass(frozen=True)
class Shape:
    format: str  # "xlsx", "docx", "zip", "csv", "parquet"
    sheets: list[Sheet] = field(default_factory=list)
    columns: int = 0


def sniff(path: Path) -> str:
    """'parquet', 'xlsx', 'docx', 'zip' or 'csv', from the bytes, never the name."""
    with Path(path).open("rb") as handle:
        head = handle.read(4)
        if head == b"PAR1":
            return "parquet"
        if head == b"PK\x03\x04":
            try:
                with zipfile.ZipFile(path) as archive:
                    names = set(archive.namelist())
            except UNREADABLE:
                return "zip"
            if "xl/workbook.xml" in names:
                return "xlsx"
            if "word/document.xml" in names:
                return "docx"
            return "zip"
    return "csv"


def inspect(path: Path, limit: Limits) -> Shape:
    """Refuse `path` (Refused) when it is over any of `limit`; otherwise its shape."""
    path = Path(path)
    actual = path.stat().st_size
    if actual > limit.bytes:
        raise _over("bytes", "文件", size(actual), size(limit.bytes))
    kind = sniff(path)
    if kind in ("xlsx", "docx", "zip"):
        return inspect_zip(path, limit, kind)
    if kind == "parquet":
        return inspect_parquet(path, limit)
    return inspect_csv(path, limit)


# --- Zip containers --------------------------------------------------------------------------


def inspect_zip(path: Path, limit: Limits, kind: str = "zip") -> Shape:
    try:
        archive = zipfile.ZipFile(path)
    except UNREADABLE:
        raise Refused("content", "文件已损坏：不是完整的 ZIP 容器") from None
    try:
        with archive:
            return _inspect_archive(archive, limit, kind)
    except UNREADABLE:
        # A member whose bytes do not match its header (a forged size, a bad CRC, damaged
        # compressed data, a name that is not the UTF-8 it claims) fails only when it is read.
        raise Refused("content", "文件已损坏：压缩数据无法读取") from None


def _inspect_archive(archive: zipfile.ZipFile, limit: Limits, kind: str) -> Shape:
    members = archive.infolist()
    if len(members) > limit.zip_members:
        raise _over("zip_members", "压缩包成员数", f"{len(members):,}", f"{limit.zip_members:,}")
    total = 0
    for member in members:
        if member.flag_bits & 0x1:
            raise Refused("content", f"压缩包成员 {member.filename} 已加密，无法检查")
        if member.file_size > limit.member_bytes:
            raise _over(
                "member_bytes",
                f"成员 {member.filename} 解压后",
                size(member.file_size),
                size(limit.member_bytes),
            )
        ratio = member.file_size / max(member.compress_size, 1)
        if member.file_size > MiB and ratio > limit.ratio:
            raise _over(
                "ratio", f"成员 {member.filename} 的压缩比", f"{ratio:,.0f}", f"{limit.ratio}"
            )
        total += member.file_size
    if total > limit.total_bytes:
        raise _over("total_bytes", "解压后总大小", size(total), size(limit.total_bytes))
    for member in members:  # every part, whatever its name says it is
        _no_dtd(archive, member)
    if kind != "xlsx":
        return Shape(kind)
    parts = _workbook_parts(archive, {m.filename: m for m in members})
    if parts["external"]:
        raise Refused("content", "工作簿含外部链接（引用其他文件的数据），请另存为不含链接的工作簿")
    for strings in parts["strings"]:
        if strings.file_size > limit.shared_strings_bytes:
            raise _over(
                "shared_strings_bytes",
                "共享字符串表",
                size(strings.file_size),
                size(limit.shared_strings_bytes),
            )
    sheets = [_scan_sheet(archive, m, limit, title) for m, title in parts["sheets"]]
    return Shape("xlsx", sheets)


def _no_dtd(archive: zipfile.ZipFile, member: zipfile.ZipInfo) -> None:
    """A document type declaration may only come before the root element; no part of an
    Office document has one, and entities in one are how XML bombs work."""
    with archive.open(member) as handle:
        prolog = handle.read(4096)
    if b"<!DOCTYPE" in prolog.upper() or b"<!ENTITY" in prolog.upper():
        raise Refused("content", f"成员 {member.filename} 含文档类型声明（DTD），不予解析")


_DIMENSION = re.compile(
    rb"<(?:\w+:)?dimension\b[^>]*?\bref=\"([A-Z]{1,3})?(\d+)?(?::([A-Z]{1,3})(\d+))?\""
)
_ROW = re.compile(rb"<(?:\w+:)?row\b[^>]*?\br=\"(\d+)\"")
_ROW_TAG = re.compile(rb"<(?:\w+:)?row[\s>/]")
_CELL_TAG = re.compile(rb"<(?:\w+:)?c[\s>/]")
_CELL_REF = re.compile(rb"<(?:\w+:)?c\b[^>]*?\br=\"([A-Z]{1,3})\d+\"")
_FORMULA = re.compile(rb"<(?:\w+:)?f\b[^>]*>([^<]*)<")
# Dynamic data exchange: app|'topic'!item (with the quote optional), e.g. cmd|' /C calc'!A0.
_DDE = re.compile(r"(?:^|[=+\-@,(])\s*'?[A-Za-z0-9_.\\]+'?\|")


def _column_number(letters: bytes) -> int:
    number = 0
    for byte in letters:
        number = number * 26 + (byte - 64)
    return number


_SHEET = re.compile(rb"<(?:\w+:)?sheet\s[^>]*>")
_RELATION = re.compile(rb"<(?:\w+:)?Relationship\s[^>]*>")
_OVERRIDE = re.compile(rb"<(?:\w+:)?Override\s[^>]*>")
_ATTRIBUTE = re.compile(rb"([\w:]+)=\"([^\"]*)\"")


def _attributes(tag: bytes) -> dict[bytes, bytes]:
    """An element's attributes by local name (r:id → id), in whatever order they come."""
    return {name.rsplit(b":", 1)[-1]: value for name, value in _ATTRIBUTE.findall(tag)}


def _relations(archive: zipfile.ZipFile, names: set[str], path: str) -> list[tuple]:
    """(id, type, part) of each internal relationship in the .rels part `path`, targets
    resolved against the folder of the part it describes, as a reader resolves them."""
    if path not in names:
        return []
    folder = posixpath.dirname(posixpath.dirname(path))
    found = []
    for tag in _RELATION.findall(archive.read(path)):
        attributes = _attributes(tag)
        if attributes.get(b"TargetMode") == b"External" or b"Target" not in attributes:
            continue
        target = attributes[b"Target"].decode("utf-8", "replace")
        part = target.lstrip("/") if target.startswith("/") else posixpath.join(folder, target)
        kind = attributes.get(b"Type", b"").decode("utf-8", "replace")
        found.append((attributes.get(b"Id", b""), kind, posixpath.normpath(part)))
    return found


def _workbook_parts(archive: zipfile.ZipFile, members: dict) -> dict:
    """The parts a reader of the workbook will open, found as it finds them — the workbook
    from the package's relationships, its sheets, shared strings and external links from the
    workbook's, and any part the content types declare as one of those — whatever their
    names: {"sheets": [(member, title)], "strings": [member], "external": bool}."""
    names = set(members)
    office = [p for _i, t, p in _relations(archive, names, "_rels/.rels") if "officeDocument" in t]
    workbook = office[0] if office else "xl/workbook.xml"
    folder, file = posixpath.split(workbook)
    related = _relations(archive, names, posixpath.join(folder, "_rels", file + ".rels"))
    declared = {}
    if "[Content_Types].xml" in names:
        for tag in _OVERRIDE.findall(archive.read("[Content_Types].xml")):
            attributes = _attributes(tag)
            part = attributes.get(b"PartName", b"").decode("utf-8", "replace").lstrip("/")
            declared[part] = attributes.get(b"ContentType", b"").decode("utf-8", "replace")

    def of(kind: str, content: str, named: str) -> set[str]:
        found = {p for _i, t, p in related if t.endswith("/" + kind)}
        found |= {p for p, c in declared.items() if c.endswith(content)}
        found |= {n for n in names if n.startswith(named) and n.endswith(".xml")}
        return {p for p in found if p in names}

    ids = {rid: part for rid, _t, part in related}
    titles = {}
    for tag in _SHEET.findall(archive.read(workbook)) if workbook in names else []:
        attributes = _attributes(tag)
        if attributes.get(b"id") in ids and b"name" in attributes:
            name = html.unescape(attributes[b"name"].decode("utf-8", "replace"))
            titles[ids[attributes[b"id"]]] = name
    sheets = of("worksheet", "worksheet+xml", "xl/worksheets/")
    return {
        "sheets": [(members[p], titles.get(p, _sheet_name(p))) for p in sorted(sheets)],
        "strings": [
            members[p] for p in of("sharedStrings", "sharedStrings+xml", "xl/sharedStrings")
        ],
        "external": bool(of("externalLink", "externalLink+xml", "xl/externalLinks/")),
    }


def _scan_sheet(
    archive: zipfile.ZipFile, member: zipfile.ZipInfo, limit: Limits, title: str
) -> Sheet:
    """Rows, columns and cells of one worksheet, and its formulas checked for DDE, in one pass
    over 1 MiB chunks (a chunk is cut after its last '<', so no tag is split)."""
    name = member.filename
    rows = row_tags = cells = columns = depth = 0
    in_row = 0  # cells of the row being read (cells need no r="…": a reader counts them)
    seen_dimension = False
    carry = b""
    with archive.open(member) as handle:
        head = handle.peek(64)[:64]
        if head.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in head:
            raise Refused(
                "content", f"工作表「{title}」不是 UTF-8 编码，请用 Excel 另存为 .xlsx 后再上传"
            )
        while True:
            chunk = handle.read(MiB)
            data = carry + chunk
            if chunk:
                cut = data.rfind(b"<")
                data, carry = (data[:cut], data[cut:]) if cut > 0 else (data, b"")
            if not data:
                break
            if not seen_dimension:
                found = _DIMENSION.search(data)
                if found is not None:
                    seen_dimension = True
                    _check_dimension(title, found, limit)
            for number in _ROW.findall(data):
                rows = max(rows, int(number))
            row_tags += len(_ROW_TAG.findall(data))
            cells += len(_CELL_TAG.findall(data))
            for letters in set(_CELL_REF.findall(data)):
                columns = max(columns, _column_number(letters))
            pieces = _ROW_TAG.split(data)
            in_row += len(_CELL_TAG.findall(pieces[0]))
            for piece in pieces[1:]:
                columns, in_row = max(columns, in_row), len(_CELL_TAG.findall(piece))
            columns = max(columns, in_row)
            for formula in _FORMULA.findall(data):
                # As the formula reads once its character references are resolved (&#124; is |).
                if _DDE.search(html.unescape(formula.decode("utf-8", "replace"))):
                    raise Refused(
                        "content",
                        f"工作表「{title}」含 DDE 公式（可执行外部程序），不予导入",
                    )
            depth = _depth(data, depth, limit.depth)
            if depth > limit.depth:
                raise _over(
                    "depth",
                    f"工作表「{title}」的 XML 嵌套",
                    f"{depth:,} 层",
                    f"{limit.depth} 层",
                )
            rows_now = max(rows, row_tags)
            if rows_now > limit.rows:
                raise _over("rows", f"工作表「{title}」的行数", f"{rows_now:,}", f"{limit.rows:,}")
            if columns > limit.columns:
                raise _over(
                    "columns",
                    f"工作表「{title}」的列数",
                    f"{columns:,}",
                    f"{limit.columns:,}",
                )
            if cells > limit.cells or rows_now * columns > limit.cells:
                padded = max(cells, rows_now * columns)
                raise _over(
                    "cells",
                    f"工作表「{title}」的单元格数",
                    f"{padded:,}",
                    f"{limit.cells:,}",
                )
            if not chunk:
                break
    return Sheet(name, max(rows, row_tags), columns, cells)


def _depth(data: bytes, depth: int, limit: int) -> int:
    """The nesting after `data`, starting from `depth`, checked every 4 KiB (cut before a '<',
    so no tag is split): deeper nesting than 4 KiB can hide is caught where it happens."""
    start = 0
    while start < len(data):
        end = data.find(b"<", start + 4096)
        end = len(data) if end < 0 else end
        part = data[start:end]
        depth += part.count(b"<") - 2 * part.count(b"</") - part.count(b"/>")
        depth -= part.count(b"<?") + part.count(b"<!")
        if depth > limit:
            return depth
        start = end
    return depth


def _sheet_name(member: str) -> str:
    return member.rsplit("/", 1)[-1].removesuffix(".xml")


def _check_dimension(title: str, found: re.Match, limit: Limits) -> None:
    """The declared range (A1:XFD1048576): a reader pads every row to it, so it is a limit of
    its own, whatever the sheet really holds."""
    first_col, first_row, last_col, last_row = found.groups()
    last_col = last_col or first_col
    last_row = last_row or first_row
    rows = int(last_row) if last_row else 0
    columns = _column_number(last_col) if last_col else 0
    where = f"工作表「{title}」声明的范围"
    if rows > limit.rows:
        raise _over("rows", where + "行数", f"{rows:,}", f"{limit.rows:,}")
    if columns > limit.columns:
        raise _over("columns", where + "列数", f"{columns:,}", f"{limit.columns:,}")
    if rows * columns > limit.cells:
        raise _over("cells", where + "单元格数", f"{rows * columns:,}", f"{limit.cells:,}")


# --- CSV and Parquet --------------------------------------------------------------------------


def inspect_csv(path: Path, limit: Limits) -> Shape:
    """The first line within `line_bytes`, and its fields within `columns` (quotes respected;
    the encoding is guessed as the reader will: UTF-8, else GB18030)."""
    with Path(path).open("rb") as handle:
        line = handle.readline(limit.line_bytes + 1)
    if len(line) > limit.line_bytes:
        raise Refused(
            "line_bytes",
            f"首行（表头）超过首行长度上限 {size(limit.line_bytes)}",
        )
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = codecs.decode(line, encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        text = line.decode("utf-8", "replace")
    count = len(next(csv.reader([text.rstrip("\r\n")]), []))
    if count > limit.columns:
        raise _over("columns", "表头的列数", f"{count:,}", f"{limit.columns:,}")
    if limit.csv_rows:
        lines = 0
        with Path(path).open("rb") as handle:
            while (chunk := handle.read(MiB)) and lines <= limit.csv_rows:
                lines += chunk.count(b"\n")
        if lines > limit.csv_rows:
            raise Refused("csv_rows", f"CSV 的行数超过 CSV 行数上限 {limit.csv_rows:,}")


def inspect_parquet(path: Path, limit: Limits) -> Shape:
    import pyarrow.parquet as pq

    try:
        metadata = pq.read_metadata(path)
    except Exception:  # pyarrow raises several kinds for a damaged footer
        raise Refused("content", "Parquet 文件已损坏：无法读取文件尾的元数据") from None
    if metadata.num_columns > limit.columns:
        raise _over(
            "columns", "Parquet 文件的列数", f"{metadata.num_columns:,}", f"{limit.columns:,}"
        )
    # Encodings that repeat one value (RLE, dictionaries) make a few megabytes hundreds of
    # millions of rows; no table of records keeps a row in less than a tenth of a byte.
    density = metadata.num_rows / max(Path(path).stat().st_size, 1)
    if density > limit.rows_per_byte:
        raise _over(
            "rows_per_byte",
            "Parquet 文件每字节的行数",
            f"{density:,.0f}(共 {metadata.num_rows:,} 行)",
            f"{limit.rows_per_byte:g}",
        )
    expanded = sum(metadata.row_group(i).total_byte_size for i in range(metadata.num_row_groups))
    if expanded > limit.total_bytes:
        raise _over(
            "total_bytes", "Parquet 文件解压后大小", size(expanded), size(limit.total_bytes)
        )
    return Shape("parquet", columns=metadata.num_columns)
