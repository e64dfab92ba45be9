-- id: host.deleted_dropper
-- title: Deleted executable or script recovered from a temp directory or web root (dropper)
-- severity: high
-- attack: T1070.004
-- phase: defense_evasion
-- evidence: files
SELECT path, size, sha256, coalesce(ctime, mtime) AS time, json_array('files:' || rowid) AS evidence
FROM files
WHERE deleted = 1 AND coalesce(type, 'r') = 'r'
  AND (path LIKE '/tmp/%' OR path LIKE '/var/tmp/%' OR path LIKE '/dev/shm/%'
       OR path LIKE '/var/www/%' OR path LIKE '/srv/%')
  AND ((coalesce(mode, 0) & 73) <> 0 OR path LIKE '%.sh' OR path LIKE '%.php' OR path LIKE '%.py'
       OR path LIKE '%.pl' OR path LIKE '%.elf' OR path LIKE '%.so');
