-- id: proc.pool_port_connection
-- title: Connection to a common mining-pool port (3333, 4444, 5555, 7777, 14444, ...)
-- severity: medium
-- attack: T1496
-- phase: command_and_control
-- evidence: sockets, processes
SELECT s.pid AS pid, p.name AS name, s.remote_addr AS ip, s.remote_port AS port,
       p.start_time AS time,
       json_array('sockets:' || s.rowid) AS evidence
FROM sockets s LEFT JOIN processes p ON p.pid = s.pid AND p.bundle_id IS s.bundle_id
WHERE s.remote_port IN (3333, 3334, 4444, 5555, 5556, 7777, 14433, 14444, 45560, 45700)
  AND s.state IN ('ESTABLISHED', 'SYN_SENT')
  AND s.remote_addr NOT LIKE '127.%' AND s.remote_addr NOT IN ('::1', '0.0.0.0', '::');
