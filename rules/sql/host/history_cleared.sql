-- id: host.history_cleared
-- title: Shell history cleared, disabled or linked to /dev/null
-- severity: medium
-- attack: T1070.003
-- phase: defense_evasion
-- evidence: shell_history, files, case_window
SELECT h.source AS path, h.user, h.command,
       coalesce(h.time, (SELECT f.mtime FROM files f WHERE f.path = h.source
                         AND f.bundle_id IS h.bundle_id)) AS time,
       json_array('shell_history:' || h.id) AS evidence
FROM shell_history h
WHERE h.command LIKE 'history -c%' OR h.command LIKE '%unset HISTFILE%'
   OR h.command LIKE '%HISTFILE=/dev/null%' OR h.command LIKE '%HISTSIZE=0%'
   OR (h.command LIKE '%rm %' AND h.command LIKE '%_history%')
   OR (h.command LIKE '%shred%' AND h.command LIKE '%_history%')
   OR (h.command LIKE '%ln -s%/dev/null%' AND h.command LIKE '%_history%')
UNION ALL
SELECT f.path, NULL, CASE WHEN f.type = 'l' THEN 'symlink' ELSE 'emptied' END, f.mtime,
       json_array('files:' || f.rowid)
FROM files f LEFT JOIN case_window w
WHERE (f.path LIKE '%/.bash_history' OR f.path LIKE '%/.zsh_history' OR f.path LIKE '%/.sh_history')
  AND (f.type = 'l'
       OR (coalesce(f.size, 0) = 0 AND w.start IS NOT NULL AND f.mtime >= w.start
           AND f.mtime <= coalesce(w."end", '9999')));
