#!/usr/bin/env python3
"""Integration tests of `casefile respond/resume/release/status` against moto.

test_respond.py SCENARIO   (run under tests/lib/with-moto; see tests/workflow/CMakeLists.txt)

Every check is made by an independent client (boto3) on moto's state, not by trusting casefile's
own output.
"""
import json
import os
import sqlite3
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import wfenv  # noqa: E402
from wfenv import ATTACKER, ATTACKER6, BUCKET, client  # noqa: E402


def deny_entries(acl):
    ec2 = client("ec2")
    entries = ec2.describe_network_acls(NetworkAclIds=[acl])["NetworkAcls"][0]["Entries"]
    return [e for e in entries if e["RuleAction"] == "deny" and e["RuleNumber"] != 32767]


def ip_list():
    body = client("s3").get_object(Bucket=BUCKET, Key="malicious-ips.jsonl")["Body"].read()
    return [json.loads(line) for line in body.decode().splitlines() if line.strip()]


def emails_sent():
    return int(client("ses").get_send_quota()["SentLast24Hours"])


def check_contained(info, ips=(ATTACKER, ATTACKER6), protected=False):
    ec2 = client("ec2")
    # Deny entries, in and out, once per IP, below the allow rule 100; the allow untouched.
    denies = deny_entries(info["acl"])
    for ip in ips:
        cidr = ip + ("/128" if ":" in ip else "/32")
        for egress in (False, True):
            m = [e for e in denies if e["Egress"] == egress and
                 (e.get("CidrBlock") == cidr or e.get("Ipv6CidrBlock") == cidr)]
            assert len(m) == 1, ("deny", ip, egress, denies)
            assert 1 <= m[0]["RuleNumber"] < 100, m[0]
    assert len(denies) == 2 * len(ips), denies
    entries = ec2.describe_network_acls(NetworkAclIds=[info["acl"]])["NetworkAcls"][0]["Entries"]
    allows = [e for e in entries if e["RuleNumber"] == 100]
    assert len(allows) == 2 and all(e["RuleAction"] == "allow" for e in allows), allows
    # The IP list holds each IP once.
    listed = [x["ip"] for x in ip_list()]
    for ip in ips:
        cidr = ip + ("/128" if ":" in ip else "/32")
        assert listed.count(cidr) == 1, listed
    inst = ec2.describe_instances(InstanceIds=[info["instance"]])["Reservations"][0]["Instances"][0]
    enis = ec2.describe_network_interfaces(
        Filters=[{"Name": "attachment.instance-id", "Values": [info["instance"]]}]
    )["NetworkInterfaces"]
    assert enis
    iso = ec2.describe_security_groups(Filters=[
        {"Name": "group-name", "Values": ["casefile-isolation-" + info["vpc"]]}])["SecurityGroups"]
    if protected:
        assert not iso or all(g["GroupId"] == info["web_sg"] for n in enis for g in n["Groups"])
        for n in enis:
            assert [g["GroupId"] for g in n["Groups"]] == [info["web_sg"]], n["Groups"]
        return
    assert len(iso) == 1, iso
    assert iso[0]["IpPermissions"] == [] and iso[0]["IpPermissionsEgress"] == [], iso[0]
    for n in enis:
        assert [g["GroupId"] for g in n["Groups"]] == [iso[0]["GroupId"]], n["Groups"]
    # Out of the target group, in standby, termination protection on.
    health = client("elbv2").describe_target_health(TargetGroupArn=info["tg"])
    assert not [t for t in health["TargetHealthDescriptions"]
                if t["Target"]["Id"] == info["instance"]], health
    asg = client("autoscaling").describe_auto_scaling_instances(InstanceIds=[info["instance"]])
    assert asg["AutoScalingInstances"][0]["LifecycleState"] == "Standby", asg
    attr = ec2.describe_instance_attribute(InstanceId=info["instance"],
                                           Attribute="disableApiTermination")
    assert attr["DisableApiTermination"]["Value"] is True
    # Snapshots of every attached volume, tagged with the case.
    vols = [m["Ebs"]["VolumeId"] for m in inst["BlockDeviceMappings"]]
    snaps = ec2.describe_snapshots(OwnerIds=["self"])["Snapshots"]
    for v in vols:
        mine = [s for s in snaps if s["VolumeId"] == v]
        assert len(mine) == 1, (v, snaps)
        tags = {t["Key"]: t["Value"] for t in mine[0].get("Tags", [])}
        assert tags.get("casefile:case", "").startswith("cf-" + info["instance"]), tags
        assert tags.get("casefile:volume") == v and tags.get("casefile:instance") == info[
            "instance"], tags
        assert tags.get("casefile:finding") and "casefile:device" in tags, tags


