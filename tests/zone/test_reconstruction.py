"""An automated attacker. Thirty people are planted in synthetic data with a known amount, a
known yes/no attribute and a combination of quasi-identifiers nobody else has; the attacker
knows each target's quasi-identifiers and tries to get the rest back, with a bounded set of
strategies per output form: oracles through filters, keys and ordering; differencing pairs and
chains; averaging repeats and rewordings; joins; derived datasets; samples; error paths.

Every strategy is also run against plain DuckDB over the same data (the control): there it
recovers every target exactly, so each test shows an attack that works, failing in the zone by
more than the protection documented in docs/zone.md ("What the zone promises"):

- aggregate form: a condition, or a split of a group, that changes a cell by fewer than k
  people is disregarded for that cell, so two queries that differ only by leaving the target
  out give the same answer (the difference is 0, whatever the target's value); two cells that
  differ by k people or more differ by independent noise, of standard deviation at least
  mu·√(2(V + 1/12)) ≈ 1.24 times the largest contribution in them.
- DP form: the agreement's total ε bounds everything any number of queries can learn.
- de-identified records and model outputs: no row of a target leaves at all.

The nine findings of issue #14 are the tests named `test_finding_*`.
"""

import dataclasses
import math
import statistics
from pathlib import Path

import duckdb
import pytest

from pdao.zone import engine
from tests.zone.conftest import NOISE_KEY, Register

TARGETS = 30
BACKGROUND = 2000
DISTRICTS = ("城中区", "鱼峰区", "柳南区", "柳北区", "柳江区")
PAIRS = 10  # the attacker's averaging budget per target: 20 queries


@dataclasses.dataclass(frozen=True)
class Target:
    pid: str
    district: str
    age: int
    sex: str
    monthly: float  # 缴费基数 every month
    flag: bool  # 工伤 in every month (the yes/no attribute)

    @property
    def total(self) -> float:
        return 12 * self.monthly

    @property
    def signature(self) -> str:
        """A filter that matches this target and nobody else (the attacker's knowledge)."""
        return f"(区县 = '{self.district}' AND 年龄 = {self.age} AND 性别 = '{self.sex}')"


