-- id: host.authorized_keys_changed
-- title: SSH authorized_keys modified inside the incident window
-- severity: high
-- attack: T1098.004
-- phase: persistence
-- evidence: authorized_keys, files, case_window
SELECT k.source AS path, k.user AS user, count(*) AS keys, min(k.mtime) AS time,
       json_group_array('authorized_keys:' || k.id) AS evidence
FROM authorized_keys k, case_window w
WHERE w.start IS NOT NULL AND k.mtime >= w.start AND k.mtime <= coalesce(w."end", '9999')
GROUP BY k.source
UNION ALL
SELECT f.path, NULL, NULL, f.mtime, json_array('files:' || f.rowid)
FROM files f, case_window w
WHERE (f.path LIKE '%/.ssh/authorized_keys' OR f.path LIKE '%/.ssh/authorized_keys2')
  AND w.start IS NOT NULL AND f.mtime >= w.start AND f.mtime <= coalesce(w."end", '9999')
  AND NOT EXISTS (SELECT 1 FROM authorized_keys a WHERE a.source = f.path);
