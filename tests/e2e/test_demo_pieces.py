#!/usr/bin/env python3
"""The demo's pieces, each tested alone (run under tests/lib/with-moto where AWS is needed).

test_demo_pieces.py seed|image|traces|simulator|interrupt
(seed runs against the stock moto_server of tests/lib/with-moto; simulator starts the demo's own.)
"""
import datetime
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

SRC = os.environ.get("CF_SOURCE_DIR") or os.path.abspath(
    os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(SRC, "demo", "lib"))
from casefile_demo import image, moto, procs, seed, simulator, story, traces  # noqa: E402


def check(cond, what):
    if not cond:
        raise AssertionError(what)


def endpoint():
    url = os.environ.get("CF_MOTO_URL")
    check(url, "CF_MOTO_URL is not set (run under tests/lib/with-moto)")
    return url


def test_demo_seed():
    url = endpoint()
    ids = seed.seed(url)
    c = seed.clients(url)
    subnets = c.ec2.describe_subnets(SubnetIds=[ids["subnet_az1"], ids["subnet_az2"]])["Subnets"]
    check(sorted(s["AvailabilityZone"] for s in subnets) == [story.AZ1, story.AZ2],
          "web subnets in two AZs")
    for key, az, sub in (("web_az1", story.AZ1, "subnet_az1"), ("web_az2", story.AZ2, "subnet_az2")):
        inst = c.ec2.describe_instances(InstanceIds=[ids[key]])["Reservations"][0]["Instances"][0]
        check(inst["Placement"]["AvailabilityZone"] == az, key + " in " + az)
        check(inst["SubnetId"] == ids[sub], key + " subnet")
        check(inst["IamInstanceProfile"]["Arn"] == ids["web_instance_profile_arn"], "profile")
    check(len(ids["web_az2_enis"]) == 2, "AZ2 server has two ENIs")
    th = c.elbv2.describe_target_health(TargetGroupArn=ids["target_group_arn"])
    check(sorted(t["Target"]["Id"] for t in th["TargetHealthDescriptions"])
          == sorted([ids["web_az1"], ids["web_az2"]]), "both servers registered")
    lb = c.elbv2.describe_load_balancers(LoadBalancerArns=[ids["alb_arn"]])["LoadBalancers"][0]
    check(lb["Type"] == "application" and len(lb["AvailabilityZones"]) == 2, "ALB in two AZs")
    acl = c.ec2.describe_network_acls(NetworkAclIds=[ids["network_acl_id"]])["NetworkAcls"][0]
    check({a["SubnetId"] for a in acl["Associations"]} == {ids["subnet_az1"], ids["subnet_az2"]},
          "ACL on both web subnets")
    allows = [e for e in acl["Entries"] if e["RuleAction"] == "allow" and e["RuleNumber"] < 32767]
    check(len(allows) == 5 and all(e["RuleNumber"] >= 100 for e in allows), "allow rules >= 100")
    buckets = {b["Name"] for b in c.s3.list_buckets()["Buckets"]}
    check({story.EVIDENCE_BUCKET, story.IP_BUCKET} <= buckets, "buckets")
    idents = c.ses.list_identities()["Identities"]
    check(story.SENDER in idents, "sender verified")
    attrs = c.ses.get_identity_verification_attributes(Identities=[story.SENDER])
    check(attrs["VerificationAttributes"][story.SENDER]["VerificationStatus"] == "Success",
          "sender verification status")
    check(c.sqs.get_queue_url(QueueName=story.QUEUE_NAME)["QueueUrl"] == ids["queue_url"], "queue")
    img = c.ec2.describe_images(ImageIds=[ids["worker_ami"]])["Images"][0]
    check(img["Name"] == story.WORKER_AMI_NAME, "worker AMI")
    sgs = c.ec2.describe_security_groups(GroupIds=[ids["web_sg_id"]])["SecurityGroups"][0]
    check(sgs["IpPermissions"][0]["UserIdGroupPairs"][0]["GroupId"] == ids["alb_sg_id"],
          "web SG allows the ALB SG")
    from casefile_demo import finding
    ev = finding.render(ids, story.Timeline())
    check(ev["detail-type"] == "GuardDuty Finding", "event type")
    d = ev["detail"]
    check(d["resource"]["instanceDetails"]["instanceId"] == ids["web_az2"], "finding instance")
    check(d["service"]["action"]["networkConnectionAction"]["remoteIpDetails"]["ipAddressV4"]
          == story.ATTACKER_IP, "finding attacker IP")
    print("seed: ok", json.dumps({k: ids[k] for k in ("web_az1", "web_az2", "worker_ami")}))