def ok_actions(case):
    db = sqlite3.connect(os.path.join(case, "case.db"))
    rows = db.execute("SELECT idem_key FROM actions WHERE result='ok'").fetchall()
    db.close()
    return sorted(r[0] for r in rows)


def scenario_full():
    """A whole run with the SSM executor: every step, then a duplicate event, then release."""
    info = wfenv.seed()
    tmp = wfenv.tmpdir()
    cfg = wfenv.config(tmp, agent_dir=wfenv.agent_dir(), volatile_timeout_s=120)
    ev = wfenv.write_event(tmp, wfenv.event(info["instance"], ips=(ATTACKER, ATTACKER6)))
    with wfenv.SsmExecutor() as ex:
        p = wfenv.run(["respond", ev, "--config", cfg])
    case = wfenv.case_dir(tmp)
    st = wfenv.status(tmp, case)
    steps = {s["name"]: s for s in st["steps"]}
    assert p.returncode == 0, (p.returncode, steps)
    for name in ("triage", "notify", "block_ip", "collect_volatile", "isolate", "snapshot"):
        assert steps[name]["status"] == "done", steps[name]
    assert ex.results and all(r[1] == 0 for r in ex.results), ex.results
    check_contained(info)
    assert emails_sent() == 2  # the alert and the report
    for name in ("triage", "notify", "block_ip", "collect_volatile", "analyze_volatile",
                 "isolate", "snapshot", "analyze", "report"):
        assert steps[name]["status"] == "done", steps[name]
    keys = [o["Key"] for o in client("s3").list_objects_v2(Bucket=BUCKET)["Contents"]]
    cid = os.path.basename(case)
    for k in ("report.html", "report.json", "report.md"):
        assert "cases/%s/report/%s" % (cid, k) in keys, keys
    assert "cases/%s/%s/volatile/manifest.json" % (cid, info["instance"]) in keys
    assert [k for k in keys if k.startswith("tools/casefile-agent-x86_64-")], keys
    # The volatile bundle, verified against its manifest.
    db = sqlite3.connect(os.path.join(case, "case.db"))
    ver = db.execute("SELECT count(*), sum(verified) FROM evidence WHERE kind='volatile'").fetchone()
    assert ver[0] > 3 and ver[0] == ver[1], ver
    # Every change has its request id.
    missing = db.execute("SELECT idem_key FROM actions WHERE result='ok' AND "
                         "(request_id IS NULL OR request_id='')").fetchall()
    assert not missing, missing
    db.close()
    progress = p.stderr
    assert "block_ip" in progress and "denied" in progress and "isolate" in progress
    # A duplicate event: the same case, nothing changed.
    before = wfenv.state_dump(info)
    mails = emails_sent()
    acts = ok_actions(case)
    p2 = wfenv.run(["respond", ev, "--config", cfg], check=0)
    assert p2.stdout.strip() == os.path.basename(case)
    assert wfenv.state_dump(info) == before
    assert emails_sent() == mails
    assert ok_actions(case) == acts
    assert "0 changes" in p2.stderr, p2.stderr
    # GuardDuty updates the finding with one more attacker: only that one is added.
    upd = wfenv.write_event(tmp, wfenv.event(info["instance"], ips=(ATTACKER, ATTACKER6,
                                                                     "203.0.113.201")), "u.json")
    p3 = wfenv.run(["respond", upd, "--config", cfg], check=0)
    assert p3.stdout.strip() == os.path.basename(case)
    assert "now names 203.0.113.201/32" in p3.stderr, p3.stderr
    check_contained(info, ips=(ATTACKER, ATTACKER6, "203.0.113.201"))
    assert emails_sent() == mails
    new = sorted(set(ok_actions(case)) - set(acts))
    assert new == ["acl-deny:%s:in:203.0.113.201/32" % info["acl"],
                   "acl-deny:%s:out:203.0.113.201/32" % info["acl"],
                   "ip-list:203.0.113.201/32"], new
    # Release: the original group back.
    wfenv.run(["release", case, "--config", cfg], check=0)
    ec2 = client("ec2")
    enis = ec2.describe_network_interfaces(
        Filters=[{"Name": "attachment.instance-id", "Values": [info["instance"]]}]
    )["NetworkInterfaces"]
    for n in enis:
        assert [g["GroupId"] for g in n["Groups"]] == [info["web_sg"]], n["Groups"]
    asg = client("autoscaling").describe_auto_scaling_instances(InstanceIds=[info["instance"]])
    assert asg["AutoScalingInstances"][0]["LifecycleState"] == "InService", asg