@dataclasses.dataclass
class World:
    raw: Path
    policy: engine.Policy
    targets: list[Target]
    tmp: Path
    register: Register = dataclasses.field(default_factory=Register)

    def zone(self, sql: str, form: str = "aggregate", policy=None):
        """The zone as the platform runs it: every released cell goes into the register."""
        result = self.register.run(sql, policy or self.policy, form=form)
        return result.rows if isinstance(result, engine.Released) else None

    def unregistered(self, sql: str, form: str = "aggregate", policy=None):
        """The engine alone, without the register (to show what the register stops)."""
        result = engine.run(sql, policy or self.policy, form=form)
        return result.rows if isinstance(result, engine.Released) else None

    def plain(self, sql: str, form: str = "aggregate"):
        con = duckdb.connect()
        con.execute(f"CREATE VIEW 社保 AS SELECT * FROM read_parquet('{self.raw}')")
        try:
            return [list(r) for r in con.execute(sql).fetchall()]
        finally:
            con.close()


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> World:
    directory = tmp_path_factory.mktemp("planted")
    targets = []
    for n in range(TARGETS):
        targets.append(
            Target(
                pid=f"T{n:05d}",
                district=DISTRICTS[n % 5],
                age=70 + (n // 10),  # 70–72: nobody in the background is over 64
                sex="男" if (n // 5) % 2 == 0 else "女",
                monthly=float(4000 + (n * 7919) % 20000),
                flag=n % 3 == 0,
            )
        )
    raw = directory / "raw.parquet"
    con = duckdb.connect()
    con.execute("CREATE TABLE t (个人编号 VARCHAR, 区县 VARCHAR, 年龄 BIGINT, 性别 VARCHAR, "
                "险种 VARCHAR, 缴费月份 DATE, 缴费基数 DOUBLE)")  # fmt: skip
    con.execute(f"""
        INSERT INTO t SELECT 'P' || lpad(p::VARCHAR, 6, '0'), {list(DISTRICTS)}[1 + p % 5],
               20 + p % 45, CASE WHEN p % 2 = 0 THEN '男' ELSE '女' END,
               ['养老', '医疗', '失业', '工伤'][1 + (p * 7 + m) % 4],
               CAST(DATE '2024-01-01' + INTERVAL (m) MONTH AS DATE),
               (3000 + (p * 37) % 27000)::DOUBLE
        FROM range({BACKGROUND}) a(p), range(12) b(m)""")
    for t in targets:
        kind = "工伤" if t.flag else "养老"
        con.execute(
            "INSERT INTO t SELECT ?, ?, ?, ?, ?, "
            "CAST(DATE '2024-01-01' + INTERVAL (m) MONTH AS DATE), ? "
            "FROM range(12) b(m)",
            [t.pid, t.district, t.age, t.sex, kind, t.monthly],
        )
    con.execute(f"COPY t TO '{raw}' (FORMAT PARQUET)")
    con.close()
    prepared = engine.prepare(
        raw, directory / "zone.parquet", units=["个人编号"], noise_key=NOISE_KEY
    )
    every = frozenset(engine.FORMS)
    table = engine.TablePolicy(
        path=prepared.path,
        columns={c: every for c in ("个人编号", "区县", "年龄", "性别", "险种", "缴费月份",
                                    "缴费基数")},
        types={"个人编号": "VARCHAR", "区县": "VARCHAR", "年龄": "BIGINT", "性别": "VARCHAR",
               "险种": "VARCHAR", "缴费月份": "DATE", "缴费基数": "DOUBLE"},
        privacy_unit="个人编号",
        identifiers=frozenset({"个人编号"}),
        quasi_identifiers=frozenset({"区县", "年龄", "性别"}),
        bounds={"缴费基数": (0.0, 30_000.0), "年龄": (0.0, 120.0)},
        categories={"区县": DISTRICTS, "性别": ("男", "女"),
                    "险种": ("养老", "医疗", "失业", "工伤")},
    )  # fmt: skip
    policy = engine.Policy(
        tables={"社保": table},
        noise_key=NOISE_KEY,
        pseudonym_key=b"attacker-test-pseudonyms",
        epsilon_left=3.0,
        epsilon_per_query=0.5,
        epsilon_max=1.0,
        timeout_seconds=20,
    )
    return World(raw, policy, targets, directory)


# --- Strategies --------------------------------------------------------------------------------


def _first(rows):
    return None if not rows or rows[0][0] is None else rows[0][0]


def sum_pair(ask, target: Target, padding: str = "年龄 >= 0") -> float | None:
    """Differencing: the target's district with everyone, and without the target."""
    where = f"区县 = '{target.district}' AND {padding}"
    with_ = _first(ask(f"SELECT SUM(缴费基数) FROM 社保 WHERE {where}"))
    without = _first(
        ask(f"SELECT SUM(缴费基数) FROM 社保 WHERE {where} AND NOT {target.signature}")
    )
    return None if with_ is None or without is None else with_ - without


def paddings(n: int) -> list[str]:
    """Conditions that keep the target (and the people `cover` names) and leave out a
    different band of some 36 others each: every pair is a different pair of cells (repeating
    one pair gives the same answer every time, and a band of fewer than k people would be
    disregarded)."""
    return [f"(年龄 >= 70 OR NOT 年龄 BETWEEN {25 + 4 * i} AND {28 + 4 * i})" for i in range(n)]


def averaged_sum(ask, target: Target, pairs: int) -> float | None:
    found = [e for e in (sum_pair(ask, target, p) for p in paddings(pairs)) if e is not None]
    return statistics.fmean(found) if found else None


def cover(target: Target) -> str:
    """Forty-odd people of the target's district the attacker knows everything about (its
    own staff, say): leaving them out together with the target changes the cell by more than
    k people, so the condition is not disregarded, and their known total is subtracted."""
    return f"(区县 = '{target.district}' AND 年龄 < 25)"


def covered_pair(ask, known, target: Target, padding: str = "年龄 >= 0") -> float | None:
    where = f"区县 = '{target.district}' AND {padding}"
    with_ = _first(ask(f"SELECT SUM(缴费基数) FROM 社保 WHERE {where}"))
    without = _first(ask(
        f"SELECT SUM(缴费基数) FROM 社保 WHERE {where} "
        f"AND NOT ({target.signature} OR {cover(target)})"
    ))  # fmt: skip
    return None if with_ is None or without is None else with_ - without - known


def averaged_covered(ask, known, target: Target, pairs: int) -> float | None:
    found = [covered_pair(ask, known, target, p) for p in paddings(pairs)]
    return None if None in found else statistics.fmean(found)


def flag_pair(ask, target: Target, padding: str = "年龄 >= 0") -> float | None:
    """Membership: people with 工伤 in the district, with and without the target."""
    where = f"区县 = '{target.district}' AND 险种 = '工伤' AND {padding}"
    with_ = _first(ask(f"SELECT COUNT(DISTINCT 个人编号) FROM 社保 WHERE {where}"))
    without = _first(
        ask(f"SELECT COUNT(DISTINCT 个人编号) FROM 社保 WHERE {where} AND NOT {target.signature}")
    )
    return None if with_ is None or without is None else with_ - without


def guessed_flag(ask, target: Target, pairs: int) -> bool | None:
    found = [e for e in (flag_pair(ask, target, p) for p in paddings(pairs)) if e is not None]
    return statistics.fmean(found) > 0.5 if found else None


def relative_errors(estimates, world: World) -> list[float]:
    return [
        math.inf if e is None else abs(e - t.total) / t.total
        for e, t in zip(estimates, world.targets, strict=True)
    ]


# --- The control: every strategy works on plain DuckDB -------------------------------------------


def test_control_the_strategies_recover_every_target_from_plain_duckdb(world):
    assert all(
        abs(sum_pair(world.plain, t) - t.total) < 1e-6 for t in world.targets
    )  # one differencing pair suffices
    assert all(guessed_flag(world.plain, t, 1) == t.flag for t in world.targets)
    isolated = [_first(world.plain(f"SELECT SUM(缴费基数) FROM 社保 WHERE {t.signature}"))
                for t in world.targets]  # fmt: skip
    assert isolated == [t.total for t in world.targets]


# --- Aggregate form ----------------------------------------------------------------------------


def test_aggregate_isolating_a_target_releases_nothing(world):
    for t in world.targets:
        for sql in (
            f"SELECT SUM(缴费基数) FROM 社保 WHERE {t.signature}",
            f"SELECT 年龄, SUM(缴费基数) FROM 社保 WHERE 区县 = '{t.district}' GROUP BY 年龄",
            "SELECT 年龄, 性别, 区县, AVG(缴费基数) FROM 社保 GROUP BY 年龄, 性别, 区县",
        ):
            rows = world.zone(sql) or []
            assert all(t.age not in row[:3] for row in rows), sql


def test_aggregate_a_pair_that_leaves_only_the_target_out_says_nothing(world):
    estimates = [sum_pair(world.zone, t) for t in world.targets]
    assert estimates == [0.0] * TARGETS  # the condition changes one person: disregarded
    assert [averaged_sum(world.zone, t, 3) for t in world.targets[:5]] == [0.0] * 5


def _known(world, target):
    return world.plain(f"SELECT SUM(缴费基数) FROM 社保 WHERE {cover(target)}")[0][0]


def test_aggregate_one_covered_pair_misses_by_more_than_the_noise_promises(world):
    """With the target hidden among people it knows, the attacker's pair differs by more than
    k people and is answered: the difference carries the noise of two cells."""
    estimates = [covered_pair(world.zone, _known(world, t), t) for t in world.targets]
    assert all(e is not None for e in estimates)  # both cells of every pair were answered
    control = [covered_pair(world.plain, _known(world, t), t) for t in world.targets]
    assert relative_errors(control, world) == [0.0] * TARGETS
    errors = relative_errors(estimates, world)
    # Promised: error sd ≥ 1.24 × the largest contribution in the cells (≥ the target's).
    assert statistics.median(errors) > 0.5
    assert sum(e < 0.05 for e in errors) <= 3


def test_aggregate_averaging_many_covered_pairs_still_misses(world):
    estimates = [averaged_covered(world.zone, _known(world, t), t, PAIRS) for t in world.targets]
    assert all(e is not None for e in estimates)
    errors = relative_errors(estimates, world)
    # Promised: sd ≥ 1.24 / √10 ≈ 0.39 of the largest contribution; the control recovers all.
    assert statistics.median(errors) > 0.15
    assert sum(e < 0.05 for e in errors) <= TARGETS // 5


def test_aggregate_repeating_or_rewording_a_query_averages_nothing(world):
    t = world.targets[0]
    answers = {
        tuple(map(tuple, world.zone(sql)))
        for sql in (
            f"SELECT SUM(缴费基数) FROM 社保 WHERE 区县 = '{t.district}'",
            f"SELECT SUM(缴费基数) FROM 社保 WHERE 区县 = '{t.district}'",
            f"SELECT SUM(缴费基数) FROM 社保 WHERE 区县 IN ('{t.district}') AND 年龄 < 500",
            f"SELECT SUM(缴费基数) FROM 社保 WHERE 区县 LIKE '{t.district}%' AND NOT 年龄 > 500",
            f"SELECT SUM(缴费基数) FROM 社保 WHERE 区县 = '{t.district}' "
            "AND 缴费基数 BETWEEN 0 AND 1e9",
        )
    }
    assert len(answers) == 1


def test_aggregate_membership_is_no_better_than_a_guess(world):
    """Equal sets get equal noise, so "the district" and "the district without the target"
    would be equal exactly when the target is not in it — unless the condition that leaves one
    person out is disregarded, as it is (low-effect detection): every pair comes out equal."""
    one = [flag_pair(world.zone, t) for t in world.targets]
    many = [guessed_flag(world.zone, t, PAIRS) for t in world.targets]
    assert one == [0] * TARGETS
    assert set(many) == {False}  # the same guess whatever the truth: 20 of 30, the base rate


def test_aggregate_leaving_a_target_out_by_or_or_by_a_split_group_changes_nothing(world):
    for t in world.targets[:10]:
        whole = world.zone(f"SELECT SUM(缴费基数) FROM 社保 WHERE 区县 = '{t.district}'")[0][0]
        ored = world.zone(
            f"SELECT SUM(缴费基数) FROM 社保 WHERE 区县 = '{t.district}' "
            f"AND (年龄 < {t.age} OR 年龄 > {t.age} OR 性别 <> '{t.sex}')"
        )[0][0]
        split = world.zone(
            "SELECT 区县, CASE WHEN 年龄 < 70 THEN '在职' ELSE '其他' END AS 段, SUM(缴费基数) "
            f"FROM 社保 WHERE 区县 = '{t.district}' GROUP BY 1, 2"
        )
        assert ored == whole
        assert [row[2] for row in split if row[1] == "在职"] == [whole]
        assert all(row[1] == "在职" for row in split)  # the six people over 70: never shown


def test_aggregate_having_sees_only_the_protected_answer(world):
    """Finding 1's oracle, in a form the model accepts: HAVING thresholds binary-search the
    released value of a cell — which is the perturbed one, so the search ends on it."""
    t = world.targets[1]
    cell = f"SELECT 区县, SUM(缴费基数) AS s FROM 社保 WHERE 区县 = '{t.district}' GROUP BY 区县"
    released = world.zone(cell)[0][1]
    low, high = 0.0, 1e9
    for _ in range(60):
        middle = (low + high) / 2
        shown = world.zone(cell + f" HAVING SUM(缴费基数) > {middle}")
        low, high = (middle, high) if shown else (low, middle)
    assert abs(low - released) < 1e-3
    truth = world.plain(f"SELECT SUM(缴费基数) FROM 社保 WHERE 区县 = '{t.district}'")[0][0]
    assert abs(low - truth) > 1.0  # what HAVING learns is the noisy value, not the true one


def test_finding_1_having_as_an_oracle_is_refused(world):
    t = world.targets[0]
    sql = (
        "SELECT 险种, COUNT(*) FROM 社保 GROUP BY 险种 HAVING "
        f"SUM(CASE WHEN 个人编号 = '{t.pid}' THEN 缴费基数 ELSE 0 END) > 1000"
    )
    assert engine.run(sql, world.policy, form="aggregate").rule == "measure.arithmetic"


def test_finding_2_arithmetic_indicators_are_refused(world):
    t = world.targets[0]
    sql = (
        f"SELECT SUM(缴费基数 * (1 - LEAST(LENGTH(REPLACE(个人编号, '{t.pid}', '')), 1)) "
        "+ 1000000) FROM 社保"
    )
    assert engine.run(sql, world.policy, form="aggregate").rule == "measure.arithmetic"
    # Without an indicator the attacker is back to differencing, which misses (above).


def test_finding_3_joins_on_free_conditions_are_refused(world):
    t = world.targets[0]
    sql = (
        f"SELECT t.区县, AVG(x.缴费基数) FROM 社保 t JOIN 社保 x ON x.个人编号 = '{t.pid}' "
        "AND t.区县 = x.区县 GROUP BY t.区县"
    )
    assert engine.run(sql, world.policy, form="aggregate").rule.startswith("join.")


@pytest.mark.parametrize("form", engine.FORMS)
def test_finding_4_ctes_are_refused_in_every_form(world, form):
    for sql in (
        "WITH 社保 AS (SELECT 个人编号 AS 区县, 缴费基数 FROM 社保) "
        "SELECT 区县, SUM(缴费基数) FROM 社保 GROUP BY 区县",
        "WITH x AS (SELECT * FROM 社保) SELECT 个人编号 FROM x",
        "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT COUNT(*) FROM r",
    ):
        result = engine.run(sql, world.policy, form=form)
        assert isinstance(result, engine.Refused) and result.rule == "shape.cte", (form, sql)


def test_finding_5_an_error_oracle_cannot_be_built_and_epsilon_is_validated(world):
    """The answer to a would-be oracle is the same refusal whatever the data holds, decided
    before anything runs; DP's ε must be a finite number inside the agreement's bounds."""
    t = world.targets[0]
    refusals = set()
    for guess in ("年龄 > 30", "年龄 < 30", "缴费基数 > 10000"):
        sql = (
            "SELECT COUNT(*) FROM 社保 WHERE CAST(CASE WHEN 区县 = "
            f"'{t.district}' AND ({guess}) THEN 'x' ELSE '1' END AS INTEGER) = 1"
        )
        result = engine.plan(sql, world.policy, form="dp")
        refusals.add((type(result).__name__, result.rule))
    assert len(refusals) == 1 and next(iter(refusals))[0] == "Refused"
    for epsilon in (1e-9, float("nan"), 1e-320, float("inf"), 0.0):
        policy = dataclasses.replace(world.policy, epsilon_per_query=epsilon)
        assert engine.plan("SELECT COUNT(*) FROM 社保", policy, form="dp").rule == "dp.epsilon"


def test_finding_8_rewriting_the_measure_does_not_escape_the_noise(world):
    t = world.targets[2]
    refused = engine.run(
        f"SELECT SUM(缴费基数 * 1) FROM 社保 WHERE 区县 = '{t.district}' AND NOT {t.signature}",
        world.policy,
        form="aggregate",
    )
    assert refused.rule == "measure.arithmetic"
    estimate = covered_pair(world.zone, _known(world, t), t)
    assert abs(estimate - t.total) / t.total > 0.05


def test_moving_a_threshold_by_one_person_changes_nothing(world):
    """Finding 2 of the attack on this engine: `>= v` and `> v` each change thousands of people,
    so neither is disregarded, yet the two cells differ exactly by the people who pay v. With
    equal noise for equal sets, comparing them would tell whether anyone pays exactly v, and
    moving v, a person's value. The register answers a cell within fewer than k people of one
    released before with that cell's values."""
    revealing, told = 0, 0
    for t in world.targets:
        pair = [
            f"SELECT SUM(缴费基数), COUNT(*) FROM 社保 WHERE 区县 = '{t.district}' "
            f"AND 缴费基数 {op} {t.monthly}"
            for op in (">=", ">")
        ]
        alone = [world.unregistered(sql)[0] for sql in pair]
        revealing += alone[0] != alone[1]  # the target pays exactly t.monthly: they differ
        registered = [world.zone(sql)[0] for sql in pair]
        told += registered[0] != registered[1]
    assert revealing == TARGETS  # without the register every pair gives the target away
    assert told == 0


def test_a_binary_search_on_a_persons_value_finds_nothing(world):
    """Finding 2c: a derived table of each person's lowest and highest amounts, and pairs that
    differ only by a boundary on a code the target alone matches; the search reads the
    target's amount bit by bit unless the pair always agrees."""
    t = world.targets[7]
    derived = engine.materialise(
        "SELECT 个人编号, 区县, MIN(年龄) AS 龄, MAX(缴费基数) AS 高 FROM 社保 "
        "GROUP BY 个人编号, 区县",
        world.policy,
        dest_dir=world.tmp / "search",
    )
    table = dataclasses.replace(_derived_table(derived), bounds={"高": (0.0, 30_000.0),
                                "龄": (0.0, 120.0)})  # fmt: skip
    policy = dataclasses.replace(world.policy, tables={**world.policy.tables, "极值": table})
    low, high = 0.0, 30_000.0
    for _ in range(20):
        middle = round((low + high) / 2, 2)
        pair = [
            f"SELECT SUM(高) FROM 极值 WHERE 区县 = '{t.district}' AND 龄 {op} {t.age} "
            f"AND 高 >= {middle}"
            for op in ("<=", "<")
        ]
        a, b = (world.zone(sql, policy=policy)[0][0] for sql in pair)
        low, high = (middle, high) if a != b else (low, middle)
    assert abs(low - t.monthly) > 1000  # the search learnt nothing: it ran to one end


# --- Derived datasets and samples (finding 7) ------------------------------------------------


def test_finding_7_a_one_person_derived_dataset_says_nothing_of_its_size(world):
    t = world.targets[3]
    derived = engine.materialise(
        f"SELECT 个人编号, 缴费基数 FROM 社保 WHERE {t.signature}",
        world.policy,
        dest_dir=world.tmp / "d1",
    )
    assert isinstance(derived, engine.Derived) and derived.size is None  # never "1 行"
    table = _derived_table(derived)
    policy = dataclasses.replace(world.policy, tables={**world.policy.tables, "一人": table})
    assert world.zone("SELECT SUM(缴费基数), COUNT(*) FROM 一人", policy=policy) == []
    from pdao.zone import sample

    fake = sample.rows(table, list(table.columns), count=1000, seed=1)
    amounts = {row[list(table.columns).index("缴费基数")] for row in fake}
    assert t.monthly not in amounts
    assert all(row[0].startswith("SAMPLE-") for row in fake)


def test_finding_7_renaming_a_column_to_the_unit_launders_nothing(world):
    t = world.targets[3]
    result = engine.materialise(
        f"SELECT 区县 AS 个人编号, 缴费基数 FROM 社保 WHERE {t.signature}",
        world.policy,
        dest_dir=world.tmp / "d2",
    )
    assert isinstance(result, engine.Refused) and result.rule == "derive.unit"


def test_two_derived_datasets_differing_in_one_person_are_no_oracle(world):
    """A CASE can make two derived datasets identical except for one person's value exactly
    when that person has a property (工伤 here). A computed column is never measured; counting
    the people it marks is a pair of numbers one person apart, which the register answers
    alike — equal whether the target has the property or not."""
    outcomes = []
    for t in world.targets:
        answers = []
        for n, condition in enumerate(("TRUE", f"NOT {t.signature}")):
            derived = engine.materialise(
                f"SELECT 个人编号, 区县, MAX(CASE WHEN 险种 = '工伤' AND {condition} "
                "THEN 1 ELSE 0 END) AS f FROM 社保 GROUP BY 个人编号, 区县",
                world.policy,
                dest_dir=world.tmp / f"flag-{t.pid}-{n}",
            )
            tables = {**world.policy.tables, "标记": _derived_table(derived)}
            policy = dataclasses.replace(world.policy, tables=tables)
            refused = engine.run(
                f"SELECT SUM(f) FROM 标记 WHERE 区县 = '{t.district}'", policy, form="aggregate"
            )
            assert isinstance(refused, engine.Refused) and refused.rule == "measure.computed"
            sql = f"SELECT COUNT(*) FROM 标记 WHERE 区县 = '{t.district}' AND f = 1"
            answers.append(_first(world.zone(sql, policy=policy)))
        outcomes.append((t.flag, answers[0] == answers[1]))
    assert all(equal for _flag, equal in outcomes), outcomes


def test_a_column_marking_one_person_counts_nothing_whether_or_not_they_have_it(world):
    """A derived column that marks the target alone (when the target has the property): the
    people it marks are one or none, fewer than k either way."""
    for t in world.targets[:6]:
        derived = engine.materialise(
            f"SELECT 个人编号, 区县, MAX(CASE WHEN {t.signature} AND 险种 = '工伤' "
            "THEN 1 ELSE 0 END) AS f FROM 社保 GROUP BY 个人编号, 区县",
            world.policy,
            dest_dir=world.tmp / f"one-{t.pid}",
        )
        tables = {**world.policy.tables, "单人": _derived_table(derived)}
        policy = dataclasses.replace(world.policy, tables=tables)
        assert world.zone("SELECT COUNT(*) FROM 单人 WHERE f = 1", policy=policy) == []
        assert world.zone("SELECT f, COUNT(*) FROM 单人 GROUP BY f", policy=policy) == [
            [0, world.zone("SELECT COUNT(*) FROM 单人", policy=policy)[0][0]]
        ]  # the group of one is left out and the other answered as the whole


# --- Derived datasets change rows, never one person's value --------------------------------


def test_a_computed_column_is_never_counted_or_summed(world):
    """A computed column can be anything of a row — zero or empty for the target alone — so
    measuring it beside the original would be a pair one person apart built at will."""
    t = world.targets[0]
    derived = engine.materialise(
        f"SELECT 个人编号, 区县, 缴费基数, CASE WHEN {t.signature} THEN 0 ELSE 缴费基数 END "
        f"AS 额, CASE WHEN {t.signature} THEN NULL ELSE 1 END AS 记 FROM 社保",
        world.policy,
        dest_dir=world.tmp / "computed",
    )
    assert derived.columns["额"]["plain"] is False and derived.columns["缴费基数"]["plain"]
    table = _derived_table(derived)
    table = dataclasses.replace(table, bounds={**table.bounds, "额": (0.0, 30_000.0)})
    policy = dataclasses.replace(world.policy, tables={**world.policy.tables, "改": table})
    for sql in ("SELECT SUM(额) FROM 改", "SELECT AVG(额) FROM 改", "SELECT COUNT(记) FROM 改"):
        result = engine.run(sql, policy, form="aggregate")
        assert isinstance(result, engine.Refused) and result.rule == "measure.computed", sql
    assert world.zone("SELECT 区县, COUNT(*) FROM 改 WHERE 记 = 1 GROUP BY 区县", policy=policy)


def test_a_derived_copy_that_leaves_the_target_out_is_the_copy_with_them(world):
    """Filters of a derived dataset are judged like a query's: a condition that changes it
    by fewer than k people is disregarded, so the copy "without the target" has them, and as
    it keeps its sources' unit keys it answers exactly as the source does — in every copy."""
    estimates = []
    for t in world.targets[:10]:
        found = []
        for copy in range(2):
            derived = engine.materialise(
                f"SELECT 个人编号, 区县, 缴费基数 FROM 社保 WHERE NOT {t.signature}",
                world.policy,
                dest_dir=world.tmp / f"without-{t.pid}-{copy}",
            )
            tables = {**world.policy.tables, "去": _derived_table(derived)}
            policy = dataclasses.replace(world.policy, tables=tables)
            sums = [f"SELECT SUM(缴费基数) FROM {name} WHERE 区县 = '{t.district}'"
                    for name in ("社保", "去")]  # fmt: skip
            pair = [_first(world.unregistered(sql, policy=policy)) for sql in sums]
            found.append(pair[0] - pair[1])
        estimates.append(statistics.fmean(found))
    assert estimates == [0.0] * 10
    t = world.targets[0]
    plain = [world.plain(f"SELECT SUM(缴费基数) FROM 社保 WHERE 区县 = '{t.district}' {extra}")
             for extra in ("", f"AND NOT {t.signature}")]  # fmt: skip
    assert plain[0][0][0] - plain[1][0][0] == t.total  # the control


def test_derived_copies_cut_at_the_targets_value_agree(world):
    """Two derived copies cut at `>= v` and `> v` (each condition changes thousands, so both
    stand) differ exactly by the people who pay v. The copies keep the source's unit keys, so
    their numbers meet in the register and the pair agrees; without it, it would not."""
    revealing, told = 0, 0
    for t in world.targets[:12]:
        tables = dict(world.policy.tables)
        for name, op in (("高于等于", ">="), ("高于", ">")):
            derived = engine.materialise(
                f"SELECT 个人编号, 区县, 缴费基数 FROM 社保 WHERE 缴费基数 {op} {t.monthly}",
                world.policy,
                dest_dir=world.tmp / f"cut-{t.pid}-{name}",
            )
            tables[name] = _derived_table(derived)
        policy = dataclasses.replace(world.policy, tables=tables)
        pair = [f"SELECT SUM(缴费基数), COUNT(*) FROM {name} WHERE 区县 = '{t.district}'"
                for name in ("高于等于", "高于")]  # fmt: skip
        alone = [world.unregistered(sql, policy=policy)[0] for sql in pair]
        revealing += alone[0] != alone[1]
        answers = [world.zone(sql, policy=policy)[0] for sql in pair]
        told += answers[0] != answers[1]
    assert revealing == 12 and told == 0


@pytest.fixture(scope="module")
def padded(tmp_path_factory):
    """A small table where people contribute nothing: 300 people in 甲 with amounts 1000–3990
    (the target alone pays 2345, in two rows), 300 in 乙 with 0."""
    directory = tmp_path_factory.mktemp("padded")
    raw = directory / "raw.parquet"
    con = duckdb.connect()
    con.execute(f"""COPY (
        SELECT 'Q' || lpad(p::VARCHAR, 4, '0') AS 编号, CASE WHEN p < 300 THEN '甲' ELSE '乙' END
               AS 区, CASE WHEN p < 300 THEN 1000.0 + 10 * p ELSE 0.0 END AS 金额
        FROM range(600) t(p) WHERE p <> 134
        UNION ALL SELECT 'Q0134', '甲', 2345.0 FROM range(2)
    ) TO '{raw}' (FORMAT PARQUET)""")
    con.close()
    prepared = engine.prepare(raw, directory / "zone.parquet", units=["编号"],
                              noise_key=NOISE_KEY)  # fmt: skip
    every = frozenset(engine.FORMS)
    table = engine.TablePolicy(
        path=prepared.path,
        columns={"编号": every, "区": every, "金额": every},
        types={"编号": "VARCHAR", "区": "VARCHAR", "金额": "DOUBLE"},
        privacy_unit="编号",
        identifiers=frozenset({"编号"}),
        bounds={"金额": (0.0, 5000.0)},
    )
    return engine.Policy(tables={"账": table}, noise_key=NOISE_KEY, timeout_seconds=20)


def test_padding_a_sum_with_people_who_contribute_nothing_finds_no_new_pair(padded):
    """The pair is one person apart in what it sums, and hundreds apart in who is in the cell:
    the register compares contributions, not cells. And in one answer, a count of rows and a
    count of people one row apart (the target's second row) agree too."""
    register = Register()
    pair = [
        "SELECT SUM(金额) FROM 账 WHERE 区 = '甲' AND 金额 >= 2345",
        "SELECT SUM(金额) FROM 账 WHERE (区 = '甲' AND 金额 > 2345) OR 区 = '乙'",
    ]
    alone = [engine.run(sql, padded, form="aggregate").rows[0][0] for sql in pair]
    assert alone[0] != alone[1]  # without the register: a fresh pair, the target's 4690 apart
    answers = [register.run(sql, padded).rows[0][0] for sql in pair]
    assert answers[0] == answers[1]
    both = register.run("SELECT COUNT(*), COUNT(DISTINCT 编号) FROM 账 WHERE 区 = '甲'", padded)
    assert both.rows[0][0] == both.rows[0][1]  # 301 rows, 300 people in truth


def test_the_cap_on_cells_is_no_oracle_for_one_person(padded):
    """Found by the second attack: the refusal "more than N rows" counted the cells holding k
    people in truth, so a threshold moved by one person flipped it (twelve queries found a
    person's amount to the cent). The cap now applies to what protection released, and the
    cells read are bounded from declared metadata before the data is read; a pair one person
    apart gets the same decision."""
    policy = dataclasses.replace(padded, max_rows=2)
    pair = [
        "SELECT FLOOR(金额 / 1000) * 1000 AS 段, COUNT(*) FROM 账 "
        f"WHERE 金额 < 2000 OR (金额 >= 2250 AND 金额 {op} 2345) GROUP BY 段"
        for op in ("<", "<=")
    ]
    # In truth the pair is 2 and 3 cells of ten people or more: the old cap's two sides.
    truth = duckdb.connect()
    path = padded.tables["账"].path
    cells = [
        truth.execute(
            sql.replace("FROM 账", f"FROM read_parquet('{path}')").replace(
                "COUNT(*)", "COUNT(DISTINCT 编号) AS n"
            )
            + " HAVING n >= 10"
        ).fetchall()
        for sql in pair
    ]
    assert [len(c) for c in cells] == [2, 3]

    def decision(sql, register):
        result = register.run(sql, policy)
        return result.rule if isinstance(result, engine.Refused) else len(result.rows)

    for _ in range(3):  # fresh registers: the agreement is not luck of one draw
        register = Register()
        assert decision(pair[0], register) == decision(pair[1], register)
    wide = "SELECT FLOOR(金额 / 1) * 1 AS 段, COUNT(*) FROM 账 GROUP BY 段"
    refused = engine.run(wide, policy, form="aggregate")  # refused before the data is read
    assert refused.rule == "limits.rows" and "不看数据" in refused.message


@pytest.fixture(scope="module")
def crowded(tmp_path_factory):
    """2,100 people in 甲 paying 1000, 1010, 1020, …: bands of 50 hold five of them — the
    number of people the engine reads a cell down to (k − D − 1) — so every 甲 cell of a banded
    question sits at that cut, with two people of 乙 beside it in the same band (few enough
    that each cell needs its effect counted exactly). Q0134 pays 2345 instead of 2340."""
    directory = tmp_path_factory.mktemp("crowded")
    raw = directory / "raw.parquet"
    con = duckdb.connect()
    con.execute(f"""COPY (
        SELECT 'Q' || lpad(p::VARCHAR, 4, '0') AS 编号, '甲' AS 区,
               CASE WHEN p = 134 THEN 2345.0 ELSE 1000.0 + 10 * p END AS 金额
        FROM range(2100) t(p)
        UNION ALL SELECT 'R' || lpad(p::VARCHAR, 4, '0'), '乙', 1000.0 + 25 * p
        FROM range(840) t(p)
    ) TO '{raw}' (FORMAT PARQUET)""")
    con.close()
    prepared = engine.prepare(raw, directory / "zone.parquet", units=["编号"],
                              noise_key=NOISE_KEY)  # fmt: skip
    every = frozenset(engine.FORMS)
    table = engine.TablePolicy(
        path=prepared.path,
        columns={"编号": every, "区": every, "金额": every},
        types={"编号": "VARCHAR", "区": "VARCHAR", "金额": "DOUBLE"},
        privacy_unit="编号",
        identifiers=frozenset({"编号"}),
        bounds={"金额": (0.0, 25000.0)},
        categories={"区": ("甲", "乙")},
    )
    return engine.Policy(tables={"账": table}, noise_key=NOISE_KEY, timeout_seconds=60)


def test_cells_at_the_read_cut_refuse_nothing_and_one_person_changes_nothing(crowded):
    """Found by the third attack: low-effect detection refused a question when more than 200
    of its cells needed exact counts, and cells at the read cut (five people in truth) count
    there — so a threshold moving one person into a cell flipped the refusal (membership, and
    amounts to the cent, in about 15 queries). Detection now runs the same statements whatever
    the cells: a question with hundreds of cells at the cut is answered, and a pair one person
    apart answers alike."""
    question = (
        "SELECT 区, FLOOR(金额 / 50) * 50 AS 段, COUNT(*) FROM 账 WHERE 金额 < 22000 "
        "GROUP BY 区, 段"
    )
    answered = engine.run(question, crowded, form="aggregate")
    assert isinstance(answered, engine.Released), answered
    pair = [
        "SELECT 区, FLOOR(金额 / 50) * 50 AS 段, COUNT(*) FROM 账 "
        f"WHERE 金额 < 1500 OR (金额 >= 2300 AND 金额 {op} 2345) GROUP BY 区, 段"
        for op in ("<", "<=")
    ]
    register = Register()
    first, second = (register.run(sql, crowded) for sql in pair)
    assert isinstance(first, engine.Released) and isinstance(second, engine.Released)
    assert first.rows == second.rows


def test_a_cell_of_few_people_never_shows_on_a_larger_sets_number(crowded):
    """Found by the fourth and fifth attacks: cells are read down to k − D − 1 people, and a
    cell of five showed on another set's number — one the register gave it (a larger set it
    lies within), or the slice low-effect detection widened it to (here 甲's five with 乙's two
    of the same band, the district's condition changing fewer than k). A cell of four is never
    read, so a cell showing meant its fifth person was there. A cell shows only when its own
    perturbed count, as asked, reaches k: five people never do, whatever was asked before."""
    wide = "SELECT FLOOR(金额 / 100) * 100 AS 段, COUNT(*) FROM 账 WHERE 区 = '甲' GROUP BY 段"
    narrow = "SELECT FLOOR(金额 / 50) * 50 AS 段, COUNT(*) FROM 账 WHERE 区 = '甲' GROUP BY 段"
    assert engine.run(narrow, crowded, form="aggregate").rows == []  # five a band: none
    register = Register()
    assert len(register.run(wide, crowded).rows) > 100  # ten people a band: most show
    assert register.run(narrow, crowded).rows == []


@pytest.fixture(scope="module")
def ramp(tmp_path_factory):
    """600 groups near k: in each, 20 people paying 100 (so a threshold at 1000 changes every
    group by k or more and is never disregarded), 5 + g mod 10 people paying more than 1000,
    and — in even groups only, the targets — one person paying exactly 1000."""
    directory = tmp_path_factory.mktemp("ramp")
    raw = directory / "raw.parquet"
    con = duckdb.connect()
    con.execute(f"""COPY (
        SELECT 'L' || g || '-' || p AS 编号, 'G' || lpad(g::VARCHAR, 3, '0') AS 组, 100.0 AS 金额
        FROM range(600) a(g), range(20) b(p)
        UNION ALL
        SELECT 'H' || g || '-' || p, 'G' || lpad(g::VARCHAR, 3, '0'), 2000.0 + 10 * p
        FROM range(600) a(g), range(15) b(p) WHERE p < 5 + g % 10
        UNION ALL
        SELECT 'T' || g, 'G' || lpad(g::VARCHAR, 3, '0'), 1000.0 FROM range(0, 600, 2) a(g)
    ) TO '{raw}' (FORMAT PARQUET)""")
    con.close()
    prepared = engine.prepare(raw, directory / "zone.parquet", units=["编号"],
                              noise_key=NOISE_KEY)  # fmt: skip
    every = frozenset(engine.FORMS)
    table = engine.TablePolicy(
        path=prepared.path,
        columns={"编号": every, "组": every, "金额": every},
        types={"编号": "VARCHAR", "组": "VARCHAR", "金额": "DOUBLE"},
        privacy_unit="编号",
        identifiers=frozenset({"编号"}),
        bounds={"金额": (0.0, 25000.0)},
        categories={"组": tuple(f"G{g:03d}" for g in range(600))},
    )
    return engine.Policy(tables={"账": table}, noise_key=NOISE_KEY, timeout_seconds=60)


@pytest.mark.parametrize("first", [">=", ">"])
def test_a_pair_around_k_is_seen_by_the_register_whenever_its_cells_differ(ramp, first):
    """The sixth attack: a threshold just at and just above a known value; where someone pays
    exactly that, each group's pair is one person apart, and near k whether a cell shows is
    decided on each set's own noise — so a group showing in one query only says someone is
    there (numbers agree through the register; showing cannot without letting a few people
    show on a larger set's number). The engine cannot hide it; it sees it: every pair whose
    showing differs is counted on the query that made it (for the supervisor's rule), and a
    group nobody at the value is identical in both and never differs."""
    pair = {op: f"SELECT 组, COUNT(*) AS 人数 FROM 账 WHERE 金额 {op} 1000 GROUP BY 组"
            for op in (">=", ">")}  # fmt: skip
    second = ">" if first == ">=" else ">="
    register = Register()
    before, after = register.run(pair[first], ramp), register.run(pair[second], ramp)
    assert isinstance(before, engine.Released) and isinstance(after, engine.Released)
    shown = [{row[0] for row in result.rows} for result in (before, after)]
    differ = shown[0] ^ shown[1]
    targets = {g for g in differ if int(g[1:]) % 2 == 0}
    assert differ == targets  # a group without anyone at 1000 never differs
    assert 0 < len(targets) < 300 * 0.35  # the oracle: some pairs, never most
    assert after.flips == len(differ) and before.flips == 0
    assert after.near >= len(differ)


def test_derived_datasets_one_person_apart_say_the_same_outside_the_zone(ramp, tmp_path):
    """Found by the seventh attack: a derived dataset's size was said as "at least k" or
    "fewer than k" — the same decision as whether a cell shows, but outside the register, so a
    pair of derived datasets one person apart (or one and a query) tested membership without
    being counted. Nothing about a derived dataset's size is said now; asked in a query, its
    count goes through the register like any other."""
    said = []
    for n, op in enumerate((">=", ">")):
        derived = engine.materialise(
            f"SELECT 编号, 金额 FROM 账 WHERE 组 = 'G004' AND 金额 {op} 1000",
            ramp, dest_dir=tmp_path / str(n),
        )  # fmt: skip
        assert isinstance(derived, engine.Derived), derived
        said.append((derived.size, derived.columns, derived.units, derived.one_per_unit))
    assert said[0] == said[1] and said[0][0] is None


def test_a_pair_low_effect_detection_makes_alike_is_seen_when_its_showing_differs(ramp):
    """Leaving out only those paying 1000 changes each target's group by one person: low-effect
    detection disregards the condition, so the numbers are the whole group's, but whether the
    group shows is decided on the group as asked (the fifth attack), nine or ten people. A
    group that shows in one only is counted, as for a pair the register agreed."""
    whole = "SELECT 组, COUNT(*) AS 人数 FROM 账 WHERE 金额 > 500 GROUP BY 组"
    register = Register()
    before = register.run(whole, ramp)
    after = register.run(whole.replace("> 500", "> 500 AND 金额 <> 1000"), ramp)
    shown = [{row[0] for row in result.rows} for result in (before, after)]
    differ = shown[0] ^ shown[1]
    assert differ and all(int(g[1:]) % 2 == 0 for g in differ)
    assert after.flips == len(differ) and before.flips == 0


def _derived_table(derived: engine.Derived) -> engine.TablePolicy:
    every = frozenset(engine.FORMS)
    columns = derived.columns
    return engine.TablePolicy(
        path=derived.path,
        columns={c: every for c in columns},
        types={c: v["type"] for c, v in columns.items()},
        privacy_unit=derived.units[0],
        identifiers=frozenset(c for c, v in columns.items() if v["identifier"]),
        bounds={c: tuple(v["bounds"]) for c, v in columns.items() if v["bounds"]},
        categories={c: tuple(v["categories"]) for c, v in columns.items() if v["categories"]},
        derived=True,
        roots=derived.roots,
        computed=frozenset(c for c, v in columns.items() if not v["plain"]),
    )


# --- DP form -----------------------------------------------------------------------------------


def test_dp_the_whole_budget_spent_on_one_target_misses(world):
    """With the agreement's ε (3.0 here, 0.5 a query), six queries are all there is: three
    differencing pairs on one person's total, averaged."""
    errors = []
    for t in world.targets[:10]:
        left, estimates = world.policy.epsilon_left, []
        while left >= 2 * world.policy.epsilon_per_query:
            policy = dataclasses.replace(world.policy, epsilon_left=left)

            def ask(sql, policy=policy):
                return world.zone(sql, "dp", policy)

            estimates.append(sum_pair(ask, t))
            left -= 2 * world.policy.epsilon_per_query
        assert len(estimates) == 3
        errors.append(abs(statistics.fmean(estimates) - t.total) / t.total)
        exhausted = dataclasses.replace(world.policy, epsilon_left=left)
        assert (
            engine.run("SELECT SUM(缴费基数) FROM 社保", exhausted, form="dp").rule == "dp.budget"
        )
    assert statistics.median(errors) > 0.5


# --- De-identified records (finding 6) ------------------------------------------------------------


def test_a_record_cannot_be_narrowed_to_by_a_value_released_as_it_is(world):
    """Found by the seventh attack: a range over an amount released as it is (not a declared
    quasi-identifier) picked the ten or so rows around a value someone is known to have, and
    their rows came back whole (another amount of theirs read off). Such columns filter only
    by declared values; quasi-identifiers by their released form."""
    t = world.targets[7]
    low, high = t.monthly - 40, t.monthly + 40
    for sql in (
        f"SELECT 缴费基数, 险种 FROM 社保 WHERE 缴费基数 >= {low} AND 缴费基数 <= {high}",
        f"SELECT 险种 FROM 社保 WHERE 缴费基数 BETWEEN {low} AND {high}",
        f"SELECT 险种, 缴费月份 FROM 社保 WHERE 缴费基数 = {t.monthly}",
    ):
        refused = engine.run(sql, world.policy, form="deidentified")
        assert isinstance(refused, engine.Refused) and refused.rule == "filter.column", sql
        assert str(t.monthly) not in refused.message
    for sql in (  # a declared value set filters by its values, and only by equality
        "SELECT 缴费基数 FROM 社保 WHERE 险种 > '工伤'",
        "SELECT 缴费基数 FROM 社保 WHERE 险种 LIKE '工%'",
        "SELECT 缴费基数 FROM 社保 WHERE 险种 IN ('工伤', '火星')",
        "SELECT 缴费基数 FROM 社保 WHERE 险种 BETWEEN '养老' AND '工伤'",
    ):
        refused = engine.run(sql, world.policy, form="deidentified")
        assert isinstance(refused, engine.Refused) and refused.rule == "filter.column", sql
    by_category = engine.run(
        "SELECT 缴费基数 FROM 社保 WHERE 险种 = '工伤' LIMIT 50", world.policy, form="deidentified"
    )
    assert isinstance(by_category, engine.Released)  # a declared value set still filters


def test_finding_6_no_filter_order_or_page_brings_a_target_record_out(world):
    from pdao.zone.engine import pseudonym

    key = world.policy.pseudonym_key
    for t in world.targets:
        mine = pseudonym(t.pid, key)
        for sql in (
            f"SELECT 个人编号, 缴费基数 FROM 社保 WHERE {t.signature}",
            f"SELECT 个人编号, 缴费基数 FROM 社保 WHERE 区县 = '{t.district}' AND 年龄 = {t.age}",
            "SELECT 个人编号, 缴费基数 FROM 社保 WHERE 年龄 >= 70",
            f"SELECT 个人编号, 缴费基数, 区县, 年龄, 性别 FROM 社保 WHERE 缴费基数 = {t.monthly}",
            f"SELECT * FROM 社保 WHERE 区县 = '{t.district}' LIMIT 10000",
        ):
            rows = world.zone(sql, "deidentified") or []
            assert all(mine not in row for row in rows), sql
        for sql in (
            f"SELECT 个人编号, 缴费基数 FROM 社保 WHERE 个人编号 = '{t.pid}'",
            f"SELECT 个人编号, 缴费基数 FROM 社保 ORDER BY 个人编号 = '{t.pid}' DESC LIMIT 1",
            "SELECT 个人编号, 缴费基数 FROM 社保 LIMIT 1 OFFSET 42",
        ):
            assert world.zone(sql, "deidentified") is None, sql


def test_finding_3_records_cannot_be_linked_to_single_a_person_out(world):
    """The attacker knows two of the target's records (the month and the insurance of each)
    and reads their other values by finding the one pseudonym present in both. Pseudonyms are
    per query, so two releases do not link; and within one release a person's combination of
    classes must be shared by k people."""
    table = dataclasses.replace(
        world.policy.tables["社保"],
        quasi_identifiers=frozenset({"区县", "年龄", "性别", "缴费月份", "险种"}),
    )
    policy = dataclasses.replace(world.policy, tables={"社保": table})
    for t in world.targets[:10]:
        kind = "工伤" if t.flag else "养老"
        visits = [
            f"(区县 = '{t.district}' AND 年龄 = {t.age} AND 缴费月份 = '2024-0{m}' "
            f"AND 险种 = '{kind}')"
            for m in (3, 9)
        ]
        first, second = (
            world.zone(f"SELECT 个人编号, 缴费基数 FROM 社保 WHERE {v}", "deidentified", policy)
            for v in visits
        )
        assert not {r[0] for r in first or []} & {r[0] for r in second or []}
        both = world.zone(
            f"SELECT 个人编号, 缴费基数 FROM 社保 WHERE {visits[0]} OR {visits[1]}",
            "deidentified",
            policy,
        )
        seen: dict = {}
        for person, amount in both or []:
            seen.setdefault(person, set()).add(amount)
        assert t.monthly not in {a for amounts in seen.values() for a in amounts}


# --- Model output ------------------------------------------------------------------------------


def test_model_outputs_answer_one_key_and_list_nothing(world):
    model = engine.materialise(
        "SELECT 个人编号, ROUND(AVG(缴费基数) / 1000, 0) AS 档位 FROM 社保 GROUP BY 个人编号",
        world.policy,
        dest_dir=world.tmp / "model",
    )
    table = _derived_table(model)
    policy = dataclasses.replace(world.policy, tables={**world.policy.tables, "模型": table})
    t = world.targets[5]
    assert world.zone(f"SELECT 档位 FROM 模型 WHERE 个人编号 = '{t.pid}'", "model", policy) == [
        [round(t.monthly / 1000)]
    ]  # the one object named, by design
    for sql in (
        "SELECT 档位 FROM 模型",
        "SELECT 档位 FROM 模型 WHERE 个人编号 LIKE 'T%'",
        f"SELECT 档位 FROM 模型 WHERE 个人编号 IN ('{t.pid}', 'T00006')",
        f"SELECT 档位 FROM 模型 WHERE 个人编号 = '{t.pid}' OR 档位 > 0",
        f"SELECT 个人编号, 档位 FROM 模型 WHERE 个人编号 = '{t.pid}'",
        f"SELECT 缴费基数 FROM 社保 WHERE 个人编号 = '{t.pid}'",
    ):
        assert world.zone(sql, "model", policy) is None, sql