def _fls(img):
    out = subprocess.run(["fls", "-r", "-p", img], check=True, capture_output=True, text=True)
    return out.stdout


def test_demo_image():
    tmp = tempfile.mkdtemp(prefix="cf-test-image-")
    try:
        tl = story.Timeline(datetime.datetime(2026, 11, 20, 12, 0, tzinfo=datetime.timezone.utc))
        img = os.path.join(tmp, "web.img")
        info = image.build(img, tl)
        listing = _fls(img)
        lines = listing.splitlines()
        for path in (story.VULN_PAGE, story.WEB_SHELL, story.ACCESS_LOG, story.AUTH_LOG,
                     story.CRONTAB, story.ROOT_KEYS, story.MINER, story.MINER_CONFIG):
            check(any(line.endswith("\t" + path.lstrip("/")) and "*" not in line.split("\t")[0]
                      for line in lines), "allocated " + path)
        deleted = [line for line in lines if line.endswith("\t" + story.DROPPER.lstrip("/"))]
        check(len(deleted) == 1 and "*" in deleted[0], "dropper is a deleted entry: %r" % deleted)
        ino = info["deleted_inode"]
        content = subprocess.run(["icat", img, str(ino)], check=True, capture_output=True).stdout
        check(b"curl -s http://" + story.ATTACKER_IP.encode() in content, "dropper recoverable")
        ist = subprocess.run(["istat", img, str(ino)], check=True, capture_output=True,
                             text=True).stdout
        check("Deleted:\t" + tl.dropper_deleted.strftime("%Y-%m-%d %H:%M:%S") in ist,
              "deletion time from the story: " + ist)

        def cat(path):
            ino = [line for line in lines if line.endswith("\t" + path.lstrip("/"))][0]
            ino = ino.split()[-2].rstrip(":")
            return subprocess.run(["icat", img, ino], check=True, capture_output=True).stdout

        log = cat(story.ACCESS_LOG).decode()
        attack = [line for line in log.splitlines() if line.endswith('"%s"' % story.ATTACKER_IP)]
        check(len(attack) >= 10, "attack requests in the access log")
        check(all(line.startswith(story.ALB_NODE_IP_AZ2 + " ") for line in attack),
              "the client address is the ALB's")
        for needle in ("%3B", "%7C", "%24%28", "curl%20-s%20http"):
            check(any(needle in line for line in attack), "injection " + needle)
        check(b"eval($_POST" in cat(story.WEB_SHELL), "web shell")
        check(b"shell_exec(" in cat(story.VULN_PAGE), "vulnerable page")
        check(b"stratum+tcp://" + story.POOL_IP.encode() in cat(story.MINER_CONFIG), "pool")
        check(b"/var/tmp/.x11/xmrig" in cat(story.CRONTAB), "cron entry")
        check(story.ATTACKER_KEY_COMMENT.encode() in cat(story.ROOT_KEYS), "added key")
        check(b"Accepted publickey for root from " + story.ATTACKER_IP.encode()
              in cat(story.AUTH_LOG), "attacker login in auth.log")
        # Times: mke2fs -d kept the story's mtimes; debugfs set birth times.
        body = subprocess.run(["fls", "-r", "-m", "/", img], check=True, capture_output=True,
                              text=True).stdout
        row = [r for r in body.splitlines() if r.split("|")[1] == story.WEB_SHELL][0].split("|")
        check(int(row[8]) == int(tl.web_shell.timestamp()), "web shell mtime")
        check(int(row[10]) == int(tl.web_shell.timestamp()), "web shell crtime")
        check(row[4] == "33", "web shell owned by www-data")
        print("image: ok (%d entries)" % len(lines))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def test_demo_traces():
    t = traces.Traces()
    info = t.start()
    try:
        sh = info["reverse_shell"]["pid"]
        for fd in (0, 1, 2):
            check(os.readlink("/proc/%d/fd/%d" % (sh, fd)).startswith("socket:"),
                  "shell fd %d is a socket" % fd)
        check(open("/proc/%d/comm" % sh).read().strip() == "bash", "the shell is bash")
        port = info["listener"]["port"]
        tcp = open("/proc/net/tcp").read().lower()
        check(":%04x" % port in tcp, "listener socket exists")
        d = info["deleted_binary"]["pid"]
        check(os.readlink("/proc/%d/exe" % d).endswith(" (deleted)"), "deleted binary")
        m = info["miner"]["pid"]
        check(os.readlink("/proc/%d/exe" % m).startswith("/dev/shm/"), "miner runs from /dev/shm")
        cmdline = open("/proc/%d/cmdline" % m, "rb").read().split(b"\0")
        check(b"stratum+tcp://%s:%d" % (story.POOL_IP.encode(), story.POOL_PORT) in cmdline,
              "miner command line")
    finally:
        t.stop()
    check(not any(procs.alive(p) for p in info["pids"]), "every trace process is gone")
    check(not os.path.exists(os.path.dirname(info["miner"]["path"])), "/dev/shm cleaned")
    check(not os.path.exists(os.path.dirname(info["deleted_binary"]["path"])), "/tmp cleaned")
    # Killing the owner kills the traces (PR_SET_PDEATHSIG): a child python starts them and dies.
    code = ("import sys,json; sys.path.insert(0,%r); from casefile_demo import traces; "
            "i=traces.Traces().start(); print(json.dumps(i), flush=True); "
            "import time; time.sleep(60)" % os.path.join(SRC, "demo", "lib"))
    p = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE)
    info = json.loads(p.stdout.readline())
    p.send_signal(signal.SIGKILL)
    p.wait()
    p.stdout.close()
    check(procs.wait_until(lambda: not any(procs.alive(x) for x in info["pids"]), 5),
          "traces die with their owner")
    dirs = [os.path.dirname(info["miner"]["path"]), os.path.dirname(info["deleted_binary"]["path"])]
    check(all(os.path.isdir(d) for d in dirs), "a killed owner leaves its directories")
    traces.sweep_stale()
    check(not [d for d in dirs if os.path.exists(d)], "the next run sweeps them: %r" % dirs)
    print("traces: ok")


