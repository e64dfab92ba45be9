-- id: proc.hidden_process
-- title: Process hidden from /proc listing (found only by probing the pid space: rootkit)
-- severity: critical
-- attack: T1014
-- phase: defense_evasion
-- evidence: processes
SELECT pid, name, exe, start_time AS time, json_array('processes:' || rowid) AS evidence
FROM processes WHERE hidden = 1;
