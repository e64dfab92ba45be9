#!/usr/bin/env python3
"""Integration tests of `casefile doctor`, `watch`, `lambda` and the deploy/ artefacts.

test_commands.py SCENARIO   (under tests/lib/with-moto, except `deploy`)
"""
import http.server
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import wfenv  # noqa: E402
from wfenv import ATTACKER, BUCKET, client  # noqa: E402

SRC = os.environ.get("CF_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))


def policy():
    with open(os.path.join(SRC, "deploy", "iam-policy.json")) as f:
        return json.load(f)


def scenario_doctor():
    """moto enforcing IAM (INITIAL_NO_AUTH_ACTION_COUNT=7, the setup calls below): all green
    with deploy/iam-policy.json; the missing permission named when one is removed."""
    client("s3").create_bucket(Bucket=BUCKET)  # 1
    iam = client("iam")
    keys = {}
    for user, drop in (("good", None), ("bad", "ec2:CreateNetworkAclEntry")):
        pol = policy()
        if drop:
            pol["Statement"][0]["Action"].remove(drop)
        iam.create_user(UserName=user)  # 2, 5
        iam.put_user_policy(UserName=user, PolicyName="casefile",
                            PolicyDocument=json.dumps(pol))  # 3, 6
        k = iam.create_access_key(UserName=user)["AccessKey"]  # 4, 7
        keys[user] = {"AWS_ACCESS_KEY_ID": k["AccessKeyId"],
                      "AWS_SECRET_ACCESS_KEY": k["SecretAccessKey"]}
    tmp = wfenv.tmpdir()
    cfg = wfenv.config(tmp)
    # The test keys of with-moto are not an IAM user: refused.
    p = wfenv.run(["doctor", "--config", cfg])
    assert p.returncode == 3, p.returncode
    p = wfenv.run(["doctor", "--config", cfg], env=keys["good"])
    assert p.returncode == 0, p.stdout
    assert "MISSING" not in p.stdout and "all checks passed" in p.stdout
    assert "OK       ec2:CreateNetworkAclEntry" in p.stdout
    assert "OK       evidence bucket s3://%s" % BUCKET in p.stdout
    p = wfenv.run(["doctor", "--config", cfg], env=keys["bad"])
    assert p.returncode == 3
    missing = [line for line in p.stdout.splitlines() if line.startswith("MISSING")]
    assert len(missing) == 1 and "ec2:CreateNetworkAclEntry" in missing[0], missing
    # A bucket that does not exist is named.
    p = wfenv.run(["doctor", "--config", cfg, "--evidence-bucket", "no-such-bucket"],
                  env=keys["good"])
    assert p.returncode == 3 and "s3://no-such-bucket" in p.stdout, p.stdout


def scenario_watch():
    info = wfenv.seed(asg=False, tg=False)
    sqs = client("sqs")
    url = sqs.create_queue(QueueName="findings")["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="this is not a finding")
    sqs.send_message(QueueUrl=url, MessageBody=json.dumps(wfenv.event(info["instance"])))
    tmp = wfenv.tmpdir()
    cfg = wfenv.config(tmp, volatile_timeout_s=0, skip_disk=True)
    p = wfenv.run(["watch", "--queue", url, "--once", "--wait", "0", "--config", cfg])
    assert p.returncode in (0, 1), p.returncode
    case = wfenv.case_dir(tmp)
    assert os.path.basename(case) in p.stdout
    steps = {s["name"]: s for s in wfenv.status(tmp, case)["steps"]}
    assert steps["block_ip"]["status"] == "done" and steps["isolate"]["status"] == "done"
    # The finding's message is gone; the garbage one is still there (for the DLQ).
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    left = int(attrs["ApproximateNumberOfMessages"]) + int(
        attrs["ApproximateNumberOfMessagesNotVisible"])
    assert left == 1, attrs


def fake_runtime(payloads):
    """A Lambda Runtime API on a free loopback port: hands out payloads, records the answers."""
    answers = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *a):
            pass

        def do_GET(self):
            if self.path != "/2018-06-01/runtime/invocation/next" or not payloads:
                self.send_response(404)
                self.end_headers()
                return
            rid, body = payloads.pop(0)
            data = json.dumps(body).encode()
            self.send_response(200)
            self.send_header("Lambda-Runtime-Aws-Request-Id", rid)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self):
            n = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(n).decode()
            parts = self.path.split("/")
            answers.append((parts[4], parts[5], json.loads(body)))
            self.send_response(202)
            self.end_headers()

    srv = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv, answers


def lambda_proc(cfg, srv, n, **extra_env):
    env = dict(os.environ)
    env.update(extra_env)
    env["AWS_LAMBDA_RUNTIME_API"] = "127.0.0.1:%d" % srv.server_port
    return subprocess.Popen([wfenv.casefile_bin(), "lambda", "--config", cfg,
                             "--max-invocations", str(n)], env=env)


