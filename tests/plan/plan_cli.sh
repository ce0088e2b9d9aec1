#!/bin/sh
# SPDX-License-Identifier: MIT
# plan_cli.sh DIRTYSCOPE FIXTURE_RUN: `dirtyscope plan` from the command line.
# Bad input (options and run folders) gets one line on stderr naming the
# option or the file and field, exit status 2, and nothing written; --help
# lists every option with its default; a good plan prints the table and
# writes plan.json; --from reads a run folder.
set -u
bin=$1
run=$2
fail=0
work=$(mktemp -d) || exit 1
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1

bad() { # bad WORDS-IN-MESSAGE ARGS...: every word of the first argument must be in the message
	want=$1
	shift
	"$bin" plan --out out "$@" >out.txt 2>err.txt
	status=$?
	lines=$(wc -l <err.txt)
	if [ "$status" -ne 2 ]; then
		echo "FAIL: plan $*: exit status $status, expected 2"; cat err.txt; fail=1
	elif [ "$lines" -ne 1 ]; then
		echo "FAIL: plan $*: $lines lines on stderr, expected one:"; cat err.txt; fail=1
	else
		for w in $want; do
			if ! grep -q -- "$w" err.txt; then
				echo "FAIL: plan $*: message does not name '$w':"; cat err.txt; fail=1
			fi
		done
	fi
	if [ -s out.txt ]; then
		echo "FAIL: plan $*: printed on stdout:"; cat out.txt; fail=1
	fi
	if [ -e out ]; then
		echo "FAIL: plan $*: wrote something"; fail=1
		rm -rf out
	fi
}

# Zero, negative, unit-less, unknown units.
bad "--bandwidth zero" --bandwidth 0
bad "--bandwidth zero" --bandwidth 0Gbit/s
bad "--bandwidth negative" --bandwidth -10Gbit/s
bad "--bandwidth unit" --bandwidth 10
bad "--bandwidth second" --bandwidth 10Gb/s
bad "--bandwidth second" --bandwidth 10Gbps
bad "--dirty-rate zero" --dirty-rate 0MB/s
bad "--dirty-rate negative" --dirty-rate -200MB/s
bad "--dirty-rate unit" --dirty-rate 200
bad "--dirty-rate second" --dirty-rate 200MB/min
bad "--downtime-limit zero" --downtime-limit 0
bad "--downtime-limit zero" --downtime-limit 0ms
bad "--downtime-limit negative" --downtime-limit -300ms
bad "--downtime-limit unit" --downtime-limit 300
bad "--downtime-limit unknown" --downtime-limit 5min
bad "--state-size unit" --state-size 9
bad "--state-size negative" --state-size -9MB
bad "--state-size unknown" --state-size 9Mb
bad "--working-set zero" --working-set 0
bad "--working-set unit" --working-set 4096
bad "--working-set multiple" --working-set 5000B
bad "--pinned unit" --pinned 64
bad "--page-size power" --page-size 3K
bad "--page-size unit" --page-size 4096
# Sizes and ranges.
bad "--device-size empty range" --device-size 4T..1G
bad "--device-size empty" --device-size ""
bad "--device-size empty" --device-size 1G,,2G
bad "--device-size unit" --device-size 1073741824
bad "--device-size unknown" --device-size 1Q
bad "--device-size zero" --device-size 0
bad "--device-size multiple" --device-size 5000B
bad "--device-size many" --device-size "$(seq -s, -f %gG 1 65)"
bad "--mappings pages" --device-size 64M --mappings 65536
bad "--mappings" --mappings 0
bad "--mappings" --mappings lots
bad "--max-rounds" --max-rounds 0
bad "--tracking" --tracking psychic
bad "--queries" --queries all
bad "--cost-call unit" --cost-call 250
bad "--cost-byte negative" --cost-byte -0.05ns
bad "--cost-walk unknown" --cost-walk 5min
bad "--harvest --from" --harvest reference
bad "--frobnicate" --frobnicate
bad "--bandwidth value" --bandwidth
bad "argument" stray
bad "--out" --out ""

