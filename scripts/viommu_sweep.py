#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""viommu_sweep.py - the time to query every vIOMMU mapping once, for N mappings.

  scripts/viommu_sweep.py DIRTYSCOPE OUTDIR [--n 256,1024,4096,16384,65535]
                          [--device-size 4G] [--iterations 3] [--harvest reference]

Runs `DIRTYSCOPE run --layout viommu:N --workload pinned` once per N (one run
folder per N under OUTDIR), and reads each samples.csv: per steady iteration,
the sum of the N per-mapping GET_BITMAP calls (what QEMU pays behind a
vIOMMU: one GET per mapping) and the one merged GET over the window; the
median over the iterations. Then it fits the cost terms with the planner
itself (`DIRTYSCOPE plan --from ...`, one fit per query kind, on every N and
on the N from --fit-from up, where the tree no longer fits in cache), and
prints the N whose per-mapping harvest alone takes --target (58 s):

    call x N + walk x (N(N+1)/2 + N-1) = target

(a per-mapping GET writes one word: its byte cost is in `call`).

Used by docs/published-case.md; the numbers there come from its output.
Each N is one run in the foreground: at 65535 mappings a kernel-faithful
harvest walks 2.1 x 10^9 nodes, tens of seconds per iteration.
"""
import argparse
import csv
import json
import math
import os
import subprocess
import sys


def human(ns):
    for unit, scale in (("s", 1e9), ("ms", 1e6), ("µs", 1e3)):
        if ns >= scale:
            return f"{ns / scale:.3g} {unit}"
    return f"{ns:.3g} ns"


def median(v):
    v = sorted(v)
    n = len(v)
    return v[n // 2] if n % 2 else (v[n // 2 - 1] + v[n // 2]) / 2


def harvests(path, harvest):
    """Per steady iteration: (sum of per-mapping GETs, their count, merged GET) in ns."""
    per = {}
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            if row["op"] != "get_bitmap" or row["harvest"] != harvest:
                continue
            # Schema 2 names the stage; schema 1 has none and iteration 0 is setup.
            if row.get("stage", "steady") != "steady" or int(row["iteration"]) == 0:
                continue
            t = per.setdefault(int(row["iteration"]), [0, 0, 0])
            if row["request"] == "mapping":
                t[0] += int(row["ns"])
                t[1] += 1
            elif row["request"] == "merged":
                t[2] += int(row["ns"])
    return per


def planner_fit(dirtyscope, outdir, runs, query, size, mappings):
    """The planner's fit of @runs for @query: (terms, fit) of plan.json."""
    out = os.path.join(outdir, f"fit-{query}-{len(runs)}")
    cmd = [dirtyscope, "plan", "--queries", query, "--device-size", size,
           "--mappings", str(mappings), "--out", out]
    for r in runs:
        cmd += ["--from", r]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    with open(os.path.join(out, "plan.json")) as f:
        cost = json.load(f)["cost"]
    return cost["terms"], cost["fit"]


def solve_n(call, walk, target):
    """The N (real) with call N + walk (N(N+1)/2 + N-1) = target: each GET
    walks the nodes below its mapping, its own, and the one that ends it."""
    a, b, c = walk / 2, call + 1.5 * walk, -(target + walk)
    return (-b + math.sqrt(b * b - 4 * a * c)) / (2 * a)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("dirtyscope")
    ap.add_argument("outdir")
    ap.add_argument("--n", default="256,1024,4096,16384,65535")
    ap.add_argument("--device-size", default="4G")
    ap.add_argument("--iterations", type=int, default=3)
    ap.add_argument("--harvest", default="reference")
    ap.add_argument("--target", type=float, default=58.0, help="seconds")
    ap.add_argument("--fit-from", type=int, default=4096,
                    help="the smallest N of the second fit")
    ap.add_argument("--no-run", action="store_true", help="read the run folders already there")
    a = ap.parse_args()

    points = []
    print(f"{'N':>6} {'calls':>6} {'iterations':>10} {'all mappings once':>18} "
          f"{'per GET':>9} {'per node':>9} {'merged GET':>11}")
    for n in (int(x) for x in a.n.split(",")):
        out = os.path.join(a.outdir, f"viommu-{n}")
        if not a.no_run:
            cmd = [a.dirtyscope, "run", "--no-progress", "--layout", f"viommu:{n}",
                   "--device-size", a.device_size, "--workload", "pinned",
                   "--harvest", a.harvest, "--iterations", str(a.iterations),
                   "--warmup", "1", "--profile-iterations", "0", "--cycles", "1",
                   "--out", out]
            print("$ " + " ".join(cmd), file=sys.stderr)
            subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
        per = harvests(os.path.join(out, "samples.csv"), a.harvest)
        if not per:
            sys.exit(f"viommu_sweep.py: {out}: no steady get_bitmap samples")
        calls = median([t[1] for t in per.values()])
        total = median([t[0] for t in per.values()])
        merged = median([t[2] for t in per.values()])
        points.append((n, total))
        # What one node of the kernel's walk costs, if the walk were all of it.
        nodes = n * (n + 1) / 2 + n - 1
        print(f"{n:>6} {calls:>6.0f} {len(per):>10} {human(total):>18} "
              f"{human(total / calls):>9} {human(total / nodes):>9} "
              f"{human(merged):>11}")

    runs = {n: os.path.join(a.outdir, f"viommu-{n}") for n, _ in points}
    top = max(runs)
    fits = {}
    for label, chosen in (("every N", sorted(runs)),
                          (f"N >= {a.fit_from}", [n for n in sorted(runs) if n >= a.fit_from])):
        if not chosen:
            continue
        for query in ("mapping", "merged"):
            terms, f = planner_fit(a.dirtyscope, a.outdir, [runs[n] for n in chosen], query,
                                   a.device_size, top)
            fits[(label, query)] = terms
            print(f"\n{query} GETs, fitted on {label} ({f['points']} harvests): "
                  f"{terms['call_ns']:.1f} ns per call, {terms['byte_ns']:.3f} ns per byte, "
                  f"{terms['walk_ns']:.2f} ns per node; error median "
                  f"{100 * f['median_rel_error']:.1f} %, max {100 * f['max_rel_error']:.1f} %")
    terms = fits.get((f"N >= {a.fit_from}", "mapping"), fits[("every N", "mapping")])
    call = terms["call_ns"] + 8 * terms["byte_ns"]
    print(f"\nN whose per-mapping harvest takes {a.target:g} s: "
          f"{solve_n(call, terms['walk_ns'], a.target * 1e9):.0f}")


if __name__ == "__main__":
    main()
