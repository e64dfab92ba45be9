#!/usr/bin/env python3
"""The XSS test: script and markup planted in every field the report shows (file names, command
lines, log lines, user agents, rule titles, entity values, step errors, action details, case
info) must not execute in a real browser, and must be shown as text.

1. A control page with the same payloads *unescaped* proves the harness sees execution (the
   payloads set document.title to PWNED-n or add a data-pwned attribute).
2. The report is rendered in headless Chromium twice: as written, and with its
   Content-Security-Policy removed (so the escaping alone is tested, not just the CSP).
3. The dumped DOM must hold no element or attribute that the planted markup would create, the
   title must be the report's, and every planted string must be there as text.
"""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import reportlib as rl  # noqa: E402

rl.require_chromium("test_report_xss")

# Elements that may appear in the report (anything else came from planted markup).
ALLOWED = {"html", "head", "meta", "title", "style", "body", "header", "div", "span", "h1", "h2",
           "h3", "b", "strong", "nav", "a", "main", "section", "p", "ul", "ol", "li", "table",
           "tbody", "tr", "th", "td", "dl", "dt", "dd", "br", "code", "i", "footer", "svg",
           "rect", "line", "text"}
ATTRS = {"lang", "charset", "http-equiv", "content", "name", "class", "id", "href", "rel",
         "style", "xmlns", "viewbox", "role", "aria-label", "x", "y", "x1", "x2", "y1", "y2",
         "width", "height", "fill", "stroke", "stroke-width", "font-size", "text-anchor"}


def assert_clean(dom, what, case_id, planted, titles):
    tags = [t for t, _ in dom.elements]
    bad = sorted({t for t in tags if t not in ALLOWED})
    rl.check(not bad, "%s: planted elements in the DOM: %s" % (what, bad))
    rl.check(tags.count("svg") == 1, "%s: %d <svg> (expected only the chart)" %
             (what, tags.count("svg")))
    rl.check(tags.count("style") == 1, "%s: %d <style>" % (what, tags.count("style")))
    metas = [dict(a) for t, a in dom.elements if t == "meta"]
    rl.check(not any((m.get("http-equiv") or "").lower() == "refresh" for m in metas),
             what + ": a meta refresh")
    for tag, attrs in dom.elements:
        for k, v in attrs:
            k = k.lower()
            rl.check(k in ATTRS, "%s: unexpected attribute %s on <%s>" % (what, k, tag))
            rl.check(not k.startswith("on"), "%s: event handler %s on <%s>" % (what, k, tag))
            if k == "href":
                rl.check(v.startswith("#") or v.startswith("https://attack.mitre.org/"),
                         "%s: unexpected link %r" % (what, v))
            if k == "data-pwned" or (v and "PWNED" in v and k != "content"):
                rl.fail("%s: payload reached an attribute: %s=%r" % (what, k, v))
    rl.check(not re.match(r"PWNED", dom.title), "%s: document.title was changed to %r" %
             (what, dom.title))
    rl.check(dom.title == "casefile " + case_id, "%s: title %r" % (what, dom.title))
    text = dom.text()
    for p in planted:
        rl.check(p["text"] in text, "%s: planted %s not shown as text: %r" %
                 (what, p["field"], p["text"][:120]))
    for t in titles:
        rl.check(t in text, "%s: detection %r not rendered" % (what, t[:80]))


def main():
    d = rl.tmpdir("xss")
    case = os.path.join(d, "case")
    out = os.path.join(d, "out")
    rl.make_case(case, hostile=True)
    doc = rl.load_json(os.path.join(case, "planted.json"))
    planted, payloads = doc["planted"], doc["payloads"]
    rl.check(len(planted) >= 25, "too few planted fields: %d" % len(planted))

    # 1. The harness sees execution when a payload is not escaped.
    control = os.path.join(d, "control.html")
    with open(control, "w", encoding="utf-8") as f:
        f.write("<!DOCTYPE html><html><head><title>control</title></head><body>%s</body></html>"
                % payloads[1])
    cdom = rl.Dom(rl.dump_dom(control))
    rl.check(cdom.title.startswith("PWNED") or any(
        k == "data-pwned" for t, a in cdom.elements for k, _ in a),
        "control: an unescaped payload did not run; the harness cannot see execution")

    # 2. The report.
    rl.run_report(case, out)
    page = os.path.join(out, "report.html")
    with open(page, encoding="utf-8") as f:
        src = f.read()
    rl.check("Content-Security-Policy" in src, "report has no CSP")
    case_id = [p["text"] for p in planted if p["field"] == "case_info.case_id"][0]
    report = rl.load_json(os.path.join(out, "report.json"))
    titles = [x["title"] for x in report["detections"]]
    rl.check(len(titles) == 7, "expected 7 detections, got %d" % len(titles))
    assert_clean(rl.Dom(rl.dump_dom(page)), "report", case_id, planted, titles)

    nocsp = os.path.join(out, "report-nocsp.html")
    stripped = re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", src)
    rl.check(stripped != src, "could not strip the CSP")
    with open(nocsp, "w", encoding="utf-8") as f:
        f.write(stripped)
    assert_clean(rl.Dom(rl.dump_dom(nocsp)), "report without CSP", case_id, planted, titles)

    # The summary-only HTML of the e-mail, and the alert, go through the same checks.
    eml = os.path.join(out, "report.eml")
    rl.run_report(case, out, "--eml", eml, "--from", "ir@example.com", "--to",
                  "soc@example.com")
    import email
    from email import policy
    with open(eml, "rb") as f:
        msg = email.message_from_binary_file(f, policy=policy.default)
    body = msg.get_body(preferencelist=("html",)).get_content()
    summary = os.path.join(out, "summary.html")
    with open(summary, "w", encoding="utf-8") as f:
        f.write(re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", body))
    sdom = rl.Dom(rl.dump_dom(summary))
    rl.check(not sdom.title.startswith("PWNED"), "e-mail summary: title changed")
    rl.check(not any(t in ("script", "img", "iframe", "object", "math", "embed")
                     for t, _ in sdom.elements), "e-mail summary: planted elements")
    rl.check(case_id in sdom.text(), "e-mail summary: case id not shown as text")
    print("ok: %d planted fields, %d payload kinds; nothing ran, all shown as text"
          % (len(planted), len(payloads)))
    import shutil
    shutil.rmtree(d, ignore_errors=True)  # kept for inspection when a check fails


main()
