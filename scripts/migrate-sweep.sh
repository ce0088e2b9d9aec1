#!/bin/sh
# SPDX-License-Identifier: MIT
# migrate-sweep.sh [OUT]
#	The planner against measured migrations: one `dirtyscope migrate`
#	sweep (device sizes x bandwidths x dirty rates) per series - the model
#	backend with sequential writes (distinct pages, the planner's own
#	assumption), with random writes (pages written again), and uffd with
#	random writes (plain stores the kernel tracks; skipped where the
#	kernel cannot) - then OUT/sweep.csv (every migration, with its series),
#	OUT/sweep.md (the table of predicted and measured downtime) and
#	OUT/migrate-downtime.png (plots/migrate-downtime.gp).
#
#	OUT defaults to results/runs/migrate-sweep-DATE-TIME. The environment
#	chooses the points: SIZES [32M,64M,128M], BANDWIDTHS [250Mbit/s,1Gbit/s],
#	RATES [4MB/s,16MB/s,32MB/s], SERIES ["model:sequential model:random
#	uffd:random"], MAX_ROUNDS [4], DIRTYSCOPE [build/bench/dirtyscope].
#	About two minutes per series on the project's 2-core build machine.
#
# Exit 0, or 1 when a migration failed (a lost page, a broken link: the
# sweep stops there; not converging is not a failure, it is a data point).
set -u
cd "$(dirname "$0")/.."
bin=${DIRTYSCOPE:-build/bench/dirtyscope}
out=${1:-results/runs/migrate-sweep-$(date -u +%Y%m%d-%H%M%S)}
sizes=${SIZES:-32M,64M,128M}
bandwidths=${BANDWIDTHS:-250Mbit/s,1Gbit/s}
rates=${RATES:-4MB/s,16MB/s,32MB/s}
series=${SERIES:-model:sequential model:random uffd:random}
max_rounds=${MAX_ROUNDS:-4}

[ -x "$bin" ] || { echo "migrate-sweep.sh: no $bin: build first (or set DIRTYSCOPE)" >&2; exit 2; }
mkdir -p "$out" || exit 1
folders=
for s in $series; do
	backend=${s%%:*}
	pattern=${s#*:}
	dir=$out/$backend-$pattern
	set -- "$bin" migrate --backend "$backend" --pattern "$pattern" --device-size "$sizes" \
		--bandwidth "$bandwidths" --dirty-rate "$rates" --max-rounds "$max_rounds" --out "$dir"
	echo "\$ $*" | sed "s|$bin|dirtyscope|" | tee -a "$out/commands.txt"
	"$@" >"$dir.txt" 2>"$dir.err"
	status=$?
	cat "$dir.err" >&2
	if [ "$status" -ne 0 ] && [ "$status" -ne 3 ]; then
		if grep -q "needs Linux >= 6.7" "$dir.err"; then
			echo "migrate-sweep.sh: $s skipped: this kernel cannot run the uffd backend" >&2
			rm -rf "$dir"
			continue
		fi
		echo "migrate-sweep.sh: $s failed (exit status $status): see $dir.txt" >&2
		exit 1
	fi
	folders="$folders $s=$dir"
done

# shellcheck disable=SC2086 # one word per series
/usr/bin/python3 - "$out" $folders <<'EOF'
import csv, sys

out, pairs = sys.argv[1], sys.argv[2:]
rows = []
for pair in pairs:
    series, folder = pair.split("=", 1)
    with open(folder + "/migrations.csv", newline="") as f:
        for r in csv.DictReader(f):
            rows.append({"series": series, **r})
if not rows:
    sys.exit("migrate-sweep.sh: no migration ran")
with open(out + "/sweep.csv", "w", newline="") as f:
    w = csv.DictWriter(f, fieldnames=list(rows[0]))
    w.writeheader()
    w.writerows(rows)


def ms(ns):
    return f"{int(ns) / 1e6:.1f}" if ns else "-"


def ratio(x):
    return f"{float(x):.2f}" if x else "-"


def flagged(r):
    """ "!" when the run warned: the machine got in the way (summary.json says how)."""
    return " !" if int(r.get("warnings") or 0) else ""


def mbit(bps):
    b = int(bps) * 8 / 1e6
    return f"{b / 1000:g} Gbit/s" if b >= 1000 else f"{b:g} Mbit/s"


lines = ["| series | size | link | dirty rate | rounds (plan) | outcome | measured ms | plan ms | plan / measured | plan, measured harvest | QEMU est. ms | QEMU / measured |",
         "|---|---|---|---|---|---|---|---|---|---|---|---|"]
for r in rows:
    lines.append("| " + " | ".join([
        r["series"], f"{int(r['device_bytes']) >> 20} MiB", mbit(r["bandwidth_bytes_per_s"]),
        f"{int(r['dirty_rate_bytes_per_s']) / 1e6:g} MB/s", f"{r['rounds']} ({r['plan_rounds']})",
        r["outcome"], ms(r["measured_downtime_ns"]) + flagged(r), ms(r["plan_downtime_ns"]),
        ratio(r["ratio_plan"]), ratio(r["ratio_plan_measured_harvest"]),
        ms(r["qemu_expected_downtime_ns"]), ratio(r["ratio_qemu"])]) + " |")
errs = sorted(float(r["ratio_plan"]) for r in rows if r["ratio_plan"])
by = {}
for r in rows:
    if r["ratio_plan"]:
        by.setdefault(r["series"], []).append(float(r["ratio_plan"]))
lines.append("")
if any(flagged(r) for r in rows):
    lines.append("!: the migration warned (its summary.json says what): the stop-and-copy ran slower "
                 "than its bytes take at the link's rate, the pause and the resume were a tenth of "
                 "the downtime, or the writers ran below their rate.")
    lines.append("")
for s, v in by.items():
    v.sort()
    lines.append(f"{s}: plan / measured median {v[len(v) // 2]:.2f}, from {v[0]:.2f} to {v[-1]:.2f} "
                 f"over {len(v)} migrations")
open(out + "/sweep.md", "w").write("\n".join(lines) + "\n")
print("\n".join(lines))
EOF
[ $? -eq 0 ] || exit 1
if command -v gnuplot >/dev/null; then
	gnuplot -e "sweep='$out/sweep.csv'; outfile='$out/migrate-downtime.png'" plots/migrate-downtime.gp &&
		echo "figure: $out/migrate-downtime.png"
fi
echo "sweep: $out/sweep.md, $out/sweep.csv"
