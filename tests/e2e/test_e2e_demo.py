#!/usr/bin/env python3
"""The end-to-end test: the demo's scenario, start to finish, checked through boto3.

Runs the scenario of demo/run (moto, seeded account, the ext4 image, live traces, the instance
simulator, `casefile respond` on the GuardDuty event) and asserts, with an independent client:
  - the final AWS state: deny entries in and out for the attacker IP below the allow rules (which
    are untouched), every ENI of the AZ2 instance on one empty isolation group, the instance out of
    the target group, termination protection on, the AZ1 instance untouched, snapshots of every
    volume tagged with the case, the IP once in the malicious-IP list, the worker cleaned up;
  - the two e-mails (alert, report) from the sender to the responders;
  - the evidence in S3 matching its manifests (every bundle downloaded, every file's sha256);
  - the report's detections (report.json from S3): the injection requests and the attacker IP, the
    web shell, the reverse shell, the deleted binary, the miner, the cron entry, the added key,
    the deleted dropper;
  - nothing left running afterwards (no moto, no traces, no simulated command).
Environment: CF_SOURCE_DIR, CF_BIN_DIR (casefile), CF_RELEASE_BIN_DIR (casefile-agent when the
sanitizer build has none), CF_E2E_OUT (where the case is kept; default a temp dir).
"""
import hashlib
import io
import json
import os
import re
import shutil
import socket
import sys
import tarfile
import tempfile
import time

SRC = os.environ.get("CF_SOURCE_DIR") or os.path.abspath(
    os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(SRC, "demo", "lib"))
from casefile_demo import procs, scenario, seed, story  # noqa: E402

failures = []


def check(cond, what, detail=None):
    mark = "ok  " if cond else "FAIL"
    print("%s %s" % (mark, what) + ("" if cond or detail is None else "\n     " + str(detail)[:3000]),
          flush=True)
    if not cond:
        failures.append(what)
    return cond


def bin_dirs():
    bin_dir = os.environ.get("CF_BIN_DIR") or os.path.join(SRC, "build", "bin")
    agent_dir = bin_dir
    rel = os.environ.get("CF_RELEASE_BIN_DIR")
    if not any(os.path.exists(os.path.join(bin_dir, n))
               for n in ("casefile-agent", "casefile-agent-x86_64")) and rel:
        agent_dir = rel
    return bin_dir, agent_dir


def check_aws(sc, case_id):
    ids, before, after = sc.ids, sc.before, sc.after
    cidr = story.ATTACKER_IP + "/32"
    entries = after["acl_entries"]
    for egress, name in ((False, "inbound"), (True, "outbound")):
        deny = [e for e in entries if e["egress"] == egress and e["action"] == "deny"
                and e["cidr"] == cidr]
        allows = [e["rule"] for e in entries if e["egress"] == egress and e["action"] == "allow"
                  and e["rule"] < 32767]
        check(len(deny) == 1, "ACL: one %s deny entry for %s" % (name, cidr), entries)
        if deny and allows:
            check(deny[0]["rule"] < min(allows), "ACL: %s deny evaluated before the allow rules"
                  % name, entries)
    old = [e for e in before["acl_entries"]]
    check(all(e in entries for e in old), "ACL: every existing entry untouched", entries)

    web2 = after["instances"][ids["web_az2"]]
    groups = [tuple(g) for g in web2["enis"].values()]
    check(set(web2["enis"]) == set(ids["web_az2_enis"]), "isolation: both ENIs still attached",
          web2["enis"])
    check(len(set(groups)) == 1 and len(groups[0]) == 1, "isolation: every ENI on one single group",
          web2["enis"])
    if groups and groups[0]:
        iso = after["security_groups"].get(groups[0][0], {})
        check(groups[0][0] not in (ids["web_sg_id"], ids["mgmt_sg_id"]),
              "isolation: the group is not one of the originals", groups)
        check(iso.get("ingress") == 0 and iso.get("egress") == 0,
              "isolation: the group has no rules in or out", iso)
    check(web2.get("termination_protection") is True, "termination protection on", web2)
    check(web2["state"] == "running", "the compromised instance is kept running (memory)", web2)
    check(after["targets"].get(ids["web_az2"]) in (None, "draining", "unused"),
          "the AZ2 instance is out of the target group", after["targets"])

    web1_b, web1_a = before["instances"][ids["web_az1"]], after["instances"][ids["web_az1"]]
    check(after["targets"].get(ids["web_az1"]) == "healthy", "the AZ1 instance still serves",
          after["targets"])
    check(web1_a["enis"] == web1_b["enis"] and web1_a["state"] == "running" and
          web1_a.get("termination_protection") == web1_b.get("termination_protection"),
          "the AZ1 instance is untouched", (web1_b, web1_a))
    az1_cmds = [r for r in sc.sim.snapshot() if r["instance_id"] == ids["web_az1"]] \
        if sc.sim else []
    check(not az1_cmds, "no SSM command was sent to the AZ1 instance", az1_cmds)

    snaps = after["snapshots"]
    for vol in ids["web_az2_volumes"]:
        mine = [s for s in snaps if s["volume"] == vol]
        check(len(mine) == 1, "one snapshot of %s" % vol, snaps)
        if mine:
            check(mine[0]["state"] == "completed", "snapshot of %s completed" % vol, mine)
            check(case_id in mine[0]["tags"].values(), "snapshot of %s tagged with the case"
                  % vol, mine[0]["tags"])
    check(not [s for s in snaps if s["volume"] in ids["web_az1_volumes"]],
          "no snapshot of the AZ1 instance", snaps)
    lines = [json.loads(x) for x in after["ip_list"] if x.strip()]
    hits = [x for x in lines if x.get("ip") in (cidr, story.ATTACKER_IP)]
    check(len(hits) == 1 and hits[0].get("case_id") == case_id,
          "the attacker IP is in the malicious-IP list once, with the case", after["ip_list"])
    workers = [(i, x) for i, x in after["instances"].items() if x["image"] == ids["worker_ami"]]
    check(workers and all(x["state"] in ("terminated", "shutting-down") for _i, x in workers),
          "the forensic worker ran and was terminated", workers)
    leftovers = [v for v in after["volumes"] if v["snapshot"] and v["snapshot"] in
                 {s["id"] for s in snaps}]
    check(not leftovers, "the volumes made from the snapshots were deleted", leftovers)