def _put_script(url, local):
    return "curl -sSf -X PUT -T %s '%s'" % (local, url)


def test_demo_simulator():
    # The demo's own moto (demo/lib/moto_server.py fixes SendCommand's instance list).
    server = moto.MotoServer().start()
    url = server.url
    tmp = tempfile.mkdtemp(prefix="cf-test-sim-")
    sim = None
    try:
        ids = seed.seed(url)
        c = seed.clients(url)
        img = os.path.join(tmp, "web.img")
        image.build(img, story.Timeline())
        bindir = os.path.join(tmp, "bin")
        os.makedirs(bindir)
        with open(os.path.join(bindir, "casefile"), "w") as f:
            f.write("#!/bin/sh\necho fake-casefile \"$@\"\n")
        os.chmod(os.path.join(bindir, "casefile"), 0o755)
        sim = simulator.Simulator(url, ids, img, [bindir], os.path.join(tmp, "log")).start()

        def presign(key):
            return c.s3.generate_presigned_url("put_object", Params={
                "Bucket": story.EVIDENCE_BUCKET, "Key": key}, ExpiresIn=600)

        # 1. The compromised server: the script runs here, without AWS credentials.
        script = ["set -e", "o=$(mktemp)",
                  "{ casefile --version; echo \"sim=${CASEFILE_SIM_ROOT}\"; "
                  "echo \"aws=${AWS_ACCESS_KEY_ID:-none}\"; } > \"$o\"",
                  _put_script(presign("t/volatile.txt"), '"$o"')]
        c.ssm.send_command(InstanceIds=[ids["web_az2"]], DocumentName="AWS-RunShellScript",
                           Parameters={"commands": script})
        # 2. The innocent AZ1 server: never run.
        c.ssm.send_command(InstanceIds=[ids["web_az1"]], DocumentName="AWS-RunShellScript",
                           Parameters={"commands": ["touch %s/az1-ran" % tmp]})
        # 3. A forensic worker with a volume made from the compromised server's snapshot.
        snap = c.ec2.create_snapshot(VolumeId=ids["web_az2_volumes"][0])["SnapshotId"]
        vol = c.ec2.create_volume(SnapshotId=snap, AvailabilityZone=story.AZ2)["VolumeId"]
        worker = c.ec2.run_instances(ImageId=ids["worker_ami"], MinCount=1, MaxCount=1,
                                     InstanceType="c5.large",
                                     SubnetId=ids["forensics_subnet_az2"])["Instances"][0]
        worker = worker["InstanceId"]
        c.ec2.attach_volume(VolumeId=vol, InstanceId=worker, Device="/dev/sdf")
        nvme = "nvme-Amazon_Elastic_Block_Store_vol" + vol[4:]
        script = ["set -e", "o=$(mktemp)",
                  "d=${CASEFILE_SIM_ROOT}/dev/disk/by-id/%s" % nvme,
                  "test -e \"$d\"", "test -e ${CASEFILE_SIM_ROOT}/dev/sdf",
                  "test -e ${CASEFILE_SIM_ROOT}/dev/xvdf",
                  "fls -r -p \"$d\" > \"$o\"", _put_script(presign("t/disk.txt"), '"$o"')]
        c.ssm.send_command(InstanceIds=[worker], DocumentName="AWS-RunShellScript",
                           Parameters={"commands": script})

        def got(key):
            try:
                return c.s3.get_object(Bucket=story.EVIDENCE_BUCKET, Key=key)["Body"].read()
            except c.s3.exceptions.NoSuchKey:
                return None

        check(procs.wait_until(lambda: got("t/volatile.txt") and got("t/disk.txt") and
                               len(sim.snapshot()) >= 3, 60), "simulated commands finished: %r"
              % sim.snapshot())
        v = got("t/volatile.txt").decode()
        check("fake-casefile --version" in v, "PATH has the bin dirs: " + v)
        check("aws=none" in v, "no AWS credentials in the script's environment")
        check("sim=/" in v, "CASEFILE_SIM_ROOT set")
        d = got("t/disk.txt").decode()
        check("r/r * " in d and "tmp/.x/x.sh" in d, "the worker read the image: " + d[:500])
        res = {(r["instance_id"]): r for r in sim.snapshot()}
        check(res[ids["web_az1"]]["status"] == "ignored", "AZ1 command ignored")
        check(not os.path.exists(os.path.join(tmp, "az1-ran")), "AZ1 command not run: %r" % sim.snapshot())
        check(res[worker]["status"] == "Success" and res[worker]["devices"][0]["source_volume"]
              == ids["web_az2_volumes"][0], "worker devices mapped: %r" % res[worker])
        # A failing script is reported as Failed, with its exit code.
        c.ssm.send_command(InstanceIds=[ids["web_az2"]], DocumentName="AWS-RunShellScript",
                           Parameters={"commands": ["exit 7"]})
        check(procs.wait_until(lambda: len(sim.snapshot()) >= 4, 30), "failing command seen")
        last = sim.snapshot()[-1]
        check(last["status"] == "Failed" and last["exit_code"] == 7, "failure recorded: %r" % last)
        print("simulator: ok")
    finally:
        if sim:
            sim.stop()
        server.stop()
        shutil.rmtree(tmp, ignore_errors=True)


