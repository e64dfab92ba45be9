-- id: host.uid0_account
-- title: Account other than root with uid 0
-- severity: critical
-- attack: T1136.001
-- phase: privilege_escalation
-- evidence: accounts
-- time: the passwd file's mtime when the disk bundle has it.
SELECT a.name, a.uid, a.gid, a.home, a.shell,
       (SELECT f.mtime FROM files f WHERE f.path = a.source AND f.bundle_id IS a.bundle_id) AS time,
       json_array('accounts:' || a.id) AS evidence
FROM accounts a WHERE a.kind = 'passwd' AND a.uid = 0 AND a.name <> 'root';
