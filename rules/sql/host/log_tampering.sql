-- id: host.log_tampering
-- title: System log truncated or removed (empty log modified in the window, or commands on /var/log)
-- severity: high
-- attack: T1070.002
-- phase: defense_evasion
-- evidence: files, shell_history, case_window
SELECT f.path AS path, NULL AS command, f.mtime AS time, json_array('files:' || f.rowid) AS evidence
FROM files f JOIN case_window w
WHERE f.path LIKE '/var/log/%' AND coalesce(f.type, 'r') = 'r' AND coalesce(f.size, 0) = 0
  AND coalesce(f.deleted, 0) = 0
  AND (f.path LIKE '%auth.log' OR f.path LIKE '%/secure' OR f.path LIKE '%/syslog'
       OR f.path LIKE '%/messages' OR f.path LIKE '%/wtmp' OR f.path LIKE '%/btmp'
       OR f.path LIKE '%/lastlog' OR f.path LIKE '%access.log' OR f.path LIKE '%/audit.log')
  AND w.start IS NOT NULL AND f.mtime >= w.start AND f.mtime <= coalesce(w."end", '9999')
UNION ALL
SELECT h.source, h.command, h.time, json_array('shell_history:' || h.id)
FROM shell_history h
WHERE h.command LIKE '%/var/log%'
  AND (h.command LIKE 'rm %' OR h.command LIKE '%; rm %' OR h.command LIKE '%&& rm %'
       OR h.command LIKE '%truncate %' OR h.command LIKE '%shred %' OR h.command LIKE '%> /var/log%'
       OR h.command LIKE '%>/var/log%' OR h.command LIKE '%cat /dev/null%')
UNION ALL
SELECT h.source, h.command, h.time, json_array('shell_history:' || h.id)
FROM shell_history h
WHERE h.command LIKE '%journalctl%--vacuum%' OR h.command LIKE '%journalctl%--rotate%';
