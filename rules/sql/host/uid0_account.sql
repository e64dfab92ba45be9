-- id: host.uid0_account
-- title: Account other than root with uid 0
-- severity: critical
-- attack: T1136.001
-- phase: privilege_escalation
-- evidence: accounts
SELECT name, uid, gid, home, shell, json_array('accounts:' || id) AS evidence
FROM accounts WHERE kind = 'passwd' AND uid = 0 AND name <> 'root';