def scenario_dry_run():
    info = wfenv.seed()
    tmp = wfenv.tmpdir()
    cfg = wfenv.config(tmp, agent_dir=wfenv.agent_dir())
    ev = wfenv.write_event(tmp, wfenv.event(info["instance"]))
    before = wfenv.state_dump(info)
    mails = emails_sent()
    p = wfenv.run(["respond", ev, "--config", cfg, "--dry-run"], check=0)
    after = wfenv.state_dump(info)
    assert before == after, "dry-run changed moto's state"
    assert emails_sent() == mails
    for word in ("would deny %s/32 inbound" % ATTACKER, "CreateNetworkAclEntry",
                 "ModifyNetworkInterfaceAttribute", "CreateSnapshot", "EnterStandby",
                 "SendCommand", "ses:SendEmail"):
        assert word in p.stderr, (word, p.stderr)
    # The real case was not touched by the plan.
    assert not [n for n in os.listdir(os.path.join(tmp, "cases")) if not n.endswith("-dry-run")]


def scenario_guardrails():
    """Allow-listed and in-VPC addresses are never denied; a protected instance never isolated."""
    info = wfenv.seed(protected=True)
    tmp = wfenv.tmpdir()
    cfg = wfenv.config(tmp, allow_list="203.0.113.0/24", skip_disk=True)
    ev = wfenv.write_event(tmp, wfenv.event(info["instance"], ips=(
        "203.0.113.50", "10.0.1.99", ATTACKER, "0.0.0.0")))
    p = wfenv.run(["respond", ev, "--config", cfg])
    assert p.returncode == 1  # collect_volatile times out (no executor): recorded, case goes on
    denies = deny_entries(info["acl"])
    cidrs = sorted({e.get("CidrBlock") for e in denies})
    assert cidrs == [ATTACKER + "/32"], denies
    assert "allow-listed" in p.stderr and "inside the VPC" in p.stderr, p.stderr
    check_contained(info, ips=(ATTACKER,), protected=True)
    case = wfenv.case_dir(tmp)
    steps = {s["name"]: s for s in wfenv.status(tmp, case)["steps"]}
    assert steps["isolate"]["status"] == "skipped", steps["isolate"]
    assert steps["snapshot"]["status"] == "done"  # preserved all the same
    # With the explicit override, it is isolated.
    tmp2 = wfenv.tmpdir()
    cfg2 = wfenv.config(tmp2, override_protected=True, volatile_timeout_s=0)
    ev2 = wfenv.write_event(tmp2, wfenv.event(info["instance"], finding_id="fd-override"))
    wfenv.run(["respond", ev2, "--config", cfg2])
    enis = client("ec2").describe_network_interfaces(
        Filters=[{"Name": "attachment.instance-id", "Values": [info["instance"]]}]
    )["NetworkInterfaces"]
    assert all(g["GroupName"].startswith("casefile-isolation-") for n in enis
               for g in n["Groups"]), enis


def scenario_volatile_timeout():
    """No SSM executor: the timeout is recorded, containment and preservation go on."""
    info = wfenv.seed()
    tmp = wfenv.tmpdir()
    cfg = wfenv.config(tmp, agent_dir=wfenv.agent_dir(), volatile_timeout_s=1)
    ev = wfenv.write_event(tmp, wfenv.event(info["instance"], ips=(ATTACKER, ATTACKER6)))
    p = wfenv.run(["respond", ev, "--config", cfg], check=1)
    case = wfenv.case_dir(tmp)
    steps = {s["name"]: s for s in wfenv.status(tmp, case)["steps"]}
    assert steps["collect_volatile"]["status"] == "failed", steps
    assert "NOT collected" in steps["collect_volatile"]["error"], steps
    assert steps["collect_volatile"]["attempts"] == 1  # a timeout is not retried
    assert "NOT collected" in p.stderr
    check_contained(info)
    cmds = client("ssm").list_commands()["Commands"]
    assert len(cmds) == 1 and cmds[0]["DocumentName"] == "AWS-RunShellScript", cmds
    # resume waits for the same command instead of sending another one.
    wfenv.run(["resume", case, "--config", cfg], check=1)
    assert len(client("ssm").list_commands()["Commands"]) == 1


