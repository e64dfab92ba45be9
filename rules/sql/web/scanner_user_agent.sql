-- id: web.scanner_user_agent
-- title: Requests from a known attack or scanning tool (User-Agent)
-- severity: low
-- attack: T1595.002
-- phase: initial_access
-- evidence: web_requests
-- Match the distinct user agents (few) rather than every request.
WITH d AS MATERIALIZED (SELECT DISTINCT user_agent FROM web_requests),
ua AS MATERIALIZED (
  SELECT user_agent FROM d
  WHERE user_agent LIKE '%nikto%' OR user_agent LIKE '%sqlmap%' OR user_agent LIKE '%nmap%'
     OR user_agent LIKE '%gobuster%' OR user_agent LIKE '%dirbuster%' OR user_agent LIKE '%wpscan%'
     OR user_agent LIKE '%masscan%' OR user_agent LIKE '%zgrab%' OR user_agent LIKE '%nuclei%'
     OR user_agent LIKE '%feroxbuster%' OR user_agent LIKE '%ffuf%' OR user_agent LIKE '%wfuzz%'
     OR user_agent LIKE '%acunetix%' OR user_agent LIKE '%hydra%' OR user_agent LIKE '%dirb/%'
)
SELECT w.client_ip AS ip, min(w.user_agent) AS user_agent, count(*) AS requests,
       min(w.time) AS time, json_group_array('web_requests:' || w.id) AS evidence
FROM ua CROSS JOIN web_requests w ON w.user_agent = ua.user_agent
GROUP BY w.client_ip;
