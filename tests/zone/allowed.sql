-- One real analytical query a line: output form | SQL [| reference SQL for plain DuckDB].
-- Aggregate results must equal plain DuckDB's on the same data (a group of fewer than k people,
-- like 北部生态新区, is suppressed and left out; everything released must match). DP results
-- must fall within the stated noise bounds of the reference (per-person contribution bounding
-- changes what a DP count of rows means, so DP lines count people or average per person).
aggregate | SELECT COUNT(*) AS 记录数 FROM 社保
aggregate | SELECT COUNT(DISTINCT 个人编号) AS 参保人数 FROM 社保
aggregate | SELECT 区县, COUNT(DISTINCT 个人编号) AS 参保人数 FROM 社保 GROUP BY 区县
aggregate | SELECT 区县, SUM(缴费基数) AS 缴费基数合计 FROM 社保 GROUP BY 区县
aggregate | SELECT 区县, AVG(缴费基数) AS 平均缴费基数 FROM 社保 GROUP BY 区县 ORDER BY 平均缴费基数 DESC
aggregate | SELECT 险种, COUNT(*) AS 记录数 FROM 社保 GROUP BY 险种 ORDER BY 险种
aggregate | SELECT 区县, 险种, COUNT(*) AS n FROM 社保 WHERE 险种 <> '工伤' GROUP BY 区县, 险种
aggregate | SELECT 缴费月份, SUM(缴费基数) AS s FROM 社保 GROUP BY 缴费月份 ORDER BY 缴费月份
aggregate | SELECT YEAR(缴费月份) AS 年, COUNT(*) FROM 社保 GROUP BY YEAR(缴费月份)
aggregate | SELECT MONTH(缴费月份) AS 月, AVG(缴费基数) FROM 社保 GROUP BY MONTH(缴费月份) ORDER BY 月
aggregate | SELECT date_trunc('quarter', 缴费月份) AS 季度, COUNT(DISTINCT 个人编号) FROM 社保 GROUP BY date_trunc('quarter', 缴费月份)
aggregate | SELECT strftime(缴费月份, '%Y-%m') AS 月份, SUM(缴费基数) FROM 社保 GROUP BY strftime(缴费月份, '%Y-%m')
aggregate | SELECT 区县, ROUND(AVG(缴费基数), 1) AS 平均 FROM 社保 GROUP BY 区县
aggregate | SELECT CASE WHEN 年龄 < 30 THEN '30岁以下' WHEN 年龄 < 45 THEN '30-44岁' ELSE '45岁及以上' END AS 年龄段, COUNT(DISTINCT 个人编号) FROM 社保 GROUP BY 1
aggregate | SELECT (年龄 // 10) * 10 AS 年龄组, AVG(缴费基数) FROM 社保 GROUP BY (年龄 // 10) * 10
aggregate | SELECT 区县, COUNT(*) FROM 社保 WHERE 缴费基数 >= 10000 GROUP BY 区县
aggregate | SELECT 险种, AVG(缴费基数) FROM 社保 WHERE 年龄 BETWEEN 30 AND 50 GROUP BY 险种
aggregate | SELECT 区县, SUM(缴费基数) FROM 社保 WHERE 缴费月份 >= DATE '2024-07-01' GROUP BY 区县
aggregate | SELECT 区县, COUNT(*) FROM 社保 WHERE 险种 IN ('养老', '医疗') GROUP BY 区县
aggregate | SELECT 区县, COUNT(*) FROM 社保 WHERE 区县 LIKE '柳%' GROUP BY 区县
aggregate | SELECT 区县, COUNT(*) AS n FROM 社保 GROUP BY 区县 HAVING COUNT(*) > 100
aggregate | SELECT 区县, SUM(缴费基数) / COUNT(*) AS 人均 FROM 社保 GROUP BY 区县
aggregate | SELECT 区县, SUM(缴费基数 * 0.08) AS 个人缴费额 FROM 社保 GROUP BY 区县
aggregate | SELECT 区县, COUNT(DISTINCT 单位代码) AS 参保单位数 FROM 社保 GROUP BY 区县
aggregate | SELECT 区县, COUNT(*) FROM 社保 GROUP BY 区县 ORDER BY COUNT(*) DESC LIMIT 3
aggregate | SELECT 险种, 缴费月份, COUNT(*) FROM 社保 GROUP BY 险种, 缴费月份
aggregate | SELECT LOWER(险种) AS k, COUNT(*) FROM 社保 GROUP BY LOWER(险种)
aggregate | SELECT 行业, COUNT(*) AS 企业数 FROM 企业 GROUP BY 行业
aggregate | SELECT 区县, AVG(员工数) AS 平均员工数 FROM 企业 GROUP BY 区县
aggregate | SELECT 区县, SUM(员工数) FROM 企业 GROUP BY 区县
aggregate | SELECT 行业, SUM(营业收入) FROM 企业 WHERE 行业 <> '采矿业' GROUP BY 行业
aggregate | SELECT 行业, COUNT(*) FROM 企业 GROUP BY 行业 HAVING COUNT(*) >= 1
aggregate | SELECT e.行业, COUNT(DISTINCT s.个人编号) AS 参保人数 FROM 社保 s JOIN 企业 e ON s.单位代码 = e.信用代码 GROUP BY e.行业
aggregate | SELECT e.区县, AVG(s.缴费基数) AS 平均缴费基数 FROM 社保 s JOIN 企业 e ON s.单位代码 = e.信用代码 GROUP BY e.区县
aggregate | SELECT s.险种, COUNT(*) FROM 社保 s LEFT JOIN 企业 e ON s.单位代码 = e.信用代码 WHERE e.员工数 > 50 GROUP BY s.险种
aggregate | SELECT COALESCE(区县, '未知') AS 区县, COUNT(*) FROM 社保 GROUP BY COALESCE(区县, '未知')
aggregate | SELECT 区县, COUNT(*) FROM 社保 WHERE 年龄 > 25 AND 缴费基数 < 20000 GROUP BY 区县
aggregate | SELECT 区县, ROUND(SUM(缴费基数) / 10000, 2) AS 万元 FROM 社保 GROUP BY 区县
aggregate | SELECT SUBSTRING(区县, 1, 2) AS 前缀, COUNT(*) FROM 社保 GROUP BY SUBSTRING(区县, 1, 2)
dp | SELECT 区县, COUNT(DISTINCT 个人编号) AS 参保人数 FROM 社保 GROUP BY 区县
dp | SELECT 区县, AVG(缴费基数) FROM 社保 GROUP BY 区县
dp | SELECT COUNT(DISTINCT 个人编号) FROM 社保 WHERE 年龄 >= 40
dp | SELECT 行业, COUNT(*) AS 企业数 FROM 企业 GROUP BY 行业
dp | SELECT 区县, AVG(员工数) FROM 企业 GROUP BY 区县
dp | SELECT 区县, MEDIAN(缴费基数) AS 中位数 FROM 社保 GROUP BY 区县
dp | SELECT 险种, QUANTILE_CONT(缴费基数, 0.9) AS p90 FROM 社保 GROUP BY 险种 | SELECT 险种, QUANTILE_CONT(缴费基数, 0.9) FROM (SELECT DISTINCT 个人编号, 险种, 缴费基数 FROM 社保) GROUP BY 险种
