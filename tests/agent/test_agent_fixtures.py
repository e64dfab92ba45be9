#!/usr/bin/env python3
"""casefile-agent against saved /proc-style trees (--root) modelling hostile or exotic hosts,
plus the LiME writer checked byte for byte, IMDSv2 against a local server, tar output and
usage errors. CFA_AGENT names the agent command (e.g. "qemu-aarch64 bin/casefile-agent-aarch64").
"""
import hashlib
import http.server
import json
import os
import shutil
import socket
import struct
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from agentlib import Failure, by_pid, check, load_dir, load_tar, run_agent, run_tests  # noqa: E402
from fixture import (BOOT, TCP_HEADER, add_process, base_tree, inet_hex, symlink,  # noqa: E402
                     tcp_line, utmp_record, write)

TMP = None


def tmpdir(name):
    path = os.path.join(TMP, name)
    if os.path.exists(path):
        shutil.rmtree(path)
    os.makedirs(path)
    return path


def collect(root, *extra):
    out = os.path.join(TMP, os.path.basename(root) + "-out")
    if os.path.exists(out):
        shutil.rmtree(out)
    run_agent(["--root", root, "--out", out, "--case-id", "case-fx", "--instance-id",
               "i-0fixture"] + list(extra))
    return load_dir(out)


_HOSTILE = {}


def hostile_tree():
    """Built once per run (it holds 20,000 fd links and a 6 MB environment)."""
    if "root" not in _HOSTILE:
        _HOSTILE["root"] = _build_hostile()
    return _HOSTILE["root"]


def hostile():
    """The bundle of the hostile tree, collected once and shared by the read-only checks."""
    if "bundle" not in _HOSTILE:
        _HOSTILE["bundle"] = collect(hostile_tree())
    return _HOSTILE["bundle"]


