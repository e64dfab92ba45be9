-- id: proc.reverse_shell_cmdline
-- title: Process command line of a reverse shell (/dev/tcp, nc -e, socat exec, pty.spawn)
-- severity: critical
-- attack: T1059
-- phase: command_and_control
-- evidence: processes
SELECT pid, name, cmdline, start_time AS time, json_array('processes:' || rowid) AS evidence
FROM processes
WHERE cmdline LIKE '%/dev/tcp/%' OR cmdline LIKE '%/dev/udp/%'
   OR ((name IN ('nc', 'ncat', 'netcat', 'nc.traditional') OR cmdline LIKE '%"nc"%')
       AND (cmdline LIKE '%"-e"%' OR cmdline LIKE '%"-c"%'))
   OR (cmdline LIKE '%socat%' AND cmdline LIKE '%exec:%')
   OR (cmdline LIKE '%python%' AND cmdline LIKE '%socket%' AND cmdline LIKE '%connect%')
   OR cmdline LIKE '%pty.spawn%';
