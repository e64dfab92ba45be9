-- id: host.webshell_yara
-- title: File matched a YARA rule (web shell, miner, backdoor)
-- severity: critical
-- attack: T1505.003
-- phase: persistence
-- evidence: files
SELECT path, yara, sha256, coalesce(crtime, mtime) AS time, json_array('files:' || rowid) AS evidence
FROM files WHERE yara IS NOT NULL AND yara NOT IN ('', '[]');
