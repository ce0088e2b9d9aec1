#!/bin/sh
# SPDX-License-Identifier: MIT
# Feed oracle_replay each line of syntax_errors.txt after one good line: it
# must print the good line's result only, then stop with exit 2 and a
# message naming line 2. Usage: replay_syntax.sh ORACLE_REPLAY syntax_errors.txt
replay=$1
cases=$2
tmp=${TMPDIR:-/tmp}/oracle_replay_syntax.$$
fail=0
trap 'rm -f "$tmp".in "$tmp".out "$tmp".err' EXIT
grep -v '^#' "$cases" | while IFS= read -r line; do
	printf 'info\n%s\ninfo\n' "$line" >"$tmp".in
	"$replay" "$tmp".in >"$tmp".out 2>"$tmp".err
	rc=$?
	if [ $rc -ne 2 ] || [ "$(wc -l <"$tmp".out)" -ne 1 ] || ! grep -q ':2:' "$tmp".err; then
		echo "not a syntax error (exit $rc): $line"
		exit 1
	fi
done || fail=1
[ $fail -eq 0 ] && echo "replay syntax: every malformed line rejected"
exit $fail