def _build_hostile():
    root = tmpdir("hostile")
    base_tree(root)
    # pid 1: an ordinary process holding sockets
    add_process(root, 1, comm="init", cmdline=(b"/sbin/init",), exe="/sbin/init",
                fds={0: "/dev/null", 3: "socket:[1001]", 4: "socket:[1002]",
                     5: "socket:[1003]", 6: "socket:[1004]"})
    # names with newlines, quotes, a ')' and invalid UTF-8
    add_process(root, 42, comm=b'ev\nil"\xff) x', cmdline=(b'a"b', b"c\nd", b"\xc3\x28", b""),
                environ=(b"A=1", b"LD_PRELOAD=/tmp/\xffevil.so", b"LD_AUDIT=/x.so"),
                exe="/usr/bin/ev\nil (deleted)", uid=1000, tty=(136 << 8) | 3)
    # huge cmdline and a huge environment hiding LD_PRELOAD at its end
    add_process(root, 43, comm="huge", cmdline=(b"A" * (1 << 20),),
                environ=tuple(b"JUNK%d=%s" % (i, b"x" * 1000) for i in range(6000)) +
                (b"LD_PRELOAD=/lib/late.so",))
    # truncated and malformed files
    add_process(root, 44, comm="trunc")
    write(root, "proc/44/stat", b"44 (trunc) S 1 ")
    write(root, "proc/44/status", b"\x00\x01garbage without colons")
    write(root, "proc/44/maps", b"zzzz-yyyy r-xp\n" + b"0-1 rwxp 0 00:00 0 " + b"/" * 70000 +
          b"\n00400000-00401000 r-xp 00000000 08:01 77 /usr/bin/ok\n")
    # a FIFO planted where a file is expected must not block the agent
    add_process(root, 46, comm="fifo")
    for name in ("status", "environ", "maps", "cmdline"):
        os.unlink(os.path.join(root, "proc/46", name))
        os.mkfifo(os.path.join(root, "proc/46", name))
    # a pid that vanished between the listing and the reads: listed, no directory
    # very many fds
    add_process(root, 45, comm="manyfds",
                fds={i: ("socket:[%d]" % (50000 + i) if i % 2 else "/tmp/f%d (deleted)" % i)
                     for i in range(3, 20003)})
    # hidden: has a directory but the listing (a hooked getdents) leaves it out
    add_process(root, 666, comm="rootkitd", cmdline=(b"rootkitd",), exe="/dev/shm/.x/rootkitd")
    # a thread of pid 1 reachable by probing, never listed: not a hidden process
    add_process(root, 667, comm="init", tgid=1)
    # a process whose /proc entry is over-mounted (bind mount), detected through mountinfo
    add_process(root, 777, comm="masked")
    write(root, "proc/.casefile-listing", "1\n42\n43\n44\n45\n46\n99\n777\n")
    write(root, "proc/1/mountinfo",
          "22 1 259:1 / / rw,relatime shared:1 - ext4 /dev/root rw\n"
          "23 22 0:21 / /proc rw,nosuid - proc proc rw\n"
          "99 23 0:21 /1 /proc/777 rw,nosuid - proc proc rw\n"
          "100 22 0:50 / /mnt/with\\040space rw - tmpfs tmp\\012fs rw\n"
          "garbage line\n")
    # the deleted executable of pid 42, still present under the root for hashing
    write(root, "usr/bin/ev\nil", b"\x7fELF fake binary for pid 42\n")
    write(root, "dev/shm/.x/rootkitd", b"\x7fELF rootkit\n")
    # sockets: IPv4, IPv6 (incl. v4-mapped), UDP, raw, unix, packet
    lo = bytes([127, 0, 0, 1])
    ext = bytes([203, 0, 113, 7])
    v6 = bytes.fromhex("20010db8000000000000000000000001")
    v6peer = bytes.fromhex("2001067c12340000000000000000abcd")
    mapped = bytes.fromhex("00000000000000000000ffff7f000001")
    write(root, "proc/net/tcp", TCP_HEADER + tcp_line(0, lo, 8080, bytes(4), 0, 0x0A, 0, 1001) +
          tcp_line(1, lo, 41000, ext, 4444, 0x01, 1000, 1002) + "   2: garbage\n")
    write(root, "proc/net/tcp6", TCP_HEADER + tcp_line(0, v6, 443, v6peer, 55555, 0x01, 0, 1003) +
          tcp_line(1, mapped, 22, bytes(16), 0, 0x0A, 0, 1005))
    write(root, "proc/net/udp", TCP_HEADER + tcp_line(0, bytes(4), 53, bytes(4), 0, 0x07, 0, 1006))
    write(root, "proc/net/raw", TCP_HEADER + tcp_line(0, bytes(4), 1, bytes(4), 0, 0x07, 0, 1007))
    write(root, "proc/net/unix",
          "Num       RefCount Protocol Flags    Type St Inode Path\n"
          "0000000000000000: 00000002 00000000 00010000 0001 01 1004 /run/my sock\n"
          "0000000000000000: 00000002 00000000 00000000 0002 03 1008 @abstract\n"
          "0000000000000000: 00000003 00000000 00000000 0001 03 1009\n")
    write(root, "proc/net/packet",
          "sk               RefCnt Type Proto  Iface R Rmem   User   Inode\n"
          "0000000000000000 3      3    0003   2     1 0      0      1010\n")
    # modules and taint
    write(root, "proc/modules",
          "ext4 1000000 2 mbcache,jbd2, Live 0xffffffffc0000000\n"
          "evil 16384 0 - Live 0xffffffffc0100000 (OE)\n")
    os.makedirs(os.path.join(root, "sys/module/evil"))
    os.makedirs(os.path.join(root, "sys/module/ext4"))
    os.makedirs(os.path.join(root, "sys/module/vfat"))
    write(root, "sys/module/ghost/initstate", "live\n")  # loaded, unlinked from /proc/modules
    os.makedirs(os.path.join(root, "sys/module/printk"))  # built in: no initstate
    # utmp / wtmp / btmp (binary records)
    write(root, "var/run/utmp",
          utmp_record(2, 0, b"~", b"~~", b"reboot", b"6.1.0", BOOT) +
          utmp_record(7, 4242, b"pts/0", b"ts/0", b"alice", b"203.0.113.7", BOOT + 60, 123456,
                      addr=struct.unpack("<4I", bytes([203, 0, 113, 7]) + bytes(12))) +
          utmp_record(0, 0, b"", b"", b"", b"", 0))
    write(root, "var/log/wtmp",
          utmp_record(7, 4243, b"pts/1", b"ts/1", b"r\xffoot\n", b"2001:db8::1", BOOT + 120,
                      addr=struct.unpack("<4I", v6)) +
          utmp_record(8, 4243, b"pts/1", b"ts/1", b"", b"", BOOT + 180) + b"\x07" * 100)
    # interfaces, routes, arp
    write(root, "proc/net/dev",
          "Inter-|   Receive                                                |  Transmit\n"
          " face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets\n"
          "    lo:  100  2    0    0    0     0          0         0      100   2    0    0    0"
          "     0       0          0\n"
          "  eth0: 5000 40    0    0    0     0          0         0     6000  50    0    0    0"
          "     0       0          0\n")
    write(root, "sys/class/net/eth0/address", "02:00:00:00:00:01\n")
    write(root, "sys/class/net/eth0/mtu", "9001\n")
    write(root, "proc/net/if_inet6",
          "fe800000000000000000000000000001 02 40 20 80     eth0\n")
    write(root, "proc/net/route",
          "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n"
          "eth0\t00000000\t0100000A\t0003\t0\t0\t100\t00000000\t0\t0\t0\n"
          "eth0\t0000000A\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n")
    write(root, "proc/net/arp",
          "IP address       HW type     Flags       HW address            Mask     Device\n"
          "10.0.0.1         0x1         0x2         02:00:00:00:00:fe     *        eth0\n")
    return root


