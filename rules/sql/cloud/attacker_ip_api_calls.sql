-- id: cloud.attacker_ip_api_calls
-- title: AWS API calls from the finding's attacker address
-- severity: high
-- attack: T1078.004
-- phase: initial_access
-- evidence: cloudtrail_events, case_attacker_ips
SELECT e.source_ip AS ip, coalesce(e.arn, e.principal_id) AS principal, count(*) AS calls,
       min(e.time) AS time, json_group_array('cloudtrail_events:' || e.id) AS evidence
FROM cloudtrail_events e JOIN case_attacker_ips a ON a.ip = e.source_ip
GROUP BY e.source_ip, coalesce(e.arn, e.principal_id);
