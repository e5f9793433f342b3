"""Synthetic datasets for the demo and the benchmarks: twelve resources across Liuzhou's
providers, from tens of thousands to five million rows, generated deterministically, with DuckDB
and Faker; it names each field's PI kind by the catalogue's choices, so it needs Django
installed, not configured. `pdao.catalogue.demo` registers and ingests them.

Everything is synthetic: names and addresses come from pools Faker (zh_CN, fixed seed) makes;
身份证号 are assembled from Liuzhou division codes, a birth date and a sequence, with the GB 11643
check digit computed in SQL; phone numbers, amounts and dates come from hashes of the row
number. Rows are generated in DuckDB, written as CSV and ingested like any provider's upload.
"""

from __future__ import annotations

from pathlib import Path

from faker import Faker

from pdao.accounts import credit_code
from pdao.catalogue.choices import PIKind
from pdao.core.sql import quote_ident, quote_string

AREAS = (
    "['450202','450203','450204','450205','450206','450222','450223','450224','450225','450226']"
)
DISTRICTS = "['城中区','鱼峰区','柳南区','柳北区','柳江区','柳城县','鹿寨县','融安县','融水苗族自治县','三江侗族自治县']"


def _pick(values: str, salt: str) -> str:
    count = values.count(",") + 1
    return f"list_element({values}, (hash(i, '{salt}') % {count})::INT + 1)"


def _int(salt: str, low: int, high: int) -> str:
    return f"({low} + (hash(i, '{salt}') % {high - low + 1})::BIGINT)"


def _money(salt: str, low: int, high: int) -> str:
    return f"round({low} + (hash(i, '{salt}') % {(high - low) * 100})::DOUBLE / 100, 2)"


def _date(salt: str, start: str, days: int) -> str:
    return f"strftime(DATE '{start}' + (hash(i, '{salt}') % {days})::INT, '%Y-%m-%d')"


def _datetime(salt: str, start: str, seconds: int) -> str:
    return (
        f"strftime(TIMESTAMP '{start}' + to_seconds((hash(i, '{salt}') % {seconds})::BIGINT), "
        "'%Y-%m-%d %H:%M:%S')"
    )


def _resident_id(salt: str) -> str:
    body = (
        f"({_pick(AREAS, salt + 'a')} || strftime(DATE '1945-01-01' + (hash(i, '{salt}b') % 25000)::INT, "
        f"'%Y%m%d') || lpad((hash(i, '{salt}c') % 1000)::VARCHAR, 3, '0'))"
    )
    weights = "[7,9,10,5,8,4,2,1,6,3,7,9,10,5,8,4,2]"
    total = f"list_sum(list_transform(range(17), lambda k: (substr({body}, k + 1, 1)::INT) * {weights}[k + 1]))"
    return f"({body} || substr('10X98765432', ({total} % 11)::INT + 1, 1))"


def _phone(salt: str) -> str:
    prefixes = "['38','39','58','59','87','88','35','36','77','80','99','51']"
    return f"('1' || {_pick(prefixes, salt)} || lpad((hash(i, '{salt}n') % 100000000)::VARCHAR, 8, '0'))"


POOL_SIZES = {"names": 5_000, "addresses": 5_000, "companies": 2_000, "codes": 20_000}


def _pool(name: str, salt: str) -> str:
    """A value from a Faker-made pool: the pool is one list, read once (uncorrelated)."""
    return f"list_element((SELECT l FROM pool_{name}), (hash(i, '{salt}') % {POOL_SIZES[name]})::INT + 1)"


def _id(prefix: str, width: int, salt: str | None = None) -> str:
    source = f"hash(i, '{salt}') % {10**width}" if salt else "i"
    return f"('{prefix}' || lpad(({source})::VARCHAR, {width}, '0'))"


