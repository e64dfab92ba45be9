-- id: host.rc_persistence
-- title: rc script (rc.local, init.d) that downloads, runs from a temp directory or opens a shell
-- severity: high
-- attack: T1037.004
-- phase: persistence
-- evidence: config_entries, case_window
SELECT e.source AS path, e.value AS command, e.mtime AS time,
       json_array('config_entries:' || e.id) AS evidence
FROM config_entries e LEFT JOIN case_window w
WHERE e.kind = 'rc'
  AND (e.value LIKE '%curl %' OR e.value LIKE '%wget %' OR e.value LIKE '%/tmp/%'
       OR e.value LIKE '%/dev/shm/%' OR e.value LIKE '%/var/tmp/%' OR e.value LIKE '%base64%'
       OR e.value LIKE '%/dev/tcp/%' OR e.value LIKE '%bash -i%' OR e.value LIKE '%nc -e%'
       OR (w.start IS NOT NULL AND e.mtime >= w.start AND e.mtime <= coalesce(w."end", '9999')
           AND e.source LIKE '/etc/rc.local'));
