"""Helpers for the casefile-agent tests: run the agent, load and verify a bundle.

verify_bundle() is the contract check every test goes through: manifest.json parses, every
file it lists exists with the SHA-256, size and record count it claims, every line of every
.jsonl file is one JSON object in strict UTF-8, no file is left out of the manifest, and no
path escapes the bundle.
"""
import hashlib
import io
import json
import os
import shlex
import subprocess
import tarfile

TABLES = ["system", "processes", "sockets", "open_files", "process_maps", "sessions",
          "kernel_modules", "mounts", "interfaces", "routes", "arp", "dns", "anomalies"]


class Failure(Exception):
    pass


def check(cond, msg):
    if not cond:
        raise Failure(msg)


def agent_cmd():
    cmd = os.environ.get("CFA_AGENT")
    if not cmd:
        raise SystemExit("CFA_AGENT is not set")
    return shlex.split(cmd)


def run_agent(args, timeout=120, expect_rc=0, stdin=None, capture_stdout=False):
    cmd = agent_cmd() + list(args)
    p = subprocess.run(cmd, stdin=stdin, stdout=subprocess.PIPE if capture_stdout else None,
                       stderr=subprocess.PIPE, timeout=timeout)
    if expect_rc is not None and p.returncode != expect_rc:
        raise Failure("agent %s exited %d (want %d): %s" %
                      (" ".join(args), p.returncode, expect_rc, p.stderr.decode(errors="replace")))
    return p


def parse_jsonl(data, name):
    rows = []
    text = data.decode("utf-8")  # strict: invalid UTF-8 fails the test
    for i, line in enumerate(text.split("\n")):
        if line == "":
            check(i == len(text.split("\n")) - 1, "%s: empty line %d" % (name, i + 1))
            continue
        obj = json.loads(line)
        check(isinstance(obj, dict), "%s:%d is not an object" % (name, i + 1))
        rows.append(obj)
    return rows


def verify_files(files, manifest):
    """files: {relpath: bytes}. Returns {table: rows}."""
    check(manifest.get("schema") == "casefile.bundle/1", "schema")
    check(manifest.get("kind") == "volatile", "kind")
    check(manifest.get("collector", {}).get("name") == "casefile-agent", "collector")
    for k in ("started_at", "finished_at"):
        check(isinstance(manifest.get(k), str) and manifest[k].endswith("Z"), k)
    listed = {}
    for e in manifest["files"]:
        p = e["path"]
        check(not p.startswith("/") and ".." not in p.split("/"), "unsafe path %s" % p)
        check(p not in listed, "listed twice: %s" % p)
        listed[p] = e
        check(p in files, "manifest lists missing file %s" % p)
        data = files[p]
        check(hashlib.sha256(data).hexdigest() == e["sha256"], "sha256 mismatch for %s" % p)
        check(len(data) == e["bytes"], "size mismatch for %s" % p)
    extra = set(files) - set(listed) - {"manifest.json"}
    check(not extra, "files not in the manifest: %s" % sorted(extra))
    tables = {}
    for p, data in files.items():
        if p.endswith(".jsonl"):
            rows = parse_jsonl(data, p)
            if "records" in listed[p]:
                check(listed[p]["records"] == len(rows), "record count of %s" % p)
            tables[p[:-len(".jsonl")]] = rows
    for t in TABLES:
        check(t in tables, "table %s missing" % t)
    for err in manifest.get("errors", []):
        check(set(err) == {"source", "error"}, "error shape %r" % err)
    return tables


def load_dir(path):
    files = {}
    for dirpath, _, names in os.walk(path):
        for n in names:
            full = os.path.join(dirpath, n)
            rel = os.path.relpath(full, path)
            with open(full, "rb") as f:
                files[rel] = f.read()
    check("manifest.json" in files, "no manifest.json")
    manifest = json.loads(files["manifest.json"].decode("utf-8"))
    return manifest, verify_files(files, manifest), files


def load_tar(data):
    tf = tarfile.open(fileobj=io.BytesIO(data), mode="r:")
    members = tf.getmembers()
    check(members and members[-1].name == "manifest.json", "manifest.json is not the last member")
    files = {}
    for m in members:
        check(m.isfile(), "non-file member %s" % m.name)
        check(m.name not in files, "duplicate member %s" % m.name)
        files[m.name] = tf.extractfile(m).read()
    manifest = json.loads(files["manifest.json"].decode("utf-8"))
    return manifest, verify_files(files, manifest), files


def by_pid(rows):
    return {r["pid"]: r for r in rows if "pid" in r}


def run_tests(tests):
    """Runs test functions, prints one line each, returns the exit status."""
    import sys
    import traceback
    only = os.environ.get("CFA_ONLY")
    failed = 0
    for t in tests:
        if only and only not in t.__name__:
            continue
        try:
            t()
            print("ok   %s" % t.__name__, flush=True)
        except Exception:  # noqa: BLE001 - report every failure, keep going
            failed += 1
            print("FAIL %s" % t.__name__, flush=True)
            traceback.print_exc()
    print("%d failed" % failed)
    sys.stdout.flush()
    return 1 if failed else 0
