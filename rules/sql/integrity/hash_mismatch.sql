-- id: integrity.hash_mismatch
-- title: Evidence file does not match its manifest (altered or incomplete; not loaded)
-- severity: high
-- attack: T1565.001
-- phase: integrity
-- evidence: evidence
-- time: when the mismatch was found (the bundle's load).
SELECT e.bundle, e.path, e.sha256 AS expected, e.detail,
       (SELECT b.loaded_at FROM bundles b WHERE b.manifest_sha256 = e.bundle) AS time,
       json_array('evidence:' || e.id) AS evidence
FROM evidence e WHERE e.verified = 0;
