-- id: cloud.instance_credentials_external
-- title: The instance role's credentials used from outside the instance
-- severity: critical
-- attack: T1552.005
-- phase: credential_access
-- evidence: cloudtrail_events, case_attacker_ips, case_instance_ips
-- Instance-profile sessions are named after the instance ("assumed-role/<role>/i-..."). A call
-- counts as outside when it comes from an attacker address, or, when the instance's addresses are
-- known (case_info instance_ips), from any other public address.
SELECT e.access_key_id AS access_key_id, e.arn AS arn, e.source_ip AS ip, count(*) AS calls,
       min(e.time) AS time, json_group_array('cloudtrail_events:' || e.id) AS evidence
FROM cloudtrail_events e
WHERE e.arn LIKE '%:assumed-role/%/i-%'
  AND e.source_ip IS NOT NULL AND e.source_ip NOT LIKE '%.amazonaws.com'
  AND e.source_ip <> 'AWS Internal' AND e.source_ip GLOB '*[0-9.:]*'
  AND (e.source_ip IN (SELECT ip FROM case_attacker_ips)
       OR (EXISTS (SELECT 1 FROM case_instance_ips)
           AND e.source_ip NOT IN (SELECT ip FROM case_instance_ips)
           AND e.source_ip NOT LIKE '10.%' AND e.source_ip NOT LIKE '192.168.%'
           AND e.source_ip NOT GLOB '172.1[6-9].*' AND e.source_ip NOT GLOB '172.2[0-9].*'
           AND e.source_ip NOT GLOB '172.3[01].*'))
GROUP BY e.access_key_id, e.source_ip;