def scenario_resume():
    """A crash after every step boundary, and in the middle of steps, then resume: the same final
    state as an uninterrupted run, nothing twice."""
    base = wfenv.seed()
    tmp = wfenv.tmpdir()
    n = 0
    points = [("CASEFILE_TEST_CRASH_AFTER", s) for s in
              ("triage", "notify", "block_ip", "collect_volatile", "analyze_volatile", "isolate",
               "snapshot", "collect_disk", "analyze", "report")]
    points += [("CASEFILE_TEST_CRASH_AFTER_ACTION", str(k)) for k in (1, 3, 6, 9)]
    points += [("CASEFILE_TEST_CRASH_BEFORE_RECORD", str(k)) for k in (1, 2, 5, 8, 11)]
    for var, val in points:
        n += 1
        info = wfenv.seed_more(base, n)
        cfg = wfenv.config(tmp, volatile_timeout_s=0, ip_list_key="ips-%d.jsonl" % n)
        ip = "198.51.100.%d" % (100 + n)
        ev = wfenv.write_event(tmp, wfenv.event(info["instance"], finding_id="fd-r%d" % n,
                                                ips=(ip,)), "ev%d.json" % n)
        m0 = emails_sent()
        p = wfenv.run(["respond", ev, "--config", cfg, "--quiet"], env={var: val})
        assert p.returncode == 99, (var, val, p.returncode)
        case = os.path.join(tmp, "cases", [c for c in os.listdir(os.path.join(tmp, "cases"))
                                           if c.startswith("cf-" + info["instance"])][0])
        p = wfenv.run(["resume", case, "--config", cfg, "--quiet"])
        assert p.returncode in (0, 1), p.returncode
        steps = {s["name"]: s for s in wfenv.status(tmp, case)["steps"]}
        for s in ("triage", "notify", "block_ip", "isolate", "snapshot"):
            assert steps[s]["status"] == "done", (var, val, steps[s])
        # No duplicates: one deny per direction, one isolation group per VPC, one snapshot per
        # volume, the IP once in the list, one e-mail per case.
        denies = deny_entries(info["acl"])
        assert len(denies) == 2, (var, val, denies)
        groups = client("ec2").describe_security_groups(Filters=[
            {"Name": "vpc-id", "Values": [info["vpc"]]},
            {"Name": "group-name", "Values": ["casefile-*"]}])["SecurityGroups"]
        assert len(groups) == 2, (var, val, [g["GroupName"] for g in groups])
        snaps = client("ec2").describe_snapshots(OwnerIds=["self"], Filters=[
            {"Name": "tag:casefile:case", "Values": [os.path.basename(case)]}])["Snapshots"]
        assert len(snaps) == len(info["volumes"]), (var, val, snaps)
        body = client("s3").get_object(Bucket=BUCKET, Key="ips-%d.jsonl" % n)["Body"].read()
        assert body.decode().count(ip + "/32") == 1, body
        # An e-mail is at-least-once: a crash between SES accepting it and the journal recording
        # it (a kill mid-step; notify runs beside block_ip) sends it again on resume (nothing
        # in SES can be looked up first). A kill at a step boundary never duplicates it.
        # The journal knows one alert and one report e-mail.
        db = sqlite3.connect(os.path.join(case, "case.db"))
        journal = db.execute("SELECT count(*) FROM actions WHERE call='ses:SendEmail' AND "
                             "result='ok'").fetchone()[0]
        db.close()
        assert journal == 2, (var, val, journal)
        mails = emails_sent() - m0
        if var != "CASEFILE_TEST_CRASH_AFTER":
            assert journal <= mails <= journal + 1, (var, val, mails)
        else:
            assert mails == journal, (var, val, mails)
        enis = client("ec2").describe_network_interfaces(
            Filters=[{"Name": "attachment.instance-id", "Values": [info["instance"]]}]
        )["NetworkInterfaces"]
        assert all([g["GroupName"] for g in e["Groups"]] == ["casefile-isolation-" + info["vpc"]]
                   for e in enis), (var, val, enis)


