#!/usr/bin/env python3
"""`casefile report` end to end: the three files, in-page link integrity, exit codes, graceful
degradation without analysis tables, the Markdown through an independent renderer (cmark-gfm,
with raw HTML allowed so unescaped markup would show), and both e-mails through an independent
MIME parser (python3's email package)."""
import email
import json
import os
import re
import shutil
import subprocess
import sys
from email import policy

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import reportlib as rl  # noqa: E402

URL = ("https://ir-evidence.s3.amazonaws.com/cases/cf-20261127-7f3a/report/report.html?"
       "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIA%2F20261127&X-Amz-Expires=604800"
       "&X-Amz-Signature=0123456789abcdef")


def test_files_and_links(d):
    case, out = os.path.join(d, "case"), os.path.join(d, "out")
    rl.make_case(case)
    rl.run_report(case, out)
    for name in ("report.html", "report.json", "report.md"):
        rl.check(os.path.getsize(os.path.join(out, name)) > 1000, name + " missing or tiny")
    rep = rl.load_json(os.path.join(out, "report.json"))
    rl.check(rep["schema"] == "casefile.report/1", "schema")
    rl.check(rep["generated_at"].startswith("2026-11-27T20:00:00"), "--now not used")
    rl.check(len(rep["detections"]) == 7, "detections: %d" % len(rep["detections"]))
    rl.check(rep["summary"]["severity"] == "critical", "severity")
    rl.check(rep["case"]["attacker_ips"] == ["203.0.113.66"], "attacker ips")
    rl.check(len(rep["story"]) == 3, "story (narrative without the response rows)")
    rl.check(any(e["rule_id"] == "broken.rule" for e in rep["rule_errors"]), "rule errors")
    did = rep["summary"]["casefile_did"]
    rl.check(any("block_ip: denied attacker traffic in network ACL" in x and x.endswith("(x2)")
                 for x in did), "repeated changes not grouped: %s" % did)
    rl.check(any("FAILED: ValidationError" in x for x in did), "failed change not shown")
    # Every in-page link has its target; every detection's evidence row is there.
    with open(os.path.join(out, "report.html"), encoding="utf-8") as f:
        dom = rl.Dom(f.read())
    ids = {v for _, a in dom.elements for k, v in a if k == "id"}
    hrefs = [v for _, a in dom.elements for k, v in a if k == "href"]
    local = [h[1:] for h in hrefs if h.startswith("#")]
    rl.check(len(local) > 20, "few in-page links: %d" % len(local))
    missing = sorted({h for h in local if h not in ids})
    rl.check(not missing, "links without a target: %s" % missing)
    for det in rep["detections"]:
        rl.check(det["anchor"] in ids, "detection anchor " + det["anchor"])
        for ev in det["evidence"]:
            rl.check(ev["anchor"] in ids, "evidence anchor " + ev["anchor"])
    rl.check(all(h.startswith("#") or h.startswith("https://attack.mitre.org/techniques/")
                 for h in hrefs), "external link in the report")
    rl.check("<script" not in open(os.path.join(out, "report.html")).read(), "script in report")
    # --format
    out2 = os.path.join(d, "out-md")
    rl.run_report(case, out2, "--format", "md")
    rl.check(sorted(os.listdir(out2)) == ["report.md"], "--format md wrote %s" % os.listdir(out2))
    # bounds: --max-events
    out3 = os.path.join(d, "out-bounded")
    rl.run_report(case, out3, "--max-events", "3", "--format", "json")
    tl = rl.load_json(os.path.join(out3, "report.json"))["timeline"]
    rl.check(len(tl["events"]) == 3 and tl["total"] > 3, "--max-events not applied")
    return case, out


