/* casefile: cryptocurrency miners and their configuration. */

rule miner_stratum_url
{
    meta:
        description = "Stratum mining pool URL (stratum+tcp, stratum+ssl)"
        attack = "T1496"
        severity = "high"
    strings:
        $s = /stratum\+(tcp|ssl|tls):\/\/[A-Za-z0-9.\-]+(:[0-9]{2,5})?/ nocase
    condition:
        $s
}

rule miner_xmrig_config
{
    meta:
        description = "XMRig configuration (pools with url/user/pass, algo, donate-level)"
        attack = "T1496"
        severity = "high"
    strings:
        $pools = "\"pools\"" ascii
        $url = "\"url\"" ascii
        $user = "\"user\"" ascii
        $donate = "\"donate-level\"" ascii
        $algo = "\"algo\"" ascii
        $rx = "\"randomx\"" ascii
        $cpu = "\"cpu\"" ascii
    condition:
        $pools and $url and $user and 2 of ($donate, $algo, $rx, $cpu) and filesize < 1MB
}

rule miner_xmrig_binary
{
    meta:
        description = "XMRig (or a fork) miner binary"
        attack = "T1496"
        severity = "high"
    strings:
        $a = "xmrig" ascii nocase
        $b = "randomx" ascii nocase
        $c = "--donate-level" ascii
        $d = "cryptonight" ascii nocase
        $e = "stratum+tcp" ascii nocase
        $f = "XMRIG_VERSION" ascii
    condition:
        uint32(0) == 0x464c457f and (($a and ($b or $d) and ($c or $e)) or $f)
}

rule miner_command_line
{
    meta:
        description = "Miner started with a pool and wallet on the command line"
        attack = "T1496"
        severity = "high"
    strings:
        $a = /(xmrig|minerd|cpuminer|xmr-stak|kdevtmpfsi|kinsing)[^\n]{0,200}\s(-o|--url)[= ]\S+[^\n]{0,200}\s(-u|--user)[= ]\S+/ nocase
        $b = /\s(-o|--url)[= ](stratum\+tcp|stratum\+ssl)/ nocase
    condition:
        $a or $b
}
