#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""runfolder.py - synthetic and doctored run folders (results/README.md, schema 2).

  runfolder.py make OUT [--device-size 1G,4G] [--layout uniform:8,ragged:8]
                        [--harvest reference] [--steady 40] [--warmup 2]
                        [--cycles 3] [--seed 1] [--status complete]
                        [--phases/--no-phases] [--downtime/--no-downtime]
      A run folder whose times come from a seeded model of a harvest (cost per
      bitmap byte, twice that on the shift path, log-normal noise), written
      exactly as results/README.md specifies: for tests of the reader,
      compare and plot that must not depend on this machine's timings.

  runfolder.py slow SRC OUT FACTOR [--stage steady]
      A copy of the run folder SRC whose samples' `ns` are multiplied by
      FACTOR (1.3: 30 % slower), and whose summary.json is recomputed from
      them (rows, phases scaled alike, downtime), so that the copy is a
      consistent folder, as if the tracking calls had been that much slower.
      Only the samples of --stage are scaled when it is given.

The summary is recomputed by this script's own reading of results/README.md
(median rounded down, nearest-rank percentiles), independently of the C
writer.
"""
import argparse
import csv
import json
import math
import os
import random
import shutil
import sys

PAGE = 4096
COLUMNS = ["iteration", "stage", "harvest", "device", "layout", "op", "request", "path",
           "mapping", "bitmap_bytes", "pages", "dirty_pages", "ns", "memcpy_bytes", "memcpy_ns"]
NUMERIC = {"iteration", "device", "mapping", "bitmap_bytes", "pages", "dirty_pages", "ns",
           "memcpy_bytes", "memcpy_ns"}
BITMAP_OPS = {"get_bitmap", "unmap_bitmap"}


def size(s):
    mult = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}
    return int(s[:-1]) * mult[s[-1]] if s[-1] in mult else int(s)


def median(v):
    v = sorted(v)
    n = len(v)
    return v[n // 2] if n % 2 else (v[n // 2 - 1] + v[n // 2]) // 2


def fmedian(v):
    v = sorted(v)
    n = len(v)
    return v[n // 2] if n % 2 else (v[n // 2 - 1] + v[n // 2]) / 2


def rank(v, p):
    v = sorted(v)
    return v[max(1, math.ceil(p * len(v) / 100)) - 1]


def summarize(meta, samples, phases, downtime_params):
    """summary.json for @samples (dicts of ints and names), as results/README.md says."""
    pair = meta["clock"]["pair_ns"]
    groups = {}
    for s in samples:
        key = (s["harvest"], s["device"], s["op"], s["request"], s["path"], s["stage"])
        groups.setdefault(key, []).append(s)
    rows = []
    for (h, d, op, req, path, stage), g in groups.items():
        dev = meta["devices"][d]
        ns = [s["ns"] for s in g]
        mc = [s for s in g if s["memcpy_bytes"] > 0]
        med = median(ns)
        row = {"harvest": h, "device": d, "layout": dev["layout"], "op": op, "request": req,
               "path": path, "stage": stage, "device_bytes": dev["device_bytes"],
               "mappings": dev["mappings"], "pages": median([s["pages"] for s in g]),
               "bitmap_bytes": median([s["bitmap_bytes"] for s in g]),
               "dirty_pages": median([s["dirty_pages"] for s in g]) if op in BITMAP_OPS else None,
               "n": len(g), "min_ns": min(ns), "median_ns": med, "p90_ns": rank(ns, 90),
               "p99_ns": rank(ns, 99), "max_ns": max(ns), "clock_limited": med < 10 * pair,
               "memcpy_n": len(mc)}
        if mc:
            mmed = median([s["memcpy_ns"] for s in mc])
            row.update(memcpy_bytes=median([s["memcpy_bytes"] for s in mc]),
                       memcpy_median_ns=mmed,
                       ratio_to_memcpy=round(med / mmed, 4) if mmed else None,
                       ratio_median=round(fmedian([s["ns"] / s["memcpy_ns"] for s in mc
                                                   if s["memcpy_ns"]]), 4))
        else:
            row.update(memcpy_bytes=None, memcpy_median_ns=None, ratio_to_memcpy=None,
                       ratio_median=None)
        rows.append(row)
    floor = {}
    for s in samples:
        if s["memcpy_bytes"] > 0:
            floor.setdefault(s["memcpy_bytes"], []).append(s["memcpy_ns"])
    memcpy = [{"memcpy_bytes": b, "n": len(v), "median_ns": median(v)}
              for b, v in sorted(floor.items())]
    return {"schema_version": 2, "rows": rows, "memcpy": memcpy, "phases": phases,
            "downtime": downtime(meta, samples, downtime_params)}


def downtime(meta, samples, params):
    if params is None:
        return None
    bw, state, limit = params["bandwidth_bytes_per_s"], params["state_bytes"], params["limit_ns"]
    est = []
    harvests = meta["harvests"]
    for h in harvests:
        for dev in meta["devices"]:
            for query in ("mapping", "merged"):
                per_it = {}
                for s in samples:
                    if (s["harvest"] == h and s["device"] == dev["index"] and s["stage"] == "steady"
                            and s["op"] == "get_bitmap" and s["request"] == query):
                        t = per_it.setdefault(s["iteration"], [0, 0])
                        t[0] += s["ns"]
                        t[1] += s["dirty_pages"]
                if not per_it:
                    continue
                fh = median([t[0] for t in per_it.values()])
                dp = median([t[1] for t in per_it.values()])
                db = dp * PAGE
                tr = db * 10**9 // bw
                st = state * 10**9 // bw
                dt = fh + tr + st
                est.append({"harvest": h, "device": dev["index"], "layout": dev["layout"],
                            "device_bytes": dev["device_bytes"], "mappings": dev["mappings"],
                            "query": query, "calls": dev["mappings"] if query == "mapping" else 1,
                            "final_harvest_ns": fh, "dirty_pages": dp, "dirty_bytes": db,
                            "all_dirty": False, "transfer_ns": tr, "state_ns": st,
                            "downtime_ns": dt, "qemu_expected_downtime_ns": tr,
                            "tracking_share": round(fh / dt, 6) if dt else 0,
                            "fits": dt <= limit})
    return dict(params, estimates=est)


def write_folder(out, meta, samples, summary):
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "samples.csv"), "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(COLUMNS)
        for s in samples:
            w.writerow([s[c] for c in COLUMNS])
    if summary is not None:
        with open(os.path.join(out, "summary.json"), "w") as f:
            json.dump(summary, f, indent=2)
            f.write("\n")
    with open(os.path.join(out, "meta.json"), "w") as f:
        json.dump(meta, f, indent=2)
        f.write("\n")


def read_samples(path):
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    return [{k: int(v) if k in NUMERIC else v for k, v in r.items()} for r in rows]


def layout_mappings(layout):
    kind, _, n = layout.partition(":")
    return 1 if kind == "single" else int(n)


def make(a):
    rnd = random.Random(a.seed)
    sizes = [size(s) for s in a.device_size.split(",")]
    layouts = a.layout.split(",")
    harvests = a.harvest.split(",")
    devices = []
    base = 1 << 32
    for b in sizes:
        for lay in layouts:
            devices.append({"index": len(devices), "layout": lay, "device_bytes": b,
                            "mappings": layout_mappings(lay), "pages": b // PAGE,
                            "iova_base": base, "group": "none"})
            base += b
    if len(devices) > 1:
        devices.append({"index": len(devices), "layout": "all",
                        "device_bytes": sum(d["device_bytes"] for d in devices),
                        "mappings": sum(d["mappings"] for d in devices),
                        "pages": sum(d["pages"] for d in devices), "iova_base": 1 << 32,
                        "group": "none"})
    real = [d for d in devices if d["layout"] != "all"]
    whole = devices[-1]
    cost = {"reference": 0.09, "fast": 0.04}  # ns per bitmap byte, aligned path

    def noisy(t):
        return max(20, int(t * rnd.lognormvariate(0, a.noise)))

    samples = []

    def add(it, stage, h, dev, op, req, path, mapping=0, bb=0, pages=0, dirty=0, ns=100,
            mb=0, mns=0):
        samples.append({"iteration": it, "stage": stage, "harvest": h, "device": dev["index"],
                        "layout": dev["layout"], "op": op, "request": req, "path": path,
                        "mapping": mapping, "bitmap_bytes": bb, "pages": pages,
                        "dirty_pages": dirty, "ns": ns, "memcpy_bytes": mb, "memcpy_ns": mns})

    def harvest(it, stage, h, dev):
        shift = dev["layout"].startswith("ragged")
        bb = dev["pages"] // 8
        dirty = min(dev["pages"], a.pages)
        t = 2000 + bb * cost.get(h, 0.06) * (2.0 if shift else 1.0)
        add(it, stage, h, dev, "dirty", "-", "-", pages=a.pages, ns=noisy(50000))
        add(it, stage, h, dev, "get_bitmap", "merged", "shift" if shift else "aligned",
            bb=bb, pages=dev["pages"], dirty=dirty, ns=noisy(t), mb=bb,
            mns=noisy(500 + bb * 0.05))
        m = dev["mappings"]
        for i in range(m):
            mbb = bb // m
            add(it, stage, h, dev, "get_bitmap", "mapping", "aligned", mapping=i, bb=mbb,
                pages=dev["pages"] // m, dirty=dirty // m, ns=noisy(1500 + mbb * cost.get(h, 0.06)),
                mb=mbb, mns=noisy(300 + mbb * 0.05))

    for h in harvests:
        for dev in real:
            for i in range(dev["mappings"]):
                add(0, "setup", h, dev, "map", "mapping", "-", mapping=i,
                    pages=dev["pages"] // dev["mappings"], ns=noisy(3000))
            add(0, "setup", h, dev, "populate", "-", "-", pages=a.pages, ns=noisy(400000))
        add(0, "setup", h, whole, "start", "-", "-", pages=whole["pages"], ns=noisy(300000))
    for it in range(1, a.warmup + a.steady + 1):
        stage = "warmup" if it <= a.warmup else "steady"
        for h in harvests:  # A B A B: drift hits every harvest alike
            for dev in real:
                harvest(it, stage, h, dev)
    for c in range(1, a.cycles + 1):
        for h in harvests:
            add(c, "cycle", h, whole, "stop", "-", "-", pages=whole["pages"], ns=noisy(100000))
            add(c, "cycle", h, whole, "start", "-", "-", pages=whole["pages"], ns=noisy(300000))
    for h in harvests:
        for dev in real:
            for i in range(dev["mappings"]):
                mbb = dev["pages"] // 8 // dev["mappings"]
                add(0, "teardown", h, dev, "unmap_bitmap", "mapping", "aligned", mapping=i,
                    bb=mbb, pages=dev["pages"] // dev["mappings"], ns=noisy(2000 + mbb * 0.1),
                    mb=mbb, mns=noisy(300 + mbb * 0.05))
        add(0, "teardown", h, whole, "stop", "-", "-", pages=whole["pages"], ns=noisy(100000))

    phases = []
    if a.phases:
        names = {"reference": ["walk", "set_all", "shift", "leftover", "copy", "clear",
                               "repopulate"],
                 "fast": ["walk", "fused", "summary", "repopulate"]}
        for h in harvests:
            for dev in real:
                for req in ("merged", "mapping"):
                    shift = req == "merged" and dev["layout"].startswith("ragged")
                    reqs = a.steady * (1 if req == "merged" else dev["mappings"])
                    per = dev["pages"] // 8 * cost.get(h, 0.06) * (2 if shift else 1)
                    ph = []
                    for name in names.get(h, ["walk", "harvest"]):
                        share = {"walk": 0.02, "shift": 0.5 if shift else 0, "leftover":
                                 0.01 if shift else 0, "set_all": 0, "copy": 0.3 if shift else 0.6,
                                 "clear": 0.1, "repopulate": 0.07}.get(name, 0.3)
                        calls = 0 if share == 0 else reqs * (dev["mappings"] if req == "merged" else 1)
                        tot = int(per * share * reqs * rnd.uniform(0.95, 1.05))
                        ph.append({"name": name, "calls": calls, "total_ns": tot,
                                   "mean_ns_per_request": tot // reqs})
                    phases.append({"harvest": h, "device": dev["index"], "layout": dev["layout"],
                                   "op": "get_bitmap", "request": req,
                                   "path": "shift" if shift else "aligned", "requests": reqs,
                                   "walk_nodes": reqs * dev["mappings"], "phases": ph})
    meta = {
        "schema_version": 2,
        "tool": {"name": "dirtyscope", "version": "0.1.0", "git_revision": a.git_revision},
        "created_utc": "2026-11-25T14:30:00Z",
        "ended_utc": None if a.status == "running" else "2026-11-25T14:30:02Z",
        "status": a.status,
        "signal": "SIGINT" if a.status == "interrupted" else None,
        "error": "GET_BITMAP: Invalid argument" if a.status == "failed" else None,
        "command_line": ["run", "--device-size", a.device_size, "--layout", a.layout],
        "backend": "model",
        "clock": {"pair_ns": 40, "resolution_ns": 1},
        "iterations": {"warmup": a.warmup, "steady": a.steady, "profile": a.steady if a.phases else 0,
                       "cycles": a.cycles},
        "host": {"cpu_model": a.cpu_model, "cores": 2, "memory_bytes": 25276026880,
                 "kernel": a.kernel, "hypervisor": "KVM", "emulated": False, "numa_nodes": 1,
                 "hugepages": {"thp": "madvise", "hugetlb_total": 0, "hugetlb_free": 0,
                               "hugetlb_page_bytes": 2097152}},
        "config": {"backend": "model", "harvest": harvests, "device_size_bytes": sizes,
                   "layout": layouts, "workload": ["pinned"], "iterations": a.steady,
                   "warmup": a.warmup, "cycles": a.cycles, "pages_per_step": a.pages,
                   "seed": a.seed, "out": a.out},
        "placement": {"requested_node": None},
        "harvests": harvests,
        "devices": devices,
    }
    params = ({"bandwidth_bytes_per_s": 1250000000, "state_bytes": 0, "limit_ns": 300000000}
              if a.downtime else None)
    summary = None if a.status == "running" else summarize(meta, samples, phases, params)
    write_folder(a.out, meta, samples, summary)


def slow(a):
    with open(os.path.join(a.src, "meta.json")) as f:
        meta = json.load(f)
    with open(os.path.join(a.src, "summary.json")) as f:
        old = json.load(f)
    samples = read_samples(os.path.join(a.src, "samples.csv"))
    for s in samples:
        if a.stage is None or s["stage"] == a.stage:
            s["ns"] = int(s["ns"] * a.factor)
    phases = old["phases"]
    for p in phases:
        for ph in p["phases"]:
            ph["total_ns"] = int(ph["total_ns"] * a.factor)
            if ph["mean_ns_per_request"] is not None:
                ph["mean_ns_per_request"] = ph["total_ns"] // p["requests"] if p["requests"] else None
    d = old["downtime"]
    params = None if d is None else {k: d[k] for k in ("bandwidth_bytes_per_s", "state_bytes",
                                                        "limit_ns")}
    summary = summarize(meta, samples, phases, params)
    # Keep the row order of the source: the writer orders rows by first call.
    order = {(r["harvest"], r["device"], r["op"], r["request"], r["path"], r["stage"]): i
             for i, r in enumerate(old["rows"])}
    summary["rows"].sort(key=lambda r: order.get((r["harvest"], r["device"], r["op"],
                                                  r["request"], r["path"], r["stage"]), 1 << 30))
    if d is not None:
        # Keep what the run knew and this script cannot (all_dirty); recompute the times.
        for e, o in zip(summary["downtime"]["estimates"], d["estimates"]):
            e["all_dirty"] = o["all_dirty"]
    if os.path.exists(a.out):
        shutil.rmtree(a.out)
    write_folder(a.out, meta, samples, summary)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    m = sub.add_parser("make")
    m.add_argument("out")
    m.add_argument("--device-size", default="1G,4G")
    m.add_argument("--layout", default="uniform:8,ragged:8")
    m.add_argument("--harvest", default="reference")
    m.add_argument("--steady", type=int, default=40)
    m.add_argument("--warmup", type=int, default=2)
    m.add_argument("--cycles", type=int, default=3)
    m.add_argument("--pages", type=int, default=1024)
    m.add_argument("--seed", type=int, default=1)
    m.add_argument("--noise", type=float, default=0.05)
    m.add_argument("--status", default="complete",
                   choices=["running", "complete", "interrupted", "failed"])
    m.add_argument("--git-revision", default="0123456789ab")
    m.add_argument("--cpu-model", default="AMD EPYC")
    m.add_argument("--kernel", default="Linux 6.1.0-18-amd64 x86_64")
    m.add_argument("--phases", action=argparse.BooleanOptionalAction, default=True)
    m.add_argument("--downtime", action=argparse.BooleanOptionalAction, default=True)
    s = sub.add_parser("slow")
    s.add_argument("src")
    s.add_argument("out")
    s.add_argument("factor", type=float)
    s.add_argument("--stage")
    a = ap.parse_args()
    make(a) if a.cmd == "make" else slow(a)


if __name__ == "__main__":
    sys.exit(main())