def test_exit_codes(d, case):
    def code(*args):
        return subprocess.run([rl.CASEFILE, "report"] + list(args), capture_output=True).returncode
    rl.check(code("--case", os.path.join(d, "nope"), "--out", d) == 2, "missing case.db -> 2")
    rl.check(not os.path.exists(os.path.join(d, "nope", "case.db")), "report created a case.db")
    rl.check(code("--case", case, "--format", "pdf") == 2, "bad format -> 2")
    rl.check(code("--case", case, "--bogus") == 2, "unknown option -> 2")
    rl.check(code("--case", case, "--eml", os.path.join(d, "x.eml")) == 2, "--eml without --from")
    rl.check(code("--help") == 0, "--help -> 0")
    rl.check(code() == 2, "no args -> 2")


def test_no_analysis(d):
    case, out = os.path.join(d, "bare"), os.path.join(d, "bare-out")
    rl.make_case(case, analysis=False)
    rl.run_report(case, out)
    with open(os.path.join(out, "report.html"), encoding="utf-8") as f:
        rl.check("No detection rule matched." in f.read(), "core-only case")
    rep = rl.load_json(os.path.join(out, "report.json"))
    rl.check(rep["story"] == [] and rep["evidence_rows"] == [], "core-only model")


class MdHtml(rl.Dom):
    pass


def pipes(line):
    return len(re.findall(r"(?<!\\)\|", line))


def test_markdown(d):
    cmark = shutil.which("cmark-gfm")
    if not cmark:
        rl.fail("cmark-gfm is not installed (scripts/packages.txt lists it)")
    case, out = os.path.join(d, "hcase"), os.path.join(d, "hout")
    rl.make_case(case, hostile=True)
    rl.run_report(case, out)
    planted = rl.load_json(os.path.join(case, "planted.json"))["planted"]
    with open(os.path.join(out, "report.md"), encoding="utf-8") as f:
        md = f.read()
    # Tables keep their shape: every row has the header's number of cell separators.
    header = None
    for line in md.splitlines():
        if line.startswith("|"):
            if header is None:
                header = pipes(line)
            rl.check(pipes(line) == header, "table row broken by a value: %r" % line[:160])
        else:
            header = None
    p = subprocess.run([cmark, "--unsafe", "-e", "table", "-e", "autolink", "-e",
                        "strikethrough", "-e", "tagfilter"], input=md.encode(),
                       capture_output=True, check=True)
    dom = rl.Dom(p.stdout.decode())
    allowed = {"h1", "h2", "h3", "p", "ul", "ol", "li", "table", "thead", "tbody", "tr", "th",
               "td", "code", "strong", "hr", "pre"}
    bad = sorted({t for t, _ in dom.elements if t not in allowed})
    # GFM turns a bare e-mail address into a mailto: link whatever the escaping; nothing else
    # may become a link.
    links = [dict(a).get("href", "") for t, a in dom.elements if t == "a"]
    bad += ["a href=%r" % h for h in links if not h.startswith("mailto:")]
    bad = [b for b in bad if b != "a"]
    rl.check(not bad, "Markdown produced elements %s (links, images or raw HTML)" % bad)
    text = dom.text()
    for pl in planted:
        rl.check(pl["text"] in text, "Markdown: planted %s not shown literally: %r" %
                 (pl["field"], pl["text"][:100]))
    return case


def parse_eml(path):
    with open(path, "rb") as f:
        raw = f.read()
    for i, line in enumerate(raw.split(b"\r\n")[:-1]):
        rl.check(b"\n" not in line and b"\r" not in line, "bare CR or LF in line %d" % i)
        rl.check(len(line) <= 78, "line %d has %d characters" % (i, len(line)))
    rl.check(raw.endswith(b"\r\n"), "message does not end with CRLF")
    msg = email.message_from_bytes(raw, policy=policy.default)
    for part in msg.walk():
        rl.check(not part.defects, "MIME defects: %s" % part.defects)
    return msg, raw


