-- id: host.privileged_group_add
-- title: Account added to a privileged group (sudo, wheel, admin, root, docker, lxd)
-- severity: high
-- attack: T1098
-- phase: privilege_escalation
-- evidence: auth_events
SELECT user, target_user AS "group", min(time) AS time,
       json_group_array('auth_events:' || id) AS evidence
FROM auth_events
WHERE event = 'usermod' AND target_user IN ('sudo', 'wheel', 'admin', 'root', 'adm', 'docker', 'lxd')
GROUP BY user, target_user;
