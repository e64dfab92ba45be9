-- id: host.history_cleared
-- title: Shell history cleared, disabled or linked to /dev/null
-- severity: medium
-- attack: T1070.003
-- phase: defense_evasion
-- evidence: shell_history, files, case_window
SELECT source AS path, user, command, time, json_array('shell_history:' || id) AS evidence
FROM shell_history
WHERE command LIKE 'history -c%' OR command LIKE '%unset HISTFILE%'
   OR command LIKE '%HISTFILE=/dev/null%' OR command LIKE '%HISTSIZE=0%'
   OR (command LIKE '%rm %' AND command LIKE '%_history%')
   OR (command LIKE '%shred%' AND command LIKE '%_history%')
   OR (command LIKE '%ln -s%/dev/null%' AND command LIKE '%_history%')
UNION ALL
SELECT f.path, NULL, CASE WHEN f.type = 'l' THEN 'symlink' ELSE 'emptied' END, f.mtime,
       json_array('files:' || f.rowid)
FROM files f LEFT JOIN case_window w
WHERE (f.path LIKE '%/.bash_history' OR f.path LIKE '%/.zsh_history' OR f.path LIKE '%/.sh_history')
  AND (f.type = 'l'
       OR (coalesce(f.size, 0) = 0 AND w.start IS NOT NULL AND f.mtime >= w.start
           AND f.mtime <= coalesce(w."end", '9999')));
