-- id: host.log_gap
-- title: Gap or time reversal in the auth log inside the incident window (lines removed)
-- severity: medium
-- attack: T1070.002
-- phase: defense_evasion
-- evidence: auth_events, case_window
-- A gap is more than an hour without a line between two lines inside the window; a reversal is a
-- line more than a minute older than the line before it.
WITH l AS (
  SELECT id, source, time, line,
         lag(time) OVER (PARTITION BY bundle_id, source ORDER BY line) AS prev,
         lag(id) OVER (PARTITION BY bundle_id, source ORDER BY line) AS prev_id
  FROM auth_events
)
SELECT l.source AS path, l.prev AS gap_start, l.time AS gap_end, l.prev AS time,
       json_array('auth_events:' || l.prev_id, 'auth_events:' || l.id) AS evidence
FROM l, case_window w
WHERE l.prev IS NOT NULL AND w.start IS NOT NULL
  AND l.prev >= w.start AND l.time <= coalesce(w."end", '9999')
  AND ((julianday(l.time) - julianday(l.prev)) * 86400 > 3600
       OR (julianday(l.prev) - julianday(l.time)) * 86400 > 60);
