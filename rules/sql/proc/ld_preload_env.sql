-- id: proc.ld_preload_env
-- title: Process started with LD_PRELOAD / LD_AUDIT in its environment (library injection)
-- severity: high
-- attack: T1574.006
-- phase: defense_evasion
-- evidence: processes
SELECT pid, name, exe, ld_preload, start_time AS time, json_array('processes:' || rowid) AS evidence
FROM processes
WHERE ld_preload LIKE '%"LD_PRELOAD=_%' OR ld_preload LIKE '%"LD_AUDIT=_%';
