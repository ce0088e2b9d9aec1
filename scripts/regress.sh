#!/bin/sh
# SPDX-License-Identifier: MIT
# regress.sh - a regression run: the same scenario with two builds of
# dirtyscope (or two binaries), repeated and interleaved A B A B ... so that
# drift on the machine hits both, then `dirtyscope compare` of the pooled
# repeats and `dirtyscope plot`'s report.
#
#   scripts/regress.sh [options] A B [-- RUN_OPTIONS...]
#
# A and B are git revisions of this repository (each built in its own
# folder, OUT/build-A and OUT/build-B, from a shared clone at that
# revision) or paths to dirtyscope binaries. A kernel-to-kernel run (one
# binary, two kernels) is the same comparison of run folders taken on each
# kernel: `dirtyscope compare A1,A2,... B1,B2,...`.
#
# Every run is timed whole by hyperfine (one hyperfine call per round, its
# JSON export kept as OUT/hyperfine/round-N.json and merged into
# OUT/hyperfine.json); every run folder is kept under OUT/runs/.
set -eu

usage() {
	cat <<EOF
usage: scripts/regress.sh [options] A B [-- RUN_OPTIONS...]

A, B: git revisions (built in OUT/build-A, OUT/build-B) or dirtyscope binaries.
RUN_OPTIONS go to every 'dirtyscope run' (not --out: each run gets its own).

options (default in brackets):
  -n, --runs N              runs of each side, interleaved A B A B [5]
  -o, --out DIR             output folder [results/runs/regress-DATE-TIME]
  --fail-on-regression PCT  passed to compare: exit 1 when a row is slower by
                            more than PCT % with confidence [off]
  --tool PATH               the dirtyscope that compares and plots [B when it has
                            'compare', else build/bench/dirtyscope]
  -j, --jobs N              build jobs [2]
  -h, --help                show this help

Exit status: compare's (0 compared, 1 a regression beyond --fail-on-regression,
2 the runs differ or bad input); 2 for a bad option or a failed build or run.
EOF
}

die() {
	echo "regress.sh: $*" >&2
	exit 2
}

repo=$(cd "$(dirname "$0")/.." && pwd)
runs=5
out=
fail_pct=
tool=
jobs=2
while [ $# -gt 0 ]; do
	case $1 in
	-n | --runs) [ $# -ge 2 ] || die "$1 needs a value"; runs=$2; shift 2 ;;
	-o | --out) [ $# -ge 2 ] || die "$1 needs a value"; out=$2; shift 2 ;;
	--fail-on-regression) [ $# -ge 2 ] || die "$1 needs a value"; fail_pct=$2; shift 2 ;;
	--tool) [ $# -ge 2 ] || die "$1 needs a value"; tool=$2; shift 2 ;;
	-j | --jobs) [ $# -ge 2 ] || die "$1 needs a value"; jobs=$2; shift 2 ;;
	-h | --help) usage; exit 0 ;;
	--) break ;;
	-*) die "unknown option '$1' (see --help)" ;;
	*) break ;;
	esac
done
[ $# -ge 2 ] || { usage >&2; exit 2; }
a=$1 b=$2
shift 2
if [ $# -gt 0 ]; then
	[ "$1" = "--" ] || die "unexpected '$1': run options go after --"
	shift
fi
for opt in "$@"; do
	case $opt in --out | --out=* | --force) die "run option $opt: regress.sh names each run's folder itself" ;; esac
done
case $runs in '' | *[!0-9]*) die "--runs must be a number from 2, not '$runs'" ;; esac
[ "$runs" -ge 2 ] || die "--runs must be at least 2: one run a side cannot show the noise between runs"
command -v hyperfine >/dev/null || die "hyperfine not found: install it (Debian: apt-get install hyperfine)"

[ -n "$out" ] || out=$repo/results/runs/regress-$(date +%Y%m%d-%H%M%S)
[ ! -e "$out" ] || [ -z "$(ls -A "$out" 2>/dev/null)" ] || die "$out exists and is not empty: choose another --out"
mkdir -p "$out/runs" "$out/hyperfine"
out=$(cd "$out" && pwd)

