"""The whole scenario, start to finish, as one object that demo/run and the end-to-end test share.

    with Scenario(source_dir, bin_dir, out_dir) as sc:   # moto, seed, image, traces, simulator
        sc.respond()                                     # casefile respond EVENT
        ... sc.before, sc.after, sc.emails(), sc.case_dir, sc.report_json() ...
    # everything stopped, temp files removed; out_dir keeps the case, the report and the logs

Every process started here carries CF_DEMO_RUN=<token> in its environment, so "nothing is left
running" is checkable (procs.processes_with_marker).
"""
import email
import email.policy
import glob
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.request
import uuid

from . import cloudtrail, finding, image, moto, procs, seed, simulator, state, story, traces

MARKER = ".casefile-demo-out"  # marks a directory demo/run may replace
SEVERITY_ORDER = {"critical": 0, "high": 1, "medium": 2, "low": 3, "info": 4}


class Scenario:
    def __init__(self, source_dir, bin_dir, out_dir, agent_bin_dir=None, echo=None,
                 respond_timeout=240):
        self.source_dir = os.path.abspath(source_dir)
        self.bin_dir = os.path.abspath(bin_dir)
        self.agent_bin_dir = os.path.abspath(agent_bin_dir or bin_dir)
        self.out_dir = os.path.abspath(out_dir)
        self.echo = echo or (lambda line: None)
        self.respond_timeout = respond_timeout
        self.token = "cf-demo-" + uuid.uuid4().hex[:12]
        self.env = dict(os.environ)
        self.env["CF_DEMO_RUN"] = self.token
        self.moto = None
        self.traces = None
        self.sim = None
        self.tmp = None
        self.ids = None
        self.timings = []
        self.respond_rc = None
        self.respond_seconds = None
        self.respond_output = ""
        self.before = self.after = None
        self.trace_info = None
        self.event_path = None
        self.config_path = None
        self.image_path = None

    # --- setup -----------------------------------------------------------------------------
    def _timed(self, what, fn, *a, **kw):
        t = time.monotonic()
        r = fn(*a, **kw)
        self.timings.append((what, time.monotonic() - t))
        return r

    def start(self):
        try:
            self._start()
        except BaseException:
            self.stop()
            raise
        return self

    def _start(self):
        # A previous run's output is replaced; any other non-empty directory is left alone.
        if os.path.isdir(self.out_dir) and os.listdir(self.out_dir):
            if not os.path.exists(os.path.join(self.out_dir, MARKER)):
                raise RuntimeError("%s is not empty and not a demo output directory"
                                   % self.out_dir)
            shutil.rmtree(self.out_dir)
        os.makedirs(self.out_dir, exist_ok=True)
        open(os.path.join(self.out_dir, MARKER), "w").close()
        procs.sweep_stale()
        self.tmp = procs.owned_tmpdir("cf-demo-")
        self.tl = story.Timeline()
        trail = os.path.join(self.tmp, "cloudtrail.json")
        menv = dict(self.env, CF_DEMO_CLOUDTRAIL=trail)
        self.moto = self._timed("start moto", moto.MotoServer(menv).start)
        self.ids = self._timed("seed the account", seed.seed, self.moto.url)
        with open(trail + ".tmp", "w") as f:
            json.dump(cloudtrail.events(self.ids, self.tl), f)
        os.rename(trail + ".tmp", trail)
        with open(os.path.join(self.out_dir, "scenario.json"), "w") as f:
            json.dump(self.ids, f, indent=2)
        self.image_path = os.path.join(self.tmp, "web-az2-root.img")
        self.image_info = self._timed("build the disk image", image.build, self.image_path, self.tl)
        self.traces = traces.Traces(self.env)
        self.trace_info = self._timed("stage live traces", self.traces.start)
        self.sim = self._timed("start the simulator", simulator.Simulator(
            self.moto.url, self.ids, self.image_path, self._sim_bin_dirs(),
            os.path.join(self.out_dir, "simulator"), env=self.env).start)
        self.config_path = self._write_config()
        ev = finding.render(self.ids, self.tl)
        self.event_path = os.path.join(self.out_dir, "event.json")
        with open(self.event_path, "w") as f:
            json.dump(ev, f, indent=2)
        self.event = ev
        self.before = self._timed("read the account (before)", state.read, self.moto.url,
                                  self.ids)

    def _sim_bin_dirs(self):
        # The worker AMI "carries" casefile and The Sleuth Kit: the build's bin dir first.
        dirs = [self.bin_dir]
        if self.agent_bin_dir != self.bin_dir:
            dirs.append(self.agent_bin_dir)
        return dirs

    def _agent_dir(self):
        """The directory with casefile-agent (or casefile-agent-x86_64): the agent's build dir."""
        for d in (self.agent_bin_dir, self.bin_dir):
            if any(os.path.exists(os.path.join(d, n))
                   for n in ("casefile-agent", "casefile-agent-x86_64")):
                return d
        raise RuntimeError("casefile-agent is not built in %s" % self.agent_bin_dir)

    def _write_config(self):
        """The casefile configuration for this account (keys: docs/configuration.md)."""
        cfg = {
            "region": story.REGION,
            "case_root": os.path.join(self.out_dir, "cases"),
            "evidence_bucket": self.ids["evidence_bucket"],
            "ip_bucket": self.ids["ip_bucket"],
            "ip_list_key": self.ids["ip_list_key"],
            "sender": self.ids["sender"],
            "recipients": ",".join(self.ids["responders"]),
            "allow_list": "10.0.1.200/32",
            "acl_rule_min": 1,
            "acl_rule_max": 99,
            "agent_dir": self._agent_dir(),
            "forensic_ami": self.ids["worker_ami"],
            "forensic_instance_type": "c5.large",
            "forensic_subnet": self.ids["forensics_subnet_az2"],
            "volatile_timeout_s": 60,
            "disk_timeout_s": 120,
            "snapshot_timeout_s": 60,
            "poll_interval_ms": 200,
            "retry_base_ms": 100,
        }
        path = os.path.join(self.out_dir, "casefile.json")
        with open(path, "w") as f:
            json.dump(cfg, f, indent=2)
        return path

    # --- the response ----------------------------------------------------------------------
    def client_env(self):
        env = dict(self.env)
        env.update(self.moto.client_env())
        env.pop("AWS_PROFILE", None)
        env.pop("AWS_SESSION_TOKEN", None)
        env["CASEFILE_CONFIG"] = self.config_path
        return env

    def respond(self):
        exe = os.path.join(self.bin_dir, "casefile")
        argv = [exe, "respond", self.event_path, "--config", self.config_path]
        log = os.path.join(self.out_dir, "respond.log")
        t = time.monotonic()
        lines = []
        with open(log, "w") as logf:
            p = procs.spawn(argv, sig=signal.SIGTERM, env=self.client_env(), cwd=self.out_dir,
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)
            timer = threading.Timer(self.respond_timeout, lambda: procs.stop(p, grace=2.0))
            timer.start()
            try:
                for raw in p.stdout:
                    line = raw.decode("utf-8", "replace").rstrip("\n")
                    lines.append(line)
                    logf.write(line + "\n")
                    self.echo(line)
                self.respond_rc = p.wait()
            finally:
                timer.cancel()
                if p.poll() is None:
                    procs.stop(p)
                p.stdout.close()
        self.respond_seconds = time.monotonic() - t
        self.respond_output = "\n".join(lines)
        self.timings.append(("casefile respond", self.respond_seconds))
        # The simulator may still be finishing an upload casefile stopped waiting for.
        self.sim.wait_idle(10)
        self.after = self._timed("read the account (after)", state.read, self.moto.url,
                                 self.ids)
        return self.respond_rc

    # --- results ---------------------------------------------------------------------------
    @property
    def case_dir(self):
        dbs = glob.glob(os.path.join(self.out_dir, "cases", "**", "case.db"), recursive=True)
        if not dbs:
            return None
        return os.path.dirname(max(dbs, key=os.path.getmtime))

    def case_db(self):
        d = self.case_dir
        if not d:
            return None
        db = sqlite3.connect("file:%s?mode=ro" % os.path.join(d, "case.db"), uri=True)
        db.row_factory = sqlite3.Row
        return db

    def case_id(self):
        db = self.case_db()
        if db is None:
            return None
        try:
            for key in ("case_id", "id"):
                row = db.execute("SELECT value FROM case_info WHERE key=?", (key,)).fetchone()
                if row:
                    return row[0]
        finally:
            db.close()
        return os.path.basename(self.case_dir)

    def steps(self):
        db = self.case_db()
        if db is None:
            return []
        try:
            return [dict(r) for r in db.execute(
                "SELECT name, status, attempts, started_at, finished_at, duration_ms, error "
                "FROM steps ORDER BY started_at IS NULL, started_at, rowid")]
        finally:
            db.close()

    def detections(self):
        db = self.case_db()
        if db is None:
            return []
        try:
            rows = [dict(r) for r in db.execute(
                "SELECT rule_id, title, severity, attack, time, entity, evidence FROM detections")]
        except sqlite3.Error:
            return []
        finally:
            db.close()
        rows.sort(key=lambda r: (SEVERITY_ORDER.get((r["severity"] or "").lower(), 9),
                                 r["time"] or "", r["rule_id"]))
        return rows

    def report_files(self):
        d = self.case_dir
        if not d:
            return []
        found = []
        for ext in ("html", "json", "md"):
            found += glob.glob(os.path.join(d, "**", "report.%s" % ext), recursive=True)
        return sorted(found)

    def report_json(self):
        for p in self.report_files():
            if p.endswith(".json"):
                with open(p) as f:
                    return json.load(f)
        return None

    def emails(self):
        """Messages moto's SES captured (moto-api data), normalised:
        [{kind, source, to (list), subject, text, html, attachments (names), raw}]."""
        with urllib.request.urlopen(self.moto.url + "/moto-api/data.json", timeout=10) as r:
            data = json.load(r).get("ses") or {}
        out = []
        for m in data.get("Message") or []:
            dest = m.get("destinations") or {}
            to = sum((dest.get(k) or [] for k in ("ToAddresses", "CcAddresses", "BccAddresses")),
                     [])
            out.append({"kind": "simple", "source": m.get("source"), "to": to,
                        "subject": m.get("subject") or "", "text": m.get("body") or "",
                        "html": "", "attachments": [], "raw": ""})
        for m in data.get("RawMessage") or []:
            raw = m.get("raw_data") or ""
            msg = email.message_from_string(raw, policy=email.policy.default)
            text, html, names = "", "", []
            for part in msg.walk():
                if part.is_multipart():
                    continue
                name = part.get_filename()
                if name:
                    names.append(name)
                elif part.get_content_type() == "text/plain" and not text:
                    text = part.get_content()
                elif part.get_content_type() == "text/html" and not html:
                    html = part.get_content()
            to = sorted(set(m.get("destinations") or [])) or [a.strip() for a in
                                                              (msg.get("To") or "").split(",")]
            out.append({"kind": "raw", "source": m.get("source") or msg.get("From"), "to": to,
                        "subject": str(msg.get("Subject") or ""), "text": text, "html": html,
                        "attachments": names, "raw": raw})
        return out

    # --- teardown --------------------------------------------------------------------------
    def stop(self):
        for what in ("sim", "traces", "moto"):
            obj = getattr(self, what)
            if obj is not None:
                try:
                    obj.stop()
                except Exception as e:  # keep stopping the rest
                    print("demo: stopping %s: %r" % (what, e), file=sys.stderr)
                setattr(self, what, None)
        if self.tmp:
            shutil.rmtree(self.tmp, ignore_errors=True)
            self.tmp = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
