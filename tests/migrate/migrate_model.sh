#!/bin/sh
# SPDX-License-Identifier: MIT
# migrate_model.sh DIRTYSCOPE VALIDATE [BACKEND]
#	A 64 MiB region migrated over the loopback link while two writer
#	threads keep writing it, and a device state: the destination's check
#	(a checksum of every page, compared after the resume) must pass, pages
#	must have been sent again (the writers dirtied them during the
#	migration), the downtime must be measured and add up, and the run
#	folder must validate.
#	BACKEND model (the default): writers through DMA_RW, with each harvest
#	(fast: writers never wait; reference: under the container's lock).
#	BACKEND uffd: plain stores tracked by the host kernel; skipped (77)
#	where the kernel lacks userfaultfd async write-protect.
#	Labelled stress: ThreadSanitizer runs it too.
set -u
bin=$1
validate=$2
backend=${3:-model}
py=/usr/bin/python3
work=$(mktemp -d) || exit 1
trap 'rm -rf "$work"' EXIT
fail=0

harvests="fast reference"
[ "$backend" = model ] || harvests=fast
for harvest in $harvests; do
	dir=$work/$harvest
	timeout 120 "$bin" migrate --backend "$backend" --device-size 64M --bandwidth 500Mbit/s \
		--dirty-rate 16MB/s --harvest "$harvest" --threads 2 --state-size 1M --seed 7 \
		--out "$dir" >"$work/out" 2>"$work/err"
	status=$?
	if [ "$status" -ne 0 ] && grep -q "needs Linux >= 6.7" "$work/err"; then
		echo "skipped: $(cat "$work/err")"
		exit 77
	fi
	if [ "$status" -ne 0 ]; then
		echo "FAIL: --harvest $harvest: exit status $status"
		cat "$work/out" "$work/err"
		fail=1
		continue
	fi
	if ! grep -q "destination: all 16384 pages and 1.00 MiB of state match" "$work/out"; then
		echo "FAIL: --harvest $harvest: no line saying the destination matches"
		cat "$work/out"
		fail=1
	fi
	if ! "$py" - "$dir" <<'PY'
import json, sys
d = sys.argv[1]
m = json.load(open(d + "/summary.json"))["migrations"][0]
meta = json.load(open(d + "/meta.json"))
problems = []
def want(ok, what):
    if not ok:
        problems.append(what)
want(meta["status"] == "complete", "meta.json status complete")
want(m["outcome"] == "converged", "converged")
v = m["verification"]
want(v["checked"] and v["ok"] and v["mismatched_pages"] == 0 and v["state_ok"], "the check passed")
want(v["pages"] == 16384, "every page checked")
want(m["writes"]["page_writes"] > 1000, "the writers wrote during the migration")
want(m["pages_sent"] > 16384, "pages sent again after round 0")
want(m["measured"]["downtime_ns"] > 0, "a measured downtime")
want(m["measured"]["state_ns"] > 0, "the state took time on the link")
want(m["plan"] is not None and m["ratio"]["plan"] is not None, "a prediction beside it")
if problems:
    print("FAIL:", "; ".join(problems), json.dumps(m, indent=1))
    sys.exit(1)
PY
	then
		echo "FAIL: --harvest $harvest: summary.json"
		fail=1
	fi
	sh "$validate" "$dir" || { echo "FAIL: --harvest $harvest: the folder does not validate"; fail=1; }
	[ "$fail" -eq 0 ] && echo "ok: --backend $backend --harvest $harvest"
done
# With the kernel tracking real stores, a dropped dirty bit must be caught as well.
if [ "$backend" != model ]; then
	DIRTYSCOPE_FAULT=drop-bit timeout 120 "$bin" migrate --backend "$backend" --device-size 64M \
		--bandwidth 500Mbit/s --out "$work/drop" >"$work/out" 2>"$work/err"
	status=$?
	if [ "$status" -ne 1 ] || ! grep -q "differs from the source's in 1 of 16384 pages" "$work/err"; then
		echo "FAIL: --backend $backend: a dropped dirty bit: exit status $status"
		cat "$work/err"
		fail=1
	else
		echo "ok: --backend $backend: the dropped dirty bit was caught"
	fi
fi
exit "$fail"
