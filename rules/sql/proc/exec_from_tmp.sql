-- id: proc.exec_from_tmp
-- title: Process executing from /tmp, /var/tmp or /dev/shm
-- severity: high
-- attack: T1059
-- phase: execution
-- evidence: processes
-- casefile's own collector (downloaded into a mktemp directory by the SSM command) is not
-- reported: the bundle's manifest names its pid (collector.pid).
SELECT p.pid, p.name, p.exe, p.start_time AS time, json_array('processes:' || p.rowid) AS evidence
FROM processes p
WHERE (p.exe LIKE '/tmp/%' OR p.exe LIKE '/var/tmp/%' OR p.exe LIKE '/dev/shm/%')
  AND NOT EXISTS (SELECT 1 FROM bundles b WHERE b.id = p.bundle_id
                  AND json_extract(b.manifest, '$.collector.pid') = p.pid);
