-- id: host.systemd_persistence
-- title: systemd unit that runs from a temp directory, downloads or opens a shell (or added in the window)
-- severity: high
-- attack: T1543.002
-- phase: persistence
-- evidence: systemd_units, case_window
SELECT u.source AS path, u.unit AS unit, u.exec AS exec, u.mtime AS time,
       json_array('systemd_units:' || u.id) AS evidence
FROM systemd_units u LEFT JOIN case_window w
WHERE u.exec LIKE '%/tmp/%' OR u.exec LIKE '%/dev/shm/%' OR u.exec LIKE '%/var/tmp/%'
   OR u.exec LIKE '%curl %' OR u.exec LIKE '%wget %' OR u.exec LIKE '%base64%'
   OR u.exec LIKE '%/dev/tcp/%' OR u.exec LIKE '%bash -i%' OR u.exec LIKE '%nc -e%'
   OR u.exec LIKE '%bash -c%' OR u.exec LIKE '%sh -c%'
   OR (w.start IS NOT NULL AND u.mtime >= w.start AND u.mtime <= coalesce(w."end", '9999')
       AND u.source LIKE '/etc/systemd/%');
