"""The instance simulator (DESIGN §5): plays the SSM agent for the scenario's instances.

It polls moto (ssm:ListCommands) for commands sent to the compromised web server or to a forensic
worker (an instance launched from the scenario's worker AMI), and runs each command's
`AWS-RunShellScript` script with bash on this machine:
- PATH starts with casefile's bin directories (the worker AMI carries `casefile`);
- CASEFILE_SIM_ROOT is a fresh directory per invocation; for a worker, it holds
  dev/sdX, dev/xvdX and dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_vol<ID> for every attached
  volume whose snapshot came from the compromised server's volume, all pointing at the scenario's
  ext4 image (attached volume -> snapshot -> original volume -> image);
- AWS_* variables are removed: like on a real instance, the script has only what the command
  carries (presigned URLs).
Completion is signalled the way it is in AWS: the bundle's manifest appears in S3. moto 5.2.1
marks every invocation "Success" at SendCommand time and has no API to report an invocation's real
status, so the simulator records the outcome (exit code, duration, output) in its own log
directory and in results(); commands for other instances are recorded as ignored, never run.
"""
import json
import os
import shutil
import signal
import subprocess
import threading
import time

from . import procs
from . import seed as seedmod

MAX_TIMEOUT = 600
OUTPUT_CAP = 1 << 20


