-- id: web.scanner_burst
-- title: Scanner burst: one client, 60+ requests in a minute, most of them errors
-- severity: medium
-- attack: T1595.002
-- phase: initial_access
-- evidence: web_requests
WITH b AS (
  SELECT client_ip AS ip, substr(time, 1, 16) AS minute, count(*) AS n, min(time) AS t,
         json_group_array('web_requests:' || id) AS ev
  FROM web_requests WHERE client_ip IS NOT NULL
  GROUP BY client_ip, substr(time, 1, 16)
  HAVING count(*) >= 60 AND sum(status BETWEEN 400 AND 499) * 2 >= count(*)
)
SELECT ip, count(*) AS burst_minutes, sum(n) AS requests, min(t) AS time,
       (SELECT ev FROM b b2 WHERE b2.ip = b.ip ORDER BY t LIMIT 1) AS evidence
FROM b GROUP BY ip;