# binary SIDE WHAT: a dirtyscope for WHAT, a binary or a git revision built here
binary() {
	side=$1 what=$2
	if [ -f "$what" ] && [ -x "$what" ]; then
		(cd "$(dirname "$what")" && echo "$(pwd)/$(basename "$what")")
		return
	fi
	rev=$(git -C "$repo" rev-parse --verify --quiet "$what^{commit}") ||
		die "$side: '$what' is neither a dirtyscope binary nor a git revision"
	src=$out/src-$side build=$out/build-$side
	echo "regress.sh: building $side = $what ($rev) in $build" >&2
	# A clone sharing this repository's objects: the revision's own tree,
	# with git describe working for meta.json's git_revision.
	git clone --quiet --shared --no-checkout "$repo" "$src" >&2
	git -C "$src" checkout --quiet --detach "$rev" >&2
	cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=Release >"$out/build-$side.log" 2>&1 &&
		cmake --build "$build" -j "$jobs" --target dirtyscope >>"$out/build-$side.log" 2>&1 ||
		die "$side: building $what failed (see $out/build-$side.log)"
	echo "$build/bench/dirtyscope"
}

bin_a=$(binary A "$a")
bin_b=$(binary B "$b")
if [ -z "$tool" ]; then
	if "$bin_b" compare --help >/dev/null 2>&1; then
		tool=$bin_b
	else
		tool=$repo/build/bench/dirtyscope
	fi
fi
"$tool" compare --help >/dev/null 2>&1 ||
	die "$tool cannot compare: build this tree (cmake --build build) or name one with --tool"

# hyperfine splits its commands like a shell: quote every word.
quote() {
	for w in "$@"; do
		printf "'%s' " "$(printf '%s' "$w" | sed "s/'/'\\\\''/g")"
	done
}

echo "regress.sh: $runs runs each, interleaved: A = $a, B = $b; run options: ${*:-(defaults)}"
list_a= list_b=
i=1
while [ "$i" -le "$runs" ]; do
	cmd_a=$(quote "$bin_a" run --no-progress "$@" --out "$out/runs/A-$i")
	cmd_b=$(quote "$bin_b" run --no-progress "$@" --out "$out/runs/B-$i")
	# One round: A then B, each timed whole; the table of each run goes to a log.
	hyperfine --runs 1 -N --style basic --export-json "$out/hyperfine/round-$i.json" \
		--output "$out/runs/run-$i.log" -n "A-$i" "$cmd_a" -n "B-$i" "$cmd_b" ||
		die "round $i failed (see $out/runs/run-$i.log)"
	list_a=${list_a:+$list_a,}$out/runs/A-$i
	list_b=${list_b:+$list_b,}$out/runs/B-$i
	i=$((i + 1))
done

# All rounds in one export, as one hyperfine call would have written it.
python3 - "$out/hyperfine" "$out/hyperfine.json" <<'EOF'
import glob, json, os, sys
results = []
for path in sorted(glob.glob(os.path.join(sys.argv[1], "round-*.json")),
                   key=lambda p: int(p.rsplit("-", 1)[1].split(".")[0])):
    with open(path) as f:
        results += json.load(f)["results"]
tmp = sys.argv[2] + ".tmp"
with open(tmp, "w") as f:
    json.dump({"results": results}, f, indent=2)
os.replace(tmp, sys.argv[2])
EOF

echo
status=0
"$tool" compare ${fail_pct:+--fail-on-regression "$fail_pct"} --json "$out/compare.json" \
	"$list_a" "$list_b" >"$out/compare.txt" || status=$?
cat "$out/compare.txt"

report=
if [ "$status" -ne 2 ]; then
	if "$tool" plot --label "A,B" --out "$out/report" "$list_a" "$list_b" >/dev/null; then
		report=", report/report.html"
	else
		echo "regress.sh: the report could not be drawn (see the message above)" >&2
	fi
fi
echo
echo "regress.sh: $out: runs/ (A-1..A-$runs, B-1..B-$runs), hyperfine.json, compare.txt, compare.json$report"
exit "$status"
