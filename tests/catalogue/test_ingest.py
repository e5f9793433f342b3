"""The pure ingest pipeline. Files are generated per test from Faker zh_CN with a fixed seed:
synthetic values only, nothing committed."""

import random

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from faker import Faker
from openpyxl import Workbook

from pdao.catalogue.ingest import Column, IngestError, ingest, is_bank_card, is_resident_id

COLUMNS = [
    Column("姓名", "string", label="姓名"),
    Column("身份证号", "string"),
    Column("手机号", "string"),
    Column("年龄", "integer", required=True),
    Column("登记日期", "date"),
    Column("区县", "string", choices=("城中区", "鱼峰区", "柳南区", "柳北区", "柳江区")),
]
HEADER = [c.name for c in COLUMNS]


def people(n: int, seed: int = 7) -> list[list]:
    fake, rng = Faker("zh_CN"), random.Random(seed)
    fake.seed_instance(seed)
    districts = COLUMNS[-1].choices
    return [
        [fake.name(), fake.ssn(), fake.phone_number(), rng.randint(18, 90),
         f"2024-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}", rng.choice(districts)]
        for _ in range(n)
    ]  # fmt: skip


def write_csv(path, rows, encoding="utf-8", header=HEADER):
    lines = [",".join(header)] + [",".join(str(v) for v in r) for r in rows]
    path.write_bytes(("\n".join(lines) + "\n").encode(encoding))
    return path


def rows_of(result) -> list[tuple]:
    return duckdb.connect().execute(f"SELECT * FROM read_parquet('{result.path}')").fetchall()


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_csv_in_each_encoding_gives_the_same_version(tmp_path, encoding):
    data = people(300)
    reference = ingest(
        write_csv(tmp_path / "ref.csv", data), columns=COLUMNS, dest_dir=tmp_path / "out"
    )
    result = ingest(
        write_csv(tmp_path / "x.csv", data, encoding), columns=COLUMNS, dest_dir=tmp_path / "out"
    )
    assert result.rows == 300
    assert result.sha256 == reference.sha256
    assert result.encoding == ("gb18030" if encoding in ("gbk", "gb18030") else "utf-8")


def test_gb18030_characters_outside_gbk_survive(tmp_path):
    data = people(5)
    data[0][0] = "李䶮"  # U+4DAE exists in GB18030, not in GBK
    result = ingest(
        write_csv(tmp_path / "x.csv", data, "gb18030"), columns=COLUMNS, dest_dir=tmp_path
    )
    assert rows_of(result)[0][0] == "李䶮"


def test_xlsx_is_read_from_its_first_sheet(tmp_path):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(HEADER)
    for row in people(50):
        sheet.append(row)
    workbook.save(tmp_path / "x.xlsx")
    result = ingest(
        tmp_path / "x.xlsx", columns=COLUMNS, dest_dir=tmp_path / "out", declared_format="xlsx"
    )
    assert (result.rows, result.format) == (50, "xlsx")


def test_parquet_is_read_and_cast_to_the_declared_types(tmp_path):
    data = people(40)
    table = pa.table({name: [str(r[i]) for r in data] for i, name in enumerate(HEADER)})
    pq.write_table(table, tmp_path / "x.parquet")
    result = ingest(tmp_path / "x.parquet", columns=COLUMNS, dest_dir=tmp_path / "out")
    assert result.rows == 40
    assert isinstance(rows_of(result)[0][3], int)


def test_version_file_is_read_only_and_named_by_its_hash(tmp_path):
    result = ingest(
        write_csv(tmp_path / "x.csv", people(10)), columns=COLUMNS, dest_dir=tmp_path / "out"
    )
    assert result.path.name == f"{result.sha256}.parquet"
    assert result.path.stat().st_mode & 0o222 == 0


def _text(body: str):
    return lambda p: p.write_text(",".join(HEADER) + "\n" + body)


def _row(*values):
    return lambda p: write_csv(p, [list(values)])


LONG_LINE = "张" * (1 << 20) + ",1,2,3,2024-01-01,城中区\n"
BAD = {
    "empty": (lambda p: p.write_bytes(b""), "文件为空"),
    "header only": (_text(""), "只有表头"),
    "wrong encoding": (lambda p: p.write_bytes(bytes(range(128, 256)) * 50), "编码无法识别"),
    "ragged": (_text("张三,1,2,30\n"), "列数少于表头"),
    "too many": (_text("张三,1,2,30,2024-01-01,城中区,多余\n"), "列数多于表头"),
    "type": (_row("张三", "1", "2", "abc", "2024-01-01", "城中区"), "类型不符"),
    "required": (_row("张三", "1", "2", "", "2024-01-01", "城中区"), "必填"),
    "enum": (
        _row("张三", "1", "2", "3", "2024-01-01", "北京"),
        "取值不在允许的枚举范围内（允许：城中区、鱼峰区、柳南区、柳北区、柳江区）",
    ),
    "missing column": (lambda p: write_csv(p, [["张三"]], header=["姓名"]), "缺少声明的列"),
    "long line": (_text(LONG_LINE), "行过长"),
    "not a csv": (lambda p: p.write_bytes(b"PK\x03\x04" + b"\x00" * 100), "ZIP"),
}