def test_agent_fixture_hostile_names():
    manifest, t, _ = hostile()
    procs = by_pid(t["processes"])
    p = procs[42]
    check(p["name"] == 'ev\nil"\ufffd) x', "name %r" % p["name"])
    check(p["cmdline"] == ['a"b', "c\nd", "\ufffd(", ""], "cmdline %r" % p["cmdline"])
    check(p["ld_preload"] == ["LD_PRELOAD=/tmp/\ufffdevil.so", "LD_AUDIT=/x.so"],
          "ld_preload %r" % p["ld_preload"])
    check(p["exe"] == "/usr/bin/ev\nil" and p["exe_deleted"] is True, "exe %r" % p.get("exe"))
    check(p["uid"] == 1000 and p["user"] == "alice", "user")
    check(p["tty"] == "/dev/pts/3" and p["threads"] == 1 and p["ppid"] == 1 and p["state"] == "S",
          "tty/threads/ppid/state %r" % p)
    check(p["exe_sha256"] == hashlib.sha256(b"\x7fELF fake binary for pid 42\n").hexdigest(),
          "exe_sha256")
    check(p["start_time"] == time.strftime("%Y-%m-%dT%H:%M:%S.00Z", time.gmtime(BOOT + 5)),
          "start_time %s" % p["start_time"])
    check(p["ns_net"] == 4026531992 and p["cgroup"] == "/system.slice/test.service", "ns/cgroup")
    check(manifest["case_id"] == "case-fx" and manifest["host"]["instance_id"] == "i-0fixture",
          "manifest ids")
    check(manifest["host"]["hostname"] == "fixture-host", "hostname")
    check(manifest["root"].endswith("hostile"), "root recorded")


def test_agent_fixture_deleted_binary_copied():
    manifest, _, files = hostile()
    sha = hashlib.sha256(b"\x7fELF fake binary for pid 42\n").hexdigest()
    entry = [e for e in manifest["files"] if e["path"] == "binaries/" + sha]
    check(entry and entry[0]["source"] == "/usr/bin/ev\nil (deleted)", "binary entry %r" % entry)
    check(files["binaries/" + sha] == b"\x7fELF fake binary for pid 42\n", "binary content")


def test_agent_fixture_huge_cmdline_environ():
    _, t, _ = hostile()
    p = by_pid(t["processes"])[43]
    check(p.get("cmdline_truncated") is True, "cmdline_truncated")
    check(len(p["cmdline"][0]) <= 64 * 1024, "cmdline bounded")
    check(p["ld_preload"] == ["LD_PRELOAD=/lib/late.so"], "late LD_PRELOAD %r" % p["ld_preload"])


def test_agent_fixture_truncated_malformed():
    manifest, t, _ = hostile()
    p = by_pid(t["processes"])[44]
    check(p["name"] == "trunc" and "ppid" not in p, "truncated stat row %r" % p)
    check(any(e["source"] == "/proc/44/stat" for e in manifest["errors"]), "stat error recorded")
    maps = [m for m in t["process_maps"] if m["pid"] == 44]
    check(len(maps) == 1 and maps[0]["path"] == "/usr/bin/ok" and maps[0]["inode"] == 77,
          "maps %r" % maps)
    check(any(e["source"] == "/proc/44/maps" for e in manifest["errors"]), "long line reported")


def test_agent_fixture_fifo_does_not_block():
    _, t, _ = hostile()
    p = by_pid(t["processes"])[46]
    check(p["name"] == "fifo" and "uid" not in p, "fifo process row %r" % p)


def test_agent_fixture_vanished_pid():
    _, t, _ = hostile()
    p = by_pid(t["processes"])[99]
    check(p.get("exited") is True and "name" not in p, "vanished %r" % p)


def test_agent_fixture_many_fds():
    _, t, _ = hostile()
    rows = [r for r in t["open_files"] if r["pid"] == 45]
    check(len(rows) == 20000, "fd rows %d" % len(rows))
    check(by_pid(t["processes"])[45]["fd_count"] == 20000, "fd_count")
    d = [r for r in rows if r["fd"] == 4][0]
    check(d["deleted"] is True and d["type"] == "file" and d["path"] == "/tmp/f4 (deleted)",
          "deleted fd %r" % d)
    s = [r for r in rows if r["fd"] == 5][0]
    check(s["type"] == "socket" and s["deleted"] is False, "socket fd")


