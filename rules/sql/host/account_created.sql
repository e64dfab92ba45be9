-- id: host.account_created
-- title: Local account created (useradd in the auth log)
-- severity: medium
-- attack: T1136.001
-- phase: persistence
-- evidence: auth_events
SELECT user, min(time) AS time, json_group_array('auth_events:' || id) AS evidence
FROM auth_events WHERE event = 'useradd' AND user IS NOT NULL
GROUP BY user;
