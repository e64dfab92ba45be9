-- id: host.cron_persistence
-- title: Cron job that downloads, runs from a temp directory or opens a shell (or added in the window)
-- severity: high
-- attack: T1053.003
-- phase: persistence
-- evidence: cron_entries, case_window
SELECT c.source AS path, c.user AS user, c.schedule AS schedule, c.command AS command,
       c.mtime AS time, json_array('cron_entries:' || c.id) AS evidence
FROM cron_entries c LEFT JOIN case_window w
WHERE c.command LIKE '%curl %' OR c.command LIKE '%wget %' OR c.command LIKE '%/tmp/%'
   OR c.command LIKE '%/dev/shm/%' OR c.command LIKE '%/var/tmp/%' OR c.command LIKE '%base64%'
   OR c.command LIKE '%/dev/tcp/%' OR c.command LIKE '%bash -i%' OR c.command LIKE '%nc -e%'
   OR c.command LIKE '%| sh%' OR c.command LIKE '%|sh%' OR c.command LIKE '%| bash%'
   OR c.command LIKE '%|bash%' OR c.command LIKE '%python -c%' OR c.command LIKE '%python3 -c%'
   OR (w.start IS NOT NULL AND c.mtime >= w.start AND c.mtime <= coalesce(w."end", '9999'));