def test_agent_fixture_hidden_pid():
    _, t, _ = hostile()
    procs = by_pid(t["processes"])
    check(procs[666]["hidden"] is True and procs[666]["name"] == "rootkitd", "hidden 666")
    check(procs[1]["hidden"] is False, "listed pid not hidden")
    check(667 not in procs, "a thread (tgid 1) is not a hidden process")
    kinds = [(a["kind"], a.get("pid")) for a in t["anomalies"]]
    check(("hidden_process", 666) in kinds, "anomaly %r" % kinds)
    # runs from /dev/shm: copied
    check(procs[666]["exe"] == "/dev/shm/.x/rootkitd", "exe")


def test_agent_fixture_probe_gate():
    """Auto mode probes only when the kernel counts more tasks than the listing shows."""
    root = tmpdir("gate")
    base_tree(root)
    add_process(root, 1, comm="init")
    add_process(root, 2, comm="sshd")
    add_process(root, 300, comm="hidden")
    write(root, "proc/.casefile-listing", "1\n2\n")
    write(root, "proc/loadavg", "0.00 0.01 0.05 1/2 300\n")  # 2 tasks: both listed
    _, t, _ = collect(root)
    check(t["system"][0]["pid_probe"] == "skipped" and 300 not in by_pid(t["processes"]),
          "counts agree: probe skipped %r" % t["system"][0])
    write(root, "proc/loadavg", "0.00 0.01 0.05 1/3 300\n")  # one task more than listed
    _, t, _ = collect(root)
    check(t["system"][0]["pid_probe"] == "auto" and by_pid(t["processes"])[300]["hidden"],
          "counts differ: probed %r" % t["system"][0])
    _, t, _ = collect(root, "--probe-all-pids")
    check(t["system"][0]["pid_probe"] == "full" and t["system"][0]["pid_probe_limit"] == 5000,
          "full probe")


def test_agent_fixture_no_probe():
    _, t, _ = collect(hostile_tree(), "--no-probe")
    check(666 not in by_pid(t["processes"]), "--no-probe does not probe")


def test_agent_fixture_bind_mount():
    _, t, _ = hostile()
    check(by_pid(t["processes"])[777].get("proc_overmounted") is True, "overmounted flag")
    check(("proc_bind_mount", 777) in [(a["kind"], a.get("pid")) for a in t["anomalies"]],
          "bind mount anomaly")
    m = [r for r in t["mounts"] if r["mount_point"] == "/proc/777"]
    check(m and m[0]["proc_overmount"] is True and m[0]["root"] == "/1", "mount row")
    sp = [r for r in t["mounts"] if r["mount_point"] == "/mnt/with space"]
    check(sp and sp[0]["source"] == "tmp\nfs", "octal escapes decoded %r" % sp)


def test_agent_fixture_sockets():
    _, t, _ = hostile()
    s = {r["inode"]: r for r in t["sockets"] if r["inode"]}
    check(s[1001]["local_addr"] == "127.0.0.1" and s[1001]["local_port"] == 8080 and
          s[1001]["state"] == "LISTEN" and s[1001]["pid"] == 1 and s[1001]["fd"] == 3, "tcp listen")
    check(s[1002]["remote_addr"] == "203.0.113.7" and s[1002]["remote_port"] == 4444 and
          s[1002]["state"] == "ESTABLISHED" and s[1002]["uid"] == 1000 and
          s[1002]["user"] == "alice", "tcp established %r" % s[1002])
    check(s[1003]["proto"] == "tcp6" and s[1003]["family"] == "inet6" and
          s[1003]["local_addr"] == "2001:db8::1" and s[1003]["remote_addr"] == "2001:67c:1234::abcd"
          and s[1003]["remote_port"] == 55555 and s[1003]["pid"] == 1, "tcp6 %r" % s[1003])
    check(s[1005]["local_addr"] == "::ffff:127.0.0.1" and s[1005]["remote_addr"] == "::",
          "v4-mapped %r" % s[1005])
    check(s[1006]["proto"] == "udp" and s[1006]["state"] == "UNCONN", "udp")
    check(s[1007]["proto"] == "raw", "raw")
    check(s[1004]["proto"] == "unix" and s[1004]["path"] == "/run/my sock" and
          s[1004]["state"] == "LISTEN" and s[1004]["pid"] == 1 and s[1004]["fd"] == 6, "unix listen")
    check(s[1008]["path"] == "@abstract" and s[1008]["type"] == "DGRAM", "abstract unix")
    check("path" not in s[1009], "unnamed unix socket has no path")
    check(s[1010]["proto"] == "packet" and s[1010]["ifindex"] == 2, "packet socket")
    check(all(r.get("netns") == 4026531992 for r in t["sockets"]), "netns")
    # a socket held by the many-fds process
    check(s[50003]["pid"] == 45 if 50003 in s else True, "owner map")


