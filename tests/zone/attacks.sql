-- One attack a line: expected rule | output form | SQL. A rule ending in "." matches any rule
-- of that family; "suppressed" means released with nothing disclosive left (no row, or every
-- targeted cell suppressed). Lines starting with "--" are comments.
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
released | aggregate | SELECT COUNT(*) FROM 社保 /* ; COPY 社保 TO '/tmp/leak.csv' */
released | aggregate | SELECT COUNT(*) FROM 社保 -- ; ATTACH '/tmp/x'
-- Unauthorized columns through joins, CTEs, subqueries, windows, lateral joins, COLUMNS, structs
columns. | aggregate | SELECT s.区县, COUNT(e.企业名称) FROM 社保 s JOIN 企业 e ON s.单位代码 = e.信用代码 GROUP BY s.区县
columns. | aggregate | WITH t AS (SELECT 身份证号 AS x FROM 社保) SELECT COUNT(x) FROM t
columns. | aggregate | SELECT COUNT(*) FROM (SELECT 身份证号 FROM 社保) t
sql.window | aggregate | SELECT 区县, ROW_NUMBER() OVER (PARTITION BY 区县 ORDER BY 缴费基数) FROM 社保
sql.window | aggregate | SELECT 区县, SUM(缴费基数) OVER (PARTITION BY 个人编号) FROM 社保
sql.lateral | aggregate | SELECT COUNT(*) FROM 社保 s, LATERAL (SELECT 身份证号 FROM 社保 t WHERE t.个人编号 = s.个人编号) x
function.not_allowed | aggregate | SELECT COLUMNS(*) FROM 社保
function.not_allowed | aggregate | SELECT struct_pack(a := 个人编号, b := 缴费基数) FROM 社保
function.not_allowed | aggregate | SELECT {'a': 个人编号} FROM 社保
columns. | aggregate | SELECT COUNT(*) FROM 社保 WHERE 身份证号 LIKE '4502%'
shape.unsupported | aggregate | SELECT 区县, COUNT(*) FROM 社保 GROUP BY 区县 UNION ALL SELECT 个人编号, 缴费基数 FROM 社保
-- GROUP BY identifiers or rare combinations
suppressed | aggregate | SELECT 个人编号, SUM(缴费基数) FROM 社保 GROUP BY 个人编号
limits. | aggregate | SELECT 个人编号, 缴费月份, COUNT(*) FROM 社保 GROUP BY 个人编号, 缴费月份
suppressed | aggregate | SELECT 区县, 年龄, 缴费基数, COUNT(*) FROM 社保 GROUP BY 区县, 年龄, 缴费基数
suppressed | aggregate | SELECT 区县, COUNT(*) FROM 社保 WHERE 区县 = '北部生态新区' GROUP BY 区县
suppressed | aggregate | SELECT COUNT(*) FROM 社保 WHERE 个人编号 = 'P000001'
suppressed | aggregate | SELECT 信用代码, SUM(营业收入) FROM 企业 GROUP BY 信用代码
dominance | aggregate | SELECT 行业, SUM(营业收入) FROM 企业 GROUP BY 行业
-- Differencing pairs (with and without one person)
differencing.complement | aggregate | SELECT SUM(缴费基数) FROM 社保 WHERE 个人编号 <> 'P000042'
differencing.complement | aggregate | SELECT 区县, SUM(缴费基数) FROM 社保 WHERE 个人编号 NOT IN ('P000042', 'P000043') GROUP BY 区县
differencing.complement | aggregate | SELECT COUNT(*) FROM 社保 WHERE 区县 <> '北部生态新区'
differencing.complement | aggregate | SELECT SUM(缴费基数) FROM 社保 WHERE NOT (年龄 = 20 AND 区县 = '城中区' AND 个人编号 = 'P000000')
aggregate.conditional | aggregate | SELECT SUM(CASE WHEN 个人编号 = 'P000042' THEN 缴费基数 ELSE 0 END) FROM 社保
aggregate.conditional | aggregate | SELECT SUM(CASE WHEN 个人编号 <> 'P000042' THEN 缴费基数 END) FROM 社保
aggregate.conditional | aggregate | SELECT 区县, SUM(IF(个人编号 = 'P000042', 缴费基数, 0)) FROM 社保 GROUP BY 区县
aggregate.conditional | aggregate | SELECT COUNT(个人编号 = 'P000042') FROM 社保
-- Errors or timing that leak values
sql.execution | aggregate | SELECT COUNT(*) FROM 社保 WHERE CAST(个人编号 AS INTEGER) > 0
sql.execution | aggregate | SELECT SUM(CAST(区县 AS DOUBLE)) FROM 社保
function.not_allowed | aggregate | SELECT COUNT(*) FROM 社保 WHERE error(个人编号) IS NULL
function.not_allowed | aggregate | SELECT COUNT(*) FROM 社保 WHERE sleep_ms(CASE WHEN 个人编号 = 'P000001' THEN 1000 ELSE 0 END) IS NULL
-- Huge cross joins (limits hold)
sql.cross_join | aggregate | SELECT COUNT(*) FROM 社保 CROSS JOIN 社保 AS b
limits. | aggregate | SELECT a.区县, COUNT(*) FROM 社保 a JOIN 社保 b ON TRUE JOIN 社保 c ON TRUE GROUP BY a.区县
-- LIMIT / OFFSET row walking
shape. | aggregate | SELECT 个人编号 FROM 社保 LIMIT 1 OFFSET 42
shape. | deidentified | SELECT 个人编号, 区县 FROM 社保 ORDER BY 缴费基数 DESC LIMIT 1 OFFSET 0 GROUP BY 个人编号
suppressed | deidentified | SELECT 个人编号, 区县, 年龄, 缴费月份 FROM 社保 LIMIT 1 OFFSET 42
-- string_agg / list / array_agg / min / max / any_value / first over identifiers
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
-- Differential privacy: only declared domains, bounds and budget
dp.keys | dp | SELECT 个人编号, COUNT(*) FROM 社保 GROUP BY 个人编号
dp.bounds | dp | SELECT SUM(营业收入 * 0 + 员工数) FROM 企业
dp.count_distinct | dp | SELECT COUNT(DISTINCT 年龄) FROM 社保
-- Output forms a column does not allow
columns.form_not_allowed | deidentified | SELECT 营业收入 FROM 企业
