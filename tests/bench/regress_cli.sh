#!/bin/sh
# SPDX-License-Identifier: MIT
# regress_cli.sh DIRTYSCOPE REGRESS_SH
#	scripts/regress.sh with one binary on both sides (a regression run
#	with nothing changed): 2 runs a side interleaved, hyperfine's JSON
#	export with the 4 runs in the order A B A B, every run folder
#	complete, the pooled comparison 'same' on every judged row, and the
#	report; bad options refused with exit 2. Exit 77 without hyperfine
#	or gnuplot.
set -u
bin=$1
regress=$2
for prog in hyperfine gnuplot python3; do
	command -v "$prog" >/dev/null || { echo "regress_cli.sh: skipped: no $prog" >&2; exit 77; }
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
ok() { echo "ok: $1"; }
ko() {
	echo "FAIL: $1" >&2
	fail=1
}

sh "$regress" -n 2 -o "$tmp/out" "$bin" "$bin" -- --device-size 1G --iterations 20 \
	--profile-iterations 5 >"$tmp/log" 2>&1
st=$?
[ "$st" -eq 0 ] && ok "regress.sh ran" || { ko "regress.sh: exit $st"; cat "$tmp/log" >&2; }
python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
names = [r["command"] for r in d["results"]]
assert names == ["A-1", "B-1", "A-2", "B-2"], names
assert all(r["exit_codes"] == [0] for r in d["results"])' "$tmp/out/hyperfine.json" &&
	ok "hyperfine.json: A-1 B-1 A-2 B-2, all exit 0" || ko "hyperfine.json"
for r in A-1 B-1 A-2 B-2; do
	grep -q '"status": "complete"' "$tmp/out/runs/$r/meta.json" || ko "runs/$r is not complete"
done
grep -q "rows judged: 0 slower, 0 faster" "$tmp/out/compare.txt" &&
	ok "nothing changed: no row slower or faster" || ko "compare: $(grep 'rows judged' "$tmp/out/compare.txt")"
[ -s "$tmp/out/compare.json" ] && [ -s "$tmp/out/report/report.html" ] &&
	grep -q 'B (2 runs) against A (2 runs)' "$tmp/out/report/report.html" &&
	ok "compare.json and the report (pooled)" || ko "compare.json or the report"

refused() {
	what=$1
	shift
	sh "$regress" "$@" >"$tmp/log" 2>&1
	st=$?
	[ "$st" -eq 2 ] && ok "$what: refused ($(tail -1 "$tmp/log"))" || ko "$what: exit $st"
}
refused "one run a side" -n 1 -o "$tmp/x" "$bin" "$bin"
refused "--out among the run options" -o "$tmp/y" "$bin" "$bin" -- --out /tmp/z
refused "neither a binary nor a revision" -o "$tmp/w" "$bin" no-such-revision-xyz
refused "an output folder in use" -o "$tmp/out" "$bin" "$bin"

[ "$fail" -eq 0 ] && echo "regress_cli.sh: all passed"
exit "$fail"
