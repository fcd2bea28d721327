#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Evaluates a soak run written by scripts/soak.sh (samples.tsv, steps.jsonl, cli.log).

Checks, after the warm-up:
  - resident memory: max(RSS) - RSS at the end of warm-up <= --rss-bound-mb, and the least-squares
    trend over the run stays within the bound too;
  - latency: per mode, the p95 step latency of the last quarter <= ratio x that of the first
    quarter + slack (--p95-slack-ms, default 0.5 ms: steps of 0.02-0.2 ms have a p95 that one
    scheduler preemption among ~150 steps moves by 0.1-0.2 ms, so a smaller slack fails on noise;
    a step that really grows over the run passes 0.5 ms well within a 30-minute soak);
  - queues (paced runs): the token rate of the last quarter >= 90 % of the first, and the lag of
    the media clock behind the wall clock does not grow by more than 2 s (a backed-up queue shows
    as a growing lag; a bounded drop-oldest queue shows as drops, reported from the CLI summary);
  - threads and file descriptors constant.
Writes report.txt (a table per tenth of the run) and report.json; exit 1 on failure.
"""
import argparse
import json
import math
import os
import re
import sys


def pct(xs, q):
    if not xs:
        return float("nan")
    s = sorted(xs)
    k = max(0, min(len(s) - 1, int(math.ceil(q * len(s))) - 1))   # nearest rank
    return s[k]


def slope(ts, ys):
    n = len(ts)
    if n < 3:
        return 0.0
    mt, my = sum(ts) / n, sum(ys) / n
    den = sum((t - mt) ** 2 for t in ts)
    return sum((t - mt) * (y - my) for t, y in zip(ts, ys)) / den if den else 0.0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", required=True)
    ap.add_argument("--warmup", type=float, default=60)
    ap.add_argument("--rss-bound-mb", type=float, default=8)
    ap.add_argument("--p95-ratio", type=float, default=1.5)
    ap.add_argument("--p95-slack-ms", type=float, default=0.5)
    ap.add_argument("--interval", type=float, default=5)
    ap.add_argument("--expect-paced", type=int, default=1)
    a = ap.parse_args()

    samples = []
    with open(os.path.join(a.dir, "samples.tsv")) as f:
        next(f)
        for line in f:
            p = line.split()
            if len(p) >= 6:
                samples.append(dict(t=float(p[0]), rss=int(p[1]), thr=int(p[2]), fds=int(p[3]), lines=int(p[4]),
                                    media=float(p[5])))
    # A sample's media time is only trusted when it does not go backwards (older soak.sh versions
    # could read a cut line of the block-buffered export).
    last_media = -1.0
    for smp in samples:
        if smp["media"] >= last_media:
            last_media = smp["media"]
        else:
            smp["media"] = -1.0
    steps = {}   # mode -> list of (media time, latency)
    with open(os.path.join(a.dir, "steps.jsonl")) as f:
        for line in f:
            try:
                r = json.loads(line)
            except ValueError:
                continue   # a partly written last line
            if r.get("warmup"):
                continue
            steps.setdefault(r["mode"], []).append((r["time_s"], r["latency_ms"]))
    cli = open(os.path.join(a.dir, "cli.log")).read()
    drops = re.search(r"dropped: frames/chunks (\d+)\s+tokens (\d+)\s+samples in source (\d+)", cli)
    cli_steps = re.search(r"steps: (\d+)", cli)

    failures = []
    post = [s for s in samples if s["t"] >= a.warmup]
    if len(post) < 4:
        print("soak_report: FAIL: too few samples after warm-up (%d)" % len(post))
        return 1
    duration = post[-1]["t"] - post[0]["t"]
    rss0 = sorted(s["rss"] for s in post[:3])[1]
    rss_max = max(s["rss"] for s in post)
    growth_mb = (rss_max - rss0) / 1024.0
    trend_mb = slope([s["t"] for s in post], [s["rss"] for s in post]) * duration / 1024.0
    if growth_mb > a.rss_bound_mb:
        failures.append("RSS grew by %.1f MiB after warm-up (bound %.1f)" % (growth_mb, a.rss_bound_mb))
    if trend_mb > a.rss_bound_mb:
        failures.append("RSS trend +%.1f MiB over the run (bound %.1f)" % (trend_mb, a.rss_bound_mb))
    thr = sorted(set(s["thr"] for s in post))
    fds = sorted(set(s["fds"] for s in post))
    if len(thr) > 1:
        failures.append("thread count changed after warm-up: %s" % thr)
    if len(fds) > 1:
        failures.append("fd count changed after warm-up: %s" % fds)

    # quarters of the post-warm-up run, by wall time (samples) and by media time (steps)
    q = duration / 4.0
    first = [s for s in post if s["t"] <= post[0]["t"] + q]
    last = [s for s in post if s["t"] >= post[-1]["t"] - q]

    def rate(group):
        if len(group) < 2 or group[-1]["t"] <= group[0]["t"]:
            return float("nan")
        return (group[-1]["lines"] - group[0]["lines"]) / (group[-1]["t"] - group[0]["t"])

    def lag(group):   # median: robust against one slow sample
        xs = sorted(s["t"] - s["media"] for s in group if s["media"] >= 0)
        return xs[len(xs) // 2] if xs else float("nan")

    rate_first, rate_last = rate(first), rate(last)
    lag_first, lag_last = lag(first), lag(last)
    if a.expect_paced:
        if rate_last < 0.9 * rate_first:
            failures.append("token rate fell from %.2f to %.2f lines/s" % (rate_first, rate_last))
        if lag_last - lag_first > 2.0:
            failures.append("media clock lag grew from %.2f s to %.2f s (a queue is backing up)" % (lag_first, lag_last))

    p95 = {}
    for mode, xs in sorted(steps.items()):
        if not xs:
            continue
        t_lo, t_hi = xs[0][0], xs[-1][0]
        span = t_hi - t_lo
        if a.expect_paced:
            t_lo = max(t_lo, a.warmup - 5)   # media time ~ wall time when paced
            span = t_hi - t_lo
        a_ = [l for t, l in xs if t_lo <= t <= t_lo + span / 4]
        b_ = [l for t, l in xs if t >= t_hi - span / 4]
        p95[mode] = (pct(a_, 0.95), pct(b_, 0.95), len(xs))
        if p95[mode][1] > a.p95_ratio * p95[mode][0] + a.p95_slack_ms:
            failures.append("%s p95 drifted from %.3f ms to %.3f ms" % (mode, p95[mode][0], p95[mode][1]))

    # table: one row per tenth of the run
    lines = []
    lines.append("%8s %9s %7s %5s %9s %8s %s" % ("t_s", "RSS_MiB", "threads", "fds", "lines/s", "lag_s",
                                                 "  ".join("p95_%s_ms" % m for m in sorted(steps))))
    n_rows = 10
    t_end = samples[-1]["t"]
    prev = samples[0]
    for i in range(1, n_rows + 1):
        t_target = t_end * i / n_rows
        cur = min((s for s in samples if s["media"] >= 0), key=lambda s: abs(s["t"] - t_target))
        r = (cur["lines"] - prev["lines"]) / (cur["t"] - prev["t"]) if cur["t"] > prev["t"] else float("nan")
        cols = []
        for m in sorted(steps):
            xs = [l for t, l in steps[m] if prev["media"] <= t <= cur["media"]]
            cols.append("%12.3f" % pct(xs, 0.95) if xs else "%12s" % "-")
        lag_txt = "%8.2f" % (cur["t"] - cur["media"]) if cur["media"] >= 0 else "%8s" % "-"
        lines.append("%8.0f %9.1f %7d %5d %9.2f %s %s" % (cur["t"], cur["rss"] / 1024.0, cur["thr"], cur["fds"], r, lag_txt,
                                                          " ".join(cols)))
        prev = cur
    summary = {
        "duration_s": samples[-1]["t"], "warmup_s": a.warmup,
        "rss_start_mib": samples[0]["rss"] / 1024.0, "rss_after_warmup_mib": rss0 / 1024.0,
        "rss_end_mib": samples[-1]["rss"] / 1024.0, "rss_max_mib": rss_max / 1024.0,
        "rss_growth_after_warmup_mib": growth_mb, "rss_trend_mib": trend_mb,
        "threads": thr, "fds": fds,
        "lines_per_s_first_quarter": rate_first, "lines_per_s_last_quarter": rate_last,
        "lag_s_first_quarter": lag_first, "lag_s_last_quarter": lag_last,
        "p95_ms": {m: {"first_quarter": v[0], "last_quarter": v[1], "steps": v[2]} for m, v in p95.items()},
        "cli_steps": int(cli_steps.group(1)) if cli_steps else None,
        "dropped": {"items": int(drops.group(1)), "tokens": int(drops.group(2)), "source_samples": int(drops.group(3))}
        if drops else None,
        "failures": failures, "ok": not failures,
    }
    text = "\n".join(lines) + "\n\n"
    text += "RSS: start %.1f MiB, after warm-up %.1f MiB, end %.1f MiB, max %.1f MiB (growth %.2f MiB, trend %+.2f MiB)\n" % (
        summary["rss_start_mib"], summary["rss_after_warmup_mib"], summary["rss_end_mib"], summary["rss_max_mib"],
        growth_mb, trend_mb)
    for m, v in sorted(p95.items()):
        text += "p95 %-9s first quarter %.3f ms, last quarter %.3f ms (%d steps)\n" % (m, v[0], v[1], v[2])
    text += "export lines/s: first quarter %.2f, last quarter %.2f; media lag %.2f s -> %.2f s\n" % (
        rate_first, rate_last, lag_first, lag_last)
    text += "threads %s, fds %s, dropped %s\n" % (thr, fds, summary["dropped"])
    text += ("PASS" if not failures else "FAIL: " + "; ".join(failures)) + "\n"
    with open(os.path.join(a.dir, "report.txt"), "w") as f:
        f.write(text)
    with open(os.path.join(a.dir, "report.json"), "w") as f:
        json.dump(summary, f, indent=1)
    print(text, end="")
    return 0 if not failures else 1


if __name__ == "__main__":
    sys.exit(main())
