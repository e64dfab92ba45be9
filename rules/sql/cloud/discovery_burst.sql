-- id: cloud.discovery_burst
-- title: Discovery burst: one principal, 20+ List/Describe/Get calls of 8+ kinds in 10 minutes
-- severity: medium
-- attack: T1580
-- phase: discovery
-- evidence: cloudtrail_events
-- casefile's own calls (user agent "casefile/...") are not counted.
WITH b AS (
  SELECT coalesce(access_key_id, arn, principal_id) AS who, arn, substr(time, 1, 15) AS bucket,
         count(*) AS n, count(DISTINCT event_name) AS kinds, min(time) AS t,
         json_group_array('cloudtrail_events:' || id) AS ev
  FROM cloudtrail_events
  WHERE (event_name LIKE 'List%' OR event_name LIKE 'Describe%' OR event_name LIKE 'Get%')
    AND coalesce(user_agent, '') NOT LIKE 'casefile/%'
  GROUP BY 1, 3
  HAVING count(*) >= 20 AND count(DISTINCT event_name) >= 8
)
SELECT who AS principal, min(arn) AS arn, sum(n) AS calls, max(kinds) AS kinds, min(t) AS time,
       (SELECT ev FROM b b2 WHERE b2.who = b.who ORDER BY t LIMIT 1) AS evidence
FROM b GROUP BY who;
