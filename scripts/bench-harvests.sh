#!/bin/sh
# SPDX-License-Identifier: MIT
# bench-harvests.sh [OUT_DIR] [SIZES]
#	The reference and fast harvests side by side, A B A B in each run
#	(--harvest all), against the memcpy floor of the same bytes, for
#	device sizes SIZES (default 1G,16G,256G,1T) and four densities:
#	  clean  nobody writes (workload idle)
#	  0.1%   0.1 % of the pages pinned, at random (workload pinned): a
#	         pinned page is dirty at every harvest, and re-populating them is
#	         the kernel's walk of its pin tree
#	  50%    half the pages pinned, in runs (16 GiB and below: above, one
#	         interval is minutes of pin calls and gigabytes of pin records)
#	  100%   an IOMMU-backed device: type1 reports every page (workload iommu)
#	each with word-aligned (uniform:8) and shifted (ragged:8) mappings, merged
#	and per mapping. Then the marking throughput and the harvest latency
#	under marking load (--marking during, 1 and 2 threads). Writes one run
#	folder per case under OUT_DIR (default results/runs/bench-harvests-DATE)
#	and prints a markdown table of the steady medians.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
ds=${DIRTYSCOPE:-$here/build/bench/dirtyscope}
out=${1:-results/runs/bench-harvests-$(date -u +%Y%m%d-%H%M%S)}
sizes=${2:-1G,16G,256G,1T}
iters=${ITERATIONS:-10}
mkdir -p "$out"
[ -x "$ds" ] || { echo "bench-harvests: build first ($ds is missing)" >&2; exit 2; }

pages_of() { # pages_of SIZE FRACTION_PER_MILLE
	python3 -c "
import sys
s = sys.argv[1]; k = {'K': 1 << 10, 'M': 1 << 20, 'G': 1 << 30, 'T': 1 << 40}
b = int(s[:-1]) * k[s[-1]] if s[-1] in k else int(s)
print(max(1, b // 4096 * int(sys.argv[2]) // 1000))" "$1" "$2"
}

run() { # run NAME ARGS...
	name=$1
	shift
	echo "== $name: dirtyscope run $*" >&2
	"$ds" run --no-progress --harvest all --layout uniform:8,ragged:8 --iterations "$iters" \
		--profile-iterations 0 --cycles 1 --out "$out/$name" --force "$@" >"$out/$name.txt"
}

for size in $(echo "$sizes" | tr , ' '); do
	run "$size-clean" --device-size "$size" --workload idle
	run "$size-0.1" --device-size "$size" --workload pinned --working-set 0 \
		--pages "$(pages_of "$size" 1)"
	case $size in
	*K | *M | 1G | 2G | 4G | 8G | 16G)
		run "$size-50" --device-size "$size" --workload pinned --working-set 0 \
			--pattern sequential --pages "$(pages_of "$size" 500)"
		;;
	esac
	run "$size-100" --device-size "$size" --workload iommu --working-set 64K --pages 16
done
for t in 1 2; do
	run "marking-$t" --device-size 16G --workload rw --threads "$t" --pages 64 --iterations 50 \
		--marking during
	run "idle-16G-$t" --device-size 16G --workload idle
done

python3 - "$out" <<'EOF'
import json, os, sys
out = sys.argv[1]
print("| case | layout | request | path | dirty pages | reference | fast | floor | reference/fast | fast/floor |")
print("|---|---|---|---|--:|--:|--:|--:|--:|--:|")
def t(ns):
    for unit, div in (("s", 1e9), ("ms", 1e6), ("µs", 1e3)):
        if ns >= div:
            return f"{ns / div:.3g} {unit}"
    return f"{ns} ns"
for name in sorted(os.listdir(out)):
    p = os.path.join(out, name, "summary.json")
    if not os.path.isfile(p) or name.startswith("marking"):
        continue
    rows = [r for r in json.load(open(p))["rows"] if r["op"] == "get_bitmap" and r["stage"] == "steady"]
    key = lambda r: (r["layout"], r["request"], r["path"])
    for k in sorted({key(r) for r in rows}):
        by = {r["harvest"]: r for r in rows if key(r) == k}
        ref, fast = by.get("reference"), by.get("fast")
        if not ref or not fast:
            continue
        floor = fast["memcpy_median_ns"] or ref["memcpy_median_ns"] or 0
        print(f"| {name} | {k[0]} | {k[1]} | {k[2]} | {fast['dirty_pages']} | {t(ref['median_ns'])} | "
              f"{t(fast['median_ns'])} | {t(floor)} | {ref['median_ns'] / max(fast['median_ns'], 1):.1f}x | "
              f"{fast['median_ns'] / max(floor, 1):.2f}x |")
print()
print("| marking | harvest | threads | marks/s per thread | GET merged median under load |")
print("|---|---|--:|--:|--:|")
for name in sorted(os.listdir(out)):
    p = os.path.join(out, name, "samples.csv")
    if not name.startswith("marking") or not os.path.isfile(p):
        continue
    import csv
    marks = {}
    for s in csv.DictReader(open(p)):
        if s["op"] == "dirty" and s["stage"] == "steady":
            marks.setdefault(s["harvest"], []).append(int(s["pages"]) / (int(s["ns"]) / 1e9))
    rows = json.load(open(os.path.join(out, name, "summary.json")))["rows"]
    for h, rates in marks.items():
        get = [r for r in rows if r["harvest"] == h and r["op"] == "get_bitmap" and r["request"] == "merged" and r["stage"] == "steady"]
        lat = t(sorted(r["median_ns"] for r in get)[len(get) // 2]) if get else "-"
        print(f"| {name} | {h} | {len(rates) // 2} | {sum(rates) / len(rates):,.0f} | {lat} |")
EOF
