#!/usr/bin/env python3
"""Test environment for the typed AWS service calls (src/aws/<service>.c).

svc_env.py run -- COMMAND...
    Runs under tests/lib/with-moto (AWS_ENDPOINT_URL points at a private moto_server). Seeds
    moto with boto3 (an independent client), starts a local fake for the calls moto 5.2.1 does
    not implement (SSM ListCommandInvocations and DescribeInstanceInformation, CloudTrail
    LookupEvents), exports the seeded ids as CF_T_* variables and CF_FAKE_URL, runs COMMAND.

svc_env.py run-auth -- COMMAND...
    For a moto started with INITIAL_NO_AUTH_ACTION_COUNT=3 (IAM enforced after three calls):
    creates an IAM user allowed only ec2:Describe* and ec2:CreateSecurityGroup, exports its keys
    as CF_T_LIMITED_KEY / CF_T_LIMITED_SECRET, runs COMMAND.

svc_env.py check WHAT ARGS...
    Independent verification through boto3 (exit 0 when the fact holds), for the C tests.

The fake serves the documented response shapes (botocore's service models), paginated, and a few
hostile answers selected by magic request values ("hostile-*"), so the C parsers' error paths
run over real HTTP too.
"""
import json
import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import boto3

EP = os.environ.get("AWS_ENDPOINT_URL")


def client(name):
    return boto3.client(name, endpoint_url=EP, region_name="us-east-1")


