/* casefile: common Linux backdoor and persistence traits. */

rule backdoor_ld_so_preload_entry
{
    meta:
        description = "ld.so.preload naming a library outside the system library directories"
        attack = "T1574.006"
        severity = "high"
    strings:
        $tmp = /(^|\n)\s*\/(tmp|var\/tmp|dev\/shm|home|root|opt|usr\/local\/lib\/[a-z0-9_]*\.)[^\n]*\.so/
        $hidden = /(^|\n)\s*\/[^\n]*\/\.[^\n\/]+\.so/
    condition:
        filesize < 64KB and any of them
}

rule backdoor_preload_rootkit_library
{
    meta:
        description = "Shared library hooking readdir/fopen/stat to hide files or processes (userland rootkit)"
        attack = "T1014"
        severity = "high"
    strings:
        $dl = "dlsym" ascii
        $r1 = "readdir" ascii
        $r2 = "readdir64" ascii
        $h1 = "/proc/net/tcp" ascii
        $h2 = "ld.so.preload" ascii
        $h3 = "LD_PRELOAD" ascii
        $rtld = "RTLD_NEXT" ascii
        $x1 = "fopen64" ascii
    condition:
        uint32(0) == 0x464c457f and $dl and $r1 and $r2 and 2 of ($h1, $h2, $h3, $rtld, $x1)
}

rule backdoor_pam_password_logger
{
    meta:
        description = "PAM module that accepts a fixed password or logs typed passwords"
        attack = "T1556.003"
        severity = "high"
    strings:
        $pam1 = "pam_sm_authenticate" ascii
        $pam2 = "pam_get_item" ascii
        $pam3 = "PAM_AUTHTOK" ascii
        $log1 = /\/(tmp|var\/tmp|dev\/shm|usr\/share|etc)\/\.?[a-z0-9._\-]{1,32}\.(log|txt|dat)/ ascii
        $fmt = /%s:%s/ ascii
        $cmp = "strcmp" ascii
    condition:
        uint32(0) == 0x464c457f and $pam1 and ($pam2 or $pam3) and ($log1 or ($fmt and $cmp))
}

rule backdoor_pam_config_permit
{
    meta:
        description = "PAM configuration granting access unconditionally (pam_permit as sufficient auth)"
        attack = "T1556.003"
        severity = "high"
    strings:
        $a = /(^|\n)\s*auth\s+sufficient\s+pam_permit\.so/
        $b = /(^|\n)\s*auth\s+\[success=[0-9]+[^\]]*\]\s+pam_permit\.so/
    condition:
        filesize < 64KB and any of them
}

rule backdoor_ssh_authorized_keys_command
{
    meta:
        description = "authorized_keys entry that forces a command or hides a second key after options"
        attack = "T1098.004"
        severity = "medium"
    strings:
        $cmd = /(^|\n)command="[^"]*(curl|wget|nc |bash -i|\/dev\/tcp|base64)[^"]*"/
    condition:
        filesize < 1MB and $cmd
}

rule backdoor_cron_download
{
    meta:
        description = "Cron or systemd entry fetching and running code from the network"
        attack = "T1053.003"
        severity = "high"
    strings:
        $cron = /(^|\n)(\*|@reboot|[0-9*\/,\-]+\s+[0-9*\/,\-]+\s+[0-9*\/,\-]+\s+[0-9*\/,\-]+\s+[0-9*\/,\-]+)[^\n]{0,200}(curl|wget)\s[^\n]{0,200}\|\s*(ba)?sh/
        $unit = /ExecStart=[^\n]{0,200}(curl|wget)\s[^\n]{0,200}\|\s*(ba)?sh/
        $b64 = /(echo|printf)\s+['"]?[A-Za-z0-9+\/]{40,}={0,2}['"]?\s*\|\s*base64\s+-d\s*\|\s*(ba)?sh/
    condition:
        filesize < 1MB and any of them
}

rule backdoor_suid_shell_copy
{
    meta:
        description = "Script making a set-uid copy of a shell"
        attack = "T1548.001"
        severity = "high"
    strings:
        $a = /cp\s+\/bin\/(ba|da)?sh\s+\S+\s*[;&\n]+\s*chmod\s+(u\+s|[46][0-7]{3})\s/
        $b = /chmod\s+(u\+s|4[0-7]{3})\s+\/(tmp|var\/tmp|dev\/shm)\//
    condition:
        filesize < 1MB and any of them
}

rule backdoor_history_tampering
{
    meta:
        description = "Commands disabling or wiping shell history"
        attack = "T1070.003"
        severity = "medium"
    strings:
        $a = "unset HISTFILE" ascii
        $b = "HISTFILE=/dev/null" ascii
        $c = /ln\s+-sf?\s+\/dev\/null\s+\S*\.bash_history/
        $d = "history -c" ascii
        $e = "export HISTSIZE=0" ascii
    condition:
        filesize < 4MB and any of them
}