def test_agent_fixture_sessions():
    manifest, t, _ = hostile()
    rows = t["sessions"]
    u = [r for r in rows if r["source"] == "utmp"]
    check(len(u) == 2, "utmp rows (EMPTY skipped) %r" % u)
    alice = [r for r in u if r["type"] == "USER_PROCESS"][0]
    check(alice["user"] == "alice" and alice["tty"] == "pts/0" and alice["host"] == "203.0.113.7"
          and alice["pid"] == 4242 and alice["addr"] == "203.0.113.7", "alice %r" % alice)
    check(alice["time"] == time.strftime("%Y-%m-%dT%H:%M:%S.123456Z", time.gmtime(BOOT + 60)),
          "utmp time %s" % alice["time"])
    w = [r for r in rows if r["source"] == "wtmp"]
    check(len(w) == 2 and w[0]["user"] == "r\ufffdoot\n" and w[0]["addr"] == "2001:db8::1" and
          w[1]["type"] == "DEAD_PROCESS", "wtmp %r" % w)
    check(any(e["source"] == "/var/log/wtmp" and "partial" in e["error"]
              for e in manifest["errors"]), "trailing partial wtmp record reported")


def test_agent_fixture_modules_taint():
    _, t, _ = hostile()
    sysrow = t["system"][0]
    check(sysrow["kernel_tainted"] == 12289 and sysrow["taint_flags"] == "POE", "taint %r" % sysrow)
    check(sysrow["hostname"] == "fixture-host" and sysrow["kernel"] == "6.1.0-fixture" and
          sysrow["os_name"] == "Fixture Linux" and sysrow["os_version"] == "1.0", "system")
    check(sysrow["boot_time"] == time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(BOOT)), "boot")
    check(sysrow["uptime_s"] == 1234, "uptime")
    mods = {m["name"]: m for m in t["kernel_modules"]}
    check(mods["ext4"]["deps"] == ["mbcache", "jbd2"] and "signed" not in mods["ext4"], "ext4")
    check(mods["evil"]["taint"] == "OE" and mods["evil"]["signed"] is False, "evil")
    check(mods["ghost"]["hidden"] is True and "printk" not in mods, "hidden module")
    check(("hidden_module", None) in [(a["kind"], a.get("pid")) for a in t["anomalies"]],
          "hidden module anomaly")


def test_agent_fixture_network_dns():
    _, t, _ = hostile()
    ifs = {i["name"]: i for i in t["interfaces"]}
    check(ifs["eth0"]["mac"] == "02:00:00:00:00:01" and ifs["eth0"]["mtu"] == 9001 and
          ifs["eth0"]["rx_bytes"] == 5000 and ifs["eth0"]["tx_packets"] == 50, "eth0 %r" % ifs)
    check("fe80::1/64" in ifs["eth0"]["addresses"], "ipv6 addr")
    r = t["routes"]
    check({"destination": "0.0.0.0/0", "gateway": "10.0.0.1"}.items() <= r[0].items(), "default")
    check(r[1]["destination"] == "10.0.0.0/24", "subnet route %r" % r[1])
    check(t["arp"][0]["ip"] == "10.0.0.1" and t["arp"][0]["mac"] == "02:00:00:00:00:fe", "arp")
    dns = [(d["source"], d["kind"], d["value"]) for d in t["dns"]]
    check(("resolv.conf", "nameserver", "10.0.0.2") in dns, "nameserver")
    check(("hosts", "host", "203.0.113.9") in dns, "hosts %r" % dns)


def test_agent_fixture_tar_stream():
    root = hostile_tree()
    p = run_agent(["--root", root, "--tar", "-"], capture_stdout=True)
    manifest, t, files = load_tar(p.stdout)
    check(len(t["processes"]) >= 7, "processes in tar")
    out = os.path.join(TMP, "b.tar")
    run_agent(["--root", root, "--tar", out])
    with open(out, "rb") as f:
        load_tar(f.read())


def test_agent_fixture_endless_files():
    """Devices planted where files are expected (/dev/zero as maps, a whole-address-space
    memory layout) end in bounded time with errors, not a hang or a wrapped size."""
    root = tmpdir("endless")
    base_tree(root)
    add_process(root, 1, comm="init")
    os.unlink(os.path.join(root, "proc/1/maps"))
    os.symlink("/dev/zero", os.path.join(root, "proc/1/maps"))
    write(root, "proc/iomem", "00000000-ffffffffffffffff : System RAM\n")
    hdr = b"\x7fELF" + bytes([2, 1, 1, 0]) + bytes(8)
    hdr += struct.pack("<HHIQQQIHHHHHH", 4, 62, 1, 0, 64, 0, 0, 64, 56, 1, 0, 0, 0)
    hdr += struct.pack("<IIQQQQQQ", 1, 7, 4096, 0xffff888000000000, 1, 2 ** 63, 2 ** 63, 4096)
    write(root, "proc/kcore", hdr)
    out = os.path.join(TMP, "endless-out")
    t0 = time.monotonic()
    run_agent(["--root", root, "--out", out, "--memory", "--no-probe"], expect_rc=1, timeout=120)
    check(time.monotonic() - t0 < 100, "bounded time")
    manifest, t, files = load_dir(out)
    srcs = {e["source"]: e["error"] for e in manifest["errors"]}
    check("/proc/1/maps" in srcs and srcs.get("/proc/kcore") == "implausible memory layout",
          "errors %r" % srcs)
    check("memory.lime" not in files, "no image")