def scenario_bad_input():
    info = wfenv.seed(nacl_fill=18, asg=False, tg=False)
    tmp = wfenv.tmpdir()
    cfg = wfenv.config(tmp, volatile_timeout_s=0)
    # Unknown shapes and malformed events: exit 2 with a clear message.
    for text in ('{"detail-type": "EC2 Instance State-change Notification", "detail": {}}',
                 '{"hello": 1}', "not json", "[1,2]"):
        p = wfenv.run(["respond", "-", "--config", cfg], input=text)
        assert p.returncode == 2 and "casefile respond:" in p.stderr, p
    p = wfenv.run(["respond", "/nonexistent.json", "--config", cfg])
    assert p.returncode == 2
    # An instance that no longer exists: triage fails clearly, nothing else runs.
    ev = wfenv.write_event(tmp, wfenv.event("i-0000000000000dead", finding_id="gone"), "g.json")
    p = wfenv.run(["respond", ev, "--config", cfg])
    assert p.returncode == 1 and "no longer exists" in p.stderr, p.stderr
    # The malicious-IP list already names the second address, written by another tool.
    client("s3").put_object(Bucket=BUCKET, Key="malicious-ips.jsonl",
                            Body=b'{"ip": "198.51.100.99", "source": "threat-intel"}\n')
    # A full ACL (18 + 1 allow rules, one more fits the quota of 20 per direction): the
    # first IP is denied, the second is reported and the case goes on to isolate.
    ev = wfenv.write_event(tmp, wfenv.event(info["instance"], ips=(ATTACKER, "198.51.100.99")),
                           "full.json")
    p = wfenv.run(["respond", ev, "--config", cfg])
    assert p.returncode == 1
    assert "network ACL is full" in p.stderr, p.stderr
    case = wfenv.case_dir(tmp, "cf-" + info["instance"])
    steps = {s["name"]: s for s in wfenv.status(tmp, case)["steps"]}
    assert steps["block_ip"]["status"] == "failed" and "full" in steps["block_ip"]["error"]
    assert steps["isolate"]["status"] == "done"
    denies = deny_entries(info["acl"])
    assert sorted(e["CidrBlock"] for e in denies) == [ATTACKER + "/32"] * 2, denies
    listed = [x["ip"] for x in ip_list()]
    assert ATTACKER + "/32" in listed, listed
    assert [x.split("/")[0] for x in listed].count("198.51.100.99") == 1, listed


def scenario_disk():
    """collect_disk with a forensic worker: a volume per snapshot, the worker and its group, the
    collector run through SSM (the executor plays the worker, the snapshot's data being a small
    ext4 image), the bundle verified; afterwards the copies are deleted and the worker
    terminated, and a resume creates nothing."""
    info = wfenv.seed(asg=False, tg=False)
    ec2 = client("ec2")
    ami = ec2.describe_images(Owners=["amazon"])["Images"][1]["ImageId"]
    tmp = wfenv.tmpdir()
    img = wfenv.make_disk_image(tmp)
    cfg = wfenv.config(tmp, agent_dir=wfenv.agent_dir(), volatile_timeout_s=60,
                       forensic_ami=ami, forensic_instance_type="t3.micro", disk_timeout_s=120)
    ev = wfenv.write_event(tmp, wfenv.event(info["instance"]))
    with wfenv.SsmExecutor(disk_image=img) as ex:
        p = wfenv.run(["respond", ev, "--config", cfg])
    assert p.returncode == 0, p.returncode
    assert ex.results and all(r[1] == 0 for r in ex.results), ex.results
    case = wfenv.case_dir(tmp)
    steps = {s["name"]: s for s in wfenv.status(tmp, case)["steps"]}
    assert steps["collect_disk"]["status"] == "done", steps["collect_disk"]
    cid = os.path.basename(case)
    keys = [o["Key"] for o in client("s3").list_objects_v2(Bucket=BUCKET)["Contents"]]
    for v in info["volumes"]:
        assert "cases/%s/%s/disk/%s/manifest.json" % (cid, info["instance"], v) in keys, keys
    db = sqlite3.connect(os.path.join(case, "case.db"))
    n, ok = db.execute("SELECT count(*), sum(verified) FROM evidence WHERE kind='disk'").fetchone()
    assert n > 0 and n == ok, (n, ok)
    files = db.execute("SELECT count(*) FROM files WHERE path LIKE '%shell.php'").fetchone()[0]
    assert files >= 1, files
    db.close()
    # What casefile created is gone; the snapshots and the original volume stay.
    workers = [i for r in ec2.describe_instances(Filters=[
        {"Name": "tag:casefile:role", "Values": ["forensic-worker"]}])["Reservations"]
        for i in r["Instances"]]
    assert len(workers) == 1 and workers[0]["State"]["Name"] in ("terminated", "shutting-down")
    copies = ec2.describe_volumes(Filters=[
        {"Name": "tag:casefile:role", "Values": ["forensic-copy"]}])["Volumes"]
    assert copies == [], copies
    assert ec2.describe_volumes(VolumeIds=info["volumes"])["Volumes"]
    wg = ec2.describe_security_groups(Filters=[
        {"Name": "group-name", "Values": ["casefile-forensic-" + info["vpc"]]}])["SecurityGroups"]
    assert len(wg) == 1 and wg[0]["IpPermissions"] == [], wg
    assert [(e["IpProtocol"], e.get("FromPort")) for e in wg[0]["IpPermissionsEgress"]] == [
        ("tcp", 443)], wg
    # Resume after the fact: nothing new.
    before = wfenv.state_dump(info)
    wfenv.run(["resume", case, "--config", cfg], check=0)
    assert wfenv.state_dump(info) == before


