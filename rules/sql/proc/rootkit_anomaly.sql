-- id: proc.rootkit_anomaly
-- title: Rootkit hiding seen by the collector (kernel module hidden from /proc/modules, /proc/<pid> over-mounted)
-- severity: critical
-- attack: T1014
-- phase: defense_evasion
-- evidence: anomalies
-- hidden_process anomalies are covered by proc.hidden_process (processes.hidden).
SELECT kind, pid, detail, json_array('anomalies:' || rowid) AS evidence
FROM anomalies WHERE kind IN ('hidden_module', 'proc_bind_mount');
