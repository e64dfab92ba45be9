-- id: host.unsigned_module
-- title: Kernel module that is unsigned, out-of-tree or force-loaded
-- severity: high
-- attack: T1547.006
-- phase: persistence
-- evidence: kernel_modules
SELECT name, taint, signed, json_array('kernel_modules:' || rowid) AS evidence
FROM kernel_modules
WHERE signed = 0 OR taint LIKE '%O%' OR taint LIKE '%E%' OR taint LIKE '%F%';
