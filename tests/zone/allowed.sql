-- One real analytical query a line: output form | SQL [| reference SQL for plain DuckDB].
-- Aggregate answers must match plain DuckDB's on the same data within the published
-- perturbation: every released measure within its documented maximum noise (counts by at most
-- floor(max(1, mu·c)·(D + ½) + ½), sums by mu·x·(D + ½), where c and x are the largest
-- contribution of one unit), every ratio and rounding within what those bounds allow. Groups of
-- fewer than k people (北部生态新区) are left out. DP answers must fall within the stated
-- noise of the reference (a DP count of rows bounds each person's rows, so DP lines count
-- people or average per person).
-- Shapes the old engine took and this one refuses, with the way to write them now, are in
-- docs/zone.md ("Former shapes").
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
aggregate | SELECT date_trunc('quarter', 缴费月份) AS 季度, COUNT(DISTINCT 个人编号) FROM 社保 GROUP BY date_trunc('quarter', 缴费月份) | SELECT CAST(date_trunc('quarter', 缴费月份) AS DATE) AS 季度, COUNT(DISTINCT 个人编号) FROM 社保 GROUP BY 1
aggregate | SELECT strftime(缴费月份, '%Y-%m') AS 月份, SUM(缴费基数) FROM 社保 GROUP BY strftime(缴费月份, '%Y-%m')
aggregate | SELECT 区县, ROUND(AVG(缴费基数), 1) AS 平均 FROM 社保 GROUP BY 区县
aggregate | SELECT CASE WHEN 年龄 < 30 THEN '30岁以下' WHEN 年龄 < 45 THEN '30-44岁' ELSE '45岁及以上' END AS 年龄段, COUNT(DISTINCT 个人编号) FROM 社保 GROUP BY 1
aggregate | SELECT (年龄 // 10) * 10 AS 年龄组, AVG(缴费基数) FROM 社保 GROUP BY (年龄 // 10) * 10
aggregate | SELECT FLOOR(缴费基数 / 5000) * 5000 AS 档, COUNT(DISTINCT 个人编号) AS 人数 FROM 社保 GROUP BY 1
aggregate | SELECT 区县, COUNT(*) FROM 社保 WHERE 缴费基数 >= 10000 GROUP BY 区县
aggregate | SELECT 险种, AVG(缴费基数) FROM 社保 WHERE 年龄 BETWEEN 30 AND 50 GROUP BY 险种
aggregate | SELECT 区县, SUM(缴费基数) FROM 社保 WHERE 缴费月份 >= DATE '2024-07-01' GROUP BY 区县
aggregate | SELECT 区县, COUNT(*) FROM 社保 WHERE 险种 IN ('养老', '医疗') GROUP BY 区县
aggregate | SELECT 区县, COUNT(*) FROM 社保 WHERE 区县 LIKE '柳%' GROUP BY 区县
aggregate | SELECT 区县, COUNT(*) FROM 社保 WHERE NOT (险种 = '工伤' OR 年龄 < 25) GROUP BY 区县
aggregate | SELECT 区县, COUNT(*) AS n FROM 社保 GROUP BY 区县 HAVING COUNT(*) > 100
aggregate | SELECT 区县, SUM(缴费基数) / COUNT(*) AS 人均 FROM 社保 GROUP BY 区县
aggregate | SELECT 区县, SUM(缴费基数) * 0.08 AS 个人缴费额 FROM 社保 GROUP BY 区县 | SELECT 区县, SUM(缴费基数 * 0.08) FROM 社保 GROUP BY 区县
aggregate | SELECT 区县, COUNT(*) FROM 社保 GROUP BY 区县 ORDER BY COUNT(*) DESC LIMIT 3
aggregate | SELECT 险种, 缴费月份, COUNT(*) FROM 社保 GROUP BY 险种, 缴费月份
aggregate | SELECT 行业, COUNT(*) AS 企业数 FROM 企业 GROUP BY 行业
aggregate | SELECT 区县, AVG(员工数) AS 平均员工数 FROM 企业 GROUP BY 区县
aggregate | SELECT 区县, SUM(员工数) FROM 企业 GROUP BY 区县
aggregate | SELECT 行业, SUM(营业收入) FROM 企业 WHERE 行业 <> '采矿业' GROUP BY 行业
aggregate | SELECT 行业, COUNT(*) FROM 企业 GROUP BY 行业 HAVING COUNT(*) >= 1
aggregate | SELECT e.行业, COUNT(DISTINCT s.个人编号) AS 参保人数 FROM 社保 s JOIN 企业 e ON s.单位代码 = e.信用代码 GROUP BY e.行业
aggregate | SELECT e.区县, AVG(s.缴费基数) AS 平均缴费基数 FROM 社保 s JOIN 企业 e ON s.单位代码 = e.信用代码 GROUP BY e.区县
aggregate | SELECT s.险种, COUNT(*) FROM 社保 s LEFT JOIN 企业 e ON s.单位代码 = e.信用代码 WHERE e.员工数 > 50 GROUP BY s.险种
aggregate | SELECT 区县, COUNT(*) FROM 社保 WHERE 年龄 > 25 AND 缴费基数 < 20000 GROUP BY 区县
aggregate | SELECT 区县, ROUND(SUM(缴费基数) / 10000, 2) AS 万元 FROM 社保 GROUP BY 区县
aggregate | SELECT SUBSTRING(区县, 1, 2) AS 前缀, COUNT(*) FROM 社保 GROUP BY SUBSTRING(区县, 1, 2)
aggregate | SELECT 区县, COUNT(DISTINCT 个人编号) AS 人数, COUNT(*) AS 人次, SUM(缴费基数) AS 合计 FROM 社保 WHERE 险种 = '养老' GROUP BY 区县
aggregate | SELECT QUARTER(缴费月份) AS 季, 险种, AVG(缴费基数) AS 平均 FROM 社保 GROUP BY QUARTER(缴费月份), 险种 ORDER BY 季, 险种
dp | SELECT 区县, COUNT(DISTINCT 个人编号) AS 参保人数 FROM 社保 GROUP BY 区县
dp | SELECT 区县, AVG(缴费基数) FROM 社保 GROUP BY 区县
dp | SELECT COUNT(DISTINCT 个人编号) FROM 社保 WHERE 年龄 >= 40
dp | SELECT 行业, COUNT(*) AS 企业数 FROM 企业 GROUP BY 行业
dp | SELECT 区县, AVG(员工数) FROM 企业 GROUP BY 区县
dp | SELECT 区县, MEDIAN(缴费基数) AS 中位数 FROM 社保 GROUP BY 区县
dp | SELECT 险种, QUANTILE_CONT(缴费基数, 0.9) AS p90 FROM 社保 GROUP BY 险种 | SELECT 险种, QUANTILE_CONT(缴费基数, 0.9) FROM (SELECT DISTINCT 个人编号, 险种, 缴费基数 FROM 社保) GROUP BY 险种
dp | SELECT CASE WHEN 年龄 < 40 THEN '青年' ELSE '中老年' END AS 段, COUNT(DISTINCT 个人编号) FROM 社保 GROUP BY 1
