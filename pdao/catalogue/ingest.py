"""Ingest one version of a data resource: validate a file against its declared schema, scan it
for personal information, and write it as immutable Parquet. Pure: DuckDB and pyarrow, no
Django, so it can be tested and benchmarked alone.

Problems are reported by row, column and kind — never with the offending value, because a
report is shown outside the zone (原始数据不出域).

>>> spec = [Column("企业名称", "string"), Column("注册资本", "decimal")]
>>> # result = ingest(Path("x.csv"), columns=spec, dest_dir=Path("/data/versions"))
"""

from __future__ import annotations

import codecs
import hashlib
import os
import re
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from pdao.accounts import credit_code
from pdao.core import files
from pdao.core.sql import quote_ident, quote_string

TYPES = {
    "string": "VARCHAR",
    "integer": "BIGINT",
    "decimal": "DOUBLE",
    "date": "DATE",
    "datetime": "TIMESTAMP",
    "boolean": "BOOLEAN",
}
MAX_LINE_BYTES = 1 << 20  # a CSV line over 1 MiB is not a record of a government dataset
MAX_PROBLEMS = 50
PI_SAMPLE = 20_000


@dataclass(frozen=True)
class Column:
    """A declared column: its name in the file, type, and the rules its values must follow."""

    name: str
    type: str
    required: bool = False
    choices: tuple[str, ...] = ()
    pattern: str = ""
    label: str = ""


@dataclass(frozen=True)
class Problem:
    kind: str
    message: str
    row: int | None = None
    column: str | None = None

    def __str__(self) -> str:
        where = []
        if self.row is not None:
            where.append(f"第 {self.row} 行")
        if self.column:
            where.append(f"「{self.column}」列")
        return ("".join(where) + ":" if where else "") + self.message

    def as_dict(self) -> dict:
        return {"kind": self.kind, "message": self.message, "row": self.row, "column": self.column}


class IngestError(Exception):
    """The file cannot become a version. `problems` lists the first ones found."""

    def __init__(self, problems: list[Problem]):
        super().__init__("; ".join(str(p) for p in problems[:5]))
        self.problems = problems


@dataclass(frozen=True)
class PIFinding:
    """A column that holds personal information, and how sure the scan is."""

    column: str
    kind: str
    share: float
    by: str  # "content" or "label"


@dataclass
class Result:
    path: Path
    sha256: str
    rows: int
    bytes: int
    format: str
    encoding: str
    pi: list[PIFinding] = field(default_factory=list)


Progress = Callable[[str, int, int], None]


def _no_progress(stage: str, done: int, total: int) -> None:
    return None


class _QueryProgress:
    """Reports DuckDB's own progress of the running query as `progress(stage, permille, 1000)`
    from a watcher thread, twice a second; `stage` names what the main thread runs now.
    DuckDB's `query_progress()` is meant to be called from another thread while a query runs."""

    def __init__(self, con, progress: Progress):
        self.con, self.progress, self.stage = con, progress, ""
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="ingest-progress", daemon=True)

    def enter(self, stage: str) -> None:
        self.stage = stage
        self.progress(stage, 0, 1000)

    def _watch(self) -> None:
        while not self._stop.wait(0.5):
            share = self.con.query_progress()
            if share >= 0:
                self.progress(self.stage, int(share * 10), 1000)

    @contextmanager
    def running(self) -> Iterator[_QueryProgress]:
        self.con.execute("SET enable_progress_bar=true")
        self.con.execute("SET enable_progress_bar_print=false")
        self._thread.start()
        try:
            yield self
        finally:
            self._stop.set()
            self._thread.join()


# --- Format and encoding -------------------------------------------------------------------------


def _to_utf8(path: Path, out_dir: Path, progress: Progress) -> tuple[Path, str]:
    """The CSV as UTF-8: as it is when it already is (BOM stripped by DuckDB), otherwise
    transcoded from GB18030 (a superset of GBK and GB2312) in 1 MiB chunks."""
    total = path.stat().st_size
    for encoding in ("utf-8", "gb18030"):
        decoder = codecs.getincrementaldecoder(encoding)("strict")
        target = (
            None
            if encoding == "utf-8"
            else (out_dir / "transcoded.csv").open("w", encoding="utf-8")
        )
        done = 0
        try:
            with path.open("rb") as source:
                while chunk := source.read(1 << 20):
                    text = decoder.decode(chunk)
                    if target is not None:
                        target.write(text)
                    done += len(chunk)
                    progress("encoding", done, total)
                decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        finally:
            if target is not None:
                target.close()
        if encoding == "utf-8":
            return path, "utf-8"
        return out_dir / "transcoded.csv", "gb18030"
    raise IngestError(
        [Problem("encoding", "文件编码无法识别：请使用 UTF-8、GBK 或 GB18030 编码的 CSV")]
    )