def scenario_multi_eni():
    """ENIs in two subnets with two network ACLs: the attacker denied in both, both ENIs on the
    isolation group only."""
    info = wfenv.seed(asg=False, tg=False)
    ec2 = client("ec2")
    sub2 = ec2.create_subnet(VpcId=info["vpc"], CidrBlock="10.0.2.0/24",
                             AvailabilityZone=wfenv.REGION + "a")["Subnet"]["SubnetId"]
    acl2 = ec2.create_network_acl(VpcId=info["vpc"])["NetworkAcl"]["NetworkAclId"]
    assoc = [a for a in ec2.describe_network_acls(
        Filters=[{"Name": "association.subnet-id", "Values": [sub2]}])["NetworkAcls"][0]
        ["Associations"] if a["SubnetId"] == sub2][0]["NetworkAclAssociationId"]
    ec2.replace_network_acl_association(AssociationId=assoc, NetworkAclId=acl2)
    eni2 = ec2.create_network_interface(SubnetId=sub2, Groups=[info["web_sg"]])[
        "NetworkInterface"]["NetworkInterfaceId"]
    ec2.attach_network_interface(NetworkInterfaceId=eni2, InstanceId=info["instance"],
                                 DeviceIndex=1)
    tmp = wfenv.tmpdir()
    cfg = wfenv.config(tmp, volatile_timeout_s=0, skip_disk=True)
    ev = wfenv.write_event(tmp, wfenv.event(info["instance"], ips=(ATTACKER, ATTACKER6)))
    wfenv.run(["respond", ev, "--config", cfg], check=1)  # volatile: no executor
    for acl in (info["acl"], acl2):
        d = deny_entries(acl)
        assert len(d) == 4, (acl, d)
    iso = ec2.describe_security_groups(Filters=[
        {"Name": "group-name", "Values": ["casefile-isolation-" + info["vpc"]]}])["SecurityGroups"]
    enis = ec2.describe_network_interfaces(Filters=[
        {"Name": "attachment.instance-id", "Values": [info["instance"]]}])["NetworkInterfaces"]
    assert len(enis) == 2
    for n in enis:
        assert [g["GroupId"] for g in n["Groups"]] == [iso[0]["GroupId"]], n["Groups"]


