#!/usr/bin/env python3
"""Helpers for bench/aws-services/run (the reference side: botocore, boto3, aws CLI).

bench.py make-xml IN OUT N        DescribeInstances body with N instances (from one recorded)
bench.py botocore-parse FILE N    seconds per parse with botocore's EC2 parser (as boto3/CLI)
bench.py seed                     seed moto (AWS_ENDPOINT_URL); prints the instance id
bench.py boto3-triage ID N        seconds per triage round with one warm boto3 client
bench.py cli-triage ID N          seconds per triage round with the aws CLI (one process a call)
"""
import os
import re
import subprocess
import sys
import time


def make_xml(src, dst, n):
    s = open(src).read()
    m = re.search(r"<instancesSet>(.*)</instancesSet>", s, re.S)
    item = m.group(1)
    items = [re.sub(r"i-[0-9a-f]{17}", "i-%017x" % i, item) for i in range(n)]
    open(dst, "w").write(s[:m.start(1)] + "".join(items) + s[m.end(1):])


def botocore_parse(path, n):
    import botocore.session
    from botocore.parsers import create_parser
    model = botocore.session.get_session().get_service_model("ec2")
    op = model.operation_model("DescribeInstances")
    body = open(path, "rb").read()
    parser = create_parser("ec2")
    t0 = time.perf_counter()
    for _ in range(n):
        r = parser.parse({"body": body, "headers": {}, "status_code": 200}, op.output_shape)
    dt = (time.perf_counter() - t0) / n
    count = sum(len(x["Instances"]) for x in r["Reservations"])
    print("%.6f %d" % (dt, count))


def client(name):
    import boto3
    return boto3.client(name, endpoint_url=os.environ["AWS_ENDPOINT_URL"],
                        region_name="us-east-1")


def seed():
    ec2 = client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    sn = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
    sg = ec2.create_security_group(GroupName="web", Description="web", VpcId=vpc)["GroupId"]
    r = ec2.run_instances(ImageId="ami-12c6146b", MinCount=1, MaxCount=1, SubnetId=sn,
                          SecurityGroupIds=[sg])
    print(r["Instances"][0]["InstanceId"])


def boto3_triage(iid, n):
    ec2 = client("ec2")
    t0 = time.perf_counter()
    for _ in range(n):
        i = ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]
        ec2.describe_subnets(SubnetIds=[i["SubnetId"]])
        ec2.describe_vpcs(VpcIds=[i["VpcId"]])
        ec2.describe_network_acls(Filters=[{"Name": "association.subnet-id",
                                            "Values": [i["SubnetId"]]}])
        ec2.describe_security_groups(GroupIds=[i["SecurityGroups"][0]["GroupId"]])
        ec2.describe_volumes(Filters=[{"Name": "attachment.instance-id", "Values": [iid]}])
    print("%.6f" % ((time.perf_counter() - t0) / n))


def cli_triage(iid, n):
    import json
    ep = ["--endpoint-url", os.environ["AWS_ENDPOINT_URL"], "--region", "us-east-1",
          "--output", "json"]

    def aws(*args):
        out = subprocess.run(["aws", "ec2"] + list(args) + ep, check=True,
                             capture_output=True, text=True).stdout
        return json.loads(out)
    t0 = time.perf_counter()
    for _ in range(n):
        i = aws("describe-instances", "--instance-ids", iid)["Reservations"][0]["Instances"][0]
        aws("describe-subnets", "--subnet-ids", i["SubnetId"])
        aws("describe-vpcs", "--vpc-ids", i["VpcId"])
        aws("describe-network-acls", "--filters",
            "Name=association.subnet-id,Values=" + i["SubnetId"])
        aws("describe-security-groups", "--group-ids", i["SecurityGroups"][0]["GroupId"])
        aws("describe-volumes", "--filters", "Name=attachment.instance-id,Values=" + iid)
    print("%.6f" % ((time.perf_counter() - t0) / n))


if __name__ == "__main__":
    a = sys.argv
    {"make-xml": lambda: make_xml(a[2], a[3], int(a[4])),
     "botocore-parse": lambda: botocore_parse(a[2], int(a[3])),
     "seed": seed,
     "boto3-triage": lambda: boto3_triage(a[2], int(a[3])),
     "cli-triage": lambda: cli_triage(a[2], int(a[3]))}[a[1]]()
