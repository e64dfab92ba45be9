-- id: host.history_download_exec
-- title: Download-and-execute in a shell history (curl|sh, wget && chmod +x && ./x)
-- severity: high
-- attack: T1105
-- phase: execution
-- evidence: shell_history
SELECT source AS path, user, command, time, json_array('shell_history:' || id) AS evidence
FROM shell_history
WHERE ((command LIKE '%curl %' OR command LIKE '%wget %')
       AND (command LIKE '%|%sh%' OR command LIKE '%chmod +x%' OR command LIKE '%&& ./%'
            OR command LIKE '%;./%' OR command LIKE '%; ./%' OR command LIKE '%&&./%'))
   OR (command LIKE '%chmod +x %' AND (command LIKE '%&& ./%' OR command LIKE '%&&./%'
       OR command LIKE '%; ./%' OR command LIKE '%;./%'));
