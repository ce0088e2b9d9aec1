#!/bin/sh
# SPDX-License-Identifier: MIT
# compare_cli.sh DIRTYSCOPE RUNFOLDER_PY
#	`dirtyscope compare` end to end on synthetic run folders (made per
#	results/README.md by tests/results/runfolder.py): a run against
#	itself is 'same' on every judged row; a copy 30 % slower is 'slower'
#	and --fail-on-regression 10 exits 1; runs of other options are refused
#	naming the keys unless --force; another host is a warning; every bad
#	input is one line on stderr and exit 2. Exit 77 without python3.
set -u
bin=$1
gen=$2
py=$(command -v python3) || { echo "compare_cli.sh: skipped: no python3" >&2; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0

ok() { echo "ok: $1"; }
ko() {
	echo "FAIL: $1" >&2
	[ -f "$tmp/err" ] && sed 's/^/  stderr: /' "$tmp/err" >&2
	fail=1
}

# expect WHAT STATUS [GREP-STDERR] -- ARGS...: run compare, check its status and message.
expect() {
	what=$1 want=$2 msg=$3
	shift 4
	"$bin" compare "$@" >"$tmp/out" 2>"$tmp/err"
	got=$?
	if [ "$got" -ne "$want" ]; then
		ko "$what: exit $got, expected $want"
	elif [ -n "$msg" ] && ! grep -q -- "$msg" "$tmp/err"; then
		ko "$what: stderr does not say '$msg'"
	elif [ "$want" -eq 2 ] && [ "$(wc -l <"$tmp/err")" -ne 1 ]; then
		ko "$what: the message is not one line"
	elif [ "$want" -eq 2 ] && [ -s "$tmp/out" ]; then
		ko "$what: a refused comparison printed a table"
	else
		ok "$what"
	fi
}

# verdicts: the judged rows' verdicts of the last table, one word a line
verdicts() {
	awk '/rows judged/ {exit} /^harvest /{t=1; next} t && NF {print $NF}' "$tmp/out" | grep -v '^(' | sort | uniq -c
}

"$py" "$gen" make "$tmp/a" --seed 1 || exit 1
"$py" "$gen" slow "$tmp/a" "$tmp/slow" 1.3 || exit 1
"$py" "$gen" slow "$tmp/a" "$tmp/fast" 0.7 || exit 1
"$py" "$gen" make "$tmp/a2" --seed 1 --noise 0.05 --cpu-model "Intel Xeon" || exit 1
"$py" "$gen" make "$tmp/sizes" --seed 1 --device-size 1G,16G || exit 1
"$py" "$gen" make "$tmp/viommu" --seed 1 --layout viommu:64 --device-size 2G || exit 1
"$py" "$gen" make "$tmp/running" --status running || exit 1
"$py" "$gen" make "$tmp/interrupted" --status interrupted || exit 1

expect "a run against itself" 0 "" -- "$tmp/a" "$tmp/a"
v=$(verdicts)
if [ "$(echo "$v" | awk '{print $2}')" = "same" ] && grep -q "8 rows judged: 0 slower, 0 faster, 8 same" "$tmp/out"; then
	ok "itself: every judged row is same"
else
	ko "itself: verdicts are: $v"
fi
cp "$tmp/out" "$tmp/self1"
"$bin" compare "$tmp/a" "$tmp/a" >"$tmp/self2" 2>&1
cmp -s "$tmp/self1" "$tmp/self2" && ok "the same folders, the same table (seeded)" ||
	ko "two comparisons of the same folders differ"

expect "30 % slower" 0 "" -- "$tmp/a" "$tmp/slow"
grep -q "8 rows judged: 8 slower, 0 faster, 0 same" "$tmp/out" && ok "slower: every judged row" ||
	ko "slower: $(grep 'rows judged' "$tmp/out")"
expect "30 % slower, --fail-on-regression 10" 1 "regression: 8 rows slower by more than 10%" \
	-- --fail-on-regression 10 "$tmp/a" "$tmp/slow"
expect "30 % slower, --fail-on-regression 50" 0 "" -- --fail-on-regression 50 "$tmp/a" "$tmp/slow"
expect "itself, --fail-on-regression 0" 0 "" -- --fail-on-regression 0 "$tmp/a" "$tmp/a"
expect "30 % faster, --fail-on-regression 10" 0 "" -- --fail-on-regression 10 "$tmp/a" "$tmp/fast"
grep -q "8 rows judged: 0 slower, 8 faster, 0 same" "$tmp/out" && ok "faster: every judged row" ||
	ko "faster: $(grep 'rows judged' "$tmp/out")"
expect "several runs a side" 0 "" -- "$tmp/a,$tmp/a2" "$tmp/slow,$tmp/slow"
grep -q "8 slower" "$tmp/out" && ok "several runs a side: slower" || ko "several runs a side"

expect "--stage all judges warm-up and teardown too" 0 "" -- --stage all "$tmp/a" "$tmp/slow"
grep -q " (stage)\$" "$tmp/out" && ko "--stage all left rows unjudged for their stage" ||
	ok "--stage all: no row left for its stage"

expect "--json" 0 "" -- --json "$tmp/cmp.json" "$tmp/a" "$tmp/slow"
"$py" -c 'import json, sys
d = json.load(open(sys.argv[1]))
assert d["counts"]["slower"] == 8, d["counts"]
assert all(r["verdict"] in ("slower",) or r["verdict"].startswith("(") for r in d["rows"])
' "$tmp/cmp.json" && ok "--json: the counts and verdicts" || ko "--json"
ls "$tmp" | grep -q 'cmp.json.tmp' && ko "--json left a temporary file" || true

# What was measured differs: refused, naming the keys, unless --force.
expect "other device sizes" 2 "config.device_size_bytes" -- "$tmp/a" "$tmp/sizes"
grep -q -- "--force" "$tmp/err" && ok "the refusal says how to go on" || ko "no hint of --force"
expect "other device sizes, --force" 0 "compared anyway" -- --force "$tmp/a" "$tmp/sizes"
expect "nothing in common, --force" 2 "no row in common" -- --force "$tmp/a" "$tmp/viommu"
expect "another host" 0 "host.cpu_model" -- "$tmp/a" "$tmp/a2"

# Bad input: one line, exit 2.
expect "a missing folder" 2 "$tmp/nope: " -- "$tmp/a" "$tmp/nope"
expect "a running (half-written) folder" 2 "status: running" -- "$tmp/a" "$tmp/running"
expect "an interrupted folder is compared, with a warning" 0 "interrupted" -- "$tmp/a" "$tmp/interrupted"
cp -r "$tmp/a" "$tmp/nocol"
sed -i '1s/,dirty_pages//' "$tmp/nocol/samples.csv"
expect "a CSV with a missing column" 2 "samples.csv: line 1: column 'dirty_pages' missing" \
	-- "$tmp/a" "$tmp/nocol"
cp -r "$tmp/a" "$tmp/nosummary"
rm "$tmp/nosummary/summary.json"
expect "no summary.json" 2 "summary.json: missing" -- "$tmp/nosummary" "$tmp/a"
expect "one folder" 2 "takes two run folders" -- "$tmp/a"
expect "a bad --fail-on-regression" 2 "--fail-on-regression must be" -- --fail-on-regression x "$tmp/a" "$tmp/a"
expect "a bad --stage" 2 "unknown stage 'stedy'" -- --stage stedy "$tmp/a" "$tmp/a"
expect "an unknown option" 2 "" -- --frobnicate "$tmp/a" "$tmp/a"
"$bin" compare --help >"$tmp/out" 2>&1 && grep -q -- "--fail-on-regression PCT" "$tmp/out" &&
	grep -q "\[2000\]" "$tmp/out" && ok "--help lists the options with defaults" || ko "--help"

[ "$fail" -eq 0 ] && echo "compare_cli.sh: all passed"
exit "$fail"
