-- id: web.scanner_user_agent
-- title: Requests from a known attack or scanning tool (User-Agent)
-- severity: low
-- attack: T1595.002
-- phase: initial_access
-- evidence: web_requests
SELECT client_ip AS ip, min(user_agent) AS user_agent, count(*) AS requests, min(time) AS time,
       json_group_array('web_requests:' || id) AS evidence
FROM web_requests
WHERE user_agent LIKE '%nikto%' OR user_agent LIKE '%sqlmap%' OR user_agent LIKE '%nmap%'
   OR user_agent LIKE '%gobuster%' OR user_agent LIKE '%dirbuster%' OR user_agent LIKE '%wpscan%'
   OR user_agent LIKE '%masscan%' OR user_agent LIKE '%zgrab%' OR user_agent LIKE '%nuclei%'
   OR user_agent LIKE '%feroxbuster%' OR user_agent LIKE '%ffuf%' OR user_agent LIKE '%wfuzz%'
   OR user_agent LIKE '%acunetix%' OR user_agent LIKE '%hydra%' OR user_agent LIKE '%dirb/%'
GROUP BY client_ip;