def check_emails(sc, case_id):
    mails = sc.emails()
    check(len(mails) == 2, "two e-mails sent (alert and report)",
          [(m["subject"], m["to"]) for m in mails])
    for m in mails:
        check(set(story.RESPONDERS) <= set(m["to"]) and story.SENDER in (m["source"] or ""),
              "e-mail '%s' from the sender to the responders" % m["subject"][:60],
              (m["source"], m["to"]))
    if len(mails) >= 2:
        alert, report = mails[0], mails[-1]
        body = alert["subject"] + alert["text"] + alert["html"] + alert["raw"]
        check(sc.ids["web_az2"] in body and story.ATTACKER_IP in body,
              "the alert names the instance and the attacker IP", alert["subject"])
        rbody = report["text"] + report["html"] + report["raw"]
        check("cases/%s/report/" % case_id in rbody or "report.html" in rbody,
              "the report e-mail links the report in S3", report["subject"])


def check_evidence(sc, case_id):
    c = seed.clients(sc.moto.url)
    bucket = sc.ids["evidence_bucket"]
    keys = []
    for page in c.s3.get_paginator("list_objects_v2").paginate(Bucket=bucket,
                                                               Prefix="cases/%s/" % case_id):
        keys += [o["Key"] for o in page.get("Contents", [])]
    manifests = [k for k in keys if k.endswith("/manifest.json")]
    kinds = {}
    for mk in manifests:
        man = json.loads(c.s3.get_object(Bucket=bucket, Key=mk)["Body"].read())
        kinds[man.get("kind")] = mk
        prefix = mk[: -len("manifest.json")]
        tar_key = prefix + "bundle.tar"
        if not check(tar_key in keys, "%s has its bundle.tar" % mk, keys):
            continue
        data = c.s3.get_object(Bucket=bucket, Key=tar_key)["Body"].read()
        bad = []
        with tarfile.open(fileobj=io.BytesIO(data)) as tf:
            members = {m.name.lstrip("./"): m for m in tf.getmembers() if m.isfile()}
            for f in man.get("files", []):
                m = members.get(f["path"])
                if m is None:
                    bad.append((f["path"], "missing"))
                    continue
                blob = tf.extractfile(m).read()
                if hashlib.sha256(blob).hexdigest() != f["sha256"] or len(blob) != f["bytes"]:
                    bad.append((f["path"], "hash/size mismatch"))
        check(man.get("case_id") == case_id and man.get("files") and not bad,
              "%s bundle: %d files match their manifest (sha256)" % (man.get("kind"),
                                                                   len(man.get("files", []))), bad)
    check("volatile" in kinds and "disk" in kinds, "volatile and disk bundles in S3", manifests)
    reports = [k for k in keys if "/report/" in k]
    check(any(k.endswith("report.json") for k in reports) and
          any(k.endswith("report.html") for k in reports), "the report is in S3", reports)
    rj = [k for k in reports if k.endswith("report.json")]
    if not rj:
        return None
    return json.loads(c.s3.get_object(Bucket=bucket, Key=rj[0])["Body"].read())


def _find_detections(doc):
    if isinstance(doc, dict):
        for k, v in doc.items():
            if k == "detections" and isinstance(v, list):
                return v
        for v in doc.values():
            r = _find_detections(v)
            if r is not None:
                return r
    return None


