-- id: web.webserver_shell
-- title: Web server (or its user) spawned a shell or interpreter
-- severity: high
-- attack: T1059.004
-- phase: execution
-- evidence: processes
SELECT c.pid AS pid, c.name AS name, p.name AS parent, coalesce(c.euser, c.user) AS user,
       c.cmdline AS cmdline, c.start_time AS time,
       json_array('processes:' || c.rowid, 'processes:' || coalesce(p.rowid, c.rowid))
         AS evidence
FROM processes c LEFT JOIN processes p ON p.pid = c.ppid AND p.bundle_id IS c.bundle_id
WHERE c.name IN ('sh', 'bash', 'dash', 'zsh', 'ksh', 'ash', 'busybox', 'python', 'python3',
                 'perl', 'nc', 'ncat', 'socat')
  AND (p.name IN ('nginx', 'apache2', 'httpd', 'lighttpd', 'uwsgi', 'gunicorn', 'tomcat')
       OR p.name LIKE 'php-fpm%' OR p.name LIKE 'php%'
       OR coalesce(c.euser, c.user) IN ('www-data', 'nginx', 'apache', 'http', 'httpd'));
