-- id: web.scanner_burst
-- title: Scanner burst: one client, 60+ requests in a minute, most of them errors
-- severity: medium
-- attack: T1595.002
-- phase: initial_access
-- evidence: web_requests
-- Only clients with 30+ client errors overall can have a burst: found first with one cheap scan.
WITH noisy AS MATERIALIZED (
  SELECT +client_ip AS client_ip FROM web_requests WHERE status >= 400 AND status < 500
  GROUP BY +client_ip HAVING count(*) >= 30
), b AS MATERIALIZED (
  SELECT w.client_ip AS ip, substr(w.time, 1, 16) AS minute, count(*) AS n, min(w.time) AS t,
         json_group_array('web_requests:' || w.id) AS ev
  FROM web_requests w WHERE w.client_ip IN (SELECT client_ip FROM noisy)
  GROUP BY w.client_ip, substr(w.time, 1, 16)
  HAVING count(*) >= 60 AND sum(w.status BETWEEN 400 AND 499) * 2 >= count(*)
)
SELECT ip, count(*) AS burst_minutes, sum(n) AS requests, min(t) AS time,
       (SELECT ev FROM b b2 WHERE b2.ip = b.ip ORDER BY t LIMIT 1) AS evidence
FROM b GROUP BY ip;
