-- id: host.ld_so_preload
-- title: /etc/ld.so.preload loads a library into every process
-- severity: critical
-- attack: T1574.006
-- phase: persistence
-- evidence: config_entries, files
SELECT '/etc/ld.so.preload' AS path, group_concat(value, ' ') AS libraries, min(mtime) AS time,
       json_group_array('config_entries:' || id) AS evidence
FROM config_entries WHERE kind = 'ld_so_preload'
HAVING count(*) > 0
UNION ALL
SELECT f.path, NULL, f.mtime, json_array('files:' || f.rowid)
FROM files f
WHERE f.path = '/etc/ld.so.preload' AND coalesce(f.size, 0) > 0
  AND NOT EXISTS (SELECT 1 FROM config_entries WHERE kind = 'ld_so_preload');
