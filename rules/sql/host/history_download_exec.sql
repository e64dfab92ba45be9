-- id: host.history_download_exec
-- title: Download-and-execute in a shell history (curl|sh, wget && chmod +x && ./x)
-- severity: high
-- attack: T1105
-- phase: execution
-- evidence: shell_history
-- time: the command's own (#epoch lines), else the history file's mtime.
SELECT h.source AS path, h.user, h.command,
       coalesce(h.time, (SELECT f.mtime FROM files f WHERE f.path = h.source
                         AND f.bundle_id IS h.bundle_id)) AS time,
       json_array('shell_history:' || h.id) AS evidence
FROM shell_history h
WHERE ((h.command LIKE '%curl %' OR h.command LIKE '%wget %')
       AND (h.command LIKE '%|%sh%' OR h.command LIKE '%chmod +x%' OR h.command LIKE '%&& ./%'
            OR h.command LIKE '%;./%' OR h.command LIKE '%; ./%' OR h.command LIKE '%&&./%'))
   OR (h.command LIKE '%chmod +x %' AND (h.command LIKE '%&& ./%' OR h.command LIKE '%&&./%'
       OR h.command LIKE '%; ./%' OR h.command LIKE '%;./%'));
