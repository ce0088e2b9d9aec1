#!/bin/sh
# SPDX-License-Identifier: MIT
# replay_syntax.sh DIRTYSCOPE: every malformed line stops the replay with
# exit status 2 and a message naming its line, after the lines before it ran.
set -u
bin=$1
fail=0
check() { # check LINE_NUMBER TEXT
	out=$(printf 'map iova=0x0 size=0x1000\n# a comment\n%s\ninfo\n' "$2" | "$bin" replay - 2>/tmp/replay_syntax.$$)
	status=$?
	msg=$(cat /tmp/replay_syntax.$$)
	rm -f /tmp/replay_syntax.$$
	if [ "$status" -ne 2 ]; then
		echo "FAIL: '$2': exit status $status, expected 2"; fail=1; return
	fi
	case "$msg" in
	*":$1:"*) ;;
	*) echo "FAIL: '$2': message does not name line $1: $msg"; fail=1; return ;;
	esac
	if [ "$out" != "map iova=0x0 size=0x1000 -> 0" ]; then
		echo "FAIL: '$2': the lines before did not run: $out"; fail=1
	fi
}
check 3 'frobnicate'
check 3 'map iova=0x0'
check 3 'map iova=0x0 size=0x1000 colour=red'
check 3 'map iova=0x0 size=0x1000 prot=x'
check 3 'map iova=0x0 size=12Q'
check 3 'map iova=0x0 size=0x'
check 3 'map iova=-1 size=0x1000'
check 3 'map iova=0x0 size=0x1000 size=0x2000'
check 3 'map iova=0x0 size=99999999999999999999'
check 3 'map iova=0x0 size=16777216T'
check 3 'map iova=0x0 size=4k'
check 3 'map iova=0X10 size=0x1000'
check 3 'map iova size=0x1000'
check 3 'group'
check 3 'group 1'
check 3 'group 1 vfio'
check 3 'group x iommu'
check 3 'detach'
check 3 'pin group=1 iova=0x0 prot=none'
check 3 'unmap iova=0x0 size=0x1000 bytes=8'
check 3 'unmap iova=0x0 size=0x1000 bitmap=2'
check 3 'get iova=0x0 size=0x1000 data=1'
check 3 'container v2=3'
check 3 'start now'
check 3 'info all=1'
# A good file exits 0 whatever the results.
printf 'map iova=0x1 size=0x1000\nget iova=0x0 size=0x1000\n' | "$bin" replay - >/dev/null
[ $? -eq 0 ] || { echo "FAIL: a file of failing operations must exit 0"; fail=1; }
# A missing file and a bad option are errors too.
"$bin" replay /nonexistent/file >/dev/null 2>&1
[ $? -eq 2 ] || { echo "FAIL: a missing file must exit 2"; fail=1; }
"$bin" replay --frob >/dev/null 2>&1
[ $? -eq 2 ] || { echo "FAIL: a bad option must exit 2"; fail=1; }
"$bin" replay --backend nosuch /dev/null >/dev/null 2>&1
[ $? -eq 2 ] || { echo "FAIL: an unknown backend must exit 2"; fail=1; }
exit $fail