# (provider short name, resource attributes, rows at scale 1, fields: (name, label, type,
#  pi kind, privacy unit, quasi-identifier, SQL))
S, INT, D, DT, DATE = "string", "integer", "decimal", "datetime", "date"
RESOURCES = [
    ("市场监管局", dict(name="企业登记信息", domain="commerce", grade="general_1", frequency="daily",
        sharing="unconditional", opening="conditional", theme="市场主体",
        description="在柳登记的企业主体基本信息（合成数据）。"), 50_000, [
        ("统一社会信用代码", "统一社会信用代码", S, PIKind.CREDIT_CODE, True, False, _pool("codes", "cc")),
        ("企业名称", "企业名称", S, PIKind.NONE, False, False, "(" + _pool("companies", "co") + " || lpad((i % 1000)::VARCHAR, 3, '0'))"),
        ("法定代表人", "法定代表人", S, PIKind.PERSON_NAME, False, False, _pool("names", "lr")),
        ("注册资本万元", "注册资本（万元）", D, PIKind.NONE, False, False, _money("cap", 10, 50_000)),
        ("成立日期", "成立日期", DATE, PIKind.NONE, False, False, _date("est", "1990-01-01", 12_000)),
        ("行业门类", "行业门类", S, PIKind.NONE, False, True, _pick("['制造业','批发和零售业','建筑业','交通运输业','信息技术服务业','住宿和餐饮业','农林牧渔业']", "ind")),
        ("区县", "区县", S, PIKind.NONE, False, True, _pick(DISTRICTS, "dist")),
        ("登记状态", "登记状态", S, PIKind.NONE, False, False, _pick("['存续','存续','存续','注销','吊销']", "st")),
    ]),
    ("人社局", dict(name="社保缴纳记录", domain="finance", grade="general_3", frequency="monthly",
        sharing="conditional", opening="none", theme="社会保险",
        description="职工按月缴纳社会保险的记录（合成数据），一人多行。"), 5_000_000, [
        ("个人编号", "个人编号", S, PIKind.OTHER, True, False, _id("P", 8, "person")),
        ("身份证号", "身份证号", S, PIKind.RESIDENT_ID, False, False, _resident_id("sfz")),
        ("单位信用代码", "单位统一社会信用代码", S, PIKind.NONE, False, False, _pool("codes", "emp")),
        ("缴费月份", "缴费月份", DATE, PIKind.NONE, False, False, "strftime(DATE '2023-01-01' + INTERVAL (i % 24) MONTH, '%Y-%m-%d')"),
        ("缴费基数", "缴费基数（元）", D, PIKind.NONE, False, False, _money("base", 3_000, 30_000)),
        ("险种", "险种", S, PIKind.NONE, False, False, _pick("['养老保险','医疗保险','失业保险','工伤保险']", "kind")),
        ("区县", "区县", S, PIKind.NONE, False, True, _pick(DISTRICTS, "d")),
    ]),
    ("交通运输局", dict(name="公交刷卡记录", domain="transport", grade="general_2", frequency="daily",
        sharing="conditional", opening="none", theme="公共交通",
        description="市区公交车刷卡上车记录（合成数据）。"), 1_000_000, [
        ("卡号", "交通卡号", S, PIKind.OTHER, True, False, _id("LZ", 10, "card")),
        ("线路", "线路", S, PIKind.NONE, False, False, "(" + _int("line", 1, 99) + "::VARCHAR || '路')"),
        ("上车站点", "上车站点", S, PIKind.NONE, False, True, _pick("['五星街','柳州站','东门','柳侯公园','谷埠街','河西','柳江大桥','市政府','窑埠古镇','龙潭公园']", "stop")),
        ("刷卡时间", "刷卡时间", DT, PIKind.NONE, False, False, _datetime("t", "2024-06-01 05:30:00", 30 * 86_400)),
        ("金额", "金额（元）", D, PIKind.NONE, False, False, _pick("[1.0, 2.0, 2.0, 0.0, 1.6]", "fare")),
        ("卡类型", "卡类型", S, PIKind.NONE, False, True, _pick("['普通卡','学生卡','老年卡','爱心卡']", "ct")),
    ]),
    ("医保局", dict(name="医保结算记录", domain="health", grade="general_3", frequency="daily",
        sharing="conditional", opening="none", theme="医疗保障",
        description="定点医药机构医保费用结算记录（合成数据）。"), 500_000, [
        ("参保人编号", "参保人编号", S, PIKind.OTHER, True, False, _id("M", 8, "ins")),
        ("身份证号", "身份证号", S, PIKind.RESIDENT_ID, False, False, _resident_id("msfz")),
        ("定点机构", "定点医药机构", S, PIKind.NONE, False, True, _pick("['柳州市人民医院','柳州市工人医院','柳州市中医医院','柳州市妇幼保健院','柳铁中心医院','城中区社区卫生服务中心']", "org")),
        ("结算日期", "结算日期", DATE, PIKind.NONE, False, True, _date("sd", "2024-01-01", 365)),
        ("总费用", "总费用（元）", D, PIKind.NONE, False, False, _money("fee", 20, 20_000)),
        ("统筹支付", "统筹支付（元）", D, PIKind.NONE, False, False, _money("fund", 0, 12_000)),
        ("病种", "病种", S, PIKind.NONE, False, True, _pick("['高血压','糖尿病','上呼吸道感染','骨折','慢性胃炎','冠心病']", "dis")),
    ]),
    ("公积金中心", dict(name="公积金缴存记录", domain="finance", grade="general_3", frequency="monthly",
        sharing="conditional", opening="none", theme="住房公积金",
        description="职工住房公积金按月缴存记录（合成数据）。"), 300_000, [
        ("职工账号", "职工账号", S, PIKind.OTHER, True, False, _id("G", 9, "acct")),
        ("姓名", "姓名", S, PIKind.PERSON_NAME, False, False, _pool("names", "gname")),
        ("身份证号", "身份证号", S, PIKind.RESIDENT_ID, False, False, _resident_id("gsfz")),
        ("缴存月份", "缴存月份", DATE, PIKind.NONE, False, False, "strftime(DATE '2024-01-01' + INTERVAL (i % 12) MONTH, '%Y-%m-%d')"),
        ("缴存基数", "缴存基数（元）", D, PIKind.NONE, False, False, _money("gb", 2_000, 25_000)),
        ("月缴存额", "月缴存额（元）", D, PIKind.NONE, False, False, _money("gm", 200, 6_000)),
    ]),
    ("气象局", dict(name="气象观测", domain="agriculture", grade="general_1", frequency="realtime",
        sharing="unconditional", opening="unconditional", theme="地面观测",
        description="自动气象站逐时观测要素（合成数据）。"), 100_000, [
        ("站点编号", "站点编号", S, PIKind.NONE, False, False, _id("59", 3, "stn")),
        ("观测时间", "观测时间", DT, PIKind.NONE, False, False, _datetime("ot", "2024-01-01 00:00:00", 365 * 86_400)),
        ("气温", "气温（℃）", D, PIKind.NONE, False, False, "round(-2 + (hash(i,'tmp') % 4000)::DOUBLE / 100, 1)"),
        ("降水量", "降水量（mm）", D, PIKind.NONE, False, False, "round((hash(i,'rain') % 500)::DOUBLE / 10 * ((hash(i,'r?') % 5) = 0)::INT, 1)"),
        ("相对湿度", "相对湿度(%)", INT, PIKind.NONE, False, False, _int("rh", 30, 100)),
    ]),
    ("自然资源和规划局", dict(name="不动产登记", domain="governance", grade="general_4", frequency="daily",
        sharing="conditional", opening="none", theme="不动产",
        description="不动产权属登记信息（合成数据）。"), 80_000, [
        ("不动产单元号", "不动产单元号", S, PIKind.NONE, False, False, _id("450200", 12)),
        ("权利人", "权利人", S, PIKind.PERSON_NAME, False, False, _pool("names", "owner")),
        ("身份证号", "证件号码", S, PIKind.RESIDENT_ID, True, False, _resident_id("osfz")),
        ("坐落", "坐落", S, PIKind.ADDRESS, False, False, _pool("addresses", "loc")),
        ("建筑面积", "建筑面积（㎡）", D, PIKind.NONE, False, False, _money("area", 30, 300)),
        ("用途", "用途", S, PIKind.NONE, False, True, _pick("['住宅','商业','办公','工业']", "use")),
        ("登记日期", "登记日期", DATE, PIKind.NONE, False, False, _date("rd", "2010-01-01", 5_000)),
    ]),
    ("卫健委", dict(name="门诊就诊记录", domain="health", grade="important", frequency="daily",
        sharing="conditional", opening="none", theme="医疗服务",
        description="二级以上医院门诊就诊记录（合成数据）。"), 400_000, [
        ("就诊流水号", "就诊流水号", S, PIKind.NONE, False, False, _id("V", 9)),
        ("患者编号", "患者编号", S, PIKind.OTHER, True, False, _id("H", 8, "pat")),
        ("身份证号", "身份证号", S, PIKind.RESIDENT_ID, False, False, _resident_id("hsfz")),
        ("性别", "性别", S, PIKind.NONE, False, True, _pick("['男','女']", "sex")),
        ("年龄", "年龄", INT, PIKind.NONE, False, True, _int("age", 0, 95)),
        ("科室", "科室", S, PIKind.NONE, False, False, _pick("['内科','外科','儿科','妇产科','眼科','口腔科','中医科']", "dep")),
        ("就诊日期", "就诊日期", DATE, PIKind.NONE, False, False, _date("vd", "2024-01-01", 365)),
        ("费用", "费用（元）", D, PIKind.NONE, False, False, _money("vf", 10, 3_000)),
    ]),
    ("市场监管局", dict(name="企业年报信息", domain="commerce", grade="general_2", frequency="yearly",
        sharing="conditional", opening="conditional", theme="市场主体",
        description="企业年度报告公示信息（合成数据）。"), 40_000, [
        ("统一社会信用代码", "统一社会信用代码", S, PIKind.CREDIT_CODE, True, False, _pool("codes", "ar")),
        ("年度", "报告年度", INT, PIKind.NONE, False, False, _int("yr", 2019, 2024)),
        ("从业人数", "从业人数", INT, PIKind.NONE, False, False, _int("emp", 1, 3000)),
        ("营业收入区间", "营业收入区间", S, PIKind.NONE, False, True, _pick("['100万以下','100万-1000万','1000万-1亿','1亿以上']", "rev")),
    ]),
    ("工信局", dict(name="规上工业企业产值", domain="industry", grade="general_2", frequency="monthly",
        sharing="conditional", opening="none", theme="工业运行",
        description="规模以上工业企业月度产值（合成数据），汽车及零部件为主。"), 20_000, [
        ("统一社会信用代码", "统一社会信用代码", S, PIKind.CREDIT_CODE, True, False, _pool("codes", "ind")),
        ("月份", "统计月份", DATE, PIKind.NONE, False, False, "strftime(DATE '2023-01-01' + INTERVAL (i % 24) MONTH, '%Y-%m-%d')"),
        ("行业", "行业", S, PIKind.NONE, False, True, _pick("['汽车制造','汽车零部件','钢铁','机械','螺蛳粉食品','日化']", "sec")),
        ("工业总产值", "工业总产值（万元）", D, PIKind.NONE, False, False, _money("out", 100, 500_000)),
        ("用电量", "用电量（千瓦时）", INT, PIKind.NONE, False, False, _int("kwh", 1_000, 50_000_000)),
    ]),
    ("交通运输局", dict(name="道路运输车辆", domain="transport", grade="general_2", frequency="weekly",
        sharing="conditional", opening="none", theme="道路运输",
        description="营运车辆档案（合成数据）。"), 30_000, [
        ("车牌号", "车牌号", S, PIKind.LICENCE_PLATE, True, False, "('桂B' || " + _pick("['A','B','C','D','E','F','G','H','J','K']", "pl") + " || lpad((hash(i,'pn') % 10000)::VARCHAR, 4, '0'))"),
        ("车辆类型", "车辆类型", S, PIKind.NONE, False, True, _pick("['重型货车','轻型货车','大型客车','出租车','网约车']", "vt")),
        ("经营业户", "经营业户", S, PIKind.NONE, False, False, "(" + _pool("companies", "op") + " || '运输')"),
        ("道路运输证有效期", "道路运输证有效期至", DATE, PIKind.NONE, False, False, _date("vd", "2025-01-01", 1_500)),
    ]),
    ("人社局", dict(name="就业登记", domain="governance", grade="general_3", frequency="daily",
        sharing="conditional", opening="none", theme="就业服务",
        description="劳动者就业登记信息（合成数据）。"), 100_000, [
        ("身份证号", "身份证号", S, PIKind.RESIDENT_ID, True, False, _resident_id("esfz")),
        ("姓名", "姓名", S, PIKind.PERSON_NAME, False, False, _pool("names", "en")),
        ("手机号", "手机号", S, PIKind.MOBILE, False, False, _phone("em")),
        ("用人单位信用代码", "用人单位统一社会信用代码", S, PIKind.NONE, False, False, _pool("codes", "eu")),
        ("就业日期", "就业日期", DATE, PIKind.NONE, False, False, _date("ed", "2020-01-01", 1_800)),
        ("岗位类别", "岗位类别", S, PIKind.NONE, False, True, _pick("['生产制造','专业技术','服务业','管理','其他']", "job")),
    ]),
]  # fmt: skip


def _pools(con, seed: int = 2026) -> None:
    fake = Faker("zh_CN")
    fake.seed_instance(seed)
    pools = {
        "names": [fake.name() for _ in range(POOL_SIZES["names"])],
        "addresses": [fake.address().split(" ")[0] for _ in range(POOL_SIZES["addresses"])],
        "companies": [
            fake.company_prefix() + fake.company_suffix() for _ in range(POOL_SIZES["companies"])
        ],
        "codes": [
            credit_code.make("91", "450200", f"{(n * 7919 + 13) % 10**8:08d}")
            for n in range(POOL_SIZES["codes"])
        ],
    }
    for name, values in pools.items():
        con.execute(f"CREATE TABLE pool_{name} AS SELECT ?::VARCHAR[] AS l", [values])


def write_csv(con, fields, count: int, path: Path) -> None:
    """`count` rows of a resource's fields, as CSV with a header, generated in DuckDB."""
    select = ", ".join(f"{sql} AS {quote_ident(name)}" for name, _l, _t, _p, _u, _q, sql in fields)
    con.execute(
        f"COPY (SELECT {select} FROM range({count}) r(i)) TO {quote_string(str(path))} (HEADER)"
    )


def pools(con) -> None:
    _pools(con)
