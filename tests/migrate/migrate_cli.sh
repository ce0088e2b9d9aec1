#!/bin/sh
# SPDX-License-Identifier: MIT
# migrate_cli.sh DIRTYSCOPE: `dirtyscope migrate`'s command line. Bad input
# gets one line on stderr naming the option, exit status 2, nothing on
# stdout and no run folder; --help lists every option with its default.
set -u
bin=$1
fail=0
work=$(mktemp -d) || exit 1
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1

bad() { # bad WORDS-IN-MESSAGE ARGS...: every word must be in the one line on stderr
	want=$1
	shift
	timeout 30 "$bin" migrate --out out "$@" >out.txt 2>err.txt
	status=$?
	lines=$(wc -l <err.txt)
	if [ "$status" -ne 2 ]; then
		echo "FAIL: migrate $*: exit status $status, expected 2"; cat err.txt; fail=1
	elif [ "$lines" -ne 1 ]; then
		echo "FAIL: migrate $*: $lines lines on stderr, expected one:"; cat err.txt; fail=1
	else
		for w in $want; do
			grep -q -- "$w" err.txt || { echo "FAIL: migrate $*: no '$w' in:"; cat err.txt; fail=1; }
		done
	fi
	[ -s out.txt ] && { echo "FAIL: migrate $*: printed on stdout:"; cat out.txt; fail=1; }
	[ -e out ] && { echo "FAIL: migrate $*: made a run folder"; fail=1; rm -rf out; }
}

bad "--bandwidth zero" --bandwidth 0
bad "--bandwidth unit" --bandwidth 10
bad "--bandwidth 1Mbit/s" --bandwidth 100kbit/s
bad "--bandwidth twice" --bandwidth 1Gbit/s,1Gbit/s
bad "--bandwidth empty" --bandwidth 1Gbit/s,
bad "--bandwidth 8" --bandwidth 1Mbit/s,2Mbit/s,3Mbit/s,4Mbit/s,5Mbit/s,6Mbit/s,7Mbit/s,8Mbit/s,9Mbit/s
bad "--dirty-rate zero" --dirty-rate 0MB/s
bad "--dirty-rate second" --dirty-rate 16Mbps
bad "--device-size zero" --device-size 0
bad "--device-size unit" --device-size 65536
bad "--device-size page" --device-size 6K
bad "--device-size 64" --device-size 128G
bad "--working-set zero" --working-set 0
bad "--working-set page" --working-set 6K
bad "--mappings" --mappings 0
bad "--mappings fewer" --device-size 16K --mappings 5
bad "--threads" --threads 0
bad "--threads" --threads 65
bad "--rw-bytes multiple" --rw-bytes 12
bad "--rw-bytes" --rw-bytes 8192
bad "--hot" --hot 0:50
bad "--pattern" --pattern zigzag
bad "--harvest unknown" --harvest nope
bad "--backend unknown" --backend nope
bad "--backend DMA_RW uffd" --backend vfio
bad "--listen loopback" --listen 10.0.0.1:7000
bad "--listen names" --listen localhost:7000
bad "--connect port" --connect 127.0.0.1:0
bad "--connect port" --connect 127.0.0.1:70000
bad "--listen --connect" --listen 127.0.0.1:0 --connect 127.0.0.1:1
bad "--downtime-limit zero" --downtime-limit 0
bad "--downtime-limit unit" --downtime-limit 300
bad "--io-timeout zero" --io-timeout 0s
bad "--max-rounds" --max-rounds 0
bad "--state-size" --state-size 5T
bad "unknown --frobnicate" --frobnicate
bad "needs --bandwidth" --bandwidth
bad "unexpected extra" extra
DIRTYSCOPE_FAULT=bogus bad "DIRTYSCOPE_FAULT unknown bogus"

# --out: a folder that holds something is not overwritten.
mkdir full && touch full/keep
timeout 30 "$bin" migrate --out full --device-size 16M >out.txt 2>err.txt
status=$?
if [ "$status" -ne 2 ] || ! grep -q -- "--out full: the folder is not empty" err.txt; then
	echo "FAIL: --out over a non-empty folder: exit status $status"; cat err.txt; fail=1
fi
[ -e full/meta.json ] && { echo "FAIL: --out over a non-empty folder wrote meta.json"; fail=1; }

# --help: exit 0, every option the parser takes, each with its default.
"$bin" migrate --help >help.txt 2>err.txt || { echo "FAIL: --help: exit status $?"; fail=1; }
[ -s err.txt ] && { echo "FAIL: --help wrote on stderr"; fail=1; }
for o in backend harvest device-size mappings bandwidth dirty-rate pattern hot working-set \
	threads rw-bytes state-size downtime-limit max-rounds io-timeout seed listen connect out help; do
	grep -q -- "--$o" help.txt || { echo "FAIL: --help does not list --$o"; fail=1; }
done
# Every option that takes a value shows its default in brackets on its lines.
"$bin" migrate --help | awk '
	/^  --/ { if (opt != "" && !seen) { print opt; bad = 1 } opt = $1; seen = 0 }
	/^  -h/ { if (opt != "" && !seen) { print opt; bad = 1 } opt = ""; next }
	/^[^ ]/ || /^$/ { if (opt != "" && !seen) { print opt; bad = 1 } opt = "" }
	/\[/ { seen = 1 }
	END { exit bad }' >nodefault.txt || { echo "FAIL: options without a default:"; cat nodefault.txt; fail=1; }
grep -q "DIRTYSCOPE_FAULT" help.txt || { echo "FAIL: --help does not document the fault hooks"; fail=1; }
"$bin" --help | grep -q "^  migrate" || { echo "FAIL: dirtyscope --help does not list migrate"; fail=1; }

[ "$fail" -eq 0 ] && echo "migrate_cli: every bad input refused, --help complete"
exit "$fail"