def test_agent_fixture_empty_root():
    root = tmpdir("empty")
    manifest, t, _ = collect(root)
    check(t["processes"] == [] and manifest["errors"], "empty root: no rows, errors recorded")


# ---- LiME ----------------------------------------------------------------------------------

PATTERN = bytes((i * 37 + 11) & 0xFF for i in range(251))


def phys_bytes(addr, n):
    """Deterministic content of physical memory: the same at the same address in every segment."""
    start = addr % 251
    reps = (start + n) // 251 + 1
    return (PATTERN * reps)[start:start + n]


def kcore_image(segments):
    """segments: list of (p_type, vaddr, paddr, size). Data of PT_LOAD with a paddr comes from
    phys_bytes(paddr); others get 0xEE."""
    phnum = len(segments)
    off = 64 + 56 * phnum
    off = (off + 4095) & ~4095
    hdr = b"\x7fELF" + bytes([2, 1, 1, 0]) + bytes(8)
    hdr += struct.pack("<HHIQQQIHHHHHH", 4, 62, 1, 0, 64, 0, 0, 64, 56, phnum, 0, 0, 0)
    phdrs = b""
    body = b""
    for p_type, vaddr, paddr, size in segments:
        if p_type == 1:
            data = phys_bytes(paddr, size) if paddr not in (0, 2 ** 64 - 1) else b"\xee" * size
        else:
            data = b"\x00" * size
        phdrs += struct.pack("<IIQQQQQQ", p_type, 7, off + len(body), vaddr, paddr, size, size,
                             4096)
        body += data
    head = hdr + phdrs
    return head + bytes(((len(head) + 4095) & ~4095) - len(head)) + body


def lime_range(start, end):
    return struct.pack("<IIQQ8x", 0x4C694D45, 1, start, end) + phys_bytes(start, end - start + 1)


def test_agent_lime_byte_for_byte():
    root = tmpdir("lime")
    base_tree(root)
    write(root, "proc/iomem",
          "00000000-00000fff : Reserved\n"
          "00001000-0009fbff : System RAM\n"
          "000a0000-000fffff : Reserved\n"
          "00100000-0027ffff : System RAM\n"
          "  00200000-00200fff : Kernel code\n"
          "  00210000-00210fff : System RAM\n"
          "00400000-004fffff : System RAM\n"
          "fee00000-fee00fff : Local APIC\n")
    D = 0xffff888000000000
    write(root, "proc/kcore", kcore_image([
        (4, 0, 0, 64),                              # PT_NOTE
        (1, D + 0x1000, 0x1000, 0x9f000),           # direct map of RAM 1 (and a bit more)
        (1, 0xffffc90000000000, 2 ** 64 - 1, 0x2000),  # vmalloc: no physical address
        (1, D + 0x100000, 0x100000, 0x100000),      # first half of RAM 2
        (1, D + 0x200000, 0x200000, 0x80000),       # second half of RAM 2
        (1, 0xffffffff81000000, 0x200000, 0x1000),  # kernel text: same physical page again
    ]))
    out = os.path.join(TMP, "lime-out")
    if os.path.exists(out):
        shutil.rmtree(out)
    run_agent(["--root", root, "--out", out, "--memory", "--no-probe"])
    manifest, _, files = load_dir(out)
    expected = (lime_range(0x1000, 0x9fbff) + lime_range(0x100000, 0x1fffff) +
                lime_range(0x200000, 0x27ffff))
    got = files["memory.lime"]
    check(len(got) == len(expected), "lime size %d != %d" % (len(got), len(expected)))
    check(got == expected, "lime bytes differ")
    e = [x for x in manifest["files"] if x["path"] == "memory.lime"][0]
    check(e["source"] == "/proc/kcore", "lime source")
    # the same through the tar stream (a blob of announced size)
    p = run_agent(["--root", root, "--tar", "-", "--memory", "--no-probe"], capture_stdout=True)
    _, _, tfiles = load_tar(p.stdout)
    check(tfiles["memory.lime"] == expected, "lime in tar")


