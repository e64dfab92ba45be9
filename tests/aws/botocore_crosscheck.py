#!/usr/bin/env python3
"""Cross-check casefile's SigV4 signer against botocore's (SigV4Auth, S3SigV4Auth, SigV4QueryAuth,
S3SigV4QueryAuth) over a few hundred generated requests with awkward paths, queries, headers and
bodies, at a fixed time, with a fixed seed.

botocore_crosscheck.py SIGN_TOOL [N]
  writes the cases (with botocore's answers) as JSON Lines, runs SIGN_TOOL on them; SIGN_TOOL
  signs each case with cf_sigv4 and compares. Exit 0 only when every case matches.
"""
import datetime
import hashlib
import json
import os
import random
import subprocess
import sys
import tempfile
from unittest import mock
from urllib.parse import quote, urlsplit, parse_qsl

from botocore.auth import S3SigV4Auth, S3SigV4QueryAuth, SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

SEED = 20261127
WHEN = datetime.datetime(2026, 11, 27, 12, 34, 56)
ATOMS = ["a", "B", "0", " ", "+", "=", "&", "%", "~", "-", "_", ".", "!", "*", "'", "(", ")",
         ":", "@", ",", ";", "$", "?", "#", "[", "]", "é", "ሴ", "😀", "/", "..", "%2F", "\\"]


def word(rng, lo=0, hi=8):
    return "".join(rng.choice(ATOMS) for _ in range(rng.randint(lo, hi)))


def gen_path(rng, s3):
    segs = []
    for _ in range(rng.randint(0, 5)):
        r = rng.random()
        if r < 0.1:
            segs.append(".")
        elif r < 0.2:
            segs.append("..")
        elif r < 0.27:
            segs.append("")  # '//'
        else:
            segs.append(quote(word(rng, 1, 10), safe="-_.~" if s3 else "-_.~"))
    path = "/" + "/".join(segs)
    if rng.random() < 0.3 and not path.endswith("/"):
        path += "/"
    return path


def gen_query(rng):
    pairs = []
    for _ in range(rng.choice([0, 0, 1, 2, 3, 5])):
        k = word(rng, 1, 6)
        v = word(rng, 0, 8) if rng.random() < 0.8 else ""
        pairs.append((k, v))
    if pairs and rng.random() < 0.2:
        pairs.append((pairs[0][0], word(rng, 0, 4)))  # repeated key
    return pairs


def encode_pairs(pairs):
    return "&".join(quote(k, safe="-_.~") + "=" + quote(v, safe="-_.~") for k, v in pairs)


def gen_headers(rng):
    hs = {}
    for i in range(rng.randint(0, 4)):
        name = rng.choice(["X-Amz-Meta-", "My-Header", "x-custom-", "Content-Type", "X-Amz-Target"])
        if name.endswith("-"):
            name += "".join(rng.choice("abcXYZ09") for _ in range(3))
        val = rng.choice(["  lead", "trail  ", "a   b\t c", "VALUE", "x,y", "", "a=b;c",
                          "application/x-amz-json-1.1", " multi  space  inner "])
        hs[name] = val
    return hs


def main(argv):
    tool = argv[1]
    n = int(argv[2]) if len(argv) > 2 else 400
    rng = random.Random(SEED)
    cases = []
    with mock.patch("botocore.auth.get_current_datetime", return_value=WHEN):
        for i in range(n):
            s3 = rng.random() < 0.4
            presign = rng.random() < 0.3
            region = rng.choice(["us-east-1", "eu-west-3", "ap-southeast-2", "cn-north-1"])
            service = "s3" if s3 else rng.choice(["ec2", "ssm", "sts", "email", "execute-api"])
            host = rng.choice(["example.amazonaws.com", "bucket.s3.us-west-2.amazonaws.com",
                               "127.0.0.1:4566", "[::1]:5000"])
            token = rng.choice([None, None, "FwoGZXIvYXdzE+/=token" + str(i)])
            creds = Credentials("AKID%04d" % i, "secret/+%d=" % i, token)
            method = rng.choice(["GET", "POST", "PUT", "DELETE", "HEAD"])
            path = gen_path(rng, s3)
            pairs = gen_query(rng)
            if presign:
                # botocore's presigner keeps one value per key
                seen = {}
                for k, v in pairs:
                    seen.setdefault(k, v)
                pairs = list(seen.items())
            q = encode_pairs(pairs)
            url = "http://%s%s%s" % (host, path, ("?" + q) if q else "")
            body = b"" if presign or method in ("GET", "HEAD") else \
                bytes(rng.randrange(256) for _ in range(rng.randint(0, 64)))
            headers = {} if presign else gen_headers(rng)
            req = AWSRequest(method=method, url=url, data=body, headers=dict(headers))
            req.headers["Host"] = host
            if presign:
                expires = rng.choice([1, 60, 3600, 604800])
                cls = S3SigV4QueryAuth if s3 else SigV4QueryAuth
                cls(creds, service, region, expires=expires).add_auth(req)
                got = dict(parse_qsl(urlsplit(req.url).query, keep_blank_values=True))
                cases.append({"kind": "presign", "s3": s3, "method": method, "path": path,
                              "query": q, "headers": [["host", host]],
                              "payload_hash": "UNSIGNED-PAYLOAD" if s3 else hashlib.sha256(b"").hexdigest(),
                              "region": region, "service": service,
                              "access_key_id": creds.access_key, "secret_access_key": creds.secret_key,
                              "session_token": token or "", "time": WHEN.strftime("%Y-%m-%dT%H:%M:%SZ"),
                              "expires": expires, "expect": got["X-Amz-Signature"],
                              "expect_params": sorted(k for k in got if k != "X-Amz-Signature")})
            else:
                cls = S3SigV4Auth if s3 else SigV4Auth
                cls(creds, service, region).add_auth(req)
                authz = req.headers["Authorization"]
                signed = authz.split("SignedHeaders=")[1].split(",")[0].split(";")
                sent = [[k, v] for k, v in req.headers.items() if k.lower() in signed]
                payload = req.headers.get("X-Amz-Content-SHA256") or hashlib.sha256(body).hexdigest()
                cases.append({"kind": "header", "s3": s3, "method": method, "path": path,
                              "query": q, "headers": sent, "payload_hash": payload,
                              "region": region, "service": service,
                              "access_key_id": creds.access_key, "secret_access_key": creds.secret_key,
                              "time": WHEN.strftime("%Y-%m-%dT%H:%M:%SZ"), "expect": authz})
    fd, path = tempfile.mkstemp(prefix="cf-sigv4-", suffix=".jsonl")
    with os.fdopen(fd, "w") as f:
        for c in cases:
            f.write(json.dumps(c, ensure_ascii=False) + "\n")
    try:
        r = subprocess.run([tool, path], capture_output=True, text=True)
    finally:
        os.unlink(path)
    sys.stdout.write(r.stdout)
    sys.stderr.write(r.stderr)
    want = "compared %d cases, 0 mismatches" % len(cases)
    if r.returncode != 0 or want not in r.stdout:
        print("FAIL: expected '%s'" % want)
        return 1
    print("OK: %d requests signed identically by botocore and casefile" % len(cases))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
