"""Helpers for the report's Python tests: fixtures, the casefile command, headless Chromium,
a small PNG decoder and an HTML DOM walker (standard library only)."""
import html.parser
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib

SKIP = 77  # ctest SKIP_RETURN_CODE

BIN_DIR = os.environ.get("CF_BIN_DIR", "")
TEST_BIN_DIR = os.environ.get("CF_TEST_BIN_DIR", "")
SOURCE_DIR = os.environ.get("CF_SOURCE_DIR", os.path.dirname(os.path.dirname(
    os.path.dirname(os.path.abspath(__file__)))))
CASEFILE = os.path.join(BIN_DIR, "casefile")
FIXTURE = os.path.join(TEST_BIN_DIR, "report_fixture")
NOW = "2026-11-27T20:00:00Z"


def fail(msg):
    print("FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


def check(cond, msg):
    if not cond:
        fail(msg)


def tmpdir(tag):
    d = tempfile.mkdtemp(prefix="cf-report-%s-" % tag)
    return d


def make_case(d, hostile=False, events=0, analysis=True):
    args = [FIXTURE, d]
    if hostile:
        args.append("--hostile")
    if events:
        args += ["--events", str(events)]
    if not analysis:
        args.append("--no-analysis")
    subprocess.run(args, check=True)


def run_report(case, out, *extra, expect=0):
    p = subprocess.run([CASEFILE, "report", "--case", case, "--out", out, "--now", NOW] +
                       list(extra), capture_output=True, text=True)
    if p.returncode != expect:
        fail("casefile report exited %d (expected %d): %s%s" % (p.returncode, expect, p.stdout,
                                                                 p.stderr))
    return p


def chromium_path():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        p = shutil.which(name)
        if p:
            return p
    return None


def require_chromium(test):
    p = chromium_path()
    if not p:
        print("SKIPPED %s: chromium is not installed (apt-get install chromium; it is in "
              "scripts/packages.txt)" % test)
        sys.exit(SKIP)
    return p


def chromium(args, timeout=90):
    """Runs headless Chromium with a fresh profile, no network and no background services."""
    exe = chromium_path()
    profile = tempfile.mkdtemp(prefix="cf-chromium-")
    cmd = [exe, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync",
           "--disable-extensions", "--disable-default-apps", "--mute-audio",
           "--host-resolver-rules=MAP * ~NOTFOUND", "--user-data-dir=" + profile] + args
    try:
        p = subprocess.run(cmd, capture_output=True, timeout=timeout)
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    return p


def dump_dom(path):
    p = chromium(["--virtual-time-budget=3000", "--dump-dom", "file://" + path])
    if p.returncode != 0 or not p.stdout:
        fail("chromium --dump-dom failed (%d): %s" % (p.returncode, p.stderr[-2000:]))
    return p.stdout.decode("utf-8", "replace")


class Dom(html.parser.HTMLParser):
    """Elements (tag, attrs) and the text of a serialized DOM."""

    def __init__(self, text):
        super().__init__(convert_charrefs=True)
        self.elements = []
        self.texts = []
        self.title = ""
        self._in_title = False
        self.feed(text)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, attrs))
        if tag == "title" and not self.title:
            self._in_title = True

    def handle_startendtag(self, tag, attrs):
        self.elements.append((tag, attrs))

    def handle_endtag(self, tag):
        if tag == "title":
            self._in_title = False

    def handle_data(self, data):
        self.texts.append(data)
        if self._in_title:
            self.title += data

    def text(self):
        return "".join(self.texts)


def png_decode(path):
    """(width, height, rows of RGB tuples) of an 8-bit RGB or RGBA PNG."""
    with open(path, "rb") as f:
        data = f.read()
    check(data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG: " + path)
    pos, idat, w = 8, [], 0
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            w, h, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", body)
            check(depth == 8 and ctype in (2, 6) and interlace == 0,
                  "unsupported PNG (depth %d, colour type %d)" % (depth, ctype))
            bpp = 3 if ctype == 2 else 4
        elif kind == b"IDAT":
            idat.append(body)
        pos += 12 + n
    raw = zlib.decompress(b"".join(idat))
    stride = w * bpp
    prev = bytearray(stride)
    rows = []
    for y in range(h):
        off = y * (stride + 1)
        ft = raw[off]
        line = bytearray(raw[off + 1:off + 1 + stride])
        if ft == 1:
            for i in range(bpp, stride):
                line[i] = (line[i] + line[i - bpp]) & 255
        elif ft == 2:
            line = bytearray((a + b) & 255 for a, b in zip(line, prev))
        elif ft == 3:
            for i in range(stride):
                left = line[i - bpp] if i >= bpp else 0
                line[i] = (line[i] + ((left + prev[i]) >> 1)) & 255
        elif ft == 4:
            for i in range(stride):
                a = line[i - bpp] if i >= bpp else 0
                b = prev[i]
                c = prev[i - bpp] if i >= bpp else 0
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pr = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                line[i] = (line[i] + pr) & 255
        rows.append(bytes(line))
        prev = line
    return w, h, bpp, rows


def load_json(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)