def test_emails(d, case_benign, case_hostile):
    out = os.path.join(d, "mail")
    eml, alert = os.path.join(out, "report.eml"), os.path.join(out, "alert.eml")
    rl.run_report(case_benign, out, "--eml", eml, "--alert-eml", alert, "--from",
                  "casefile <ir@example.com>", "--to", "soc@example.com", "--to",
                  "oncall@example.com", "--report-url", URL)
    msg, raw = parse_eml(eml)
    rl.check(msg.get_content_type() == "multipart/mixed", "top type " + msg.get_content_type())
    parts = list(msg.iter_parts())
    rl.check(parts[0].get_content_type() == "multipart/alternative", "first part")
    alt = [p.get_content_type() for p in parts[0].iter_parts()]
    rl.check(alt == ["text/plain", "text/html"], "alternative parts %s" % alt)
    rl.check(msg["To"].addresses[1].addr_spec == "oncall@example.com", "To")
    rl.check(str(msg["Subject"]).startswith("[casefile] CRITICAL: "), "subject " + msg["Subject"])
    rl.check(msg["Message-ID"] and msg["Date"] and msg["MIME-Version"] == "1.0", "headers")
    text = msg.get_body(preferencelist=("plain",)).get_content()
    html = msg.get_body(preferencelist=("html",)).get_content()
    rl.check(URL in text, "link missing from the text part")
    rl.check('href="%s"' % URL.replace("&", "&amp;") in html, "link missing from the HTML part")
    rl.check("What you must do next" in text and "What you must do next" in html, "summary")
    att = [p for p in msg.iter_attachments()]
    rl.check(len(att) == 1 and att[0].get_filename() == "report.html", "attachment")
    with open(os.path.join(out, "report.html"), "rb") as f:
        rl.check(att[0].get_content().encode() == f.read() if isinstance(
            att[0].get_content(), str) else att[0].get_content() == f.read(),
            "attachment differs from report.html")
    # Too big to attach: the link only.
    eml2 = os.path.join(out, "small.eml")
    rl.run_report(case_benign, out, "--eml", eml2, "--from", "ir@example.com", "--to",
                  "soc@example.com", "--report-url", URL, "--attach-limit", "1000")
    msg2, _ = parse_eml(eml2)
    rl.check(not list(msg2.iter_attachments()), "attached despite --attach-limit")
    rl.check("too large to attach" in msg2.get_body(preferencelist=("plain",)).get_content(),
             "no note about the missing attachment")
    # The alert.
    am, _ = parse_eml(alert)
    rl.check("ALERT" in str(am["Subject"]) and "i-0b2c3d4e5f6a7b8c9" in str(am["Subject"]),
             "alert subject " + str(am["Subject"]))
    at = am.get_body(preferencelist=("plain",)).get_content()
    for want in ("203.0.113.66", "i-0b2c3d4e5f6a7b8c9", "us-east-1b", "cf-20261127-7f3a",
                 "Backdoor:EC2/C&CActivity.B", "What casefile is doing now"):
        rl.check(want in at, "alert text lacks " + want)
    rl.check("C&amp;CActivity" in am.get_body(preferencelist=("html",)).get_content(),
             "alert HTML not escaped")
    # Hostile case: the planted case id is in the subject, encoded, without header injection.
    eml3 = os.path.join(out, "hostile.eml")
    rl.run_report(case_hostile, out, "--eml", eml3, "--alert-eml", os.path.join(out, "ha.eml"),
                  "--from", "ir@example.com", "--to", "soc@example.com")
    hm, hraw = parse_eml(eml3)
    rl.check("<script>" in str(hm["Subject"]), "planted subject text lost")
    rl.check(set(k.lower() for k in hm.keys()) <= {"from", "to", "subject", "date", "message-id",
                                                     "mime-version", "auto-submitted",
                                                     "content-type"}, "extra headers %s" %
             hm.keys())
    parse_eml(os.path.join(out, "ha.eml"))


def main():
    d = rl.tmpdir("cli")
    case, _ = test_files_and_links(d)
    test_exit_codes(d, case)
    test_no_analysis(d)
    hostile = test_markdown(d)
    test_emails(d, case, hostile)
    shutil.rmtree(d, ignore_errors=True)
    print("ok")


main()
