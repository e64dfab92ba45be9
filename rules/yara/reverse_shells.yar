/* casefile: reverse-shell one-liners, in scripts, histories, crontabs and units. */

rule revshell_bash_dev_tcp
{
    meta:
        description = "Shell redirected to /dev/tcp or /dev/udp (bash reverse shell)"
        attack = "T1059.004"
        severity = "high"
    strings:
        $a = /(ba|z|k)?sh\s+-i\s*[<>&0-9 ]*\/dev\/(tcp|udp)\/[A-Za-z0-9.\-]+\/[0-9]{1,5}/
        $b = /exec\s+[0-9]+<>\s*\/dev\/(tcp|udp)\/[A-Za-z0-9.\-]+\/[0-9]{1,5}/
        $c = />&\s*\/dev\/(tcp|udp)\/[A-Za-z0-9.\-]+\/[0-9]{1,5}\s+0>&1/
    condition:
        any of them
}

rule revshell_netcat_exec
{
    meta:
        description = "netcat/ncat/socat handing a shell to a remote peer"
        attack = "T1059.004"
        severity = "high"
    strings:
        $nc = /\b(nc|ncat|netcat)(\.traditional|\.openbsd)?\s+(-[a-zA-Z]+\s+)*(-e|-c)\s*\/bin\/(ba|z|k)?sh\b/
        $fifo = /mkfifo\s+\S+\s*;\s*(cat|tail -f)\s+\S+\s*\|\s*\/bin\/(ba)?sh\s+-i\s*2>&1\s*\|\s*(nc|ncat|netcat)\s/
        $rm = /rm\s+(-f\s+)?\/tmp\/[a-z]\s*;\s*mkfifo\s+\/tmp\/[a-z]/
        $socat = /socat\s+(tcp|TCP|openssl|OPENSSL)[-:][^\n]{1,120}exec:['"]?(\/bin\/)?(ba)?sh/
    condition:
        any of them
}

rule revshell_script_languages
{
    meta:
        description = "Python/Perl/PHP/Ruby one-liner connecting a socket to a shell"
        attack = "T1059.006"
        severity = "high"
    strings:
        $py = /socket\.socket\([^)]*\)[^\n]{0,200}\.connect\(\([^\n]{0,200}(os\.dup2|pty\.spawn|subprocess\.call)/
        $py2 = /os\.dup2\(\s*\w+\.fileno\(\)\s*,\s*[012]\s*\)[^\n]{0,200}(pty\.spawn|\/bin\/(ba)?sh)/
        $pl = /socket\(S,PF_INET,SOCK_STREAM,getprotobyname\(['"]tcp['"]\)\)[^\n]{0,300}exec\(['"]\/bin\/(ba)?sh/
        $php = /fsockopen\(\s*['"][^'"]+['"]\s*,\s*[0-9]{1,5}\s*\)\s*;\s*(exec|shell_exec|system|passthru|popen|proc_open)\(\s*['"]\/bin\/(ba)?sh\s+-i/
        $rb = /TCPSocket\.(new|open)\([^\n]{0,120}(exec|spawn|IO\.popen)[^\n]{0,80}\/bin\/(ba)?sh/
    condition:
        any of them
}

rule revshell_download_and_run
{
    meta:
        description = "Download piped straight into a shell (curl|sh, wget -O-|sh)"
        attack = "T1105"
        severity = "medium"
    strings:
        $a = /(curl|wget)\s[^\n|;]{0,200}https?:\/\/[^\s|;]{1,200}[^\n|;]{0,100}\|\s*(sudo\s+)?(ba)?sh\b/
        $b = /(curl|wget)\s[^\n|;]{0,200}https?:\/\/[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}[:\/][^\n]{0,200}(chmod\s+\+x|\|\s*(ba)?sh)/
    condition:
        any of them
}
