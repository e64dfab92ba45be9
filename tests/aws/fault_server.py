#!/usr/bin/env python3
"""A fault-injecting AWS-like endpoint on loopback, for the client core's retry and credential tests.

fault_server.py -- COMMAND [ARGS...]
  starts the server on a free 127.0.0.1 port, exports CF_FAULT_URL=http://127.0.0.1:PORT, runs
  COMMAND, stops the server whatever happens, and exits with COMMAND's status.

Every route is /<scenario>/<id>/...; counters are per (scenario, id), so each test uses its own id.
GET /stats/<scenario>/<id> returns {"requests": n, "created": m}.
"""
import json
import os
import shutil
import signal
import socket
import ssl
import struct
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOCK = threading.Lock()
REQUESTS = {}
CREATED = {}
TOKENS = {}  # (id, client token) -> instance id
AGENTS = []  # User-Agent of every request, in order
SIGNED = []  # whether each request had an Authorization header
PROXIED = []  # absolute-form request targets (proxy use)

OK_XML = (b'<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">'
          b'<GetCallerIdentityResult><Arn>arn:aws:iam::123456789012:user/fault</Arn>'
          b'<UserId>AIDAFAULT</UserId><Account>123456789012</Account></GetCallerIdentityResult>'
          b'<ResponseMetadata><RequestId>req-ok</RequestId></ResponseMetadata>'
          b'</GetCallerIdentityResponse>')


def query_error(code, status=400):
    return status, ('<ErrorResponse><Error><Type>Sender</Type><Code>%s</Code><Message>injected %s'
                    '</Message></Error><RequestId>req-%s</RequestId></ErrorResponse>'
                    % (code, code, code)).encode()


