"""Child processes that never outlive the demo.

Every process the demo starts gets PR_SET_PDEATHSIG (SIGKILL/SIGTERM when the demo dies, even on
SIGKILL) and its own process group, so stopping it kills everything it spawned as well.
"""
import ctypes
import os
import shutil
import signal
import subprocess
import tempfile
import time

PR_SET_PDEATHSIG = 1
_libc = ctypes.CDLL("libc.so.6", use_errno=True)


def pdeathsig(sig=signal.SIGKILL):
    """Return a preexec_fn: die with the parent, lead a new process group."""

    def _pre():
        _libc.prctl(PR_SET_PDEATHSIG, int(sig), 0, 0, 0)
        os.setpgid(0, 0)
        # The parent may have died between fork and prctl.
        if os.getppid() == 1:
            os._exit(1)

    return _pre


def spawn(argv, sig=signal.SIGKILL, **kw):
    """subprocess.Popen with pdeathsig + own process group."""
    return subprocess.Popen(argv, preexec_fn=pdeathsig(sig), **kw)


def stop(proc, grace=3.0):
    """Stop a child and its whole process group: SIGTERM, then SIGKILL after `grace` seconds."""
    if proc is None:
        return
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 5.0)):
        if proc.poll() is not None:
            break
        try:
            os.killpg(proc.pid, sig)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            proc.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            continue
    # The leader may be gone while members of its group live on.
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    if proc.poll() is None:
        proc.wait()


def alive(pid):
    """True when pid exists and is not a zombie."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
        return state not in ("Z", "X")
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False


def processes_with_marker(marker):
    """pids (other than ours) whose environment or command line carries `marker`."""
    found = []
    me = os.getpid()
    for name in os.listdir("/proc"):
        if not name.isdigit() or int(name) == me:
            continue
        pid = int(name)
        for what in ("environ", "cmdline"):
            try:
                with open("/proc/%d/%s" % (pid, what), "rb") as f:
                    if marker.encode() in f.read():
                        if alive(pid):
                            found.append(pid)
                        break
            except (FileNotFoundError, ProcessLookupError, PermissionError):
                break
    return found


def wait_until(pred, timeout, step=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(step)
    return pred()


OWNER = ".owner"  # pid of the process that made a demo temp directory


def owned_tmpdir(prefix, parent=None):
    """mkdtemp that records our pid, so sweep_stale() can remove it if we die without cleaning."""
    d = tempfile.mkdtemp(prefix=prefix, dir=parent)
    with open(os.path.join(d, OWNER), "w") as f:
        f.write("%d\n" % os.getpid())
    return d


def sweep_stale():
    """Remove demo temp directories (cf-demo-* in the temp dir, .cf-demo-* in /dev/shm) whose
    owner died without cleaning up (SIGKILL): its processes died with it (PR_SET_PDEATHSIG), its
    files did not. Returns the directories removed."""
    removed = []
    for parent, prefix in ((tempfile.gettempdir(), "cf-demo-"), ("/dev/shm", ".cf-demo-")):
        try:
            names = os.listdir(parent)
        except OSError:
            continue
        for name in names:
            d = os.path.join(parent, name)
            if not name.startswith(prefix) or not os.path.isdir(d):
                continue
            try:
                with open(os.path.join(d, OWNER)) as f:
                    owner = int(f.read().strip() or 0)
            except (OSError, ValueError):
                continue
            if owner > 0 and not alive(owner):
                shutil.rmtree(d, ignore_errors=True)
                removed.append(d)
    return removed