def _xlsx_to_csv(path: Path, out_dir: Path, progress: Progress, shape: files.Shape | None) -> Path:
    """The first sheet of a workbook as UTF-8 CSV, streamed row by row (openpyxl read-only),
    each row as wide as the sheet really is (from the inspection, `shape`), never as wide as it
    declares itself."""
    import csv

    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
        worksheet = workbook.worksheets[0]
    except Exception as error:  # openpyxl raises many kinds for a damaged workbook
        raise IngestError([Problem("format", "Excel 文件已损坏或无法读取")]) from error
    member = getattr(worksheet, "_worksheet_path", "")
    sheet = next((s for s in (shape.sheets if shape else []) if s.name == member), None)
    bounds = {}
    if sheet is not None and sheet.columns:
        worksheet.reset_dimensions()
        bounds = {"max_row": sheet.rows, "max_col": sheet.columns}
    target = out_dir / "sheet.csv"
    with target.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        for i, row in enumerate(worksheet.iter_rows(values_only=True, **bounds)):
            writer.writerow(["" if v is None else v for v in row])
            if i % 10_000 == 0:
                progress("excel", i, 0)
    workbook.close()
    return target


# --- Reading and validating ---------------------------------------------------------------------


_REJECT_MESSAGES = {
    "CAST": "值与声明的类型不符",
    "MISSING COLUMNS": "列数少于表头",
    "TOO MANY COLUMNS": "列数多于表头",
    "UNQUOTED VALUE": "引号使用不正确",
    "LINE SIZE OVER MAXIMUM": "行过长",
    "INVALID UNICODE": "包含无效字符",
    "INVALID ENCODING": "包含无效字符",
}


def _header(csv_path: Path) -> list[str]:
    """The first line's fields, read with the csv module (DuckDB's sniffer may guess another
    delimiter from a ragged file)."""
    import csv

    with csv_path.open(encoding="utf-8-sig", newline="") as handle:
        line = handle.readline(MAX_LINE_BYTES + 1)
    if len(line) > MAX_LINE_BYTES:
        raise IngestError([Problem("format", "表头行过长", row=1)])
    fields = next(csv.reader([line]), [])
    return [f.strip() for f in fields]


def _printable(name: str) -> str:
    """A header name as a page can show it: control characters (a NUL, say) as escapes, at
    most 64 characters."""
    shown = "".join(f"\\x{ord(c):02x}" if ord(c) < 32 or ord(c) == 127 else c for c in name)
    return shown[:64] + ("…" if len(shown) > 64 else "") or "（空）"


def _check_header(found: list[str], columns: list[Column]) -> None:
    found = [name.lstrip("\ufeff") for name in found]
    declared = [c.name for c in columns]
    missing = [n for n in declared if n not in found]
    extra = [n for n in found if n not in declared]
    problems = []
    if missing:
        problems.append(Problem("header", "缺少声明的列：" + "、".join(missing)))
    if extra:
        shown = [_printable(n) for n in extra[:20]] + (["…"] if len(extra) > 20 else [])
        problems.append(Problem("header", "文件中有未声明的列：" + "、".join(shown)))
    if problems:
        raise IngestError(problems)


