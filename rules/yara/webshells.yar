/* casefile: PHP and JSP web shells. Written for this project; each rule names what it looks for.
 * Scope: files of at most a few MiB; a web shell is small. */

rule webshell_php_eval_request
{
    meta:
        description = "PHP evaluating code taken straight from the request"
        attack = "T1505.003"
        severity = "high"
    strings:
        $open = "<?" ascii
        $e1 = /\b(eval|assert|create_function)\s*\(\s*(base64_decode|gzinflate|gzuncompress|str_rot13|stripslashes|urldecode|rawurldecode)?\s*\(?\s*\$_(POST|GET|REQUEST|COOKIE|SERVER)\s*\[/ nocase
        $e2 = /\b(eval|assert)\s*\(\s*\$_(POST|GET|REQUEST|COOKIE)\b/ nocase
        $e3 = /preg_replace\s*\(\s*['"]\/[^'"]*\/[a-z]*e[a-z]*['"]\s*,\s*\$_(POST|GET|REQUEST)/ nocase
    condition:
        $open and any of ($e*) and filesize < 5MB
}

rule webshell_php_exec_request
{
    meta:
        description = "PHP running a shell command taken from the request"
        attack = "T1505.003"
        severity = "high"
    strings:
        $open = "<?" ascii
        $x = /\b(system|shell_exec|passthru|exec|popen|proc_open|pcntl_exec)\s*\(\s*(base64_decode\s*\(\s*)?\$_(POST|GET|REQUEST|COOKIE|SERVER)\s*\[/ nocase
        $bt = /`\s*\$_(GET|POST|REQUEST)\s*\[/ nocase
    condition:
        $open and ($x or $bt) and filesize < 5MB
}

rule webshell_php_obfuscated_loader
{
    meta:
        description = "PHP evaluating the output of two chained decoders (packed web shell)"
        attack = "T1505.003"
        severity = "medium"
    strings:
        $open = "<?" ascii
        $chain = /eval\s*\(\s*(gzinflate|gzuncompress|gzdecode|str_rot13|base64_decode)\s*\(\s*(gzinflate|gzuncompress|gzdecode|str_rot13|base64_decode|strrev)\s*\(/ nocase
    condition:
        $open and $chain and filesize < 5MB
}

rule webshell_php_known_names
{
    meta:
        description = "Strings of well-known PHP web shells (c99, r57, WSO, b374k, FilesMan)"
        attack = "T1505.003"
        severity = "high"
    strings:
        $a = "FilesMan" ascii
        $b = "c99shell" ascii nocase
        $c = "r57shell" ascii nocase
        $d = "WSO " ascii
        $e = "b374k" ascii nocase
        $f = "wso_version" ascii
        $g = "$default_action = 'FilesMan'" ascii
    condition:
        uint16(0) != 0x457f and (2 of them or $g) and filesize < 5MB
}

rule webshell_jsp_runtime_exec
{
    meta:
        description = "JSP running a command taken from a request parameter"
        attack = "T1505.003"
        severity = "high"
    strings:
        $jsp1 = "<%" ascii
        $jsp2 = "request.getParameter" ascii
        $x1 = /Runtime\.getRuntime\(\)\.exec\(\s*request\.getParameter/ ascii
        $x2 = "Runtime.getRuntime().exec(" ascii
        $x3 = "new ProcessBuilder(" ascii
        $x4 = "getInputStream()" ascii
    condition:
        $jsp1 and $jsp2 and ($x1 or (($x2 or $x3) and $x4)) and filesize < 5MB
}

rule webshell_jsp_class_loader
{
    meta:
        description = "JSP defining a class from request bytes (Behinder/Godzilla style memory shell loader)"
        attack = "T1505.003"
        severity = "high"
    strings:
        $jsp = "<%" ascii
        $a = "defineClass" ascii
        $b = "ClassLoader" ascii
        $c = "request.getReader" ascii
        $d = "javax.crypto.Cipher" ascii
        $e = "request.getParameter" ascii
    condition:
        $jsp and $a and $b and ($c or $e) and ($d or $c) and filesize < 5MB
}
