-- id: host.kernel_tainted
-- title: Kernel tainted by a forced, out-of-tree or unsigned module
-- severity: high
-- attack: T1547.006
-- phase: persistence
-- evidence: system
-- Taint bits: 2 forced load (F), 4096 out-of-tree (O), 8192 unsigned (E). Proprietary (P) alone
-- is common (GPU drivers) and not reported.
SELECT hostname, kernel, kernel_tainted AS taint, taint_flags, boot_time AS time,
       json_array('system:' || rowid) AS evidence
FROM system WHERE (coalesce(kernel_tainted, 0) & (2 | 4096 | 8192)) <> 0;