def _read_csv(con, csv_path: Path, columns: list[Column]) -> None:
    types = ", ".join(f"{quote_string(c.name)}: {quote_string(TYPES[c.type])}" for c in columns)
    try:
        con.execute(
            "CREATE TABLE incoming AS SELECT row_number() OVER () + 1 AS __line, * FROM read_csv("
            f"{quote_string(str(csv_path))}, header=true, columns={{{types}}}, "
            f"store_rejects=true, max_line_size={MAX_LINE_BYTES}, "
            "delim=',', quote='\"', escape='\"', "
            "dateformat='%Y-%m-%d')"
        )
    except (duckdb.InvalidInputException, duckdb.ConversionException) as error:
        # DuckDB's messages quote the offending line: say what kind of problem it was, only.
        text = str(error)
        if "Maximum line size" in text:
            raise IngestError(
                [Problem("format", "行过长（超过 1 MiB）", row=_first_long_line(csv_path))]
            ) from None
        kind = next((k for k in _REJECT_MESSAGES if k.lower() in text.lower()), None)
        line = re.search(r"[Ll]ine:? (\d+)", text)
        raise IngestError(
            [
                Problem(
                    "format",
                    _REJECT_MESSAGES.get(kind, "CSV 结构无法解析（分隔符、引号或换行不一致）"),
                    row=int(line.group(1)) if line else None,
                )
            ]
        ) from None
    rejects = con.execute(
        "SELECT line, column_name, error_type FROM reject_errors ORDER BY line LIMIT ?",
        [MAX_PROBLEMS],
    ).fetchall()
    if rejects:
        raise IngestError(
            [
                Problem(
                    "type",
                    _REJECT_MESSAGES.get(str(kind), "无法解析"),
                    row=int(line),
                    column=col or None,
                )
                for line, col, kind in rejects
            ]
        )


def _first_long_line(csv_path: Path) -> int | None:
    with csv_path.open("rb") as handle:
        for number, line in enumerate(iter(lambda: handle.readline(MAX_LINE_BYTES + 2), b""), 1):
            if len(line) > MAX_LINE_BYTES:
                return number
            while not line.endswith(b"\n") and line:  # finish a line read in pieces
                line = handle.readline(MAX_LINE_BYTES + 2)
    return None


def choices_text(choices, shown: int = 20) -> str:
    """A declared value set in words: the first `shown` values, then how many more."""
    values = [str(v) for v in choices]
    text = "、".join(values[:shown])
    return text if len(values) <= shown else f"{text} 等 {len(values)} 个"


def _validate(con, columns: list[Column]) -> None:
    problems: list[Problem] = []
    for c in columns:
        col = quote_ident(c.name)
        checks = []
        if c.required:
            checks.append((f"{col} IS NULL OR trim(CAST({col} AS VARCHAR)) = ''", "必填但为空"))
        if c.choices:
            allowed = ", ".join(quote_string(v) for v in c.choices)
            checks.append(
                (
                    f"{col} IS NOT NULL AND CAST({col} AS VARCHAR) NOT IN ({allowed})",
                    "取值不在允许的枚举范围内（允许：" + choices_text(c.choices) + "）",
                )
            )
        if c.pattern:
            checks.append(
                (
                    f"{col} IS NOT NULL AND NOT regexp_full_match("
                    f"CAST({col} AS VARCHAR), {quote_string(c.pattern)})",
                    "不符合规定的格式",
                )
            )
        for condition, message in checks:
            rows = con.execute(
                f"SELECT __line FROM incoming WHERE {condition} ORDER BY __line LIMIT ?",
                [MAX_PROBLEMS],
            ).fetchall()
            problems += [Problem("value", message, row=r[0], column=c.name) for r in rows]
    if problems:
        problems.sort(key=lambda p: (p.row or 0, p.column or ""))
        raise IngestError(problems[:MAX_PROBLEMS])


# --- Personal information -------------------------------------------------------------------------

_ID_RE = re.compile(r"^[1-9]\d{5}(18|19|20)\d{2}(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])\d{3}[\dX]$")
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_PHONE_RE = re.compile(r"^(\+?86[- ]?)?1[3-9]\d{9}$")
_CARD_RE = re.compile(r"^\d{16,19}$")
_PLATE_RE = re.compile(
    r"^[京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼使领][A-HJ-NP-Z]"
    r"[A-HJ-NP-Z0-9]{4,5}[A-HJ-NP-Z0-9挂学警港澳]$"
)
_NAME_RE = re.compile(r"^[\u4e00-\u9fff]{2,4}$")
_ADDRESS_RE = re.compile(r"[\u4e00-\u9fff]{2,}(省|市|区|县|镇|乡|街道|路|街|巷|村).*\d+号?")
_NAME_LABELS = ("姓名", "名字", "联系人", "法定代表人", "法人代表", "负责人", "患者", "name")
_ADDRESS_LABELS = ("地址", "住址", "住所", "居住地", "户籍地", "address")


def is_resident_id(value: str) -> bool:
    """A 身份证号 (GB 11643-1999): the pattern, a real birth date range, and the check digit."""
    value = value.strip().upper()
    if not _ID_RE.match(value):
        return False
    total = sum(int(d) * w for d, w in zip(value[:17], _ID_WEIGHTS, strict=True))
    return "10X98765432"[total % 11] == value[17]