def owned_dirs(pid):
    """Demo temp dirs whose .owner file names pid."""
    found = []
    for parent in (tempfile.gettempdir(), "/dev/shm"):
        for name in os.listdir(parent):
            owner = os.path.join(parent, name, procs.OWNER)
            if "cf-demo-" in name and os.path.exists(owner):
                try:
                    with open(owner) as f:
                        if int(f.read().strip() or 0) == pid:
                            found.append(os.path.join(parent, name))
                except (OSError, ValueError):
                    pass
    return found


def test_demo_interrupt():
    """demo/run stopped by Ctrl-C, or SIGKILLed, while casefile runs: nothing is left running."""
    tmp = tempfile.mkdtemp(prefix="cf-test-interrupt-")
    try:
        fake = os.path.join(tmp, "bin")
        os.makedirs(fake)
        with open(os.path.join(fake, "casefile"), "w") as f:
            f.write("#!/bin/sh\necho '[   0.000s] case             fake, waiting'\nexec sleep 120\n")
        with open(os.path.join(fake, "casefile-agent"), "w") as f:
            f.write("#!/bin/sh\nexit 0\n")
        for name in ("casefile", "casefile-agent"):
            os.chmod(os.path.join(fake, name), 0o755)
        for sig in (signal.SIGINT, signal.SIGKILL):
            tag = "cf-test-interrupt-%d-%d" % (os.getpid(), sig)
            env = dict(os.environ, CF_TEST_TAG=tag)
            out = os.path.join(tmp, "out-%d" % sig)
            p = subprocess.Popen([sys.executable, os.path.join(SRC, "demo", "run"), "--no-build",
                                  "--bin-dir", fake, "--out", out], env=env,
                                 stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
            seen = []
            for raw in p.stdout:
                seen.append(raw.decode(errors="replace"))
                if "fake, waiting" in seen[-1]:
                    break
            check(seen and "fake, waiting" in seen[-1], "demo/run reached casefile: %s"
                  % "".join(seen)[-2000:])
            check(len(procs.processes_with_marker(tag)) >= 5,
                  "moto, traces and casefile run under the tag")
            p.send_signal(sig)
            rest = p.stdout.read().decode(errors="replace")
            rc = p.wait()
            p.stdout.close()
            check(procs.wait_until(lambda: not procs.processes_with_marker(tag), 10),
                  "signal %d: nothing left running: %r" % (sig, procs.processes_with_marker(tag)))
            left = owned_dirs(p.pid)
            if sig == signal.SIGINT:
                check(rc == 130, "Ctrl-C exits 130 (%d): %s" % (rc, rest[-1500:]))
                check(not left, "Ctrl-C removed its temp dirs: %r" % left)
            else:
                check(any(d.startswith("/dev/shm/") for d in left), "SIGKILL leaves temp dirs")
                procs.sweep_stale()
                check(not [d for d in left if os.path.exists(d)],
                      "SIGKILL: the next run sweeps the temp dirs left behind: %r" % left)
        print("interrupt: ok")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main():
    if len(sys.argv) != 2 or "test_demo_" + sys.argv[1] not in globals():
        print(__doc__, file=sys.stderr)
        return 2
    t = time.monotonic()
    globals()["test_demo_" + sys.argv[1]]()
    print("%.1fs" % (time.monotonic() - t))
    return 0


if __name__ == "__main__":
    sys.exit(main())
