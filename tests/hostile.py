"""Hostile files, built in the test from a harmless workbook or CSV: each is a few kilobytes on
disk and would cost a naive parser gigabytes of memory or disk, minutes of CPU, or run code on
the machine of whoever opened an export. Tests upload them everywhere a file is accepted."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

from openpyxl import Workbook

HEADER = ["姓名", "身份证号", "手机号", "年龄", "登记日期", "区县"]
ROW = ["测试甲", "", "", 30, "2024-01-02", "城中区"]


def workbook(rows=(ROW,), header=HEADER) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(list(header))
    for row in rows:
        sheet.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def rezip(base: bytes, changes: dict[str, bytes | None], *, level: int = 9) -> bytes:
    """`base` with members replaced (bytes), removed (None) or added."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(base)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            if info.filename in changes:
                continue
            target.writestr(info, source.read(info.filename))
        for name, data in changes.items():
            if data is not None:
                target.writestr(name, data, compress_type=zipfile.ZIP_DEFLATED, compresslevel=level)
    return out.getvalue()


def _sheet(base: bytes) -> bytes:
    with zipfile.ZipFile(io.BytesIO(base)) as source:
        return source.read("xl/worksheets/sheet1.xml")


def declared_everything(base: bytes) -> bytes:
    """The issue's 6.5 KB file: the sheet declares A1:XFD1048576 and has one cell in the last
    row and column — a reader that pads rows to the dimension writes 17 billion cells."""
    sheet = re.sub(rb'<dimension ref="[^"]*"/>', b'<dimension ref="A1:XFD1048576"/>', _sheet(base))
    last = b'<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>'
    sheet = sheet.replace(b"</sheetData>", last + b"</sheetData>")
    return rezip(base, {"xl/worksheets/sheet1.xml": sheet})


def undeclared_wide(base: bytes) -> bytes:
    """The same, honestly declared small: only the cells say how far the sheet goes."""
    sheet = _sheet(base)
    last = b'<row r="900000"><c r="XFD900000" t="inlineStr"><is><t>x</t></is></c></row>'
    sheet = sheet.replace(b"</sheetData>", last + b"</sheetData>")
    return rezip(base, {"xl/worksheets/sheet1.xml": sheet})


def shared_string_bomb(path: Path, mib: int = 400) -> Path:
    """An xlsx whose shared-strings table is one string of `mib` MiB (about 400 KB on disk),
    written as a stream so the test itself never holds it."""
    base = workbook()
    with zipfile.ZipFile(io.BytesIO(base)) as source, zipfile.ZipFile(path, "w") as target:
        for info in source.infolist():
            if info.filename != "xl/sharedStrings.xml":
                target.writestr(info, source.read(info.filename))
        member = zipfile.ZipInfo("xl/sharedStrings.xml")
        member.compress_type = zipfile.ZIP_DEFLATED
        with target.open(member, "w", force_zip64=True) as handle:
            handle.write(b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">')
            handle.write(b"<si><t>")
            chunk = b"a" * (1 << 20)
            for _ in range(mib):
                handle.write(chunk)
            handle.write(b"</t></si></sst>")
    return path


def zip_bomb_member(path: Path, mib: int = 300) -> Path:
    """A valid workbook with one extra member of `mib` MiB of zeros (compression ratio ~1000)."""
    base = workbook()
    with zipfile.ZipFile(io.BytesIO(base)) as source, zipfile.ZipFile(path, "w") as target:
        for info in source.infolist():
            target.writestr(info, source.read(info.filename))
        member = zipfile.ZipInfo("xl/media/padding.bin")
        member.compress_type = zipfile.ZIP_DEFLATED
        with target.open(member, "w", force_zip64=True) as handle:
            chunk = bytes(1 << 20)
            for _ in range(mib):
                handle.write(chunk)
    return path


def deeply_nested(base: bytes, depth: int = 100_000) -> bytes:
    sheet = _sheet(base).replace(
        b"</sheetData>", b"<x>" * depth + b"</x>" * depth + b"</sheetData>"
    )
    return rezip(base, {"xl/worksheets/sheet1.xml": sheet})


def entity_bomb(base: bytes) -> bytes:
    """Billion laughs in the sheet's prolog."""
    lol = b'<!DOCTYPE lolz [<!ENTITY lol "lol">' + b"".join(
        b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10)
        for i in range(1, 10)
    )
    sheet = _sheet(base)
    if sheet.startswith(b"<?xml"):
        end = sheet.index(b"?>") + 2
        sheet = sheet[:end] + lol + b"]>" + sheet[end:]
    else:
        sheet = lol + b"]>" + sheet
    return rezip(base, {"xl/worksheets/sheet1.xml": sheet})


def external_link(base: bytes) -> bytes:
    link = (
        b'<externalLink xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        b'<externalBook><sheetNames><sheetName val="x"/></sheetNames></externalBook></externalLink>'
    )
    return rezip(base, {"xl/externalLinks/externalLink1.xml": link})