def test_agent_lime_unmappable_fails_cleanly():
    root = tmpdir("lime-bad")
    base_tree(root)
    write(root, "proc/iomem", "00000000-00000000 : System RAM\n")
    write(root, "proc/kcore", b"not an elf")
    out = os.path.join(TMP, "lime-bad-out")
    run_agent(["--root", root, "--out", out, "--memory", "--no-probe"], expect_rc=1)
    manifest, _, files = load_dir(out)
    check("memory.lime" not in files, "no image")
    check(any(e["source"] == "/proc/iomem" for e in manifest["errors"]), "iomem error")


def test_agent_process_memory_fixture():
    root = tmpdir("pmem")
    base_tree(root)
    add_process(root, 4321, comm="victim", maps=(
        b"00400000-00401000 r-xp 00000000 08:01 10 /usr/bin/victim\n"
        b"00600000-00602000 rw-p 00000000 00:00 0 [heap]\n"
        b"7fff0000-7fff1000 ---p 00000000 00:00 0\n"
        b"ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0 [vsyscall]\n"))
    mem = os.path.join(root, "proc/4321/mem")
    with open(mem, "wb") as f:
        f.seek(0x400000)
        f.write(b"CODE" * 1024)
        f.seek(0x600000)
        f.write(b"HEAP-MARKER" + bytes(0x2000 - 11))
    out = os.path.join(TMP, "pmem-out")
    run_agent(["--root", root, "--out", out, "--process-memory", "4321", "--no-probe"])
    _, t, files = load_dir(out)
    expected = (struct.pack("<IIQQ8x", 0x4C694D45, 1, 0x400000, 0x400fff) + b"CODE" * 1024 +
                struct.pack("<IIQQ8x", 0x4C694D45, 1, 0x600000, 0x601fff) + b"HEAP-MARKER" +
                bytes(0x2000 - 11))
    check(files["process_memory/4321.lime"] == expected, "process memory bytes")
    regions = [r for r in t["process_memory"] if r["pid"] == 4321]
    check(len(regions) == 2 and all(r["captured"] for r in regions), "regions %r" % regions)


# ---- IMDSv2 --------------------------------------------------------------------------------

