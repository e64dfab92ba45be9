-- id: proc.shell_stdin_socket
-- title: Shell whose standard input or output is a network socket (reverse shell)
-- severity: critical
-- attack: T1059.004
-- phase: command_and_control
-- evidence: processes
SELECT pid, name, exe, fd0, fd1, start_time AS time, json_array('processes:' || rowid) AS evidence
FROM processes
WHERE (name IN ('sh', 'bash', 'dash', 'zsh', 'ksh', 'ash', 'tcsh', 'csh', 'busybox')
       OR exe LIKE '%/bin/sh' OR exe LIKE '%/bash' OR exe LIKE '%/dash')
  AND (fd0 LIKE 'socket:%' OR fd1 LIKE 'socket:%');
