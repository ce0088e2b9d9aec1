#!/bin/sh
# SPDX-License-Identifier: MIT
# migrate_faults.sh DIRTYSCOPE VALIDATE
#	Every way a migration can go wrong ends with a clear message, the
#	partial result kept (a run folder that validates and says how it
#	ended) and a non-zero exit status, within a bounded time:
#	  - a dirty bit dropped (the test-only drop-bit hook): the destination's
#	    check fails, naming the page that was dropped;
#	  - a destination that stops reading: it fell behind, after --io-timeout;
#	  - a destination that hangs up in round 0: the connection broke;
#	  - nothing listening: connection refused;
#	  - writers faster than the link: no convergence, exit 3, still checked;
#	  - SIGINT in round 0: interrupted, exit 130, within a second.
#	Labelled stress: ThreadSanitizer runs it too.
set -u
bin=$1
validate=$2
py=/usr/bin/python3
work=$(mktemp -d) || exit 1
trap 'rm -rf "$work"' EXIT
fail=0

# run NAME WANT_STATUS MAX_SECONDS WORDS-IN-STDERR -- ARGS...: one migration, its status,
# its time, its message; the folder is $work/NAME.
run() {
	name=$1 want=$2 max=$3 words=$4
	shift 5
	start=$(date +%s)
	timeout 120 "$@" --out "$work/$name" >"$work/$name.out" 2>"$work/$name.err"
	status=$?
	took=$(($(date +%s) - start))
	if [ "$status" -ne "$want" ]; then
		echo "FAIL: $name: exit status $status, expected $want"
		cat "$work/$name.out" "$work/$name.err"
		fail=1
		return 1
	fi
	if [ "$took" -gt "$max" ]; then
		echo "FAIL: $name: took $took s, more than $max"
		fail=1
	fi
	for w in $words; do
		if ! grep -q -- "$w" "$work/$name.err"; then
			echo "FAIL: $name: stderr does not say '$w':"
			cat "$work/$name.err"
			fail=1
		fi
	done
	sh "$validate" "$work/$name" || { echo "FAIL: $name: the folder does not validate"; fail=1; }
	return 0
}

# check NAME PYTHON-EXPRESSION: about meta (meta.json) and m (the first migration).
check() {
	"$py" - "$work/$1" "$2" <<'PY' || { echo "FAIL: $1: $2"; fail=1; }
import json, sys
d = sys.argv[1]
meta = json.load(open(d + "/meta.json"))
m = json.load(open(d + "/summary.json"))["migrations"][0]
sys.exit(0 if eval(sys.argv[2]) else 1)
PY
}

common="--device-size 64M --bandwidth 500Mbit/s --dirty-rate 16MB/s"

# A dirty bit dropped: the one page the hook left out differs, and nothing else.
if DIRTYSCOPE_FAULT=drop-bit run drop_bit 1 60 "differs dropped a.dirty.page.was.lost" -- \
	"$bin" migrate $common; then
	check drop_bit 'meta["status"] == "failed" and "differs" in meta["error"]'
	check drop_bit 'm["outcome"] == "failed" and m["verification"]["checked"]'
	check drop_bit 'm["verification"]["ok"] is False and m["verification"]["mismatched_pages"] == 1'
	check drop_bit 'm["verification"]["first_mismatched"] == [m["fault"]["page"]]'
	check drop_bit 'm["fault"]["kind"] == "drop-bit" and m["resumed"]'
	# Without the hook, the same migration passes: the failure is the dropped bit.
	run no_drop 0 60 "" -- "$bin" migrate $common
fi

# A destination that stops reading: the source gives up after --io-timeout.
DIRTYSCOPE_FAULT=dest-stall run stall 1 30 "fell.behind --io-timeout" -- \
	"$bin" migrate $common --io-timeout 1s &&
	check stall 'meta["status"] == "failed" and m["outcome"] == "failed" and not m["resumed"]'

# A destination that hangs up in round 0.
DIRTYSCOPE_FAULT=dest-close run close 1 30 "connection.broke" -- "$bin" migrate $common &&
	check close 'm["outcome"] == "failed" and m["precopy_rounds"] == 0'

# Nothing listening: a port that was free a moment ago.
port=$("$py" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
run refused 1 10 "refused --listen" -- "$bin" migrate $common --connect "127.0.0.1:$port" &&
	check refused 'meta["status"] == "failed" and "refused" in m["error"]'

# Writers faster than the link: 40 MB/s of distinct pages against 25 MB/s.
run forced 3 60 "did.not.converge max-rounds" -- "$bin" migrate --device-size 16M \
	--bandwidth 200Mbit/s --dirty-rate 40MB/s --pattern sequential --max-rounds 2 &&
	check forced 'meta["status"] == "complete" and m["outcome"] == "forced" and m["precopy_rounds"] == 2 and m["switchover"] == "max_rounds" and m["verification"]["ok"]'

# SIGINT during round 0 (64 MiB at 200 Mbit/s is 2.7 s of it).
start=$(date +%s)
"$bin" migrate --device-size 64M --bandwidth 200Mbit/s --out "$work/sigint" \
	>"$work/sigint.out" 2>"$work/sigint.err" &
pid=$!
sleep 1
kill -INT "$pid"
wait "$pid"
status=$?
took=$(($(date +%s) - start))
if [ "$status" -ne 130 ] || [ "$took" -gt 5 ]; then
	echo "FAIL: SIGINT: exit status $status after $took s, expected 130 within 5 s"
	cat "$work/sigint.err"
	fail=1
else
	sh "$validate" "$work/sigint" || { echo "FAIL: sigint: the folder does not validate"; fail=1; }
	check sigint 'meta["status"] == "interrupted" and meta["signal"] == "SIGINT" and meta["error"] is None and m["outcome"] == "interrupted"'
fi

[ "$fail" -eq 0 ] && echo "migrate_faults: every fault was reported"
exit "$fail"