def dde_formula(base: bytes) -> bytes:
    cell = b"<c r=\"A3\"><f>cmd|' /C calc'!A0</f><v>0</v></c>"
    sheet = _sheet(base).replace(b"</sheetData>", b'<row r="3">' + cell + b"</row></sheetData>")
    return rezip(base, {"xl/worksheets/sheet1.xml": sheet})


def wide_csv_header(path: Path, columns: int = 1_000_000, named: bool = True) -> Path:
    """A 10⁶-column header: named columns (~7 MB, one line) or empty ones (1 MB of commas)."""
    header = ",".join(f"c{i}" for i in range(columns)) if named else "," * (columns - 1)
    path.write_text(header + "\n1\n")
    return path


def single_line(path: Path, size: int = 1 << 30) -> Path:
    """A file of `size` bytes with no line break (sparse on disk: it costs nothing to make)."""
    with path.open("wb") as handle:
        handle.write(b"a")
        handle.truncate(size)
    return path


# --- Functions the sandbox tests run in a child (importable by the fork server) --------------


def allocate(mib: int) -> int:
    block = bytearray(mib << 20)
    return len(block)


def spin(seconds: float) -> None:
    import time

    end = time.process_time() + seconds
    while time.process_time() < end:
        pass


def sleep(seconds: float) -> None:
    import time

    time.sleep(seconds)


def write(path: str, mib: int) -> None:
    with open(path, "wb") as handle:
        for _ in range(mib):
            handle.write(bytes(1 << 20))


def fail_with_data() -> None:
    raise ValueError("张三,450202199001011234")


def report(progress=None) -> str:
    for i in range(3):
        progress("step", i, 3)
    return "done"


def moved_sheet(base: bytes, to: str = "xl/q/data.bin") -> bytes:
    """`base` with its first sheet stored at another path, found through the workbook's
    relationships as a reader finds it — an inspection that looks only under xl/worksheets/
    sees no sheet at all."""
    with zipfile.ZipFile(io.BytesIO(base)) as source:
        sheet = source.read("xl/worksheets/sheet1.xml")
        rels = source.read("xl/_rels/workbook.xml.rels")
        types = source.read("[Content_Types].xml")
    rels = rels.replace(b"/xl/worksheets/sheet1.xml", b"/" + to.encode())
    rels = rels.replace(b"worksheets/sheet1.xml", to.removeprefix("xl/").encode())
    types = types.replace(b"/xl/worksheets/sheet1.xml", b"/" + to.encode())
    return rezip(
        base,
        {
            "xl/worksheets/sheet1.xml": None,
            to: sheet,
            "xl/_rels/workbook.xml.rels": rels,
            "[Content_Types].xml": types,
        },
    )


def linked_elsewhere(base: bytes) -> bytes:
    """An external link part at another path, declared in the workbook's relationships."""
    link = (
        b'<externalLink xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        b"<externalBook/></externalLink>"
    )
    with zipfile.ZipFile(io.BytesIO(base)) as source:
        rels = source.read("xl/_rels/workbook.xml.rels")
    relation = (
        b'<Relationship Id="rIdX" Target="/xl/q/link.bin" Type="http://schemas.openxmlformats'
        b'.org/officeDocument/2006/relationships/externalLink"/>'
    )
    rels = rels.replace(b"</Relationships>", relation + b"</Relationships>")
    return rezip(base, {"xl/q/link.bin": link, "xl/_rels/workbook.xml.rels": rels})


def utf16_sheet(base: bytes) -> bytes:
    sheet = _sheet(base).decode("utf-8").replace('encoding="UTF-8"', 'encoding="UTF-16"')
    return rezip(base, {"xl/worksheets/sheet1.xml": b"\xff\xfe" + sheet.encode("utf-16-le")})


def dde_as_reference(base: bytes) -> bytes:
    """The DDE formula with its pipe written as an XML character reference."""
    cell = b"<c r=\"A3\"><f>cmd&#124;' /C calc'!A0</f><v>0</v></c>"
    sheet = _sheet(base).replace(b"</sheetData>", b'<row r="3">' + cell + b"</row></sheetData>")
    return rezip(base, {"xl/worksheets/sheet1.xml": sheet})


def cells_without_references(base: bytes, count: int = 5_007) -> bytes:
    """A row of cells with no r="…": a reader places them one after another."""
    cells = b"<c><v>1</v></c>" * count
    sheet = _sheet(base).replace(b"</sheetData>", b'<row r="3">' + cells + b"</row></sheetData>")
    return rezip(base, {"xl/worksheets/sheet1.xml": sheet})


def dense_parquet(path: Path, rows: int = 100_000_000) -> Path:
    """A few megabytes of Parquet holding a hundred million copies of one value."""
    import duckdb

    duckdb.connect().execute(
        f"COPY (SELECT 1 AS 年龄 FROM range({rows})) TO '{path}' (FORMAT PARQUET)"
    )
    return path
