"""Builds saved /proc-style trees for `casefile-agent --root` (the tree mirrors /)."""
import os
import struct

BOOT = 1700000000


def write(root, rel, data, mode=None):
    path = os.path.join(root, rel.lstrip("/"))
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())
    if mode is not None:
        os.chmod(path, mode)
    return path


def symlink(root, rel, target):
    path = os.path.join(root, rel.lstrip("/"))
    os.makedirs(os.path.dirname(path), exist_ok=True)
    os.symlink(target, path)


def stat_line(pid, comm, ppid=1, state="S", tty=0, threads=1, start=500, rss=100):
    if isinstance(comm, str):
        comm = comm.encode()
    tail = ("%s %d %d %d %d -1 4194560 0 0 0 0 0 0 0 0 20 0 %d 0 %d 1000000 %d "
            "18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0\n" %
            (state, ppid, pid, pid, tty, threads, start, rss))
    return b"%d (" % pid + comm + b") " + tail.encode()


def status_text(pid, name="x", uid=0, gid=0, tgid=None):
    return ("Name:\t%s\nUmask:\t0022\nState:\tS (sleeping)\nTgid:\t%d\nNgid:\t0\nPid:\t%d\n"
            "PPid:\t1\nUid:\t%d\t%d\t%d\t%d\nGid:\t%d\t%d\t%d\t%d\nThreads:\t1\nVmRSS:\t400 kB\n" %
            (name, tgid if tgid is not None else pid, pid, uid, uid, uid, uid, gid, gid, gid, gid))


def add_process(root, pid, comm="proc", cmdline=(b"proc",), environ=(b"PATH=/bin",), exe=None,
                fds=None, maps=b"", uid=0, netns=4026531992, ppid=1, tgid=None, tty=0):
    base = "proc/%d" % pid
    write(root, base + "/stat", stat_line(pid, comm, ppid=ppid, tty=tty))
    write(root, base + "/status", status_text(pid, uid=uid, gid=uid, tgid=tgid))
    write(root, base + "/cmdline", b"".join(a + b"\0" for a in cmdline))
    write(root, base + "/environ", b"".join(e + b"\0" for e in environ))
    write(root, base + "/maps", maps)
    write(root, base + "/cgroup", "0::/system.slice/test.service\n")
    if exe:
        symlink(root, base + "/exe", exe)
    symlink(root, base + "/cwd", "/root")
    symlink(root, base + "/root", "/")
    symlink(root, base + "/ns/net", "net:[%d]" % netns)
    symlink(root, base + "/ns/pid", "pid:[4026531836]")
    symlink(root, base + "/ns/mnt", "mnt:[4026531841]")
    os.makedirs(os.path.join(root, base, "fd"), exist_ok=True)
    for fd, target in (fds or {}).items():
        symlink(root, "%s/fd/%d" % (base, fd), target)


def inet_hex(addr_bytes):
    """The kernel's text: each 32-bit word in host (little-endian) order."""
    out = ""
    for i in range(0, len(addr_bytes), 4):
        (w,) = struct.unpack("<I", addr_bytes[i:i + 4])
        out += "%08X" % w
    return out


def tcp_line(i, local, lport, remote, rport, state, uid, inode):
    return ("%4d: %s:%04X %s:%04X %02X 00000000:00000000 00:00000000 00000000 %5d        0 %d 1 "
            "0000000000000000 100 0 0 10 0\n" %
            (i, inet_hex(local), lport, inet_hex(remote), rport, state, uid, inode))


TCP_HEADER = ("  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  "
              "timeout inode\n")


def utmp_record(ut_type, pid, line, ut_id, user, host, tv_sec, tv_usec=0, addr=(0, 0, 0, 0),
                session=0):
    """glibc struct utmp on 64-bit Linux: 384 bytes."""
    rec = struct.pack("<hxxi32s4s32s256shhiii4I20s", ut_type, pid, line, ut_id, user, host, 0, 0,
                      session, tv_sec, tv_usec, *addr, b"")
    assert len(rec) == 384
    return rec


def base_tree(root):
    write(root, "proc/stat", "cpu  1 2 3 4\nbtime %d\nprocesses 100\n" % BOOT)
    write(root, "proc/uptime", "1234.56 2000.00\n")
    write(root, "proc/sys/kernel/hostname", "fixture-host\n")
    write(root, "proc/sys/kernel/osrelease", "6.1.0-fixture\n")
    write(root, "proc/sys/kernel/pid_max", "5000\n")
    write(root, "proc/sys/kernel/tainted", "%d\n" % ((1 << 0) | (1 << 12) | (1 << 13)))
    write(root, "etc/passwd", "root:x:0:0:root:/root:/bin/bash\n"
                              "alice:x:1000:1000::/home/alice:/bin/sh\n")
    write(root, "etc/os-release", 'NAME="Fixture Linux"\nVERSION_ID="1.0"\nID=fixture\n')
    write(root, "etc/resolv.conf", "# comment\nnameserver 10.0.0.2\nsearch ec2.internal\n")
    write(root, "etc/hosts", "127.0.0.1 localhost\n203.0.113.9 evil.example # planted\n")
    symlink(root, "proc/self", "1")
