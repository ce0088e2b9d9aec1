#!/bin/sh
# SPDX-License-Identifier: MIT
# replay_cross.sh DIRTYSCOPE ORACLE_REPLAY ORACLE_TEST COUNT
# Two independent readings of REPLAY.md must print the same lines: the
# engine's `dirtyscope replay` and the oracle's `oracle_replay`, on COUNT
# random sequences that oracle_test writes as replay files, and on the same
# sequences respelled every way docs/semantics.md allows (replay_respell.py:
# number spellings, key order, default keys, white space, comments, lines
# near the length limit). A respelled file must also give the results of
# its original, line for line.
set -u
ds=$1 oracle=$2 gen=$3 count=$4
here=$(dirname "$0")
dir=$(mktemp -d) || exit 1
trap 'rm -rf "$dir"' EXIT

# same_output NAME FILE: both readers exit 0 on FILE and print the same lines.
same_output() {
	"$ds" replay "$2" >"$dir/$1.engine" 2>"$dir/engine.err"
	s1=$?
	"$oracle" "$2" >"$dir/$1.oracle" 2>"$dir/oracle.err"
	s2=$?
	if [ "$s1" -ne 0 ] || [ "$s2" -ne 0 ] || ! cmp -s "$dir/$1.engine" "$dir/$1.oracle"; then
		echo "$2: dirtyscope replay (exit $s1) and oracle_replay (exit $s2) differ:"
		diff -u "$dir/$1.oracle" "$dir/$1.engine" | head -20
		head -c 600 "$dir/engine.err" "$dir/oracle.err"
		return 1
	fi
}

# Sequences go BATCH to a file, each after a bare `container` (a fresh
# default container, as at the start of a file) and a "# seed N" comment:
# one reader process per batch, not per sequence, keeps the sanitizer
# builds' process start-up (~0.3 s each) from dominating the test.
batch=25
seed=1
while [ "$seed" -le "$count" ]; do
	f=$dir/batch$(((seed - 1) / batch)).replay
	printf 'container\n# seed %d\n' "$seed" >>"$f"
	"$gen" --seed "$seed" --emit-replay >>"$f" || { echo "cannot emit seed $seed"; exit 1; }
	seed=$((seed + 1))
done
python3 "$here/replay_respell.py" "$dir"/batch*.replay || { echo "replay_respell.py failed"; exit 1; }

lines=0
for f in "$dir"/batch*.replay; do
	f=${f%.replay}
	same_output plain "$f.replay" || exit 1
	if ! same_output respelled "$f.respelled"; then
		cp "$f.respelled" "${TMPDIR:-/tmp}/replay_cross.respelled"
		echo "(kept as ${TMPDIR:-/tmp}/replay_cross.respelled)"
		exit 1
	fi
	# The echo differs by design; what follows " -> " must not.
	sed 's/^.* -> //' "$dir/plain.engine" >"$dir/plain.results"
	sed 's/^.* -> //' "$dir/respelled.engine" >"$dir/respelled.results"
	if ! cmp -s "$dir/plain.results" "$dir/respelled.results"; then
		echo "$f.respelled gives other results than $f.replay:"
		diff -u "$dir/plain.engine" "$dir/respelled.engine" | head -20
		cp "$f.replay" "${TMPDIR:-/tmp}/replay_cross.replay"
		cp "$f.respelled" "${TMPDIR:-/tmp}/replay_cross.respelled"
		echo "(kept as ${TMPDIR:-/tmp}/replay_cross.replay and .respelled)"
		exit 1
	fi
	lines=$((lines + $(wc -l <"$dir/plain.results")))
done
# A test that ran nothing would pass: make sure it ran.
[ "$lines" -gt "$count" ] || { echo "only $lines result lines from $count sequences"; exit 1; }
echo "replay_cross: $count sequences ($lines operations), plain and respelled, same output"
