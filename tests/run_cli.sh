#!/bin/sh
# SPDX-License-Identifier: MIT
# run_cli.sh DIRTYSCOPE: bad input to `dirtyscope run` gets a one-line
# message naming the problem, exit status 2, and leaves no folder behind.
set -u
bin=$1
fail=0
work=$(mktemp -d) || exit 1
trap 'chmod -R u+w "$work"; rm -rf "$work"' EXIT
cd "$work" || exit 1
mkdir ro && chmod a-w ro
touch afile

check() { # check WORD-IN-MESSAGE ARGS...
	want=$1
	shift
	"$bin" run --iterations 1 "$@" >out.txt 2>err.txt
	status=$?
	lines=$(wc -l <err.txt)
	if [ "$status" -ne 2 ]; then
		echo "FAIL: run $*: exit status $status, expected 2"; fail=1
	elif [ "$lines" -ne 1 ]; then
		echo "FAIL: run $*: $lines lines on stderr, expected one:"; cat err.txt; fail=1
	elif ! grep -q -- "$want" err.txt; then
		echo "FAIL: run $*: message does not name '$want':"; cat err.txt; fail=1
	fi
	if [ -e results ] || [ -n "$(ls ro)" ]; then
		echo "FAIL: run $*: left an output folder behind"; fail=1
		rm -rf results
	fi
}

check "--frobnicate" --frobnicate
check "--device-size" --device-size 12345
check "--device-size" --device-size 0
check "--device-size" --device-size 1Q
check "--device-size" --device-size 256T
check "--device-size" --device-size 99999999999999999999999
check "layout" --layout ragged
check "layout" --layout uniform:0
check "layout" --layout cubist:4
check "workload" --workload gardening
check "workload" --workload pinned,pinned
check "--threads" --threads 0
check "--iterations" --iterations -1
check "--harvest" --harvest psychic
check "--pattern" --pattern spiral
check "--hot" --hot 200:10
check "--hugepages" --hugepages enormous
check "--backend" --backend abacus
# Root writes into read-only folders: only a non-root user can see that fail.
[ "$(id -u)" -ne 0 ] && check "--out" --out ro/run
check "--out" --out afile/run
check "--out" --out /proc/dirtyscope-run
check "viommu" --workload viommu --layout ragged:4
check "ragged" --device-size 64K --layout ragged:4 --pages 4
check "--pages" --device-size 64M --workload iommu --pages 1T
check "--pages" --workload pinned --pages 1T
check "--seed" --seed 18446744073709551615
check "256 MiB" --device-size 16T
check "INT_MAX" --device-size 8T --layout single
check "--device-size" --device-size 1G,1G
check "--device-size" --device-size 1G,
check "--bandwidth" --bandwidth 10
check "--bandwidth" --bandwidth 0Gbit/s
check "--bandwidth" --bandwidth -5MB/s
check "--bandwidth" --bandwidth 10furlongs/s
check "--downtime-limit" --downtime-limit 300
check "--downtime-limit" --downtime-limit 0ms
check "--state-size" --state-size lots
check "--warmup" --warmup -1
check "--cycles" --cycles x
check "--viommu-group" --viommu-group pci
check "--iterations" --layout uniform:65535 --iterations 100000
check "argument" stray
check "--tracking" --tracking psychic
check "--io-page-size" --io-page-size 64K --tracking hw
check "--io-page-size" --io-page-size 2M,2M --tracking hw
check "--io-page-size" --io-page-size 2M
check "devwrite" --tracking hw --workload pinned
check "devwrite" --tracking dmalog --workload iommu
check "holes" --tracking hw --workload devwrite --layout viommu:16
check "marking" --tracking hw --workload devwrite --marking during
check "--stride" --pattern strided --stride 0
check "--working-set" --workload rw --working-set 0 --device-size 1T
check "--hugepages" --workload iommu --hugepages thp --device-size 1T --working-set 64G
if [ "$(grep -c HugePages_Total:.*[1-9] /proc/meminfo)" -eq 0 ]; then
	check "hugetlb" --hugepages hugetlb
fi

# A folder with something in it is not overwritten without --force; with it,
# the new run replaces the old one whole.
mkdir full && echo old >full/meta.json
"$bin" run --iterations 1 --device-size 1M --layout single --pages 16 --out full >out.txt 2>err.txt
status=$?
if [ "$status" -ne 2 ] || ! grep -q -- "--force" err.txt || [ "$(cat full/meta.json)" != old ]; then
	echo "FAIL: run --out into a non-empty folder: exit $status, or the folder changed:"; cat err.txt; fail=1
fi
if ! "$bin" run --no-progress --iterations 1 --device-size 1M --layout single --pages 16 --out full --force \
	>out.txt 2>err.txt || ! grep -q '"status": "complete"' full/meta.json ||
	[ -n "$(ls -d full.new.* 2>/dev/null)" ]; then
	echo "FAIL: run --force did not replace the folder whole:"; cat err.txt; ls -la; fail=1
fi
rm -rf full results
exit $fail
