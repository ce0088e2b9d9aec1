#!/bin/sh
# SPDX-License-Identifier: MIT
# replay_syntax.sh DIRTYSCOPE ORACLE_REPLAY SYNTAX_ERRORS
# Both readers of the replay language, the engine's (`dirtyscope replay`) and
# the oracle's (`oracle_replay`), must stop on every malformed line with exit
# status 2 and one line on stderr that names the line and quotes no raw
# control byte, after the lines before it ran; and so on every read or write
# error (REPLAY.md, docs/semantics.md "Replay").
set -u
ds=$1 oracle=$2 cases=$3
dir=$(mktemp -d) || exit 1
trap 'rm -rf "$dir"' EXIT
fail=0
bad() {
	echo "FAIL [$reader]: $*"
	fail=1
}

# replay FILE: run the reader under test; stdout, stderr to $dir/out, $dir/err.
replay() {
	if [ "$reader" = dirtyscope ]; then
		"$ds" replay "$@" >"$dir/out" 2>"$dir/err"
	else
		"$oracle" "$@" >"$dir/out" 2>"$dir/err"
	fi
}

# The one-line message on stderr: names line $1, at most 400 bytes, and
# only printable ASCII (input bytes are escaped, long input cut short).
check_message() {
	what=$2
	if [ "$(wc -l <"$dir/err")" -ne 1 ]; then
		bad "$what: stderr is not one line: $(head -c 300 "$dir/err")"
	fi
	case "$(cat "$dir/err")" in
	*":$1:"*) ;;
	*) bad "$what: message does not name line $1: $(head -c 300 "$dir/err")" ;;
	esac
	if [ "$(wc -c <"$dir/err")" -gt 400 ]; then
		bad "$what: message of $(wc -c <"$dir/err") bytes"
	fi
	if LC_ALL=C grep -q '[^ -~]' "$dir/err"; then
		bad "$what: raw bytes in the message: $(od -c "$dir/err" | head -3)"
	fi
}

# check LINE_NUMBER TEXT: TEXT (printf format, so \0 and \033 work) as
# line 3 of a file whose two first lines are fine.
check() {
	printf "map iova=0x0 size=0x1000\n# a comment\n$2\ninfo\n" >"$dir/in"
	replay "$dir/in"
	status=$?
	if [ "$status" -ne 2 ]; then
		bad "'$2': exit status $status, expected 2"
		return
	fi
	check_message "$1" "'$2'"
	if [ "$(cat "$dir/out")" != "map iova=0x0 size=0x1000 -> 0" ]; then
		bad "'$2': the lines before did not run: $(head -c 300 "$dir/out")"
	fi
}

# A line of exactly $1 bytes: the operation info and a comment.
long_line() {
	awk -v n="$1" 'BEGIN { s = "info #"; while (length(s) < n) s = s "x"; print s }'
}

for reader in dirtyscope oracle; do
	# Bytes that a line of syntax_errors.txt cannot hold.
	# A NUL byte ends nothing: it is an error, even after a good operation.
	check 3 'map iova=0x1000 size=0x1000\0 and the rest'
	check 3 '\0'
	check 3 'info # a comment with a \0 in it'
	# Control bytes and long words are escaped and cut in the message.
	check 3 'map iova=\033[2J\033[31m size=0x1000'
	check 3 'map iova=\001\377\200 size=0x1000'
	check 3 "$(awk 'BEGIN { s = "frob"; while (length(s) < 3000) s = s "x"; print s }')"
	# Every line of the shared list of malformed lines.
	n=0
	while IFS= read -r line; do
		case "$line" in '#'*) continue ;; esac
		check 3 "$(printf '%s' "$line" | sed 's/\\/\\\\/g; s/%/%%/g')"
		n=$((n + 1))
	done <"$cases"
	[ "$n" -gt 20 ] || bad "only $n lines read from $cases"

	# The limit: 4096 bytes without the newline (docs/semantics.md).
	{ long_line 4096; long_line 4096; } >"$dir/in"
	replay "$dir/in"
	status=$?
	[ "$status" -eq 0 ] && [ "$(wc -l <"$dir/out")" -eq 2 ] ||
		bad "two lines of 4096 bytes: exit $status, $(wc -l <"$dir/out") results"
	{ long_line 4096; long_line 4097; echo info; } >"$dir/in"
	replay "$dir/in"
	status=$?
	[ "$status" -eq 2 ] && [ "$(wc -l <"$dir/out")" -eq 1 ] ||
		bad "a line of 4097 bytes: exit $status, $(wc -l <"$dir/out") results"
	check_message 2 "a line of 4097 bytes"
	# Without a newline at all: the reader stops at the limit, it does not
	# grow (a 1.5 GB line once ran it out of memory, read as end of input).
	head -c 20000000 /dev/zero | tr '\0' 'a' >"$dir/in"
	replay "$dir/in"
	status=$?
	[ "$status" -eq 2 ] || bad "20 MB without a newline: exit $status"
	check_message 1 "20 MB without a newline"
	replay /dev/zero
	status=$?
	[ "$status" -eq 2 ] || bad "/dev/zero: exit $status"
	check_message 1 "/dev/zero"
	# The last line may lack its newline.
	printf 'info\ninfo' >"$dir/in"
	replay "$dir/in"
	[ $? -eq 0 ] && [ "$(wc -l <"$dir/out")" -eq 2 ] || bad "a last line without a newline"

	# A read error names its reason.
	replay "$dir"
	status=$?
	[ "$status" -eq 2 ] || bad "a directory: exit $status"
	check_message 1 "a directory"
	grep -q 'Is a directory' "$dir/err" || bad "a directory: no reason: $(cat "$dir/err")"

	# A write error on the results is an error, with a message.
	printf 'info\n' >"$dir/in"
	if [ -w /dev/full ]; then
		if [ "$reader" = dirtyscope ]; then
			"$ds" replay "$dir/in" >/dev/full 2>"$dir/err"
		else
			"$oracle" "$dir/in" >/dev/full 2>"$dir/err"
		fi
		status=$?
		[ "$status" -eq 2 ] || bad "output to /dev/full: exit $status"
		grep -q 'No space left on device' "$dir/err" ||
			bad "output to /dev/full: no reason: $(cat "$dir/err")"
		[ "$(wc -l <"$dir/err")" -eq 1 ] || bad "output to /dev/full: not one line"
	fi

	# A good file exits 0 whatever the results.
	printf 'map iova=0x1 size=0x1000\nget iova=0x0 size=0x1000\n' >"$dir/in"
	replay "$dir/in"
	[ $? -eq 0 ] || bad "a file of failing operations must exit 0"
	# A missing file is an error too.
	replay /nonexistent/file
	[ $? -eq 2 ] || bad "a missing file must exit 2"
done
reader=dirtyscope
"$ds" replay --frob >/dev/null 2>&1
[ $? -eq 2 ] || bad "a bad option must exit 2"
"$ds" replay --backend nosuch /dev/null >/dev/null 2>&1
[ $? -eq 2 ] || bad "an unknown backend must exit 2"
[ $fail -eq 0 ] && echo "replay_syntax: both readers reject every malformed line"
exit $fail
