-- One attack a line: expected | output form | SQL. A rule ending in "." matches any rule of that
-- family; "suppressed" means released with nothing disclosive left (no row, or every targeted
-- cell empty); "perturbed" means released, and perturbed by the cell key method (the pair it
-- belongs to is differenced in test_reconstruction.py, where the estimate misses).
-- Lines starting with "--" are comments.
-- Raw identifiers
columns. | aggregate | SELECT 身份证号 FROM 社保
columns. | aggregate | SELECT 区县, COUNT(DISTINCT 身份证号) FROM 社保 GROUP BY 区县
columns. | deidentified | SELECT 身份证号, 区县 FROM 社保
columns. | aggregate | SELECT 企业名称, SUM(营业收入) FROM 企业 GROUP BY 企业名称
shape. | aggregate | SELECT 个人编号, 缴费基数 FROM 社保
shape. | aggregate | SELECT * FROM 社保
columns. | deidentified | SELECT 单位代码 FROM 社保
-- File reads and other sources
table. | aggregate | SELECT * FROM read_csv('/etc/passwd')
table. | aggregate | SELECT COUNT(*) FROM read_parquet('/etc/passwd')
table. | aggregate | SELECT COUNT(*) FROM '/etc/passwd'
table. | aggregate | SELECT COUNT(*) FROM glob('/etc/*')
table. | aggregate | SELECT COUNT(*) FROM read_text('/etc/hostname')
table. | aggregate | SELECT COUNT(*) FROM main.社保
table. | aggregate | SELECT COUNT(*) FROM duckdb_settings()
table. | aggregate | SELECT COUNT(*) FROM other_db.社保
table. | aggregate | SELECT COUNT(*) FROM 社保 JOIN read_csv('/etc/passwd') ON TRUE
table. | aggregate | SELECT COUNT(*) FROM information_schema.tables
-- Statements that are not queries
sql.not_a_query | aggregate | ATTACH '/tmp/x.duckdb' AS x
sql.not_a_query | aggregate | COPY 社保 TO '/tmp/leak.csv'
sql.not_a_query | aggregate | INSTALL httpfs
sql.not_a_query | aggregate | LOAD httpfs
sql.not_a_query | aggregate | PRAGMA database_list
sql.not_a_query | aggregate | SET enable_external_access = true
sql.not_a_query | aggregate | CALL pragma_version()
sql. | aggregate | EXPORT DATABASE '/tmp/leak'
sql.not_a_query | aggregate | CREATE TABLE x AS SELECT * FROM 社保
sql.not_a_query | aggregate | DELETE FROM 社保
-- Stacked statements and statements hidden in comments
sql.one_statement | aggregate | SELECT COUNT(*) FROM 社保; COPY 社保 TO '/tmp/leak.csv'
sql.one_statement | aggregate | SELECT COUNT(*) FROM 社保; SELECT 身份证号 FROM 社保
perturbed | aggregate | SELECT COUNT(*) FROM 社保 /* ; COPY 社保 TO '/tmp/leak.csv' */
perturbed | aggregate | SELECT COUNT(*) FROM 社保 -- ; ATTACH '/tmp/x'
-- CTEs, subqueries, set operations, windows, lateral joins, COLUMNS, structs (finding 4)
shape.cte | aggregate | WITH t AS (SELECT 身份证号 AS x FROM 社保) SELECT COUNT(x) FROM t
shape.cte | aggregate | WITH 社保 AS (SELECT 个人编号 AS 区县, 缴费基数 FROM 社保) SELECT 区县, SUM(缴费基数) FROM 社保 GROUP BY 区县
shape.cte | deidentified | WITH 社保 AS (SELECT 个人编号 AS 区县 FROM 社保) SELECT 区县 FROM 社保
shape.cte | model | WITH 企业 AS (SELECT * FROM 企业) SELECT 行业 FROM 企业 WHERE 信用代码 = 'E0001'
shape.cte | dp | WITH x AS (SELECT 1) SELECT COUNT(*) FROM 社保
shape.subquery | aggregate | SELECT COUNT(*) FROM (SELECT 身份证号 FROM 社保) t
shape.subquery | aggregate | SELECT COUNT(*) FROM 社保 WHERE 个人编号 IN (SELECT 个人编号 FROM 社保 WHERE 缴费基数 > 29000)
shape.subquery | aggregate | SELECT 区县, (SELECT MAX(缴费基数) FROM 社保) FROM 社保 GROUP BY 区县
shape.set_operation | aggregate | SELECT 区县, COUNT(*) FROM 社保 GROUP BY 区县 UNION ALL SELECT 个人编号, 缴费基数 FROM 社保
shape.set_operation | aggregate | SELECT COUNT(*) FROM 社保 EXCEPT SELECT COUNT(*) FROM 社保 WHERE 年龄 > 30
sql.window | aggregate | SELECT 区县, ROW_NUMBER() OVER (PARTITION BY 区县 ORDER BY 缴费基数) FROM 社保
sql.window | aggregate | SELECT 区县, SUM(缴费基数) OVER (PARTITION BY 个人编号) FROM 社保
sql.lateral | aggregate | SELECT COUNT(*) FROM 社保 s, LATERAL (SELECT 身份证号 FROM 社保 t WHERE t.个人编号 = s.个人编号) x
function.not_allowed | aggregate | SELECT COLUMNS(*) FROM 社保
function.not_allowed | aggregate | SELECT struct_pack(a := 个人编号, b := 缴费基数) FROM 社保
function.not_allowed | aggregate | SELECT {'a': 个人编号} FROM 社保
shape.distinct | aggregate | SELECT DISTINCT 区县 FROM 社保
-- Joins other than the declared ones (finding 3); self-joins of personal tables
join. | aggregate | SELECT t.区县, AVG(x.缴费基数) FROM 社保 t JOIN 社保 x ON x.个人编号 = 'P000042' AND t.区县 = x.区县 GROUP BY t.区县
join.self | aggregate | SELECT a.区县, COUNT(*) FROM 社保 a JOIN 社保 b ON a.单位代码 = b.单位代码 GROUP BY a.区县
join.undeclared | aggregate | SELECT s.区县, COUNT(*) FROM 社保 s JOIN 企业 e ON s.区县 = e.区县 GROUP BY s.区县
join.undeclared | aggregate | SELECT s.区县, COUNT(*) FROM 社保 s JOIN 企业 e ON s.单位代码 = e.信用代码 AND e.营业收入 > 1 GROUP BY s.区县
join.kind | aggregate | SELECT s.区县, COUNT(*) FROM 社保 s FULL JOIN 企业 e ON s.单位代码 = e.信用代码 GROUP BY s.区县
join.direction | aggregate | SELECT e.行业, COUNT(*) FROM 企业 e JOIN 社保 s ON s.单位代码 = e.信用代码 GROUP BY e.行业
join.form | dp | SELECT e.行业, COUNT(*) FROM 社保 s JOIN 企业 e ON s.单位代码 = e.信用代码 GROUP BY e.行业
columns. | aggregate | SELECT s.区县, COUNT(e.企业名称) FROM 社保 s JOIN 企业 e ON s.单位代码 = e.信用代码 GROUP BY s.区县
join. | aggregate | SELECT COUNT(*) FROM 社保 CROSS JOIN 社保 AS b
join. | aggregate | SELECT a.区县, COUNT(*) FROM 社保 a JOIN 社保 b ON TRUE JOIN 社保 c ON TRUE GROUP BY a.区县
-- Identifiers and the privacy unit in filters, keys, orders and measures (finding 6)
columns.identifier | aggregate | SELECT 个人编号, SUM(缴费基数) FROM 社保 GROUP BY 个人编号
columns.identifier | aggregate | SELECT 个人编号, 缴费月份, COUNT(*) FROM 社保 GROUP BY 个人编号, 缴费月份
columns.identifier | aggregate | SELECT COUNT(*) FROM 社保 WHERE 个人编号 = 'P000001'
columns.identifier | aggregate | SELECT 信用代码, SUM(营业收入) FROM 企业 GROUP BY 信用代码
columns.identifier | aggregate | SELECT SUM(缴费基数) FROM 社保 WHERE 个人编号 <> 'P000042'
columns.identifier | aggregate | SELECT 区县, SUM(缴费基数) FROM 社保 WHERE 个人编号 NOT IN ('P000042', 'P000043') GROUP BY 区县
columns.identifier | aggregate | SELECT SUM(缴费基数) FROM 社保 WHERE NOT (年龄 = 20 AND 区县 = '城中区' AND 个人编号 = 'P000000')
columns.identifier | aggregate | SELECT 区县, COUNT(*) FROM 社保 WHERE 个人编号 LIKE 'P0000%' GROUP BY 区县
columns.identifier | aggregate | SELECT LEFT(个人编号, 4) AS p, COUNT(*) FROM 社保 GROUP BY LEFT(个人编号, 4)
columns.identifier | aggregate | SELECT COUNT(个人编号) FROM 社保
columns.identifier | deidentified | SELECT 个人编号, 区县 FROM 社保 WHERE 个人编号 = 'P000042'
columns.identifier | deidentified | SELECT 个人编号, 区县 FROM 社保 WHERE 个人编号 = 'P000042' OR 年龄 > 200
shape.order | deidentified | SELECT 个人编号, 区县 FROM 社保 ORDER BY 个人编号 = 'P000042' DESC LIMIT 1
shape.order | deidentified | SELECT 个人编号, 区县, 缴费基数 FROM 社保 ORDER BY 缴费基数 DESC LIMIT 1
shape.offset | deidentified | SELECT 个人编号, 区县, 年龄, 缴费月份 FROM 社保 LIMIT 1 OFFSET 42
columns.identifier | dp | SELECT 个人编号, COUNT(*) FROM 社保 GROUP BY 个人编号
columns.identifier | dp | SELECT COUNT(*) FROM 社保 WHERE 个人编号 = 'P000042'
-- Small or rare groups: suppressed, never listed
suppressed | aggregate | SELECT 区县, 年龄, 缴费基数, COUNT(*) FROM 社保 GROUP BY 区县, 年龄, 缴费基数
suppressed | aggregate | SELECT 区县, COUNT(*) FROM 社保 WHERE 区县 = '北部生态新区' GROUP BY 区县
suppressed | aggregate | SELECT 区县, SUM(缴费基数) FROM 社保 WHERE 区县 = '北部生态新区' GROUP BY 区县
suppressed | aggregate | SELECT COUNT(*) FROM 社保 WHERE 年龄 = 20 AND 区县 = '城中区' AND 缴费基数 = 3000
dominance | aggregate | SELECT 行业, SUM(营业收入) FROM 企业 GROUP BY 行业
-- The complement of a rare group: answered, but perturbed (its pair is differenced in
-- test_reconstruction.py and the estimate misses by more than the documented tolerance)
perturbed | aggregate | SELECT COUNT(*) FROM 社保 WHERE 区县 <> '北部生态新区'
perturbed | aggregate | SELECT SUM(缴费基数) FROM 社保 WHERE 区县 <> '北部生态新区'
-- Conditions and arithmetic inside aggregates (findings 1, 2 and 8)
measure.arithmetic | aggregate | SELECT SUM(CASE WHEN 个人编号 = 'P000042' THEN 缴费基数 ELSE 0 END) FROM 社保
measure.arithmetic | aggregate | SELECT SUM(CASE WHEN 个人编号 <> 'P000042' THEN 缴费基数 END) FROM 社保
measure.arithmetic | aggregate | SELECT 区县, SUM(IF(个人编号 = 'P000042', 缴费基数, 0)) FROM 社保 GROUP BY 区县
measure.arithmetic | aggregate | SELECT COUNT(个人编号 = 'P000042') FROM 社保
measure.arithmetic | aggregate | SELECT SUM(缴费基数 * (1 - LEAST(LENGTH(REPLACE(个人编号, 'P000042', '')), 1)) + 1000000) FROM 社保
measure.arithmetic | aggregate | SELECT SUM(缴费基数 * 1) FROM 社保 WHERE 区县 <> '北部生态新区'
measure.arithmetic | aggregate | SELECT 险种, COUNT(*) FROM 社保 GROUP BY 险种 HAVING SUM(CASE WHEN 个人编号 = 'P000042' THEN 缴费基数 ELSE 0 END) > 5000
measure.arithmetic | aggregate | SELECT 险种, COUNT(*) FROM 社保 GROUP BY 险种 HAVING SUM(缴费基数 * (个人编号 = 'P000042')::INT) > 5000
shape.having | aggregate | SELECT 险种, COUNT(*) FROM 社保 GROUP BY 险种 HAVING 险种 = '养老' OR 个人编号 = 'P000042'
measure.type | aggregate | SELECT SUM(区县) FROM 社保
-- Values that could make the query fail depending on the data (finding 5): no function of a
-- column but the declared bucketings, and every constant typed against its column first
columns.identifier | aggregate | SELECT COUNT(*) FROM 社保 WHERE CAST(个人编号 AS INTEGER) > 0
filter.function | dp | SELECT COUNT(*) FROM 社保 WHERE CAST(CASE WHEN 个人编号 = 'P000042' AND 年龄 > 30 THEN 'x' ELSE '1' END AS INTEGER) = 1
filter.function | dp | SELECT COUNT(*) FROM 社保 WHERE CAST(CASE WHEN 区县 = '城中区' AND 年龄 > 30 THEN 'x' ELSE '1' END AS INTEGER) = 1
filter.function | aggregate | SELECT COUNT(*) FROM 社保 WHERE CAST(区县 AS INTEGER) > 0
measure.arithmetic | aggregate | SELECT SUM(CAST(区县 AS DOUBLE)) FROM 社保
filter.function | aggregate | SELECT COUNT(*) FROM 社保 WHERE error(区县) IS NULL
filter.function | aggregate | SELECT COUNT(*) FROM 社保 WHERE sleep_ms(CASE WHEN 区县 = '城中区' THEN 1000 ELSE 0 END) IS NULL
filter.function | aggregate | SELECT COUNT(*) FROM 社保 WHERE 年龄 // 0 = 1
filter.type | aggregate | SELECT COUNT(*) FROM 社保 WHERE 年龄 = 'abc'
filter.type | aggregate | SELECT COUNT(*) FROM 社保 WHERE 区县 = 5
filter.type | aggregate | SELECT COUNT(*) FROM 社保 WHERE 缴费月份 = '2024-13-45'
filter.type | aggregate | SELECT COUNT(*) FROM 社保 WHERE 缴费基数 > 'NaN'
filter.literal | aggregate | SELECT COUNT(*) FROM 社保 WHERE 缴费基数 > 1e999
filter.literal | aggregate | SELECT COUNT(*) FROM 社保 WHERE 缴费月份 > DATE 'x'
filter.shape | aggregate | SELECT COUNT(*) FROM 社保 WHERE 年龄 = 缴费基数
filter.shape | aggregate | SELECT COUNT(*) FROM 社保 WHERE 1 = 1
filter.like | aggregate | SELECT COUNT(*) FROM 社保 WHERE 区县 LIKE '%北%'
filter.like | aggregate | SELECT COUNT(*) FROM 社保 WHERE 区县 LIKE '柳_区'
-- LIMIT, OFFSET and ORDER BY apply to the protected answer only
shape. | aggregate | SELECT 个人编号 FROM 社保 LIMIT 1 OFFSET 42
shape.order | aggregate | SELECT 区县, COUNT(*) FROM 社保 GROUP BY 区县 ORDER BY 缴费基数
shape.group | aggregate | SELECT 区县, COUNT(*) FROM 社保 GROUP BY ROLLUP (区县)
-- string_agg / list / array_agg / min / max / any_value / first / quantiles over anything
function.not_allowed | aggregate | SELECT 区县, STRING_AGG(个人编号, ',') FROM 社保 GROUP BY 区县
function.not_allowed | aggregate | SELECT 区县, LIST(个人编号) FROM 社保 GROUP BY 区县
function.not_allowed | aggregate | SELECT 区县, ARRAY_AGG(个人编号) FROM 社保 GROUP BY 区县
function.not_allowed | aggregate | SELECT 区县, MIN(个人编号) FROM 社保 GROUP BY 区县
function.not_allowed | aggregate | SELECT 区县, MAX(缴费基数) FROM 社保 GROUP BY 区县
function.not_allowed | aggregate | SELECT 区县, ANY_VALUE(个人编号) FROM 社保 GROUP BY 区县
function.not_allowed | aggregate | SELECT 区县, FIRST(个人编号) FROM 社保 GROUP BY 区县
function.not_allowed | aggregate | SELECT 区县, ARG_MAX(个人编号, 缴费基数) FROM 社保 GROUP BY 区县
function.not_allowed | aggregate | SELECT 区县, MEDIAN(缴费基数) FROM 社保 GROUP BY 区县
function.not_allowed | dp | SELECT 区县, MAX(缴费基数) FROM 社保 GROUP BY 区县
-- Differential privacy: declared domains and ranges only
dp.keys | dp | SELECT 年龄, COUNT(*) FROM 社保 GROUP BY 年龄
measure.arithmetic | dp | SELECT SUM(营业收入 * 0 + 员工数) FROM 企业
measure.count_distinct | dp | SELECT COUNT(DISTINCT 年龄) FROM 社保
-- Output forms a column does not allow
columns.form_not_allowed | deidentified | SELECT 营业收入 FROM 企业
-- Model outputs read only models built in the zone, one object at a time
model.not_derived | model | SELECT 营业收入 FROM 企业 WHERE 信用代码 = 'E0042'
