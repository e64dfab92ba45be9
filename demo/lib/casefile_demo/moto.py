"""A private moto_server on a free loopback port, always stopped (see tests/lib/with-moto)."""
import os
import shutil
import socket
import sys
import time
import urllib.request

from . import procs


def _free_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class MotoServer:
    """Start with start(), stop with stop() (or use as a context manager)."""

    def __init__(self, env=None):
        self.env = dict(env if env is not None else os.environ)
        self.proc = None
        self.url = None
        self.port = None
        self.tmp = None
        self.log_path = None

    def start(self, timeout=30):
        # moto_server, with the fix in demo/lib/moto_server.py (CF_MOTO_SERVER overrides it).
        if self.env.get("CF_MOTO_SERVER"):
            argv = [self.env["CF_MOTO_SERVER"]]
        else:
            if not shutil.which("moto_server"):
                raise RuntimeError("moto_server not found; run scripts/setup.sh")
            argv = [sys.executable, os.path.join(os.path.dirname(os.path.dirname(
                os.path.abspath(__file__))), "moto_server.py")]
        self.tmp = procs.owned_tmpdir("cf-demo-moto-")
        self.log_path = os.path.join(self.tmp, "moto.log")
        for _attempt in range(3):
            port = _free_port()
            log = open(self.log_path, "ab")
            self.proc = procs.spawn(argv + ["-H", "127.0.0.1", "-p", str(port)], stdout=log,
                                    stderr=log, stdin=open(os.devnull), env=self.env)
            log.close()
            url = "http://127.0.0.1:%d" % port
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline and self.proc.poll() is None:
                try:
                    urllib.request.urlopen(url + "/moto-api/", timeout=1).read()
                    self.url, self.port = url, port
                    return self
                except Exception:
                    time.sleep(0.05)
            procs.stop(self.proc)
            self.proc = None
        with open(self.log_path, errors="replace") as f:
            tail = f.read()[-2000:]
        raise RuntimeError("moto_server did not start:\n" + tail)

    def client_env(self):
        """Environment for clients of this server: endpoint, test keys, no user AWS config."""
        empty = os.path.join(self.tmp, "empty")
        open(empty, "a").close()
        env = {
            "AWS_ENDPOINT_URL": self.url,
            "CF_MOTO_URL": self.url,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_REGION": "us-east-1",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_CONFIG_FILE": empty,
            "AWS_SHARED_CREDENTIALS_FILE": empty,
            "AWS_EC2_METADATA_DISABLED": "true",
            "NO_PROXY": "127.0.0.1,localhost,::1",
            "no_proxy": "127.0.0.1,localhost,::1",
        }
        return env

    def stop(self):
        # moto keeps everything in memory: nothing to flush, so a short grace before SIGKILL
        # (its own shutdown takes ~2 s on a busy machine).
        procs.stop(self.proc, grace=0.3)
        self.proc = None
        if self.tmp:
            shutil.rmtree(self.tmp, ignore_errors=True)
            self.tmp = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
