-- id: proc.deleted_executable
-- title: Process running from a deleted executable
-- severity: high
-- attack: T1070.004
-- phase: defense_evasion
-- evidence: processes
-- Not reported: casefile's own collector (the manifest's collector.pid), and sealed memfd
-- executables named after their content's hash ("/memfd:sealed-<first 12 hex of sha256>"), the
-- convention of some sandbox and container runtimes for their own binaries.
SELECT p.pid, p.name, p.exe, p.exe_sha256 AS sha256, p.start_time AS time,
       json_array('processes:' || p.rowid) AS evidence
FROM processes p
WHERE p.exe_deleted = 1
  AND NOT (p.exe LIKE '/memfd:sealed-%' AND p.exe_sha256 IS NOT NULL
           AND substr(p.exe, 15, 12) = substr(p.exe_sha256, 1, 12))
  AND NOT EXISTS (SELECT 1 FROM bundles b WHERE b.id = p.bundle_id
                  AND json_extract(b.manifest, '$.collector.pid') = p.pid);
