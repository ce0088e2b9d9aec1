#!/bin/sh
# SPDX-License-Identifier: MIT
# run_golden.sh DIRTYSCOPE FILE.replay FILE.expected [replay options...]
# Replays FILE and compares every output line with the expected ones.
set -u
bin=$1 file=$2 expected=$3
shift 3
out=$(mktemp) || exit 1
trap 'rm -f "$out"' EXIT
"$bin" replay "$@" "$file" >"$out"
status=$?
if [ "$status" -ne 0 ]; then
	echo "replay exited with $status" >&2
	exit 1
fi
diff -u "$expected" "$out" || exit 1