def seed():
    env = {}
    ec2 = client("ec2")
    iam = client("iam")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    sn = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24",
                           AvailabilityZone="us-east-1a")["Subnet"]["SubnetId"]
    sg = ec2.create_security_group(GroupName="web", Description="web servers",
                                   VpcId=vpc)["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22,
         "IpRanges": [{"CidrIp": "198.51.100.0/24"}]}])
    iam.create_role(RoleName="web-role", AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {
            "Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}))
    iam.create_instance_profile(InstanceProfileName="web-profile")
    iam.add_role_to_instance_profile(InstanceProfileName="web-profile", RoleName="web-role")
    iam.create_instance_profile(InstanceProfileName="quarantine-profile")
    r = ec2.run_instances(ImageId="ami-12c6146b", MinCount=1, MaxCount=1, SubnetId=sn,
                          InstanceType="t3.micro", SecurityGroupIds=[sg],
                          IamInstanceProfile={"Name": "web-profile"},
                          TagSpecifications=[{"ResourceType": "instance", "Tags": [
                              {"Key": "Name", "Value": "web1"}]}])
    inst = r["Instances"][0]
    iid = inst["InstanceId"]
    # more instances so DescribeInstances pages
    for i in range(4):
        ec2.run_instances(ImageId="ami-12c6146b", MinCount=1, MaxCount=1, SubnetId=sn,
                          TagSpecifications=[{"ResourceType": "instance", "Tags": [
                              {"Key": "Name", "Value": "filler%d" % i}]}])
    alloc = ec2.allocate_address(Domain="vpc")["AllocationId"]
    eip_assoc = ec2.associate_address(AllocationId=alloc, InstanceId=iid)["AssociationId"]
    acl = ec2.describe_network_acls(Filters=[{"Name": "association.subnet-id",
                                              "Values": [sn]}])["NetworkAcls"][0]["NetworkAclId"]
    env.update(CF_T_VPC=vpc, CF_T_SUBNET=sn, CF_T_SG=sg, CF_T_INSTANCE=iid,
               CF_T_ENI=inst["NetworkInterfaces"][0]["NetworkInterfaceId"],
               CF_T_VOLUME=inst["BlockDeviceMappings"][0]["Ebs"]["VolumeId"],
               CF_T_ROOT_DEVICE=inst["BlockDeviceMappings"][0]["DeviceName"],
               CF_T_PRIVATE_IP=inst["PrivateIpAddress"], CF_T_ACL=acl, CF_T_ALLOC=alloc,
               CF_T_EIP_ASSOC=eip_assoc, CF_T_AMI="ami-12c6146b")

    elb = client("elbv2")
    tgs = []
    for i in range(3):
        tg = elb.create_target_group(Name="tg%d" % i, Protocol="HTTP", Port=80 + i,
                                     VpcId=vpc)["TargetGroups"][0]["TargetGroupArn"]
        tgs.append(tg)
    elb.register_targets(TargetGroupArn=tgs[0], Targets=[{"Id": iid, "Port": 80}])
    env.update(CF_T_TG=tgs[0], CF_T_TG_ALL=",".join(tgs))

    asg = client("autoscaling")
    asg.create_launch_configuration(LaunchConfigurationName="lc", ImageId="ami-12c6146b",
                                    InstanceType="t3.micro")
    asg.create_auto_scaling_group(AutoScalingGroupName="web-asg", LaunchConfigurationName="lc",
                                  MinSize=0, MaxSize=4, DesiredCapacity=3,
                                  VPCZoneIdentifier=sn)
    ids = [x["InstanceId"] for x in asg.describe_auto_scaling_instances()["AutoScalingInstances"]]
    env.update(CF_T_ASG="web-asg", CF_T_ASG_INSTANCES=",".join(ids))

    sqs = client("sqs")
    env["CF_T_QUEUE_URL"] = sqs.create_queue(QueueName="casefile-findings")["QueueUrl"]

    client("sesv2").create_email_identity(EmailIdentity="casefile@example.com")

    ebs = client("ebs")
    import base64
    import hashlib
    snap = ebs.start_snapshot(VolumeSize=1, Description="ebs direct test")["SnapshotId"]
    for idx, ch in ((0, b"A"), (3, b"B")):
        data = ch * 524288
        ebs.put_snapshot_block(SnapshotId=snap, BlockIndex=idx, BlockData=data,
                               DataLength=len(data),
                               Checksum=base64.b64encode(hashlib.sha256(data).digest()).decode(),
                               ChecksumAlgorithm="SHA256")
    ebs.complete_snapshot(SnapshotId=snap, ChangedBlocksCount=2)
    env["CF_T_EBS_SNAPSHOT"] = snap
    return env


# ---- the fake for calls moto does not implement ---------------------------------------------

INVOCATIONS = [
    {"CommandId": "cmd-1", "InstanceId": "i-aaa", "InstanceName": "", "Comment": "casefile",
     "DocumentName": "AWS-RunShellScript", "DocumentVersion": "$DEFAULT",
     "RequestedDateTime": 1795800000.5, "Status": "Success", "StatusDetails": "Success",
     "StandardOutputUrl": "", "StandardErrorUrl": "",
     "CommandPlugins": [{"Name": "aws:runShellScript", "Status": "Success",
                         "StatusDetails": "Success", "ResponseCode": 0,
                         "ResponseStartDateTime": 1795800001.0,
                         "ResponseFinishDateTime": 1795800009.25, "Output": "bundle uploaded\n",
                         "StandardOutputUrl": "", "StandardErrorUrl": ""}],
     "ServiceRole": "", "CloudWatchOutputConfig": {}},
    {"CommandId": "cmd-1", "InstanceId": "i-bbb", "Comment": "casefile",
     "DocumentName": "AWS-RunShellScript", "RequestedDateTime": 1795800000.5,
     "Status": "Failed", "StatusDetails": "Failed",
     "CommandPlugins": [{"Name": "aws:runShellScript", "Status": "Failed", "ResponseCode": 2,
                         "Output": "curl: (7) failed\n"}]},
    {"CommandId": "cmd-1", "InstanceId": "i-ccc", "Comment": "casefile",
     "DocumentName": "AWS-RunShellScript", "RequestedDateTime": 1795800000.5,
     "Status": "InProgress", "StatusDetails": "InProgress", "CommandPlugins": []},
]

INSTANCE_INFO = [
    {"InstanceId": "i-aaa", "PingStatus": "Online", "LastPingDateTime": 1795800100.0,
     "AgentVersion": "3.3.40.0", "IsLatestVersion": False, "PlatformType": "Linux",
     "PlatformName": "Amazon Linux", "PlatformVersion": "2023", "ResourceType": "EC2Instance",
     "IPAddress": "10.0.1.4", "ComputerName": "ip-10-0-1-4.ec2.internal"},
    {"InstanceId": "i-bbb", "PingStatus": "ConnectionLost", "LastPingDateTime": 1795700000,
     "AgentVersion": "3.2.0.0", "PlatformType": "Linux", "PlatformName": "Ubuntu",
     "PlatformVersion": "22.04", "ResourceType": "EC2Instance", "IPAddress": "10.0.1.5"},
    {"InstanceId": "i-ccc", "PingStatus": "Online", "PlatformType": "Windows",
     "ResourceType": "EC2Instance"},
]


def ct_event(i):
    rec = {"eventVersion": "1.08", "eventTime": "2026-11-27T10:%02d:00Z" % i,
           "eventSource": "ec2.amazonaws.com", "eventName": "RunInstances",
           "userIdentity": {"type": "IAMUser", "userName": "mallory",
                            "accessKeyId": "AKIAEXAMPLE%d" % i},
           "sourceIPAddress": "203.0.113.7"}
    return {"EventId": "ev-%d" % i, "EventName": "RunInstances" if i % 2 else "GetObject",
            "ReadOnly": "false" if i % 2 else "true", "AccessKeyId": "AKIAEXAMPLE%d" % i,
            "EventTime": 1795780000 + 60 * (7 - i), "EventSource": "ec2.amazonaws.com",
            "Username": "mallory",
            "Resources": [{"ResourceType": "AWS::EC2::Instance", "ResourceName": "i-aaa"}],
            "CloudTrailEvent": json.dumps(rec)}


CT_EVENTS = [ct_event(i) for i in range(7)]


def paged(items, body, key, default_size):
    size = int(body.get("MaxResults") or default_size)
    start = int(body.get("NextToken") or 0)
    out = {key: items[start:start + size]}
    if start + size < len(items):
        out["NextToken"] = str(start + size)
    return out


def hostile(mode, key):
    if mode == "hostile-wrongtype":
        return {key: "not a list"}
    if mode == "hostile-noid":
        return {key: [{"Status": "Success"}]}
    if mode == "hostile-loop":
        return {key: [], "NextToken": "same"}
    if mode == "hostile-badtime":
        return {key: [{"EventId": "x", "InstanceId": "i-x", "CommandId": "c",
                       "EventTime": "yesterday", "LastPingDateTime": 1e300,
                       "RequestedDateTime": -5}]}
    if mode == "hostile-notjson":
        return None
    return {key: []}


def xml_page(action, ns, result_inner, token_elem, token):
    tok = "<%s>%s</%s>" % (token_elem, token, token_elem) if token else ""
    if ns == "ec2":
        return ('<%sResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">%s%s'
                "<requestId>fake</requestId></%sResponse>" % (action, result_inner, tok, action))
    return ('<%sResponse xmlns="%s"><%sResult>%s%s</%sResult><ResponseMetadata><RequestId>fake'
            "</RequestId></ResponseMetadata></%sResponse>"
            % (action, ns, action, result_inner, tok, action, action))


def query_answer(form):
    """Paginated query/ec2 answers (two items a page) for the pagination tests."""
    action = form.get("Action", "")
    if action == "DescribeTargetGroups":
        start = int(form.get("Marker") or 0)
        items = "".join("<member><TargetGroupArn>arn:aws:elasticloadbalancing:us-east-1:1:"
                        "targetgroup/p%d/0</TargetGroupArn><TargetGroupName>p%d</TargetGroupName>"
                        "<Port>%d</Port><LoadBalancerArns><member>arn:lb/%d</member>"
                        "</LoadBalancerArns></member>" % (i, i, 8000 + i, i)
                        for i in range(start, min(start + 2, 5)))
        nxt = str(start + 2) if start + 2 < 5 else None
        return xml_page(action, "http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/",
                        "<TargetGroups>%s</TargetGroups>" % items, "NextMarker", nxt)
    if action == "DescribeAutoScalingInstances":
        start = int(form.get("NextToken") or 0)
        items = "".join("<member><InstanceId>i-p%d</InstanceId><AutoScalingGroupName>g"
                        "</AutoScalingGroupName><LifecycleState>InService</LifecycleState>"
                        "<ProtectedFromScaleIn>true</ProtectedFromScaleIn></member>" % i
                        for i in range(start, min(start + 2, 3)))
        nxt = str(start + 2) if start + 2 < 3 else None
        return xml_page(action, "http://autoscaling.amazonaws.com/doc/2011-01-01/",
                        "<AutoScalingInstances>%s</AutoScalingInstances>" % items, "NextToken",
                        nxt)
    if action == "DescribeSnapshots":
        start = int(form.get("NextToken") or 0)
        items = "".join("<item><snapshotId>snap-p%d</snapshotId><status>completed</status>"
                        "<volumeSize>8</volumeSize><tagSet><item><key>casefile:case</key>"
                        "<value>c-1</value></item></tagSet></item>" % i
                        for i in range(start, min(start + 2, 5)))
        nxt = str(start + 2) if start + 2 < 5 else None
        return xml_page(action, "ec2", "<snapshotSet>%s</snapshotSet>" % items, "nextToken", nxt)
    if action == "DescribeSecurityGroups":  # a server that loops
        return xml_page(action, "ec2", "<securityGroupInfo/>", "nextToken", "again")
    return None


class Fake(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def reply_raw(self, status, data, ctype, headers=()):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("x-amzn-RequestId", "fake-request-id")
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        """EBS direct: ListSnapshotBlocks (paged) and GetSnapshotBlock (good and bad blocks)."""
        import base64
        import hashlib
        from urllib.parse import parse_qs, urlparse
        u = urlparse(self.path)
        q = {k: v[0] for k, v in parse_qs(u.query).items()}
        parts = u.path.strip("/").split("/")
        if not self.headers.get("Authorization", "").startswith("AWS4-HMAC-SHA256 "):
            self.reply_raw(403, b'{"message":"unsigned"}', "application/json")
            return
        if len(parts) == 3 and parts[0] == "snapshots" and parts[2] == "blocks":
            tok = q.get("nextToken") or "0"
            start = int(tok) if tok.isdigit() else 0
            blocks = [{"BlockIndex": i * 10, "BlockToken": "tok-%d" % i}
                      for i in range(start, min(start + 2, 5))]
            out = {"Blocks": blocks, "VolumeSize": 1, "BlockSize": 524288}
            if start + 2 < 5:
                out["NextToken"] = str(start + 2)
            if parts[1] == "snap-loop":
                out["NextToken"] = "same"
            self.reply_raw(200, json.dumps(out).encode(), "application/json")
            return
        if len(parts) == 4 and parts[0] == "snapshots" and parts[2] == "blocks":
            data = b"Z" * 4096
            good = base64.b64encode(hashlib.sha256(data).digest()).decode()
            hdrs = [("x-amz-Checksum", good), ("x-amz-Checksum-Algorithm", "SHA256"),
                    ("x-amz-Data-Length", str(len(data)))]
            if parts[1] == "snap-badsum":
                hdrs[0] = ("x-amz-Checksum", base64.b64encode(b"\0" * 32).decode())
            if parts[1] == "snap-badlen":
                hdrs[2] = ("x-amz-Data-Length", "524288")
            if q.get("blockToken") != "tok-0":
                self.reply_raw(400, b'{"message":"bad token","__type":"ValidationException"}',
                               "application/json")
                return
            self.reply_raw(200, data, "application/octet-stream", hdrs)
            return
        self.reply_raw(404, b'{"message":"no route"}', "application/json")

    def log_message(self, *a):
        pass

    def reply(self, status, obj, raw=None):
        data = raw if raw is not None else json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/x-amz-json-1.1")
        self.send_header("x-amzn-RequestId", "fake-request-id")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self):
        n = int(self.headers.get("Content-Length") or 0)
        if n > 1 << 20:
            self.reply(413, {"__type": "RequestTooLarge", "message": "too large"})
            return
        raw = self.rfile.read(n)
        try:
            body = json.loads(raw or b"{}") if self.headers.get("X-Amz-Target") else {}
        except ValueError:
            self.reply(400, {"__type": "SerializationException", "message": "bad json"})
            return
        target = self.headers.get("X-Amz-Target", "")
        if not target:  # ec2 / query protocol: a form
            from urllib.parse import parse_qs
            form = {k: v[0] for k, v in parse_qs(raw.decode()).items()}
            out = query_answer(form)
            if out is None:
                self.reply_raw(400, b"<ErrorResponse><Error><Code>InvalidAction</Code>"
                               b"</Error></ErrorResponse>", "text/xml")
            else:
                self.reply_raw(200, out.encode(), "text/xml")
            return
        if not self.headers.get("Authorization", "").startswith("AWS4-HMAC-SHA256 "):
            self.reply(403, {"__type": "MissingAuthenticationTokenException",
                             "message": "unsigned"})
            return
        op = target.rsplit(".", 1)[-1]
        if op == "ListCommandInvocations":
            mode = body.get("CommandId", "")
            if mode.startswith("hostile-"):
                out = hostile(mode, "CommandInvocations")
            else:
                items = [x for x in INVOCATIONS
                         if body.get("InstanceId") in (None, x["InstanceId"])]
                out = paged(items, body, "CommandInvocations", 2)
        elif op == "DescribeInstanceInformation":
            want = None
            for f in body.get("Filters", []) or []:
                if f.get("Key") == "InstanceIds":
                    want = f.get("Values")
            if want and want[0].startswith("hostile-"):
                out = hostile(want[0], "InstanceInformationList")
            else:
                items = [x for x in INSTANCE_INFO if want is None or x["InstanceId"] in want]
                out = paged(items, body, "InstanceInformationList", 2)
        elif op == "LookupEvents":
            attrs = body.get("LookupAttributes") or [{}]
            mode = attrs[0].get("AttributeValue", "")
            if mode.startswith("hostile-"):
                out = hostile(mode, "Events")
            else:
                items = CT_EVENTS
                if attrs[0].get("AttributeKey") == "EventName":
                    items = [e for e in items if e["EventName"] == mode]
                if "StartTime" in body:
                    items = [e for e in items if e["EventTime"] >= body["StartTime"]]
                if "EndTime" in body:
                    items = [e for e in items if e["EventTime"] <= body["EndTime"]]
                out = paged(items, body, "Events", 3)
        else:
            self.reply(400, {"__type": "UnknownOperationException", "message": op})
            return
        if out is None:
            self.reply(200, None, raw=b"<html>not json")
        else:
            self.reply(200, out)


def start_fake():
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Fake)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv


# ---- independent checks ---------------------------------------------------------------------

def check(what, args):
    ec2 = client("ec2")
    if what == "acl-entry":  # ACL rule egress(0/1) cidr action -> present
        acl, rule, egress, cidr, action = args
        entries = ec2.describe_network_acls(NetworkAclIds=[acl])["NetworkAcls"][0]["Entries"]
        return any(e["RuleNumber"] == int(rule) and e["Egress"] == (egress == "1") and
                   e.get("CidrBlock") == cidr and e["RuleAction"] == action for e in entries)
    if what == "no-acl-entry":
        acl, rule, egress = args
        entries = ec2.describe_network_acls(NetworkAclIds=[acl])["NetworkAcls"][0]["Entries"]
        return not any(e["RuleNumber"] == int(rule) and e["Egress"] == (egress == "1")
                       for e in entries)
    if what == "eni-has-groups":  # every listed group is on the ENI
        # moto 5.2.1 reports an ENI's groups as the union of its own and its instance's launch
        # groups, so only "contains" can be checked there.
        eni, groups = args
        got = [g["GroupId"] for g in ec2.describe_network_interfaces(
            NetworkInterfaceIds=[eni])["NetworkInterfaces"][0]["Groups"]]
        return set(groups.split(",")) <= set(got)
    if what == "instance-groups":
        iid, groups = args
        got = [g["GroupId"] for g in ec2.describe_instance_attribute(
            InstanceId=iid, Attribute="groupSet")["Groups"]]
        return sorted(got) == sorted(groups.split(","))
    if what == "termination-protection":
        iid, want = args
        v = ec2.describe_instance_attribute(InstanceId=iid, Attribute="disableApiTermination")
        return v["DisableApiTermination"]["Value"] == (want == "1")
    if what == "launch-options":  # instance http-tokens shutdown-behaviour
        iid, tokens, shutdown = args
        inst = ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]
        v = ec2.describe_instance_attribute(InstanceId=iid,
                                            Attribute="instanceInitiatedShutdownBehavior")
        return (inst.get("MetadataOptions", {}).get("HttpTokens") == tokens and
                v["InstanceInitiatedShutdownBehavior"]["Value"] == shutdown)
    if what == "snapshot-tag":
        snap, key, value = args
        s = ec2.describe_snapshots(SnapshotIds=[snap])["Snapshots"][0]
        return any(t["Key"] == key and t["Value"] == value for t in s.get("Tags", []))
    if what == "ses-sent":  # kind (simple/raw) substring
        kind, needle = args
        import urllib.request
        data = json.load(urllib.request.urlopen(EP + "/moto-api/data.json"))
        msgs = data.get("ses", {}).get("Message" if kind == "simple" else "RawMessage", [])
        return any(needle in json.dumps(m) for m in msgs)
    if what == "sqs-empty":
        (url,) = args
        a = client("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=["All"])
        return (a["Attributes"]["ApproximateNumberOfMessages"] == "0" and
                a["Attributes"]["ApproximateNumberOfMessagesNotVisible"] == "0")
    if what == "target-deregistered":
        tg, iid = args
        th = client("elbv2").describe_target_health(TargetGroupArn=tg)
        return not any(t["Target"]["Id"] == iid for t in th["TargetHealthDescriptions"])
    if what == "role-policy":
        role, name = args
        doc = client("iam").get_role_policy(RoleName=role, PolicyName=name)["PolicyDocument"]
        return "Deny" in json.dumps(doc)
    if what == "asg-state":
        iid, state = args
        x = client("autoscaling").describe_auto_scaling_instances(InstanceIds=[iid])
        got = [i["LifecycleState"] for i in x["AutoScalingInstances"]]
        return got == ([state] if state != "none" else [])
    raise SystemExit("unknown check " + what)


def seed_auth():
    iam = client("iam")
    iam.create_user(UserName="limited")  # unauthenticated call 1 of 3
    iam.put_user_policy(UserName="limited", PolicyName="describe-only", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Resource": "*", "Action": [
            "ec2:Describe*", "ec2:CreateSecurityGroup"]}]}))  # 2
    key = iam.create_access_key(UserName="limited")["AccessKey"]  # 3; IAM is enforced from here
    return {"CF_T_LIMITED_KEY": key["AccessKeyId"],
            "CF_T_LIMITED_SECRET": key["SecretAccessKey"]}


def main(argv):
    if len(argv) >= 2 and argv[1] == "check":
        return 0 if check(argv[2], argv[3:]) else 1
    if len(argv) >= 3 and argv[1] == "run-auth" and "--" in argv and EP:
        env = dict(os.environ)
        env.update(seed_auth())
        return subprocess.call(argv[argv.index("--") + 1:], env=env)
    if len(argv) < 3 or argv[1] != "run" or "--" not in argv:
        print(__doc__, file=sys.stderr)
        return 2
    if not EP:
        print("svc_env.py: AWS_ENDPOINT_URL is not set (run under with-moto)", file=sys.stderr)
        return 3
    cmd = argv[argv.index("--") + 1:]
    env = dict(os.environ)
    env.update(seed())
    srv = start_fake()
    env["CF_FAKE_URL"] = "http://127.0.0.1:%d" % srv.server_address[1]
    env["CF_SVC_ENV"] = os.path.abspath(__file__)
    try:
        return subprocess.call(cmd, env=env)
    finally:
        srv.shutdown()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