def check_detections(sc, report):
    dets = _find_detections(report) if report is not None else None
    if not check(dets, "the report (report.json from S3) lists detections"):
        return
    # Match on what each detection points at (its entity), never on rule titles.
    texts = [json.dumps(d.get("entity"), sort_keys=True) for d in dets]
    ti = sc.trace_info

    def pid(p):
        return re.compile(r"(?<![0-9])%d(?![0-9])" % p)

    # The injection requests: a detection about ping.php from the attacker whose evidence rows
    # (report.json evidence_rows) are the injection requests themselves.
    rows = report.get("evidence_rows") or []
    inj = re.compile(r"ping\.php\?host=[^\"]*(%3B|%7C|%24%28|;|\||\$\()", re.I)
    hits = []
    for d, t in zip(dets, texts):
        if "ping.php" in t and story.ATTACKER_IP in t:
            mine = [r for r in rows if d.get("id") in (r.get("detections") or [])
                    and r.get("table") == "web_requests"]
            hits += [r for r in mine if inj.search(json.dumps(r.get("columns")))]
    check(len(hits) >= 3, "detection: the injection requests (%d injection rows from %s behind it)"
          % (len(hits), story.ATTACKER_IP))
    expected = [
        ("the attacker IP", [re.compile(re.escape(story.ATTACKER_IP))]),
        ("the web shell", [re.compile(re.escape(story.WEB_SHELL))]),
        ("the reverse shell", [pid(ti["reverse_shell"]["pid"])]),
        ("the deleted binary", [pid(ti["deleted_binary"]["pid"]),
                                re.compile(re.escape(story.TRACE_DELETED_NAME))]),
        ("the miner", [pid(ti["miner"]["pid"]), re.compile(re.escape(story.TRACE_MINER_NAME)),
                       re.compile(re.escape(story.MINER))]),
        ("the cron entry", [re.compile(re.escape(story.CRONTAB))]),
        ("the added key", [re.compile(re.escape(story.ROOT_KEYS))]),
        ("the deleted dropper", [re.compile(re.escape(story.DROPPER))]),
    ]
    summary = [(d.get("rule_id") or d.get("id"), d.get("entity")) for d in dets]
    # Not in the list, shown for information: the CloudTrail part of the story (the
    # instance role's credentials used from the attacker's address; demo/lib/moto_server.py).
    cloud = sorted({str(d.get("rule_id")) for d in dets if str(d.get("rule_id")).startswith("cloud.")})
    print("info cloud detections: %s" % (", ".join(cloud) or "none"))
    missed = 0 if len(hits) >= 3 else 1
    for what, pats in expected:
        hit = [t for t in texts if any(p.search(t) for p in pats)]
        missed += not check(bool(hit), "detection: %s" % what)
    if missed:
        print("     the report's detections (rule, entity):")
        for rule, entity in summary:
            print("       %s %s" % (rule, json.dumps(entity)[:200]))


def check_nothing_left(sc, moto_port, trace_info):
    left = procs.wait_until(lambda: not procs.processes_with_marker(sc.token), 5)
    check(left, "nothing left running (no process carries the run's marker)",
          procs.processes_with_marker(sc.token))
    check(not any(procs.alive(p) for p in trace_info["pids"]), "the live traces are gone")
    s = socket.socket()
    s.settimeout(1)
    closed = s.connect_ex(("127.0.0.1", moto_port)) != 0
    s.close()
    check(closed, "moto is stopped (its port is closed)")
    check(not os.path.exists(os.path.dirname(trace_info["miner"]["path"])),
          "the miner's /dev/shm directory is removed")


def main():
    out = os.environ.get("CF_E2E_OUT")
    tmp = None
    if not out:
        tmp = tempfile.mkdtemp(prefix="cf-e2e-")
        out = os.path.join(tmp, "out")
    bin_dir, agent_dir = bin_dirs()
    if not os.access(os.path.join(bin_dir, "casefile"), os.X_OK):
        print("FAIL casefile not built in %s" % bin_dir)
        return 1
    t0 = time.monotonic()
    sc = scenario.Scenario(SRC, bin_dir, out, agent_bin_dir=agent_dir,
                           echo=lambda line: print("  | " + line, flush=True))
    port = None
    trace_info = None
    try:
        sc.start()
        port, trace_info = sc.moto.port, sc.trace_info
        rc = sc.respond()
        check(rc == 0, "casefile respond exits 0 (every step done)", sc.respond_output[-3000:])
        steps = sc.steps()
        check(steps and all(s["status"] == "done" for s in steps),
              "every step in the journal is done", [(s["name"], s["status"], s["error"])
                                                   for s in steps])
        case_id = sc.case_id()
        check(bool(case_id), "a case was opened", sc.case_dir)
        if case_id:
            check_aws(sc, case_id)
            check_emails(sc, case_id)
            report = check_evidence(sc, case_id)
            check_detections(sc, report)
        for r in sc.sim.snapshot():
            print("     simulator: %s %s %s %s %.2fs" % (r["instance_id"], r["role"], r["status"],
                                                        r["exit_code"], r["seconds"]))
    finally:
        sc.stop()
    if trace_info is not None:
        check_nothing_left(sc, port, trace_info)
    if tmp:
        shutil.rmtree(tmp, ignore_errors=True)
    print("%d check(s) failed; %.1f s" % (len(failures), time.monotonic() - t0))
    for f in failures:
        print("  FAILED: " + f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
