#!/usr/bin/env python3
"""casefile-agent on this machine's live /proc: stages real evidence, collects, finds it.

Staged (all killed and removed in teardown, whatever happens):
  - a shell (bash) whose stdin/stdout is a TCP socket to a listener on 127.0.0.1
  - a process whose executable was deleted after it started
  - a process running from a copy in /dev/shm
  - a process with LD_PRELOAD set to a harmless existing library
  - a process holding a marker computed at run time, for --process-memory
CFA_AGENT names the agent command (e.g. "qemu-aarch64 bin/casefile-agent-aarch64").
"""
import glob
import hashlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from agentlib import by_pid, check, load_dir, load_tar, run_agent, run_tests  # noqa: E402

SLEEP = shutil.which("sleep") or "/bin/sleep"
BASH = shutil.which("bash") or "/bin/bash"
STAGE = {}
PROCS = []
DIRS = []
SOCKS = []


def wait_exec(pid, want_suffix, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if os.readlink("/proc/%d/exe" % pid).endswith(want_suffix):
                return
        except OSError:
            pass
        time.sleep(0.02)
    raise RuntimeError("pid %d never exec'd %s" % (pid, want_suffix))


def spawn(argv, **kw):
    p = subprocess.Popen(argv, start_new_session=True, **kw)
    PROCS.append(p)
    return p


def harmless_library():
    for pat in ("/lib/x86_64-linux-gnu/libm.so.6", "/usr/lib/x86_64-linux-gnu/libm.so.6",
                "/lib/aarch64-linux-gnu/libm.so.6", "/lib64/libm.so.6", "/usr/lib/libm.so.6"):
        for path in glob.glob(pat):
            return path
    raise RuntimeError("no libm to preload")


def stage():
    # 1. reverse shell: bash with fd 0 and 1 on a TCP connection to a local listener
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.bind(("127.0.0.1", 0))
    ls.listen(1)
    SOCKS.append(ls)
    accepted = []
    th = threading.Thread(target=lambda: accepted.append(ls.accept()[0]), daemon=True)
    th.start()
    c = socket.create_connection(ls.getsockname())
    shell = spawn([BASH, "-c", "read -r -t 300 line"], stdin=c.fileno(), stdout=c.fileno(),
                  close_fds=True)
    c.close()  # the shell is now the only holder of its end
    th.join(5)
    SOCKS.extend(accepted)
    STAGE["shell"] = shell.pid
    STAGE["listen_port"] = ls.getsockname()[1]
    wait_exec(shell.pid, os.path.basename(os.path.realpath(BASH)))

    # 2. deleted executable
    d = tempfile.mkdtemp(prefix="cfa-live-", dir="/var/tmp")
    DIRS.append(d)
    exe = os.path.join(d, "cfa-deleted-sleeper")
    shutil.copy(SLEEP, exe)
    with open(exe, "rb") as f:
        STAGE["sleep_sha"] = hashlib.sha256(f.read()).hexdigest()
    p = spawn([exe, "300"])
    wait_exec(p.pid, "cfa-deleted-sleeper")
    os.unlink(exe)
    STAGE["deleted"] = p.pid
    STAGE["deleted_path"] = exe

    # 3. running from /dev/shm
    d = tempfile.mkdtemp(prefix="cfa-live-", dir="/dev/shm")
    DIRS.append(d)
    exe = os.path.join(d, "kworker-cfa")
    shutil.copy(SLEEP, exe)
    p = spawn([exe, "300"])
    wait_exec(p.pid, "kworker-cfa")
    STAGE["shm"] = p.pid
    STAGE["shm_path"] = exe

    # 4. LD_PRELOAD
    lib = harmless_library()
    p = spawn([SLEEP, "300"], env={"PATH": "/usr/bin:/bin", "LD_PRELOAD": lib,
                                   "LD_LIBRARY_PATH": "/opt/cfa-test"})
    wait_exec(p.pid, "sleep")
    STAGE["preload"] = p.pid
    STAGE["preload_lib"] = lib

    # 5. a marker only present in the process's memory (computed, not in its argv)
    p = spawn([sys.executable, "-c",
               "import sys,time\n"
               "m = bytearray(b'CFA-' + b'MARK' * 8 + str(12345 * 2).encode())\n"
               "sys.stdout.write('ready\\n'); sys.stdout.flush(); time.sleep(300)\n"],
              stdout=subprocess.PIPE)
    check(p.stdout.readline() == b"ready\n", "marker process ready")
    STAGE["marker"] = p.pid


def teardown():
    for p in PROCS:
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except OSError:
            pass
    for p in PROCS:
        try:
            p.wait(5)
        except Exception:  # noqa: BLE001
            pass
    for s in SOCKS:
        s.close()
    for d in DIRS:
        shutil.rmtree(d, ignore_errors=True)


BUNDLE = {}


def bundle():
    if "b" not in BUNDLE:
        out = tempfile.mkdtemp(prefix="cfa-live-out-")
        DIRS.append(out)
        run_agent(["--out", out, "--case-id", "case-live", "--instance-id", "i-0live",
                   "--process-memory", str(STAGE["marker"])], timeout=300)
        BUNDLE["b"] = load_dir(out)
    return BUNDLE["b"]


def test_agent_live_reverse_shell():
    _, t, _ = bundle()
    p = by_pid(t["processes"])[STAGE["shell"]]
    check(p["name"] == "bash", "shell name %r" % p.get("name"))
    check(p["fd0"].startswith("socket:[") and p["fd1"] == p["fd0"], "fd0/fd1 %r" % p)
    inode = int(p["fd0"][len("socket:["):-1])
    s = [r for r in t["sockets"] if r.get("inode") == inode]
    check(len(s) == 1, "socket row for inode %d" % inode)
    s = s[0]
    check(s["proto"] == "tcp" and s["state"] == "ESTABLISHED" and s["remote_addr"] == "127.0.0.1"
          and s["remote_port"] == STAGE["listen_port"] and s["pid"] == STAGE["shell"] and
          s["fd"] in (0, 1), "socket %r" % s)
    fds = [r for r in t["open_files"] if r["pid"] == STAGE["shell"] and r["fd"] == 0]
    check(fds and fds[0]["type"] == "socket", "open_files fd 0")


def test_agent_live_deleted_exe():
    manifest, t, files = bundle()
    p = by_pid(t["processes"])[STAGE["deleted"]]
    check(p["exe"] == STAGE["deleted_path"] and p["exe_deleted"] is True, "exe %r" % p)
    check(p["exe_sha256"] == STAGE["sleep_sha"], "hash of the deleted file")
    rel = "binaries/" + STAGE["sleep_sha"]
    check(rel in files and hashlib.sha256(files[rel]).hexdigest() == STAGE["sleep_sha"],
          "copy of the deleted binary")
    maps = [m for m in t["process_maps"] if m["pid"] == STAGE["deleted"] and m["deleted"]]
    check(maps and maps[0]["path"] == STAGE["deleted_path"], "deleted mapping")


def test_agent_live_dev_shm():
    manifest, t, files = bundle()
    p = by_pid(t["processes"])[STAGE["shm"]]
    check(p["exe"] == STAGE["shm_path"] and p["exe_deleted"] is False, "shm exe %r" % p)
    check(p["exe_sha256"] == STAGE["sleep_sha"], "shm hash")
    check("binaries/" + STAGE["sleep_sha"] in files, "shm binary copied")
    check(p["cmdline"] == [STAGE["shm_path"], "300"], "cmdline")


def test_agent_live_ld_preload():
    _, t, _ = bundle()
    p = by_pid(t["processes"])[STAGE["preload"]]
    check("LD_PRELOAD=" + STAGE["preload_lib"] in p["ld_preload"], "ld_preload %r" % p)
    check("LD_LIBRARY_PATH=/opt/cfa-test" in p["ld_preload"], "LD_LIBRARY_PATH")
    maps = [m["path"] for m in t["process_maps"] if m["pid"] == STAGE["preload"]]
    check(any(os.path.basename(STAGE["preload_lib"]) in m for m in maps), "preloaded lib mapped")


def test_agent_live_process_fields():
    manifest, t, _ = bundle()
    procs = by_pid(t["processes"])
    me = procs[os.getpid()]
    check(me["ppid"] == os.getppid() and me["uid"] == os.getuid(), "own pid row")
    check(me["user"] == ("root" if os.getuid() == 0 else me["user"]), "user name")
    check(me["start_time"].endswith("Z") and me["threads"] >= 1 and me["rss_kb"] > 0, "fields")
    check(isinstance(me["ns_net"], int) and isinstance(me["ns_pid"], int), "namespaces")
    check(manifest["case_id"] == "case-live" and manifest["host"]["instance_id"] == "i-0live",
          "ids")
    s = t["system"][0]
    check(s["live"] is True and s["hostname"] and s["kernel"] and "boot_time" in s, "system")
    check(t["mounts"] and t["interfaces"] and t["routes"] is not None, "mounts/interfaces")
    lo = [i for i in t["interfaces"] if i["name"] == "lo"]
    check(lo and "127.0.0.1/8" in lo[0]["addresses"], "lo address")
    listen = [r for r in t["sockets"] if r.get("local_port") == STAGE["listen_port"] and
              r["state"] == "LISTEN"]
    check(listen and listen[0]["pid"] == os.getpid(), "listener owned by the test")


def test_agent_live_process_memory():
    manifest, t, files = bundle()
    lime = files["process_memory/%d.lime" % STAGE["marker"]]
    check(lime[:4] == b"EMiL", "LiME magic")
    check(b"CFA-" + b"MARK" * 8 + b"24690" in lime, "run-time marker found in process memory")
    regions = [r for r in t["process_memory"] if r["pid"] == STAGE["marker"]]
    check(sum(1 for r in regions if r["captured"]) >= 5, "regions")


def test_agent_live_tar_stream():
    p = run_agent(["--tar", "-", "--no-probe"], capture_stdout=True, timeout=300)
    manifest, t, files = load_tar(p.stdout)
    check(STAGE["shell"] in by_pid(t["processes"]), "shell in tar bundle")


def main():
    try:
        stage()
        return run_tests([v for k, v in sorted(globals().items()) if k.startswith("test_agent_")])
    finally:
        teardown()


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(1))  # ctest timeout: still tear down
    sys.exit(main())