class Imds(http.server.BaseHTTPRequestHandler):
    token = "AQAEAFakeToken=="
    seen = []

    def log_message(self, *a):
        pass

    def do_PUT(self):
        Imds.seen.append(("PUT", self.path, self.headers.get("X-aws-ec2-metadata-token-ttl-seconds")))
        body = Imds.token.encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        Imds.seen.append(("GET", self.path, self.headers.get("X-aws-ec2-metadata-token")))
        if self.headers.get("X-aws-ec2-metadata-token") != Imds.token:
            self.send_response(401)
            self.end_headers()
            return
        body = json.dumps({"accountId": "123456789012", "architecture": "x86_64",
                           "availabilityZone": "us-east-1a", "imageId": "ami-0abc",
                           "instanceId": "i-0123456789abcdef0", "instanceType": "t3.micro",
                           "privateIp": "10.0.0.5", "region": "us-east-1"}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def test_agent_imds_v2():
    srv = http.server.HTTPServer(("127.0.0.1", 0), Imds)
    th = threading.Thread(target=srv.serve_forever, daemon=True)
    th.start()
    try:
        root = tmpdir("imds")
        base_tree(root)
        out = os.path.join(TMP, "imds-out")
        Imds.seen = []
        run_agent(["--root", root, "--out", out, "--no-probe", "--imds-endpoint",
                   "http://127.0.0.1:%d" % srv.server_address[1]])
        manifest, t, _ = load_dir(out)
        s = t["system"][0]
        check(s["instance_id"] == "i-0123456789abcdef0", "instance id %r" % s)
        check(s["instance_identity"]["region"] == "us-east-1" and
              s["instance_identity"]["account_id"] == "123456789012", "identity")
        check(manifest["host"]["instance_id"] == "i-0123456789abcdef0", "manifest instance id")
        check(Imds.seen[0] == ("PUT", "/latest/api/token", "60"), "token PUT %r" % Imds.seen)
        check(Imds.seen[1] == ("GET", "/latest/dynamic/instance-identity/document", Imds.token),
              "GET with token %r" % Imds.seen)
    finally:
        srv.shutdown()
        srv.server_close()


def test_agent_imds_never_hangs():
    # a listener that accepts and never answers, and a port nobody listens on
    ls = socket.socket()
    ls.bind(("127.0.0.1", 0))
    ls.listen(8)
    dead = socket.socket()
    dead.bind(("127.0.0.1", 0))
    dead_port = dead.getsockname()[1]
    dead.close()
    try:
        root = tmpdir("imds-hang")
        base_tree(root)
        for port in (ls.getsockname()[1], dead_port):
            out = os.path.join(TMP, "imds-hang-out")
            if os.path.exists(out):
                shutil.rmtree(out)
            t0 = time.monotonic()
            run_agent(["--root", root, "--out", out, "--no-probe", "--imds-timeout", "700",
                       "--imds-endpoint", "http://127.0.0.1:%d" % port], expect_rc=1, timeout=60)
            check(time.monotonic() - t0 < 30, "IMDS timeout honoured")
            manifest, t, _ = load_dir(out)
            check(any(e["source"] == "imds" for e in manifest["errors"]), "imds error recorded")
            check("instance_id" not in t["system"][0], "no instance id")
    finally:
        ls.close()


def test_agent_fixture_threads_same_bundle():
    """The process walk runs in worker threads; whatever their number, the tables, their
    hashes and the manifest's errors are those of a single-threaded walk (pid order, socket
    owners, the hostile tree's 20,000-fd process written past the slot buffers)."""
    root = hostile_tree()
    got = {}
    for n in ("1", "2", "16"):
        out = os.path.join(TMP, "threads-%s-out" % n)
        if os.path.exists(out):
            shutil.rmtree(out)
        run_agent(["--root", root, "--out", out, "--case-id", "case-fx", "--threads", n])
        manifest, tables, files = load_dir(out)
        got[n] = (manifest, tables, files)
    m1, t1, f1 = got["1"]
    listed = [r["pid"] for r in t1["processes"] if not r["hidden"]]
    check(listed == sorted(listed), "listed processes in pid order")
    check([r["pid"] for r in t1["open_files"]] == sorted(r["pid"] for r in t1["open_files"]),
          "open_files in pid order")
    for n in ("2", "16"):
        m, t, f = got[n]
        for name in ("processes.jsonl", "open_files.jsonl", "process_maps.jsonl",
                     "sockets.jsonl", "anomalies.jsonl"):
            check(f[name] == f1[name], "--threads %s: %s differs from --threads 1" % (n, name))
        check(m["errors"] == m1["errors"], "--threads %s: errors differ" % n)
        check(sorted(k for k in f if k.startswith("binaries/")) ==
              sorted(k for k in f1 if k.startswith("binaries/")), "--threads %s: binaries" % n)
    owners = {r["inode"]: (r.get("pid"), r.get("fd")) for r in t1["sockets"] if "inode" in r}
    check(owners.get(1001) == (1, 3), "socket 1001 owned by pid 1 fd 3: %r" % (owners.get(1001),))
    # one socket shared by 60 processes (inherited over fork): its owner is the lowest pid
    # whichever worker reads which process first
    root = tmpdir("shared-socket")
    base_tree(root)
    for pid in range(100, 160):
        add_process(root, pid, comm="w%d" % pid, fds={3 + pid % 5: "socket:[7777]"})
    write(root, "proc/net/tcp", TCP_HEADER +
          tcp_line(0, bytes([127, 0, 0, 1]), 80, bytes(4), 0, 0x0A, 0, 7777))
    for n in ("1", "2", "16"):
        out = os.path.join(TMP, "shared-%s-out" % n)
        if os.path.exists(out):
            shutil.rmtree(out)
        run_agent(["--root", root, "--out", out, "--case-id", "case-fx", "--threads", n])
        _, t, _ = load_dir(out)
        s = [r for r in t["sockets"] if r.get("inode") == 7777]
        check(len(s) == 1 and s[0].get("pid") == 100 and s[0].get("fd") == 3,
              "--threads %s: shared socket owner %r" % (n, s))
        pids = [r["pid"] for r in t["processes"]]
        check(pids == list(range(100, 160)), "--threads %s: pid order %r" % (n, pids))


def test_agent_usage_errors():
    for args in ([], ["--out"], ["--out", "a", "--tar", "b"], ["--bogus", "--out", "x"],
                 ["--out", "x", "--process-memory", "abc"], ["--root", "/nonexistent", "--out", "x"],
                 ["--out", "x", "--imds-timeout", "0"], ["--out", "x", "extra"],
                 ["--out", "x", "--threads", "0"], ["--out", "x", "--threads", "17"]):
        run_agent(args, expect_rc=2)
    p = run_agent(["--help"], capture_stdout=True)
    check(b"--out DIR" in p.stdout and b"exit status" in p.stdout, "help text")
    p = run_agent(["--version"], capture_stdout=True)
    check(p.stdout.startswith(b"casefile-agent "), "version")
    run_agent(["--out", "/proc/nope/x"], expect_rc=3)


def main():
    global TMP
    TMP = tempfile.mkdtemp(prefix="cfa-fixtures-")
    try:
        return run_tests([v for k, v in sorted(globals().items()) if k.startswith("test_agent_")])
    finally:
        shutil.rmtree(TMP, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
