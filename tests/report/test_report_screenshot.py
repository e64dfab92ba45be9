#!/usr/bin/env python3
"""The screenshot test: the demo-like case rendered by headless Chromium at 1280x1600 must give a
non-blank page with the report's structure (dark header band, severity stripe and badges, light
page, the chart's colours), and must stay close to the committed reference (a 32x40 grid of mean
luminance, compared loosely so that small font differences pass and a broken layout does not).
CF_UPDATE_REFERENCE=1 rewrites the reference (look at the PNG first)."""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import reportlib as rl  # noqa: E402

rl.require_chromium("test_report_screenshot")

W, H = 1280, 1600
GX, GY = 32, 40
REF = os.path.join(os.path.dirname(os.path.abspath(__file__)), "reference", "report-thumb.json")


def near(px, rgb, tol=40):
    return all(abs(a - b) <= tol for a, b in zip(px, rgb))


def main():
    d = rl.tmpdir("shot")
    case, out = os.path.join(d, "case"), os.path.join(d, "out")
    rl.make_case(case, events=500)
    rl.run_report(case, out)
    png = os.path.join(d, "report.png")
    p = rl.chromium(["--hide-scrollbars", "--window-size=%d,%d" % (W, H),
                     "--virtual-time-budget=2000", "--screenshot=" + png,
                     "file://" + os.path.join(out, "report.html")])
    rl.check(p.returncode == 0 and os.path.exists(png),
             "chromium --screenshot failed: %s" % p.stderr[-2000:])
    w, h, bpp, rows = rl.png_decode(png)
    rl.check((w, h) == (W, H), "screenshot is %dx%d, expected %dx%d" % (w, h, W, H))

    def px(x, y):
        r = rows[y]
        return tuple(r[x * bpp:x * bpp + 3])

    # Not blank: many colours.
    colours = {px(x, y) for y in range(0, H, 7) for x in range(0, W, 7)}
    rl.check(len(colours) > 200, "screenshot looks blank: %d colours" % len(colours))
    # The header band is dark, the page background light.
    dark = sum(1 for x in range(0, W, 10) if near(px(x, 30), (0x17, 0x21, 0x2e), 30))
    rl.check(dark > 0.8 * (W / 10), "no dark header band at the top (%d dark samples)" % dark)
    rl.check(near(px(W - 5, H - 5), (0xf5, 0xf7, 0xfa), 12) or
             near(px(W - 5, H - 5), (0xff, 0xff, 0xff), 12),
             "page background is not light: %s" % (px(W - 5, H - 5),))
    # The severity stripe under the header: the case is critical (purple).
    stripe = any(sum(1 for x in range(0, W, 16) if near(px(x, y), (0x6a, 0x1b, 0x9a), 40)) >
                 0.8 * (W / 16) for y in range(60, 160))
    rl.check(stripe, "no critical (purple) severity stripe under the header")

    def count(rgb, tol=30):
        return sum(1 for y in range(0, H, 2) for x in range(0, W, 2) if near(px(x, y), rgb, tol))

    rl.check(count((0xc6, 0x28, 0x28)) > 50, "no high-severity (red) badge visible")
    rl.check(count((0xe6, 0x51, 0x00)) > 20, "no medium-severity (orange) badge visible")
    # Loose comparison with the reference grid.
    grid = []
    for gy in range(GY):
        for gx in range(GX):
            s = n = 0
            for y in range(gy * H // GY, (gy + 1) * H // GY, 4):
                r = rows[y]
                for x in range(gx * W // GX, (gx + 1) * W // GX, 4):
                    o = x * bpp
                    s += (r[o] * 299 + r[o + 1] * 587 + r[o + 2] * 114) // 1000
                    n += 1
            grid.append(s // n)
    if os.environ.get("CF_UPDATE_REFERENCE") == "1":
        os.makedirs(os.path.dirname(REF), exist_ok=True)
        with open(REF, "w") as f:
            json.dump({"size": [W, H], "grid": [GX, GY], "luma": grid}, f)
            f.write("\n")
        print("reference written to %s (from %s)" % (REF, png))
        return
    with open(REF) as f:
        ref = json.load(f)
    rl.check(ref["size"] == [W, H] and ref["grid"] == [GX, GY], "reference is for another size")
    diffs = [abs(a - b) for a, b in zip(grid, ref["luma"])]
    mean = sum(diffs) / len(diffs)
    big = sum(1 for x in diffs if x > 60)
    rl.check(mean < 12 and big < len(diffs) // 10,
             "screenshot differs from the reference: mean luminance difference %.1f, %d cells "
             "off by more than 60 (see %s)" % (mean, big, png))
    print("ok: %dx%d, %d colours, mean difference from reference %.1f" % (w, h, len(colours),
                                                                           mean))
    import shutil
    shutil.rmtree(d, ignore_errors=True)  # kept for inspection when a check fails


main()
