-- id: proc.miner_traits
-- title: Cryptocurrency miner (stratum URL, miner name or options, mining pool)
-- severity: high
-- attack: T1496
-- phase: impact
-- evidence: processes
SELECT pid, name, exe, cmdline, start_time AS time, json_array('processes:' || rowid) AS evidence
FROM processes
WHERE cmdline LIKE '%stratum+tcp://%' OR cmdline LIKE '%stratum+ssl://%'
   OR cmdline LIKE '%stratum2+%' OR cmdline LIKE '%--donate-level%'
   OR cmdline LIKE '%cryptonight%' OR cmdline LIKE '%randomx%'
   OR cmdline LIKE '%moneroocean%' OR cmdline LIKE '%supportxmr%' OR cmdline LIKE '%nanopool%'
   OR cmdline LIKE '%minexmr%' OR cmdline LIKE '%nicehash%' OR cmdline LIKE '%2miners%'
   OR name LIKE '%xmrig%' OR exe LIKE '%xmrig%'
   OR name IN ('minerd', 'cpuminer', 'cgminer', 'bfgminer', 'kdevtmpfsi', 'kinsing', 'xmr-stak');
