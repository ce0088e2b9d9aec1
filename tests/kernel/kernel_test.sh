#!/bin/sh
# SPDX-License-Identifier: MIT
# kernel_test.sh KIND PACKAGE GUEST_BIN_DIR DIRTYSCOPE ORACLE_TEST [COUNT]
# One `kernel` test: boot PACKAGE's kernel (scripts/kernel-vm.sh) with the
# static binaries of GUEST_BIN_DIR (dirtyscope, test_vfio) and:
#   api         run test_vfio (GET_INFO, IOVA ranges, groups, what a kernel
#               cannot do), then bind_test.sh (--vfio-device and --bind)
#   replay      every project replay file (tests/replay, tests/oracle/golden,
#               tests/kernel) in the rendition of kernelize.awk: the kernel's
#               lines must be those of the model --compat for that kernel
#   random      COUNT (300) sequences of `oracle_test --kernel`, the same way
#   stale_bits  tests/kernel/stale_bits.replay: the kernel must still give the
#               lines recorded for it (the test fails when a kernel changes);
#               where the correct model differs is printed
#   run         `dirtyscope run --backend vfio` of two 256 MiB devices in the
#               guest: it completes, and its run folder says that its timings
#               come from an emulated machine
# The guest runs the kernel side only (guest.sh); the model side runs here,
# with DIRTYSCOPE, at native speed.
# Exit 0 pass, 1 fail, 77 skip (no QEMU, no kernel package: the reason is printed).
set -u
kind=$1 package=$2 bins=$3 ds=$4 oracle_test=$5 count=${6:-300}
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
# The valid IOVA ranges of the guest (q35, intel-iommu): test_vfio checks them.
ranges=0-0xfedfffff,0xfef00000-0x7fffffffff

for b in "$bins/dirtyscope" "$bins/test_vfio"; do
	[ -x "$b" ] || { echo "kernel_test: $b is missing (the guest-static build)"; exit 1; }
done
work=$(mktemp -d) || exit 1
trap 'rm -rf "$work"' EXIT
mkdir "$work/guest" "$work/guest/cases" "$work/got"
cp "$here/guest.sh" "$work/guest/"
case $kind in
api) ;;
replay)
	for f in "$src"/tests/replay/*.replay "$src"/tests/oracle/golden/*.replay "$here"/*.replay; do
		awk -v ranges=$ranges -f "$here/kernelize.awk" "$f" >"$work/guest/cases/${f##*/}" || exit 1
	done
	;;
random)
	seed=1
	while [ "$seed" -le "$count" ]; do
		"$oracle_test" --kernel --seed "$seed" --emit-replay >"$work/guest/cases/seed$seed.replay" ||
			{ echo "kernel_test: oracle_test cannot emit seed $seed"; exit 1; }
		seed=$((seed + 1))
	done
	;;
stale_bits)
	cp "$here/stale_bits.replay" "$work/guest/cases/"
	;;
run) ;;
*)
	echo "kernel_test: unknown kind '$kind'"
	exit 2
	;;
esac

if [ "$kind" = api ]; then
	cp "$here/bind_test.sh" "$work/guest/"
	set -- sh -c 'test_vfio && sh bind_test.sh'
elif [ "$kind" = run ]; then
	# A group per device's container; the iommu workload writes memory the kernel cannot see.
	set -- sh -c 'dirtyscope run --no-progress --backend vfio --device "$DT_VFIO_GROUPS" \
		--workload iommu --device-size 256M --layout uniform:4,ragged:4 --pages 256 \
		--iterations 5 --warmup 1 --cycles 2 --out /tmp/run && echo "==> meta" &&
		cat /tmp/run/meta.json && echo "==> summary" && cat /tmp/run/summary.json'
else
	set -- sh guest.sh cases
fi
# Six edu devices: the replay files and sequences attach at most five groups at once.
# 3 GiB: the run's two 256 MiB devices are pinned by the kernel, twice (reference runs once).
"$src/scripts/kernel-vm.sh" --package "$package" --edu 6 --mem 3G --timeout 600 \
	--bin "$bins/dirtyscope" --bin "$bins/test_vfio" --files "$work/guest" -- "$@" >"$work/log"
status=$?
if [ "$kind" = run ] && [ $status -eq 0 ]; then
	cat "$work/log"
	meta=$(sed -n '/^==> meta/,/^==> summary/p' "$work/log")
	echo "$meta" | grep -q '"status": "complete"' || { echo "FAIL: the run did not complete"; exit 1; }
	echo "$meta" | grep -q '"emulated": true' || { echo "FAIL: meta.json does not say the CPU is emulated"; exit 1; }
	echo "$meta" | grep -q '"backend": "vfio"' || { echo "FAIL: meta.json does not name the vfio backend"; exit 1; }
	grep -q '"op": "get_bitmap"' "$work/log" || { echo "FAIL: no GET_BITMAP row"; exit 1; }
	echo "kernel run: complete, emulated, vfio"
	exit 0
fi
if [ "$kind" = api ] || [ $status -ne 0 ]; then
	cat "$work/log"
	case $status in
	0 | 1 | 77) exit $status ;;
	*) echo "kernel_test: the guest run ended with status $status"; exit 1 ;;
	esac
fi

# Split the guest's log into one file per replay.
awk -v dir="$work/got" '
	/^==> kernel / { print $3, $4 > (dir "/kernel"); next }
	/^==> file / { out = dir "/" $3 ".out"; printf "" > out; next }
	/^==> status / { if ($3 != 0) print "replay exited with " $3 > (out ".status"); next }
	out != "" { print > out }
' "$work/log"
read -r kver compat <"$work/got/kernel" || { echo "kernel_test: no output from the guest"; cat "$work/log"; exit 1; }
pass=0 fail=0
for f in "$work"/guest/cases/*.replay; do
	name=${f##*/}
	got=$work/got/$name.out
	if [ ! -f "$got" ] || [ -f "$got.status" ]; then
		echo "FAIL ${name%.replay}: the guest did not replay it"
		cat "$got.status" 2>/dev/null
		fail=$((fail + 1))
		continue
	fi
	if [ "$kind" = stale_bits ]; then
		want=$here/${name%.replay}.$compat.expected
		if [ ! -f "$want" ]; then
			echo "FAIL: nothing recorded for $compat: add $want (kernel $kver)"
			fail=$((fail + 1))
			continue
		fi
		echo "${name%.replay}: where kernel $kver (-) and the correct model (+) differ:"
		"$ds" replay "$f" | diff "$got" - | grep '^[<>]' | sed 's/^</-/; s/^>/+/'
		if diff -u "$want" "$got" >"$work/diff"; then
			pass=$((pass + 1))
		else
			echo "FAIL ${name%.replay}: kernel $kver (+) no longer gives ${want##*/} (-): the kernel changed;"
			echo "see docs/kernel.md, then correct compat.c and the recorded file"
			sed -n '3,$p' "$work/diff"
			fail=$((fail + 1))
		fi
		continue
	fi
	"$ds" replay --compat "$compat" "$f" >"$work/model.out" 2>&1
	if cmp -s "$work/model.out" "$got"; then
		pass=$((pass + 1))
	else
		echo "FAIL ${name%.replay}: kernel $kver (+) and the model --compat $compat (-) differ:"
		diff -u "$work/model.out" "$got" | sed -n '3,$p' | head -n 40
		fail=$((fail + 1))
	fi
done
echo "kernel $kver, $kind: $pass passed, $fail failed"
[ $fail -eq 0 ] && [ $pass -gt 0 ]
