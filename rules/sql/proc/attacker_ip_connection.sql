-- id: proc.attacker_ip_connection
-- title: Network connection to the finding's attacker address
-- severity: high
-- attack: T1071
-- phase: command_and_control
-- evidence: sockets, processes, case_attacker_ips
SELECT s.pid AS pid, p.name AS name, s.remote_addr AS ip, s.remote_port AS port, s.state AS state,
       p.start_time AS time, json_array('sockets:' || s.rowid) AS evidence
FROM sockets s
JOIN case_attacker_ips a ON a.ip = s.remote_addr OR '::ffff:' || a.ip = s.remote_addr
LEFT JOIN processes p ON p.pid = s.pid AND p.bundle_id IS s.bundle_id;