class Simulator:
    def __init__(self, endpoint, ids, image, bin_dirs, log_dir, env=None, poll=0.2):
        self.endpoint = endpoint
        self.ids = ids
        self.image = os.path.abspath(image)
        self.bin_dirs = [os.path.abspath(d) for d in bin_dirs]
        self.log_dir = log_dir
        self.poll = poll
        base = dict(env if env is not None else os.environ)
        self.env = {k: v for k, v in base.items() if not k.startswith("AWS_")}
        self.env["PATH"] = os.pathsep.join(self.bin_dirs + [base.get("PATH", "/usr/bin:/bin")])
        self.seen = set()
        self.results = []
        self.errors = []
        self.lock = threading.Lock()
        self.stop_event = threading.Event()
        self.thread = None
        self.workers = []
        self.running = {}
        self.tmp = None
        self.c = None

    # --- lifecycle -------------------------------------------------------------------------
    def start(self):
        os.makedirs(self.log_dir, exist_ok=True)
        self.tmp = procs.owned_tmpdir("cf-demo-sim-")
        self.c = seedmod.clients(self.endpoint)
        self.thread = threading.Thread(target=self._loop, name="simulator", daemon=True)
        self.thread.start()
        return self

    def stop(self):
        self.stop_event.set()
        if self.thread:
            self.thread.join(timeout=10)
        with self.lock:
            running = list(self.running.values())
        for p in running:
            procs.stop(p, grace=1.0)
        for t in self.workers:
            t.join(timeout=10)
        if self.tmp:
            shutil.rmtree(self.tmp, ignore_errors=True)
            self.tmp = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def snapshot(self):
        with self.lock:
            return list(self.results)

    def wait_idle(self, timeout):
        """Wait until no invocation is running (after the caller's last command)."""
        return procs.wait_until(lambda: not self.running, timeout)

    # --- polling ---------------------------------------------------------------------------
    def _loop(self):
        while not self.stop_event.is_set():
            try:
                self.poll_once()
            except Exception as e:  # moto restarting, transient errors: log and keep polling
                with self.lock:
                    if len(self.errors) < 100:
                        self.errors.append(repr(e))
            self.stop_event.wait(self.poll)

    def poll_once(self):
        cmds = self.c.ssm.list_commands()["Commands"]
        for cmd in cmds:
            for iid in cmd.get("InstanceIds", []):
                key = (cmd["CommandId"], iid)
                if key in self.seen:
                    continue
                self.seen.add(key)
                role = self._role(iid)
                if role is None:
                    self._record(cmd, iid, "other", "ignored", None, 0.0,
                                 "not an instance of the scenario")
                    continue
                t = threading.Thread(target=self._run, args=(cmd, iid, role), daemon=True)
                self.workers.append(t)
                t.start()

    def _role(self, iid):
        if iid == self.ids["web_az2"]:
            return "compromised"
        try:
            r = self.c.ec2.describe_instances(InstanceIds=[iid])["Reservations"]
        except Exception:
            return None
        for res in r:
            for inst in res["Instances"]:
                if inst["ImageId"] == self.ids["worker_ami"]:
                    return "worker"
        return None

    # --- devices ---------------------------------------------------------------------------
    def _devices(self, iid, root):
        """Link the worker's attached volumes that come from the compromised disk to the image."""
        ec2 = self.c.ec2
        vols = ec2.describe_volumes(Filters=[{"Name": "attachment.instance-id",
                                              "Values": [iid]}])["Volumes"]
        linked = []
        for v in vols:
            snap = v.get("SnapshotId")
            if not snap:
                continue
            try:
                s = ec2.describe_snapshots(SnapshotIds=[snap])["Snapshots"][0]
            except Exception:
                continue
            if s["VolumeId"] not in self.ids.get("web_az2_volumes", []):
                continue
            for a in v.get("Attachments", []):
                if a.get("InstanceId") != iid:
                    continue
                dev = a["Device"]
                names = [dev]
                if dev.startswith("/dev/sd"):
                    names.append("/dev/xvd" + dev[len("/dev/sd"):])
                names.append("/dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_vol" +
                             v["VolumeId"][len("vol-"):])
                for n in names:
                    p = os.path.join(root, n.lstrip("/"))
                    os.makedirs(os.path.dirname(p), exist_ok=True)
                    if os.path.lexists(p):
                        os.unlink(p)
                    os.symlink(self.image, p)
                linked.append({"volume": v["VolumeId"], "device": dev, "snapshot": snap,
                               "source_volume": s["VolumeId"]})
        return linked

    # --- running ---------------------------------------------------------------------------
    def _script(self, cmd):
        params = cmd.get("Parameters") or {}
        lines = params.get("commands") or params.get("Commands") or []
        if isinstance(lines, str):
            lines = [lines]
        timeout = MAX_TIMEOUT
        for key in ("executionTimeout",):
            if params.get(key):
                try:
                    timeout = int(params[key][0] if isinstance(params[key], list) else params[key])
                except ValueError:
                    pass
        return "\n".join(lines) + "\n", max(1, min(timeout, MAX_TIMEOUT))

    def _run(self, cmd, iid, role):
        cid = cmd["CommandId"]
        start = time.monotonic()
        work = os.path.join(self.tmp, "%s-%s" % (cid, iid))
        root = os.path.join(work, "root")
        os.makedirs(os.path.join(work, "cwd"))
        os.makedirs(root)
        linked = []
        try:
            if cmd.get("DocumentName") not in ("AWS-RunShellScript", None, ""):
                self._record(cmd, iid, role, "ignored", None, 0.0,
                             "document %s is not simulated" % cmd.get("DocumentName"))
                return
            if role == "worker":
                linked = self._devices(iid, root)
            script, timeout = self._script(cmd)
            path = os.path.join(work, "script.sh")
            with open(path, "w") as f:
                f.write(script)
            env = dict(self.env)
            env["CASEFILE_SIM_ROOT"] = root
            env["HOME"] = work
            env["TMPDIR"] = work
            out_path = os.path.join(self.log_dir, "%s-%s.out" % (cid, iid))
            err_path = os.path.join(self.log_dir, "%s-%s.err" % (cid, iid))
            with open(out_path, "wb") as out, open(err_path, "wb") as err:
                p = procs.spawn(["bash", path], sig=signal.SIGKILL, cwd=os.path.join(work, "cwd"),
                                env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=err)
                with self.lock:
                    self.running[(cid, iid)] = p
                try:
                    rc = p.wait(timeout=timeout)
                    status = "Success" if rc == 0 else "Failed"
                except subprocess.TimeoutExpired:
                    procs.stop(p, grace=1.0)
                    rc, status = None, "TimedOut"
                finally:
                    with self.lock:
                        self.running.pop((cid, iid), None)
            self._record(cmd, iid, role, status, rc, time.monotonic() - start,
                         self._tail(err_path), devices=linked, stdout=out_path, stderr=err_path)
        except Exception as e:
            self._record(cmd, iid, role, "Failed", None, time.monotonic() - start, repr(e),
                         devices=linked)

    @staticmethod
    def _tail(path, n=2000):
        try:
            with open(path, "rb") as f:
                f.seek(max(0, os.path.getsize(path) - n))
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def _record(self, cmd, iid, role, status, rc, secs, detail, **extra):
        r = {"command_id": cmd["CommandId"], "instance_id": iid, "role": role,
             "document": cmd.get("DocumentName"), "comment": cmd.get("Comment", ""),
             "status": status, "exit_code": rc, "seconds": round(secs, 2), "detail": detail}
        r.update(extra)
        with self.lock:
            self.results.append(r)
        try:
            with open(os.path.join(self.log_dir, "invocations.jsonl"), "a") as f:
                f.write(json.dumps(r) + "\n")
        except OSError:
            pass