def scenario_lambda():
    """The custom runtime against a fake Runtime API: one step per invocation, the journal
    carried in S3, errors posted as such, and the two parallel branches (two runtimes at once)
    both kept in the journal (conditional write + merge)."""
    info = wfenv.seed(asg=False, tg=False)
    ev = wfenv.event(info["instance"])
    tmp = wfenv.tmpdir()
    cfg = wfenv.config(tmp)
    srv, ans1 = fake_runtime([("r1", {"case": {"event": ev}, "step": "triage"}),
                              ("r2", {"case": {"event": {"nope": 1}}, "step": "triage"}),
                              ("r3", {"case": {"event": ev}, "step": "no_such_step"})])
    assert lambda_proc(cfg, srv, 3).wait(timeout=120) == 0
    srv.shutdown()
    ans = {a[0]: a for a in ans1}
    assert ans["r1"][1] == "response" and ans["r1"][2]["status"] == "done", ans
    cid = ans["r1"][2]["case_id"]
    assert cid.startswith("cf-" + info["instance"])
    assert ans["r2"][1] == "error" and ans["r2"][2]["errorType"] == "Casefile.StepFailed", ans
    assert ans["r3"][1] == "error", ans
    # The parallel stage: notify and block_ip in two runtimes at the same time.
    srv_a, ans_a = fake_runtime([("n1", {"case": {"event": ev}, "step": "notify"})])
    srv_b, ans_b = fake_runtime([("b1", {"case": {"event": ev}, "step": "block_ip"})])
    # notify stores its journal 1.5 s late, so block_ip's is already there: the conditional
    # write must fail and the two be merged (moto's check-then-write is not atomic, so truly
    # simultaneous stores would not be a fair test of it).
    # Each runtime has its own /tmp, as two Lambda sandboxes would.
    pa = lambda_proc(cfg, srv_a, 1, CASEFILE_TEST_LAMBDA_STORE_DELAY_MS="1500",
                     CASEFILE_CASE_ROOT=os.path.join(tmp, "sandbox-a"))
    pb = lambda_proc(cfg, srv_b, 1, CASEFILE_CASE_ROOT=os.path.join(tmp, "sandbox-b"))
    assert pa.wait(timeout=120) == 0 and pb.wait(timeout=120) == 0
    srv_a.shutdown()
    srv_b.shutdown()
    assert ans_a[0][1] == "response" and ans_b[0][1] == "response", (ans_a, ans_b)
    # A repeated block_ip changes nothing.
    srv, ans2 = fake_runtime([("b2", {"case": {"event": ev}, "step": "block_ip"})])
    assert lambda_proc(cfg, srv, 1).wait(timeout=120) == 0
    srv.shutdown()
    assert ans2[0][1] == "response" and ans2[0][2]["status"] == "done", ans2
    db_path = os.path.join(tmp, "journal.db")
    client("s3").download_file(BUCKET, "cases/%s/case.db" % cid, db_path)
    db = sqlite3.connect(db_path)
    steps = dict(db.execute("SELECT name, status FROM steps").fetchall())
    assert steps == {"triage": "done", "notify": "done", "block_ip": "done"}, steps
    calls = sorted(r[0] for r in db.execute("SELECT call FROM actions WHERE result='ok'"))
    assert calls.count("ec2:CreateNetworkAclEntry") == 2 and "ses:SendEmail" in calls, calls
    db.close()
    denies = [e for e in client("ec2").describe_network_acls(NetworkAclIds=[info["acl"]])
              ["NetworkAcls"][0]["Entries"] if e["RuleAction"] == "deny" and
              e["RuleNumber"] != 32767]
    assert len(denies) == 2 and all(e["CidrBlock"] == ATTACKER + "/32" for e in denies), denies
    assert int(client("ses").get_send_quota()["SentLast24Hours"]) == 1


def scenario_deploy():
    """The committed deploy/ files are what deploy/generate makes from the step table, and the
    template passes cfn-lint."""
    binary = os.path.join(os.environ["CF_BIN_DIR"], "casefile")
    out = tempfile.mkdtemp(prefix="cf-deploy-")
    subprocess.run([os.path.join(SRC, "deploy", "generate"), binary, out], check=True)
    for name in ("iam-policy.json", "state-machine.asl.json", "casefile.template.json"):
        with open(os.path.join(out, name)) as a, open(os.path.join(SRC, "deploy", name)) as b:
            assert json.load(a) == json.load(b), name + " is stale: run deploy/generate"
    asl = json.load(open(os.path.join(out, "state-machine.asl.json")))
    par = asl["States"]["notify_and_block_ip"]
    assert par["Type"] == "Parallel"
    assert sorted(b["StartAt"] for b in par["Branches"]) == ["block_ip", "notify"]
    p = subprocess.run(["cfn-lint", os.path.join(out, "casefile.template.json")],
                       capture_output=True, text=True)
    assert p.returncode == 0, p.stdout + p.stderr
    tpl = json.load(open(os.path.join(out, "casefile.template.json")))
    acts = tpl["Resources"]["CasefileRole"]["Properties"]["Policies"][0]["PolicyDocument"]
    assert acts == json.load(open(os.path.join(out, "iam-policy.json")))


def main(argv):
    fn = globals().get("scenario_" + (argv[1] if len(argv) > 1 else ""))
    if not fn:
        print("usage: test_commands.py doctor|watch|lambda|deploy", file=sys.stderr)
        return 2
    fn()
    print("ok: " + argv[1])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
