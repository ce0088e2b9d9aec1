#!/bin/sh
# SPDX-License-Identifier: MIT
# run_uffd.sh DIRTYSCOPE VALIDATE_RUN
#	`dirtyscope run --backend uffd --workload iommu` end to end: a valid
#	run folder, and harvests that report what the device wrote - at most
#	the pages one step writes, never every page of the device as type1
#	does for an IOMMU-backed device. Exit 77 where the kernel has no uffd
#	write tracking (the run says why).
set -u
bin=$1
validate=$2
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT

"$bin" run --backend uffd --workload iommu --device-size 64M --working-set 8M --pages 128 \
	--iterations 3 --warmup 1 --profile-iterations 0 --cycles 1 --layout uniform:2,ragged:2 \
	--no-progress --out "$d/run" >"$d/out" 2>"$d/err"
status=$?
if [ $status -ne 0 ]; then
	if grep -q "the uffd backend needs" "$d/err"; then
		echo "run_uffd.sh: SKIP: $(cat "$d/err")"
		exit 77
	fi
	echo "FAIL: dirtyscope run exited $status"
	cat "$d/err"
	exit 1
fi
sh "$validate" "$d/run" || exit 1

# samples.csv: iteration,stage,harvest,device,layout,op,request,path,mapping,bitmap_bytes,pages,dirty_pages,...
awk -F, 'NR > 1 && $2 == "steady" && $6 == "get_bitmap" && $7 == "merged" {
		n++
		if ($12 < 1 || $12 > 128) { bad++; print "FAIL: a merged GET reported " $12 " of " $11 " pages" }
	}
	END { if (!n) { print "FAIL: no steady merged GET"; exit 1 } exit bad ? 1 : 0 }' "$d/run/samples.csv" ||
	exit 1
# The table says nothing of "every page reported dirty": that is type1's, not ours.
if grep -q "every page reported dirty" "$d/out"; then
	echo "FAIL: the downtime table claims every page dirty"
	exit 1
fi
echo "run_uffd.sh: ok"
