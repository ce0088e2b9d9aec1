#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""viommu_sweep.py - the time to query every vIOMMU mapping once, for N mappings.

  scripts/viommu_sweep.py DIRTYSCOPE OUTDIR [--n 256,1024,4096,16384,65535]
                          [--device-size 4G] [--iterations 3] [--harvest reference]

Runs `DIRTYSCOPE run --layout viommu:N --workload pinned` once per N (one run
folder per N under OUTDIR), and reads each samples.csv: per steady iteration,
the sum of the N per-mapping GET_BITMAP calls (what QEMU pays behind a
vIOMMU: one GET per mapping) and the one merged GET over the window; the
median over the iterations. Then it fits

    T(N) = call x N + walk x N(N+1)/2

(the per-mapping GETs' call and byte costs, one word each, in `call`; the
kernel's walk from the first mapping in `walk`) by least squares on the
relative error, prints the fit's error on each point, and the N whose
harvest takes --target (58 s by default).

Used by docs/published-case.md; the numbers there come from its output.
Each N is one run in the foreground: at 65535 mappings a kernel-faithful
harvest walks 2.1 x 10^9 nodes, tens of seconds per iteration.
"""
import argparse
import csv
import math
import os
import subprocess
import sys


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


def fit(points):
    """Least squares on the relative error of T = c N + w N(N+1)/2: 2x2 normal equations."""
    a11 = a12 = a22 = b1 = b2 = 0.0
    for n, t in points:
        x1, x2 = n / t, n * (n + 1) / 2 / t
        a11 += x1 * x1
        a12 += x1 * x2
        a22 += x2 * x2
        b1 += x1
        b2 += x2
    det = a11 * a22 - a12 * a12
    return (b1 * a22 - b2 * a12) / det, (a11 * b2 - a12 * b1) / det


def solve_n(call, walk, target):
    """The N (real) with call N + walk N(N+1)/2 = target."""
    a, b, c = walk / 2, call + walk / 2, -target
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
    ap.add_argument("--no-run", action="store_true", help="read the run folders already there")
    a = ap.parse_args()

    points = []
    print(f"{'N':>6} {'calls':>6} {'iterations':>10} {'all mappings once':>18} "
          f"{'per GET':>9} {'merged GET':>11}")
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
        print(f"{n:>6} {calls:>6.0f} {len(per):>10} {total / 1e9:>16.4f} s "
              f"{total / calls:>7.0f} ns {merged / 1e3:>8.1f} µs")

    call, walk = fit(points)
    print(f"\nfit: T(N) = {call:.1f} ns x N + {walk:.3f} ns x N(N+1)/2")
    for n, t in points:
        pred = call * n + walk * n * (n + 1) / 2
        print(f"  N={n:>6}: measured {t / 1e9:.4f} s, fitted {pred / 1e9:.4f} s, "
              f"error {100 * (pred - t) / t:+.1f} %")
    target = a.target * 1e9
    print(f"N for {a.target:g} s: {solve_n(call, walk, target):.0f}")


if __name__ == "__main__":
    main()
