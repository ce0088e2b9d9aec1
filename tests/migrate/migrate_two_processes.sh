#!/bin/sh
# SPDX-License-Identifier: MIT
# migrate_two_processes.sh DIRTYSCOPE VALIDATE
#	The source and the destination as two processes: `migrate --listen`
#	on port 0 prints the port it got, `migrate --connect` migrates a sweep
#	of two sizes to it, and the destination, checking each copy, exits 0
#	after the last. A destination nobody connects to gives up after
#	--io-timeout, and says so.
set -u
bin=$1
validate=$2
fail=0
work=$(mktemp -d) || exit 1
trap 'kill $lpid 2>/dev/null; rm -rf "$work"' EXIT
lpid=

timeout 120 "$bin" migrate --listen 127.0.0.1:0 --io-timeout 30s >"$work/listen.out" 2>"$work/listen.err" &
lpid=$!
port=
for _ in $(seq 50); do
	port=$(sed -n 's/^listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$work/listen.out")
	[ -n "$port" ] && break
	sleep 0.1
done
if [ -z "$port" ]; then
	echo "FAIL: the destination did not say where it listens"; cat "$work/listen.err"; exit 1
fi
timeout 120 "$bin" migrate --connect "127.0.0.1:$port" --device-size 16M,32M --bandwidth 500Mbit/s \
	--dirty-rate 8MB/s --out "$work/run" >"$work/src.out" 2>"$work/src.err"
status=$?
[ "$status" -eq 0 ] || { echo "FAIL: the source: exit status $status"; cat "$work/src.err"; fail=1; }
wait "$lpid"
lstatus=$?
lpid=
[ "$lstatus" -eq 0 ] || { echo "FAIL: the destination: exit status $lstatus"; cat "$work/listen.err"; fail=1; }
n=$(grep -c "every page matches the source's" "$work/listen.out")
[ "$n" -eq 2 ] || { echo "FAIL: the destination checked $n migrations, not 2:"; cat "$work/listen.out"; fail=1; }
sh "$validate" "$work/run" || { echo "FAIL: the source's folder does not validate"; fail=1; }

# Nobody connects: the destination gives up after --io-timeout.
start=$(date +%s)
timeout 30 "$bin" migrate --listen 127.0.0.1:0 --io-timeout 1s >"$work/alone.out" 2>"$work/alone.err"
status=$?
took=$(($(date +%s) - start))
if [ "$status" -ne 1 ] || [ "$took" -gt 5 ] || ! grep -q "no source connected" "$work/alone.err"; then
	echo "FAIL: a lonely destination: exit status $status after $took s"; cat "$work/alone.err"; fail=1
fi

[ "$fail" -eq 0 ] && echo "migrate_two_processes: two processes, two migrations, both checked"
exit "$fail"