@pytest.mark.parametrize("case", BAD)
def test_bad_input_is_refused_with_a_precise_report_and_leaves_nothing(tmp_path, case):
    make, expected = BAD[case]
    source = tmp_path / "bad.csv"
    make(source)
    with pytest.raises(IngestError) as raised:
        ingest(source, columns=COLUMNS, dest_dir=tmp_path / "out", declared_format="csv")
    assert expected in str(raised.value.problems[0])
    leftovers = [p for p in (tmp_path / "out").glob("*")] if (tmp_path / "out").exists() else []
    assert leftovers == []


def test_reports_name_row_and_column_but_never_the_value(tmp_path):
    source = write_csv(
        tmp_path / "x.csv", [*people(3), ["王秘密", "1", "2", "九十", "2024-01-01", "城中区"]]
    )
    with pytest.raises(IngestError) as raised:
        ingest(source, columns=COLUMNS, dest_dir=tmp_path / "out")
    [problem] = raised.value.problems
    assert (problem.row, problem.column) == (5, "年龄")
    assert "九十" not in str(problem) and "王秘密" not in str(problem)


def test_a_long_value_set_is_named_in_part():
    from pdao.catalogue.ingest import choices_text

    assert choices_text([f"v{n}" for n in range(25)], shown=3) == "v0、v1、v2 等 25 个"


def test_file_that_is_not_what_its_name_says_is_refused(tmp_path):
    source = write_csv(tmp_path / "x.xlsx", people(3))
    with pytest.raises(IngestError, match=r"与扩展名 \.xlsx 不符"):
        ingest(source, columns=COLUMNS, dest_dir=tmp_path / "out", declared_format="xlsx")


def test_personal_information_columns_are_found(tmp_path):
    result = ingest(write_csv(tmp_path / "x.csv", people(2000)), columns=COLUMNS, dest_dir=tmp_path)
    found = {f.column: (f.kind, f.share) for f in result.pi}
    assert found["身份证号"][0] == "resident_id" and found["身份证号"][1] >= 0.99
    assert found["手机号"][0] == "mobile" and found["手机号"][1] >= 0.99
    assert found["姓名"][0] == "person_name"
    assert "区县" not in found


def test_random_18_digit_numbers_with_wrong_check_digits_are_not_flagged(tmp_path):
    rng = random.Random(3)
    columns = [Column("编号", "string")]
    values = []
    while len(values) < 2000:
        candidate = str(rng.randrange(10**17, 10**18))
        if not is_resident_id(candidate):
            values.append(candidate)
    source = tmp_path / "x.csv"
    source.write_text("编号\n" + "\n".join(values) + "\n")
    result = ingest(source, columns=columns, dest_dir=tmp_path / "out")
    assert result.pi == []


def test_check_digit_rules():
    fake = Faker("zh_CN")
    fake.seed_instance(11)
    ids = [fake.ssn() for _ in range(1000)]
    assert sum(map(is_resident_id, ids)) >= 990
    assert not is_resident_id(ids[0][:17] + ("0" if ids[0][17] != "0" else "1"))
    assert is_bank_card("4111111111111111")  # the card networks' published Luhn-valid test numbers
    assert is_bank_card("6011111111111117")
    assert not is_bank_card("4111111111111112")


def test_progress_goes_through_every_stage_and_reaches_the_end(tmp_path):
    calls = []
    path = write_csv(tmp_path / "p.csv", people(2_000), encoding="gbk")
    result = ingest(
        path, columns=COLUMNS, dest_dir=tmp_path / "v", progress=lambda *call: calls.append(call)
    )
    stages = list(dict.fromkeys(stage for stage, _d, _t in calls))
    assert stages == ["encoding", "read", "validate", "personal-information", "write", "done"]
    assert calls[-1] == ("done", result.rows, result.rows)
    encoding = [done for stage, done, _t in calls if stage == "encoding"]
    assert encoding == sorted(encoding) and encoding[-1] == path.stat().st_size