def is_bank_card(value: str) -> bool:
    digits = value.replace(" ", "")
    if not _CARD_RE.match(digits):
        return False
    total = 0
    for i, d in enumerate(reversed(digits)):
        n = int(d) * (2 if i % 2 else 1)
        total += n - 9 if n > 9 else n
    return total % 10 == 0


_CONTENT_CHECKS: list[tuple[str, Callable[[str], bool]]] = [
    ("resident_id", is_resident_id),
    ("mobile", lambda v: bool(_PHONE_RE.match(v.strip()))),
    ("credit_code", lambda v: credit_code.check(credit_code.normalise(v)) is None),
    ("bank_card", is_bank_card),
    ("licence_plate", lambda v: bool(_PLATE_RE.match(v.strip()))),
    ("address", lambda v: bool(_ADDRESS_RE.search(v))),
]


def scan_personal_information(
    con, columns: list[Column], threshold: float = 0.9
) -> list[PIFinding]:
    """Classify each text column by content (a sample of up to 20,000 non-empty values: the
    share matching each kind, check digits included) and by its name and label."""
    findings = []
    for c in columns:
        if c.type != "string":
            continue
        col = quote_ident(c.name)
        values = [
            r[0]
            for r in con.execute(
                f"SELECT CAST({col} AS VARCHAR) FROM incoming WHERE {col} IS NOT NULL "
                f"AND trim(CAST({col} AS VARCHAR)) <> '' USING SAMPLE {PI_SAMPLE} ROWS"
            ).fetchall()
        ]
        found = None
        if values:
            for kind, test in _CONTENT_CHECKS:
                share = sum(1 for v in values if test(v)) / len(values)
                if share >= threshold:
                    found = PIFinding(c.name, kind, round(share, 4), "content")
                    break
        words = f"{c.name} {c.label}".lower()
        if found is None and any(w in words for w in _NAME_LABELS):
            share = sum(1 for v in values if _NAME_RE.match(v.strip())) / max(len(values), 1)
            found = PIFinding(c.name, "person_name", round(share, 4), "label")
        if found is None and any(w in words for w in _ADDRESS_LABELS):
            found = PIFinding(c.name, "address", 1.0, "label")
        if found is not None:
            findings.append(found)
    return findings


# --- The whole pipeline -------------------------------------------------------------------


def ingest(
    source: Path,
    *,
    columns: list[Column],
    dest_dir: Path,
    declared_format: str | None = None,
    progress: Progress = _no_progress,
    memory_limit: str = "1GB",
    file_limits: files.Limits | None = None,
    work_root: Path | None = None,
) -> Result:
    """Validate `source` against `columns`, scan it for personal information and write it to
    `dest_dir/<sha256>.parquet`, read-only. Raises IngestError, leaving nothing behind, when
    the file cannot become a version.

    Args:
        declared_format: what the file's name says ("csv", "xlsx", "parquet"); a file whose
            bytes say otherwise is refused.
        memory_limit: DuckDB's limit; files larger than memory are streamed through disk.
        file_limits: what the file may be (pdao.core.files), checked before it is parsed; over one,
            the file is refused with a problem of kind "limit" naming it.
        work_root: where the working directory goes (default `dest_dir`); a caller that may
            kill this process removes what is left there.
    """
    source = Path(source)
    if not source.is_file() or source.stat().st_size == 0:
        raise IngestError([Problem("empty", "文件为空")])
    shape = None
    if file_limits is not None:
        try:
            shape = files.inspect(source, file_limits)
        except files.Refused as refusal:
            raise IngestError([Problem("limit", refusal.message)]) from None
    actual = files.sniff(source)
    if actual in ("zip", "docx"):
        raise IngestError([Problem("format", "文件是 ZIP 压缩包或 Word 文档，不是 Excel 工作簿")])
    if declared_format and declared_format != actual:
        raise IngestError(
            [Problem("format", f"文件内容是 {actual.upper()}，与扩展名 .{declared_format} 不符")]
        )
    unknown = [c.type for c in columns if c.type not in TYPES]
    if not columns or unknown:
        raise ValueError(f"columns must be declared with types in {sorted(TYPES)}")
    dest_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=work_root or dest_dir, prefix=".ingest-") as work:
        work_dir = Path(work)
        con = duckdb.connect(config={"temp_directory": str(work_dir / "spill")})
        con.execute(f"SET memory_limit={quote_string(memory_limit)}")
        if file_limits is not None:
            spill = quote_string(f"{file_limits.total_bytes * 2}B")
            con.execute(f"SET max_temp_directory_size={spill}")
        con.execute("SET preserve_insertion_order=true")
        encoding = "binary"
        with _QueryProgress(con, progress).running() as watch:
            if actual == "parquet":
                watch.enter("read")
                _read_parquet(con, source, columns)
            else:
                if actual == "xlsx":
                    csv_path = _xlsx_to_csv(source, work_dir, progress, shape)
                    encoding = "xlsx"
                else:
                    csv_path, encoding = _to_utf8(source, work_dir, progress)
                _check_header(_header(csv_path), columns)
                watch.enter("read")
                _read_csv(con, csv_path, columns)
            rows = con.execute("SELECT count(*) FROM incoming").fetchone()[0]
            if rows == 0:
                raise IngestError([Problem("empty", "文件只有表头，没有数据行")])
            watch.enter("validate")
            _validate(con, columns)
            watch.enter("personal-information")
            findings = scan_personal_information(con, columns)
            watch.enter("write")
            staged = work_dir / "version.parquet"
            select = ", ".join(quote_ident(c.name) for c in columns)
            con.execute(
                f"COPY (SELECT {select} FROM incoming ORDER BY __line) "
                f"TO {quote_string(str(staged))} (FORMAT PARQUET, COMPRESSION ZSTD)"
            )
        con.close()
        final, digest = _store(staged, dest_dir)
        progress("done", rows, rows)
        return Result(final, digest, rows, final.stat().st_size, actual, encoding, findings)


