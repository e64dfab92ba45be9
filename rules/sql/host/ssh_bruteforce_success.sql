-- id: host.ssh_bruteforce_success
-- title: SSH brute force (10+ failures) followed by a successful login from the same address
-- severity: critical
-- attack: T1110.001
-- phase: initial_access
-- evidence: auth_events
WITH f AS (
  SELECT src_ip, count(*) AS n, min(time) AS first
  FROM auth_events
  WHERE event IN ('ssh_failed', 'ssh_invalid_user') AND src_ip IS NOT NULL
  GROUP BY src_ip HAVING count(*) >= 10
)
SELECT a.src_ip AS ip, a.user AS user, f.n AS failures, min(a.time) AS time,
       json_group_array('auth_events:' || a.id) AS evidence
FROM auth_events a JOIN f ON f.src_ip = a.src_ip
WHERE a.event = 'ssh_accepted' AND a.time >= f.first
GROUP BY a.src_ip, a.user;