# Run folders: missing, without a file, without a field, without estimates.
bad "--from no-such-run" --from no-such-run
mkdir nosummary && cp "$run"/meta.json "$run"/samples.csv nosummary/
bad "--from nosummary summary.json" --from nosummary
mkdir nofield && cp "$run"/* nofield/
python3 - nofield/summary.json <<'EOF'
import json, sys
p = sys.argv[1]
d = json.load(open(p))
del d["downtime"]["estimates"][0]["final_harvest_ns"]
json.dump(d, open(p, "w"))
EOF
bad "--from nofield summary.json final_harvest_ns" --from nofield
mkdir noestimates && cp "$run"/* noestimates/
python3 - noestimates/summary.json <<'EOF'
import json, sys
p = sys.argv[1]
d = json.load(open(p))
d["downtime"]["estimates"] = []
json.dump(d, open(p, "w"))
EOF
bad "--from noestimates summary.json downtime.estimates" --from noestimates
mkdir running && cp "$run"/meta.json "$run"/samples.csv running/
sed -i 's/"status": "complete"/"status": "running"/; s/"ended_utc": "[^"]*"/"ended_utc": null/' running/meta.json
bad "--from running" --from running
bad "--harvest psychic" --from "$run" --harvest psychic
bad "--from nosummary summary.json" --from "$run" --from nosummary

# --help: every option, each with its default in brackets.
"$bin" plan --help >help.txt 2>&1 || { echo "FAIL: plan --help: exit status $?"; fail=1; }
for opt in --device-size --page-size --bandwidth --dirty-rate --working-set --pinned \
	--state-size --downtime-limit --max-rounds --tracking --queries --mappings --from \
	--harvest --cost-call --cost-byte --cost-walk --cost-pinned --out; do
	# The option's text runs from its line to the next option's.
	text=$(awk -v o="$opt" '/^  -/ { on = ($1 == o) } on' help.txt)
	if ! printf '%s\n' "$text" | grep -q "\["; then
		echo "FAIL: plan --help does not list $opt with a default"; fail=1
	fi
done

# A good plan: the table, the verdict, and plan.json written whole.
if ! "$bin" plan --device-size 1G..64G --bandwidth 10Gbit/s --dirty-rate 200MB/s \
	--state-size 9MB --out good >table.txt 2>err.txt; then
	echo "FAIL: a good plan failed:"; cat err.txt; fail=1
fi
grep -q "largest device size that meets the 300ms limit" table.txt ||
	{ echo "FAIL: no verdict in the table:"; cat table.txt; fail=1; }
[ "$(grep -c ' GiB ' table.txt)" -eq 7 ] || { echo "FAIL: not 7 sizes:"; cat table.txt; fail=1; }
[ -s good/plan.json ] || { echo "FAIL: no plan.json"; fail=1; }
ls good | grep -q tmp && { echo "FAIL: a temporary file was left"; fail=1; }
python3 - good/plan.json <<'EOF' || fail=1
import json, sys
d = json.load(open(sys.argv[1]))
sizes = d["sizes"]
assert [s["device_bytes"] for s in sizes] == [1 << k for k in range(30, 37)], sizes
for s in sizes:
    assert s["downtime_ns"] == s["final_harvest_ns"] + s["transfer_ns"] + s["state_ns"], s
    assert s["state_ns"] == 7200000, s  # 9 MB at 1.25 GB/s
    assert s["fits"] == (s["downtime_ns"] <= 300000000), s
fit = [s["device_bytes"] for s in sizes if s["fits"]]
assert d["max_device_bytes"] == (max(fit) if fit else None), d["max_device_bytes"]
assert d["inputs"]["bandwidth_bytes_per_s"] == 1250000000
assert d["cost"]["source"] == "terms" and d["cost"]["fit"] is None
EOF

# iommu scope, above bandwidth x limit: nothing fits, max_device_bytes is null.
"$bin" plan --tracking iommu --device-size 1G..16G --out iommu >table.txt 2>err.txt ||
	{ echo "FAIL: the iommu plan failed:"; cat err.txt; fail=1; }
grep -q "no device size meets" table.txt || { echo "FAIL: iommu: a size fits:"; cat table.txt; fail=1; }
grep -q '"max_device_bytes": null' iommu/plan.json || { echo "FAIL: iommu: max_device_bytes"; fail=1; }

# --from: measured harvests where the run ran the size, the fit elsewhere, flagged.
if ! "$bin" plan --from "$run" --device-size 512M..8G --mappings 8 --out from >table.txt 2>err.txt; then
	echo "FAIL: plan --from $run failed:"; cat err.txt; fail=1
fi
# The fixture's merged harvests (its 4 devices) are the points of a merged plan.
for w in "fitted to 4 harvests" "error on them median" measured model extrap.; do
	grep -q -- "$w" table.txt || { echo "FAIL: --from: no '$w' in:"; cat table.txt; fail=1; }
done
python3 - from/plan.json <<'EOF' || fail=1
import json, sys
d = json.load(open(sys.argv[1]))
src = {s["device_bytes"] >> 20: s["harvest_source"] for s in d["sizes"]}
assert src == {512: "extrapolated", 1024: "measured", 2048: "model", 4096: "measured",
               8192: "extrapolated"}, src
assert d["cost"]["source"] == "fit" and d["cost"]["fit"]["points"] == 4, d["cost"]
assert "call" in d["cost"]["fit"]["determined"] and "byte" in d["cost"]["fit"]["determined"]
EOF

# A plan the run did not measure that way is fitted to the others, and says so.
"$bin" plan --from "$run" --tracking iommu --device-size 256M >table.txt 2>err.txt ||
	{ echo "FAIL: --from with --tracking iommu failed:"; cat err.txt; fail=1; }
grep -q "no harvest with every page dirty (iommu scope): fitted to the others" table.txt ||
	{ echo "FAIL: --tracking iommu: no note:"; cat table.txt; fail=1; }

# Several runs feed one fit.
"$bin" plan --from "$run" --from "$run" --mappings 8 >table.txt 2>err.txt ||
	{ echo "FAIL: two --from failed:"; cat err.txt; fail=1; }
grep -q "fitted to 8 harvests" table.txt || { echo "FAIL: two --from:"; cat table.txt; fail=1; }

# A full stdout is an error, after plan.json was written.
if [ -w /dev/full ]; then
	"$bin" plan --out full >/dev/full 2>err.txt
	status=$?
	[ "$status" -eq 1 ] || { echo "FAIL: stdout full: exit status $status"; fail=1; }
	[ -s full/plan.json ] || { echo "FAIL: stdout full: no plan.json"; fail=1; }
fi
exit $fail