def _read_parquet(con, source: Path, columns: list[Column]) -> None:
    found = [
        r[0]
        for r in con.execute(
            f"DESCRIBE SELECT * FROM read_parquet({quote_string(str(source))})"
        ).fetchall()
    ]
    _check_header(found, columns)
    casts = ", ".join(
        f"TRY_CAST({quote_ident(c.name)} AS {TYPES[c.type]}) AS {quote_ident(c.name)}"
        for c in columns
    )
    con.execute(
        f"CREATE TABLE incoming AS SELECT row_number() OVER () AS __line, {casts}, "
        + ", ".join(
            f"{quote_ident(c.name)} IS NOT NULL AS {quote_ident('__had_' + c.name)}"
            for c in columns
        )
        + f" FROM read_parquet({quote_string(str(source))})"
    )
    problems = []
    for c in columns:
        bad = con.execute(
            f"SELECT __line FROM incoming WHERE {quote_ident(c.name)} IS NULL "
            f"AND {quote_ident('__had_' + c.name)} "
            "ORDER BY __line LIMIT ?",
            [MAX_PROBLEMS],
        ).fetchall()
        problems += [Problem("type", "值与声明的类型不符", row=r[0], column=c.name) for r in bad]
    if problems:
        raise IngestError(problems[:MAX_PROBLEMS])


def _store(staged: Path, dest_dir: Path) -> tuple[Path, str]:
    """Move a finished Parquet file to `dest_dir/<sha256>.parquet`, read-only. The same content
    twice is one file (content-addressed), so a re-upload never rewrites a version."""
    digest = _sha256(staged)
    final = dest_dir / f"{digest}.parquet"
    if not final.exists():
        os.replace(staged, final)
    final.chmod(0o444)
    return final, digest


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def concatenate(first: Path, second: Path, *, dest_dir: Path) -> tuple[Path, str, int, int]:
    """A new immutable Parquet holding `first`'s rows then `second`'s (an append update).
    Returns (path, sha256, rows, bytes)."""
    with tempfile.TemporaryDirectory(dir=dest_dir, prefix=".append-") as work:
        staged = Path(work) / "version.parquet"
        con = duckdb.connect()
        con.execute(
            f"COPY (SELECT * FROM read_parquet({quote_string(str(first))}) UNION ALL "
            f"SELECT * FROM read_parquet({quote_string(str(second))})) "
            f"TO {quote_string(str(staged))} (FORMAT PARQUET, COMPRESSION ZSTD)"
        )
        rows = con.execute(
            f"SELECT count(*) FROM read_parquet({quote_string(str(staged))})"
        ).fetchone()[0]
        con.close()
        final, digest = _store(staged, dest_dir)
        return final, digest, rows, final.stat().st_size
