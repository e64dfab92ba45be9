-- id: integrity.hash_mismatch
-- title: Evidence file does not match its manifest (altered or incomplete; not loaded)
-- severity: high
-- attack: T1565.001
-- phase: integrity
-- evidence: evidence
SELECT bundle, path, sha256 AS expected, detail, json_array('evidence:' || id) AS evidence
FROM evidence WHERE verified = 0;
