-- id: proc.exec_from_tmp
-- title: Process executing from /tmp, /var/tmp or /dev/shm
-- severity: high
-- attack: T1059
-- phase: execution
-- evidence: processes
SELECT pid, name, exe, start_time AS time, json_array('processes:' || rowid) AS evidence
FROM processes
WHERE exe LIKE '/tmp/%' OR exe LIKE '/var/tmp/%' OR exe LIKE '/dev/shm/%';
