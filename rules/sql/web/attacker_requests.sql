-- id: web.attacker_requests
-- title: Web requests from the finding's attacker address
-- severity: medium
-- attack: T1190
-- phase: initial_access
-- evidence: web_requests, case_attacker_ips
SELECT w.client_ip AS ip, count(*) AS requests, min(w.time) AS time,
       json_group_array('web_requests:' || w.id) AS evidence
FROM web_requests w JOIN case_attacker_ips a ON a.ip = w.client_ip
GROUP BY w.client_ip;
