#!/usr/bin/env python3
"""Runs the AWS client core benchmarks (see bench/aws/run) and prints one table."""
import datetime
import os
import subprocess
import sys
import tempfile
import time
from unittest import mock

import boto3
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

tool = sys.argv[1]
SIGN_N, STS_N, CLI_N, S3_N = 20000, 200, 10, 5


def c_run(*args):
    out = subprocess.run([tool, *map(str, args)], check=True, capture_output=True, text=True)
    return float(out.stdout.strip())


def py_sign(n):
    creds = Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
    body = "Action=DescribeInstances&Version=2016-11-15"
    t0 = time.perf_counter()
    with mock.patch("botocore.auth.get_current_datetime",
                    return_value=datetime.datetime(2026, 11, 18, 12, 0, 0)):
        for _ in range(n):
            req = AWSRequest(method="POST", url="https://ec2.us-east-1.amazonaws.com/", data=body,
                             headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
            SigV4Auth(creds, "ec2", "us-east-1").add_auth(req)
    return time.perf_counter() - t0


def py_sts(n):
    c = boto3.client("sts")
    c.get_caller_identity()  # client creation and first connection not timed
    t0 = time.perf_counter()
    for _ in range(n):
        c.get_caller_identity()
    return time.perf_counter() - t0


def cli_sts(n):
    t0 = time.perf_counter()
    for _ in range(n):
        subprocess.run(["aws", "sts", "get-caller-identity"], check=True, capture_output=True)
    return time.perf_counter() - t0


def py_s3(n, path):
    c = boto3.client("s3")
    c.create_bucket(Bucket="cf-bench-py")
    t0 = time.perf_counter()
    for _ in range(n):
        c.upload_file(path, "cf-bench-py", "bench/object")
        c.download_file("cf-bench-py", "bench/object", path + ".py")
    return time.perf_counter() - t0


def cli_s3(n, path):
    subprocess.run(["aws", "s3", "mb", "s3://cf-bench-cli"], check=True, capture_output=True)
    t0 = time.perf_counter()
    for _ in range(n):
        subprocess.run(["aws", "s3", "cp", path, "s3://cf-bench-cli/bench/object"], check=True,
                       capture_output=True)
        subprocess.run(["aws", "s3", "cp", "s3://cf-bench-cli/bench/object", path + ".cli"],
                       check=True, capture_output=True)
    return time.perf_counter() - t0


rows = []


def row(workload, unit_n, unit, results):
    base = results[0][1]
    for name, secs in results:
        rows.append((workload, name, unit_n, secs, secs / unit_n * 1000.0, secs / base))


row("SigV4 sign (CPU)", SIGN_N, "sig", [("casefile (C)", c_run("sign", SIGN_N)),
                                         ("botocore SigV4Auth", py_sign(SIGN_N))])
row("STS GetCallerIdentity vs moto", STS_N, "call", [("casefile (C)", c_run("sts", STS_N)),
                                                      ("boto3", py_sts(STS_N))])
cli = cli_sts(CLI_N)
rows.append(("STS GetCallerIdentity vs moto", "aws CLI (process per call)", CLI_N, cli,
             cli / CLI_N * 1000.0, (cli / CLI_N) / (rows[-2][3] / STS_N)))
with tempfile.TemporaryDirectory() as d:
    path = os.path.join(d, "obj.bin")
    with open(path, "wb") as f:
        f.write(os.urandom(32 << 20))
    row("S3 put+get 32 MiB vs moto", S3_N, "round", [("casefile (C)", c_run("s3", S3_N, path)),
                                                      ("boto3 upload/download_file", py_s3(S3_N, path)),
                                                      ("aws s3 cp", cli_s3(S3_N, path))])

print("%-32s %-28s %7s %10s %12s %9s" % ("workload", "tool", "n", "total s", "ms each", "x casefile"))
for w, name, n, secs, each, ratio in rows:
    print("%-32s %-28s %7d %10.3f %12.3f %9.2f" % (w, name, n, secs, each, ratio))
print("\nmachine: %s cores; moto %s on loopback; one run" % (os.cpu_count(),
      __import__("moto").__version__))
