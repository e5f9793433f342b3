"""Synthetic data for the zone engine, generated at test time (nothing real is committed):
社保 — 5,001 people × 12 monthly rows, one person alone in 北部生态新区; 企业 — 200
enterprises, one of which dominates 采矿业's revenue; the bureau has declared the join
社保.单位代码 → 企业.信用代码. Tables are read through the zone's keyed copies (engine.prepare),
as the platform reads them."""

from pathlib import Path

import duckdb
import pytest

from pdao.zone import engine

DISTRICTS = ("城中区", "鱼峰区", "柳南区", "柳北区", "柳江区")
KINDS = ("养老", "医疗", "失业", "工伤")
INDUSTRIES = ("制造业", "批发和零售业", "建筑业", "交通运输业", "信息技术服务业", "采矿业")
ALL = frozenset(engine.FORMS)
AGG = frozenset({"aggregate", "dp"})

SS_TYPES = {
    "个人编号": "VARCHAR",
    "身份证号": "VARCHAR",
    "区县": "VARCHAR",
    "险种": "VARCHAR",
    "缴费基数": "DOUBLE",
    "缴费月份": "DATE",
    "单位代码": "VARCHAR",
    "年龄": "BIGINT",
}
ENT_TYPES = {
    "信用代码": "VARCHAR",
    "企业名称": "VARCHAR",
    "行业": "VARCHAR",
    "区县": "VARCHAR",
    "营业收入": "DOUBLE",
    "员工数": "BIGINT",
}


NOISE_KEY = b"test-noise-key-" * 2


def build(directory: Path) -> dict[str, Path]:
    """The raw tables, then the zone's copies of them (with unit keys), as the platform keeps."""
    directory.mkdir(parents=True, exist_ok=True)
    ss, ent = directory / "ss-raw.parquet", directory / "ent-raw.parquet"
    con = duckdb.connect()
    con.execute(f"""
        COPY (
          SELECT 'P' || lpad(p::VARCHAR, 6, '0') AS 个人编号,
                 '4502' || lpad(((p * 7919) % 99999999)::VARCHAR, 14, '0') AS 身份证号,
                 CASE WHEN p = 5000 THEN '北部生态新区'
                      ELSE {list(DISTRICTS)}[1 + p % 5] END AS 区县,
                 {list(KINDS)}[1 + (p + m) % 4] AS 险种,
                 (3000 + (p * 37) % 20000)::DOUBLE AS 缴费基数,
                 CAST(DATE '2024-01-01' + INTERVAL (m) MONTH AS DATE) AS 缴费月份,
                 'E' || lpad((p % 200)::VARCHAR, 4, '0') AS 单位代码,
                 (20 + p % 45)::BIGINT AS 年龄
          FROM range(5001) a(p), range(12) b(m)
        ) TO '{ss}' (FORMAT PARQUET)""")
    con.execute(f"""
        COPY (
          SELECT 'E' || lpad(e::VARCHAR, 4, '0') AS 信用代码,
                 '柳州合成企业' || e AS 企业名称,
                 {list(INDUSTRIES)}[1 + e % 6] AS 行业,
                 {list(DISTRICTS)}[1 + (e // 6) % 5] AS 区县,
                 CASE WHEN e = 5 THEN 1e9 ELSE 1e5 + e * 1000 END::DOUBLE AS 营业收入,
                 (10 + e % 90)::BIGINT AS 员工数
          FROM range(200) t(e)
        ) TO '{ent}' (FORMAT PARQUET)""")
    con.close()
    zone = directory / "zone"
    return {
        "ss": Path(
            engine.prepare(ss, zone / "ss.parquet", units=["个人编号"], noise_key=NOISE_KEY).path
        ),
        "ent": Path(
            engine.prepare(ent, zone / "ent.parquet", units=["信用代码"], noise_key=NOISE_KEY).path
        ),
    }


