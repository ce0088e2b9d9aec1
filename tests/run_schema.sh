#!/bin/sh
# SPDX-License-Identifier: MIT
# run_schema.sh DIRTYSCOPE VALIDATE: every workload and layout runs from the
# CLI (small and quick), and its meta.json and summary.json validate against
# results/schema; samples.csv has the documented header.
set -u
bin=$1 validate=$2
work=$(mktemp -d) || exit 1
trap 'rm -rf "$work"' EXIT
fail=0 n=0
header='iteration,stage,harvest,device,layout,op,request,path,mapping,bitmap_bytes,pages,dirty_pages,ns,memcpy_bytes,memcpy_ns'

one() { # one NAME ARGS...
	name=$1
	shift
	n=$((n + 1))
	if ! "$bin" run --no-progress --iterations 2 --device-size 256M --pages 256 \
		--out "$work/$name" "$@" >"$work/$name.out" 2>&1; then
		echo "FAIL: $name: dirtyscope run $* failed:"; cat "$work/$name.out"; fail=1; return
	fi
	sh "$validate" "$work/$name"
	status=$?
	[ "$status" -eq 77 ] && exit 77
	[ "$status" -eq 0 ] || { echo "FAIL: $name: schema"; fail=1; }
	[ "$(head -1 "$work/$name/samples.csv")" = "$header" ] || { echo "FAIL: $name: csv header"; fail=1; }
	grep -q '"op": *"get_bitmap"' "$work/$name/summary.json" || { echo "FAIL: $name: no get_bitmap row"; fail=1; }
}

one single-pinned --layout single --workload pinned
one uniform-iommu --layout uniform:4 --workload iommu
one ragged-rw --layout ragged:4 --workload rw --threads 2
one viommu-churn --layout viommu:64 --workload viommu --churn 4
one combined --layout uniform:2,ragged:3 --workload pinned,rw,iommu --pattern hotcold
one sequential --layout ragged:2 --workload pinned --pattern sequential --threads 2
one steps-by-time --layout single --workload rw --step-ms 1 --harvest all
one thp --layout single --workload rw --hugepages thp --working-set 8M
# Eight layouts and the pseudo device "all": a ninth device (once a crash writing samples.csv).
one eight-layouts --device-size 4K --pages 1 \
	--layout single,single,single,single,single,single,single,single
one sweep --device-size 64M,256M --layout uniform:2,ragged:3 --workload pinned --warmup 1 --cycles 2
# The second and third modes: a device per IO (or log) page size, the amplification in summary.json.
one hw-io-pages --layout uniform:2,ragged:3 --workload devwrite --tracking hw --io-page-size 4K,2M,1G
one dmalog-strided --layout viommu:16 --workload devwrite --tracking dmalog --io-page-size 2M \
	--pattern strided --stride 64 --threads 2
one type1-devwrite --layout uniform:2 --workload devwrite,idle
one viommu-mediated --layout viommu:64 --workload viommu,pinned --viommu-group mediated --churn 4
echo "run_schema: $n runs, $([ $fail -eq 0 ] && echo valid || echo INVALID)"
exit $fail
