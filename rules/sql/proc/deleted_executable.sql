-- id: proc.deleted_executable
-- title: Process running from a deleted executable
-- severity: high
-- attack: T1070.004
-- phase: defense_evasion
-- evidence: processes
SELECT pid, name, exe, exe_sha256 AS sha256, start_time AS time,
       json_array('processes:' || rowid) AS evidence
FROM processes WHERE exe_deleted = 1;