def policy(paths: dict[str, Path], **overrides) -> engine.Policy:
    ss = engine.TablePolicy(
        path=str(paths["ss"]),
        columns={
            "个人编号": ALL,
            "区县": ALL,
            "险种": ALL,
            "缴费基数": ALL,
            "缴费月份": ALL,
            "单位代码": AGG,
            "年龄": ALL,
        },
        types={k: v for k, v in SS_TYPES.items() if k != "身份证号"},
        privacy_unit="个人编号",
        identifiers=frozenset({"个人编号"}),
        quasi_identifiers=frozenset({"区县", "缴费月份", "年龄"}),
        bounds={"缴费基数": (0.0, 30_000.0), "年龄": (16.0, 80.0)},
        categories={"区县": (*DISTRICTS, "北部生态新区"), "险种": KINDS},
    )
    ent = engine.TablePolicy(
        path=str(paths["ent"]),
        columns={"信用代码": AGG, "行业": ALL, "区县": ALL, "营业收入": AGG, "员工数": AGG},
        types={k: v for k, v in ENT_TYPES.items() if k != "企业名称"},
        privacy_unit="信用代码",
        categories={"行业": INDUSTRIES, "区县": DISTRICTS},
        bounds={"营业收入": (0.0, 2e9), "员工数": (0.0, 100.0)},
    )
    values = {
        "tables": {"社保": ss, "企业": ent},
        "joins": (engine.Join("社保", "单位代码", "企业", "信用代码"),),
        "k": 10,
        "epsilon_left": 10.0,
        "epsilon_per_query": 1.0,
        "pseudonym_key": b"test-key-" * 4,
        "noise_key": NOISE_KEY,
        "timeout_seconds": 5.0,
    }
    return engine.Policy(**(values | overrides))


@pytest.fixture(scope="session")
def zone_data(tmp_path_factory):
    return build(tmp_path_factory.mktemp("zone"))


@pytest.fixture
def zone_policy(zone_data):
    return policy(zone_data)


def plain(paths: dict[str, Path], sql: str) -> list[tuple]:
    """The same SQL in plain DuckDB over the same files: the reference result."""
    con = duckdb.connect()
    con.execute(f"CREATE VIEW 社保 AS SELECT * FROM read_parquet('{paths['ss']}')")
    con.execute(f"CREATE VIEW 企业 AS SELECT * FROM read_parquet('{paths['ent']}')")
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


# The platform side: the authorization tests' city, with 社保缴纳记录 ingested and authorized.
from pdao.catalogue import services as catalogue  # noqa: E402
from tests.authorization.conftest import _data_dir, city  # noqa: E402, F401

DISTRICTS_SS = ["城中区", "鱼峰区", "柳南区", "柳北区", "柳江区"]


@pytest.fixture
def live(city, tmp_path):  # noqa: F811 (the imported fixture, requested)
    """An active authorization over 社保缴纳记录 with 3,000 people × 4 months ingested."""
    path = tmp_path / "ss.csv"
    duckdb.connect().execute(f"""
        COPY (SELECT '450202' || lpad((p * 7919 % 99999999)::VARCHAR, 12, '0') AS 身份证号,
                     CAST(DATE '2024-01-01' + INTERVAL (m) MONTH AS DATE) AS 参保月份,
                     (3000 + p % 9000)::DOUBLE AS 缴费金额,
                     {DISTRICTS_SS}[1 + p % 5] AS 区县
              FROM range(3000) a(p), range(4) b(m)) TO '{path}' (HEADER)""")
    version = catalogue.ingest_version(city.social, path, by=city.provider, declared_format="csv")
    catalogue.activate_version(version, by=city.provider)
    city.social.fields.filter(name="缴费金额").update(bound_low=0, bound_high=20000)
    city.social.fields.filter(name="区县").update(choices=DISTRICTS_SS)
    application = city.to_decision(city.draft((city.social, ["aggregate", "dp"])))
    return city.activate(application)


class Register:
    """The register of released values as the platform keeps it (zone.models.ReleasedValue),
    in memory: the engine asks it for remembered numbers; what it releases is added."""

    def __init__(self):
        self.values: list[dict] = []

    def __call__(self, family: str, codes: set, least: int, most: int) -> list[dict]:
        return [
            v
            for v in self.values
            if v["family"] == family
            and least <= v["contributors"] <= most
            and codes & set(v["codes"])
        ]

    def run(self, sql: str, policy: engine.Policy, *, form: str = "aggregate"):
        import dataclasses

        result = engine.run(sql, dataclasses.replace(policy, history=self), form=form)
        if isinstance(result, engine.Released) and result.remember:
            for value in result.remember["values"]:
                self.values.append({"id": len(self.values) + 1, **value})
        return result
