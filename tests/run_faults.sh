#!/bin/sh
# SPDX-License-Identifier: MIT
# run_faults.sh DIRTYSCOPE VALIDATE: what a run folder holds when the run is
# stopped or fails (results/README.md, "What a folder holds"). Each case is
# a defect that lost or mislabelled results before:
#   - SIGINT, SIGTERM, SIGHUP mid-run: exit 128+N, status interrupted, the
#     samples so far, a valid folder;
#   - a signal storm through the summary and the writing: still a valid folder;
#   - Ctrl-C during a 5 s workload step: the run ends within a second or two;
#   - SIGKILL: meta.json says running, samples.csv holds what was flushed;
#   - out of memory while recording: status failed, the samples kept;
#   - runs started in the same second: each its own folder;
#   - stdout unwritable: exit 1, the folder complete.
set -u
bin=$1 validate=$2
work=$(mktemp -d) || exit 1
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1
fail=0
small="--no-progress --device-size 64M --layout uniform:4 --pages 64"

bad() {
	echo "FAIL: $*"
	fail=1
}

status_of() { # status_of DIR: the status in DIR/meta.json
	sed -n 's/^ *"status": "\([a-z]*\)".*/\1/p' "$1/meta.json" 2>/dev/null
}

# Start a long run in the background into DIR; wait until it is measuring.
start_long() { # start_long DIR ARGS...
	dir=$1
	shift
	"$bin" run $small --iterations 10000000 --out "$dir" "$@" >"$dir.out" 2>"$dir.err" &
	pid=$!
	i=0
	while [ "$(sed -n 1p "$dir/samples.csv" 2>/dev/null)" = "" ] && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	sleep 0.5
}

# stop_with SIGNAL EXIT: the run ends with that status and a valid, interrupted folder.
stop_with() {
	sig=$1 want=$2
	start_long "$work/$sig"
	t0=$(date +%s)
	kill -s "$sig" "$pid"
	wait "$pid"
	got=$?
	t1=$(date +%s)
	[ "$got" -eq "$want" ] || bad "$sig: exit $got, expected $want"
	[ $((t1 - t0)) -le 5 ] || bad "$sig: took $((t1 - t0)) s to stop"
	[ "$(status_of "$work/$sig")" = interrupted ] || bad "$sig: status $(status_of "$work/$sig")"
	grep -q "\"signal\": \"SIG$sig\"" "$work/$sig/meta.json" || bad "$sig: meta.json does not name it"
	[ "$(wc -l <"$work/$sig/samples.csv")" -gt 10 ] || bad "$sig: samples lost"
	sh "$validate" "$work/$sig" || bad "$sig: the folder does not validate"
}
stop_with INT 130
stop_with TERM 143
stop_with HUP 129

# A storm of SIGINTs from the start to the end: whenever one lands (setup,
# measurement, summary, writing), the folder ends valid and interrupted.
"$bin" run $small --iterations 50 --layout uniform:2048 --out "$work/storm" >/dev/null 2>&1 &
pid=$!
while kill -s INT "$pid" 2>/dev/null; do sleep 0.05; done
wait "$pid"
got=$?
if [ -d "$work/storm" ]; then
	[ "$got" -eq 130 ] || [ "$got" -eq 0 ] || bad "storm: exit $got"
	sh "$validate" "$work/storm" || bad "storm: the folder does not validate"
fi

# One step of 5 s: Ctrl-C must not wait for it.
"$bin" run $small --iterations 10 --workload rw --step-ms 5000 --out "$work/slow" >/dev/null 2>&1 &
pid=$!
sleep 1.5
t0=$(date +%s)
kill -s INT "$pid"
wait "$pid"
t1=$(date +%s)
[ $((t1 - t0)) -le 2 ] || bad "a long step kept Ctrl-C waiting $((t1 - t0)) s"
[ "$(status_of "$work/slow")" = interrupted ] || bad "slow: status $(status_of "$work/slow")"

# SIGKILL: nothing can be written at the end, but the folder says so, and
# what was flushed (at least once a second) is there.
start_long "$work/kill"
sleep 1.5
kill -s KILL "$pid"
wait "$pid" 2>/dev/null
[ "$(status_of "$work/kill")" = running ] || bad "KILL: status $(status_of "$work/kill")"
[ "$(wc -l <"$work/kill/samples.csv")" -gt 10 ] || bad "KILL: nothing flushed"
[ ! -e "$work/kill/summary.json" ] || bad "KILL: a summary.json that was never written"

# Out of memory while recording: the address space capped below what the
# samples of a long run need (the up-front estimate sees the machine's memory).
# An AddressSanitizer binary reserves terabytes of shadow at start: it
# cannot start under the cap at all, so the case is a plain build's.
if [ -n "${DT_SANITIZED:-}" ]; then
	echo "run_faults: the out-of-memory case is skipped under a sanitizer"
else
prlimit --as=$((60 << 20)) "$bin" run --no-progress --device-size 4M --layout uniform:4 \
	--pages 64 --iterations 1000000 --profile-iterations 0 --out "$work/oom" >/dev/null \
	2>"$work/oom.err"
got=$?
[ "$got" -eq 1 ] || bad "oom: exit $got, expected 1"
[ "$(status_of "$work/oom")" = failed ] || bad "oom: status $(status_of "$work/oom")"
grep -q '"error": "recording a sample' "$work/oom/meta.json" || bad "oom: error not recorded"
[ "$(wc -l <"$work/oom/samples.csv")" -gt 1000 ] || bad "oom: samples lost"
sh "$validate" "$work/oom" || bad "oom: the folder does not validate"
fi

# Ten runs at once, default folder names: ten folders.
i=0
while [ $i -lt 10 ]; do
	"$bin" run $small --iterations 1 >/dev/null 2>&1 &
	i=$((i + 1))
done
wait
n=$(ls results/runs | wc -l)
[ "$n" -eq 10 ] || bad "10 runs in the same second made $n folders"

# stdout on a full disk: the run says so and fails, the folder is whole.
if [ -w /dev/full ]; then
	"$bin" run $small --iterations 2 --out "$work/full" >/dev/full 2>"$work/full.err"
	got=$?
	[ "$got" -eq 1 ] || bad "stdout >/dev/full: exit $got, expected 1"
	grep -q "stdout" "$work/full.err" || bad "stdout >/dev/full: no message"
	[ "$(status_of "$work/full")" = complete ] || bad "stdout >/dev/full: folder not complete"
fi
[ $fail -eq 0 ] && echo "run_faults: every case kept its results"
exit $fail
