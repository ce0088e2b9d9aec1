#!/bin/sh
# SPDX-License-Identifier: MIT
# replay_cross.sh DIRTYSCOPE ORACLE_REPLAY ORACLE_TEST COUNT
# Two independent readings of REPLAY.md must print the same lines: the
# engine's `dirtyscope replay` and the oracle's `oracle_replay`, on COUNT
# random sequences that oracle_test writes as replay files.
set -u
ds=$1 oracle=$2 gen=$3 count=$4
dir=$(mktemp -d) || exit 1
trap 'rm -rf "$dir"' EXIT
seed=1
while [ "$seed" -le "$count" ]; do
	"$gen" --seed "$seed" --emit-replay >"$dir/seq.replay" || { echo "cannot emit seed $seed"; exit 1; }
	"$ds" replay "$dir/seq.replay" >"$dir/engine.out" 2>"$dir/engine.err"
	s1=$?
	"$oracle" "$dir/seq.replay" >"$dir/oracle.out" 2>"$dir/oracle.err"
	s2=$?
	if [ "$s1" -ne 0 ] || [ "$s2" -ne 0 ] || ! cmp -s "$dir/engine.out" "$dir/oracle.out"; then
		echo "seed $seed: dirtyscope replay (exit $s1) and oracle_replay (exit $s2) differ:"
		diff -u "$dir/oracle.out" "$dir/engine.out" | head -20
		cat "$dir/engine.err" "$dir/oracle.err"
		exit 1
	fi
	seed=$((seed + 1))
done
echo "replay_cross: $count sequences, same output"