def creds_doc(expires_in):
    exp = datetime.now(timezone.utc) + timedelta(seconds=expires_in)
    return json.dumps({"Code": "Success", "Type": "AWS-HMAC", "AccessKeyId": "ASIAFAKE%d" % expires_in,
                       "SecretAccessKey": "fakesecret", "Token": "faketoken",
                       "Expiration": exp.strftime("%Y-%m-%dT%H:%M:%SZ")}).encode()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def send(self, status, body, ctype="text/xml", extra=None):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("x-amzn-RequestId", "hdr-req-%d" % status)
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def reset(self):
        # RST instead of FIN: the client sees "connection reset" / "empty reply"
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close_connection = True
        self.connection.close()

    def do_PUT(self):
        self.route("PUT")

    def do_GET(self):
        self.route("GET")

    def do_POST(self):
        self.route("POST")

    def route(self, method):
        data = self.body()
        with LOCK:
            AGENTS.append(self.headers.get("User-Agent", ""))
            SIGNED.append("Authorization" in self.headers)
        if self.path.startswith("http://"):  # absolute form: we are being used as a proxy
            with LOCK:
                REQUESTS[("proxy", "via")] = REQUESTS.get(("proxy", "via"), 0) + 1
                PROXIED.append(self.path)
            return self.send(200, OK_XML)
        url = urllib.parse.urlsplit(self.path)
        parts = url.path.strip("/").split("/")
        if parts[0] == "stats":
            key = (parts[1], parts[2])
            with LOCK:
                doc = {"requests": REQUESTS.get(key, 0), "created": CREATED.get(key, 0),
                       "last_user_agent": AGENTS[-2] if len(AGENTS) > 1 else "",
                       "last_signed": SIGNED[-2] if len(SIGNED) > 1 else None,
                       "last_proxied": PROXIED[-1] if PROXIED else ""}
            return self.send(200, json.dumps(doc).encode(), "application/json")
        if len(parts) < 2:
            return self.send(404, b"no scenario")
        scen, sid = parts[0], parts[1]
        key = (scen, sid)
        with LOCK:
            REQUESTS[key] = REQUESTS.get(key, 0) + 1
            n = REQUESTS[key]
        q = urllib.parse.parse_qs(url.query)
        if scen == "throttle":  # query protocol: Throttling twice, then success
            if n <= 2:
                return self.send(*query_error("Throttling"))
            return self.send(200, OK_XML)
        if scen == "jsonthrottle":  # json protocol: error type only in the header
            if n <= 2:
                return self.send(400, b"{}", "application/x-amz-json-1.1",
                                 {"x-amzn-ErrorType": "ThrottlingException:http://internal.amazon.com/"})
            return self.send(200, b'{"ok":true}', "application/x-amz-json-1.1")
        if scen == "s503":
            if n <= 2:
                return self.send(503, b"<Error><Code>SlowDown</Code><Message>slow</Message></Error>")
            return self.send(200, OK_XML)
        if scen == "s500":  # never recovers
            return self.send(*query_error("InternalError", 500))
        if scen == "denied":
            return self.send(*query_error("AccessDenied", 403))
        if scen == "badrequest":
            return self.send(*query_error("ValidationError", 400))
        if scen == "reset":
            if n <= 1:
                return self.reset()
            return self.send(200, OK_XML)
        if scen == "slow":  # headers and part of the body, then nothing
            if n <= 1:
                self.send_response(200)
                self.send_header("Content-Type", "text/xml")
                self.send_header("Content-Length", str(len(OK_XML)))
                self.end_headers()
                self.wfile.write(OK_XML[:20])
                self.wfile.flush()
                time.sleep(8)
                return self.reset()
            return self.send(200, OK_XML)
        if scen == "endless":  # a body that never ends, one byte at a time
            self.send_response(200)
            self.send_header("Content-Type", "text/xml")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            try:
                for _ in range(200):
                    self.wfile.write(b"1\r\n<\r\n")
                    self.wfile.flush()
                    time.sleep(0.2)
            except OSError:
                pass
            return self.reset()
        if scen == "huge":  # a fast body that never ends
            self.send_response(200)
            self.send_header("Content-Type", "text/xml")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            chunk = b"x" * 65536
            try:
                for _ in range(4096):
                    self.wfile.write(b"10000\r\n" + chunk + b"\r\n")
            except OSError:
                pass
            return self.reset()
        if scen == "xmlbomb":
            bomb = ('<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa">'
                    + "".join('<!ENTITY %s "%s">' % (chr(98 + i), ("&%s;" % chr(97 + i)) * 10)
                              for i in range(8))
                    + ']><GetCallerIdentityResponse>&i;</GetCallerIdentityResponse>')
            return self.send(200, bomb.encode())
        if scen == "jsonbomb":
            return self.send(200, b"[" * 100000 + b"]" * 100000, "application/x-amz-json-1.1")
        if scen == "truncated":
            return self.send(200, OK_XML[: len(OK_XML) // 2])
        if scen == "missing":  # well-formed, but without the fields the caller needs
            return self.send(200, b"<GetCallerIdentityResponse><GetCallerIdentityResult>"
                                  b"<Arn>x</Arn></GetCallerIdentityResult></GetCallerIdentityResponse>")
        if scen == "wrongtype":
            return self.send(200, b'{"Parameters": "not-a-list", "NextToken": 42}',
                             "application/x-amz-json-1.1")
        if scen == "expired":
            if n <= 1:
                return self.send(*query_error("ExpiredToken", 400))
            return self.send(200, OK_XML)
        if scen == "token":  # RunInstances with a ClientToken; the first answer is lost
            form = urllib.parse.parse_qs(data.decode())
            tok = form.get("ClientToken", [""])[0]
            with LOCK:
                if tok and (sid, tok) in TOKENS:
                    iid = TOKENS[(sid, tok)]
                else:
                    CREATED[key] = CREATED.get(key, 0) + 1
                    iid = "i-%017d" % CREATED[key]
                    if tok:
                        TOKENS[(sid, tok)] = iid
            if n == 1:
                return self.reset()  # created, but the client never hears it
            body = ('<RunInstancesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">'
                    '<requestId>req-run-%d</requestId><instancesSet><item><instanceId>%s'
                    '</instanceId></item></instancesSet></RunInstancesResponse>' % (n, iid))
            return self.send(200, body.encode())
        if scen == "container":
            want = "Bearer test-container-token"
            if self.headers.get("Authorization") != want:
                return self.send(401, b"missing token", "text/plain")
            exp = int(q.get("exp", ["3600"])[0])
            return self.send(200, creds_doc(exp), "application/json")
        if scen == "imds":
            rest = "/".join(parts[2:])
            tok = "imds-token-" + sid
            if method == "PUT" and rest == "latest/api/token":
                if not self.headers.get("X-aws-ec2-metadata-token-ttl-seconds"):
                    return self.send(400, b"ttl required", "text/plain")
                return self.send(200, tok.encode(), "text/plain")
            if self.headers.get("X-aws-ec2-metadata-token") != tok:
                return self.send(401, b"", "text/plain")
            if rest == "latest/meta-data/iam/security-credentials":
                return self.send(200, b"fault-role\n", "text/plain")
            if rest == "latest/meta-data/iam/security-credentials/fault-role":
                return self.send(200, creds_doc(7200), "application/json")
            return self.send(404, b"", "text/plain")
        return self.send(404, b"unknown scenario")


def main(argv):
    if "--" not in argv:
        print(__doc__, file=sys.stderr)
        return 2
    cmd = argv[argv.index("--") + 1:]
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    env = dict(os.environ)
    env["CF_FAULT_URL"] = "http://127.0.0.1:%d" % srv.server_address[1]
    # the same routes over TLS, with a self-signed certificate made now
    tmp = tempfile.mkdtemp(prefix="cf-fault-tls-")
    cert, key = os.path.join(tmp, "cert.pem"), os.path.join(tmp, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", key, "-out", cert], check=True, capture_output=True)
    tls = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    tls.daemon_threads = True
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    tls.socket = ctx.wrap_socket(tls.socket, server_side=True)
    threading.Thread(target=tls.serve_forever, daemon=True).start()
    env["CF_FAULT_TLS_URL"] = "https://127.0.0.1:%d" % tls.server_address[1]
    env["CF_FAULT_TLS_CA"] = cert
    env["NO_PROXY"] = env["no_proxy"] = "127.0.0.1,localhost"
    child = subprocess.Popen(cmd, env=env)

    def forward(sig, _frame):
        if child.poll() is None:
            child.send_signal(sig)

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, forward)
    rc = child.wait()
    srv.shutdown()
    tls.shutdown()
    shutil.rmtree(tmp, ignore_errors=True)
    return 128 - rc if rc < 0 else rc


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