def scenario_tampered():
    """A volatile bundle whose file does not match its manifest: recorded unverified, the case
    goes on, exit 4."""
    import hashlib
    import io
    import tarfile
    info = wfenv.seed(asg=False, tg=False)
    tmp = wfenv.tmpdir()
    cfg = wfenv.config(tmp, agent_dir=wfenv.agent_dir(), skip_disk=True)
    fid = "fd-tampered"
    cid = "cf-%s-%s" % (info["instance"], hashlib.sha256(fid.encode()).hexdigest()[:12])
    good, bad = b'{"pid":1}\n', b'{"pid":666}\n'
    man = json.dumps({"schema": "casefile.bundle/1", "kind": "volatile", "files": [
        {"path": "processes.jsonl", "sha256": hashlib.sha256(good).hexdigest(),
         "bytes": len(good)}]}).encode()
    bio = io.BytesIO()
    with tarfile.open(fileobj=bio, mode="w", format=tarfile.USTAR_FORMAT) as tf:
        for name, data in (("processes.jsonl", bad), ("manifest.json", man)):
            ti = tarfile.TarInfo(name)
            ti.size = len(data)
            tf.addfile(ti, io.BytesIO(data))
    prefix = "cases/%s/%s/volatile/" % (cid, info["instance"])
    client("s3").put_object(Bucket=BUCKET, Key=prefix + "bundle.tar", Body=bio.getvalue())
    client("s3").put_object(Bucket=BUCKET, Key=prefix + "manifest.json", Body=man)
    ev = wfenv.write_event(tmp, wfenv.event(info["instance"], finding_id=fid))
    p = wfenv.run(["respond", ev, "--config", cfg], check=4)
    assert "failed verification" in p.stderr, p.stderr
    case = wfenv.case_dir(tmp)
    assert os.path.basename(case) == cid
    steps = {s["name"]: s for s in wfenv.status(tmp, case)["steps"]}
    assert steps["collect_volatile"]["status"] == "failed", steps["collect_volatile"]
    assert steps["isolate"]["status"] == "done" and steps["snapshot"]["status"] == "done"
    db = sqlite3.connect(os.path.join(case, "case.db"))
    row = db.execute("SELECT verified, detail FROM evidence WHERE path='processes.jsonl'").fetchone()
    db.close()
    assert row[0] == 0 and "sha256" in row[1], row


def scenario_profile():
    """swap_profile: the instance profile replaced by the quarantine one, the old role's sessions
    revoked (inline deny on aws:TokenIssueTime); asg_action=detach takes it out of its group."""
    iam = client("iam")
    trust = json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
        "Action": "sts:AssumeRole"}]})
    for name in ("web-role", "quarantine-role"):
        iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust)
        iam.create_instance_profile(InstanceProfileName=name.replace("role", "profile"))
        iam.add_role_to_instance_profile(InstanceProfileName=name.replace("role", "profile"),
                                         RoleName=name)
    info = wfenv.seed(tg=False)
    ec2 = client("ec2")
    ec2.associate_iam_instance_profile(IamInstanceProfile={"Name": "web-profile"},
                                       InstanceId=info["instance"])
    tmp = wfenv.tmpdir()
    cfg = wfenv.config(tmp, swap_profile=True, quarantine_profile="quarantine-profile",
                       asg_action="detach", volatile_timeout_s=0)
    ev = wfenv.write_event(tmp, wfenv.event(info["instance"]))
    p = wfenv.run(["respond", ev, "--config", cfg], check=1)  # volatile: no executor
    assocs = ec2.describe_iam_instance_profile_associations(Filters=[
        {"Name": "instance-id", "Values": [info["instance"]]}])["IamInstanceProfileAssociations"]
    assert len(assocs) == 1 and assocs[0]["IamInstanceProfile"]["Arn"].endswith(
        "/quarantine-profile"), assocs
    names = iam.list_role_policies(RoleName="web-role")["PolicyNames"]
    assert len(names) == 1 and names[0].startswith("casefile-revoke-cf-"), names
    doc = iam.get_role_policy(RoleName="web-role", PolicyName=names[0])["PolicyDocument"]
    if isinstance(doc, str):
        doc = json.loads(doc)
    st = doc["Statement"][0]
    assert st["Effect"] == "Deny" and "aws:TokenIssueTime" in st["Condition"]["DateLessThan"]
    asg = client("autoscaling").describe_auto_scaling_instances(InstanceIds=[info["instance"]])
    assert asg["AutoScalingInstances"] == [], asg
    assert "replace the instance profile" in p.stderr and "detach it from" in p.stderr


def main(argv):
    name = argv[1] if len(argv) > 1 else ""
    fn = globals().get("scenario_" + name)
    if not fn:
        print("usage: test_respond.py full|dry_run|guardrails|volatile_timeout|resume|bad_input|disk|profile|multi_eni|tampered",
              file=sys.stderr)
        return 2
    fn()
    print("ok: " + name)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
