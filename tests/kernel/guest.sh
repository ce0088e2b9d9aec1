#!/bin/sh
# SPDX-License-Identifier: MIT
# guest.sh - the kernel tests' side inside the QEMU guest (scripts/kernel-vm.sh
# sets DT_VFIO_GROUPS and DT_COMPAT). Busybox sh.
#
#   guest.sh compare DIR   every DIR/*.replay through the vfio backend and the
#                          model in compat mode for this kernel: same lines
#   guest.sh expect DIR    every DIR/*.replay whose DIR/NAME.$DT_COMPAT.expected
#                          exists: the kernel's lines must be those (the test
#                          fails when a kernel changes), so must the compat
#                          model's; the correct model's difference is shown
#
# Prints one line per file and closes with "N passed, N failed".
set -u
mode=$1 dir=$2
pass=0 fail=0
[ -n "${DT_VFIO_GROUPS:-}" ] || { echo "no edu device bound to vfio-pci"; exit 1; }
[ -n "${DT_COMPAT:-}" ] || { echo "no compat name for kernel ${DT_KERNEL:-?}"; exit 1; }
kernel() { dirtyscope replay --backend vfio --device "$DT_VFIO_GROUPS" "$1"; }
model() { dirtyscope replay --compat "$DT_COMPAT" "$1"; }

for f in "$dir"/*.replay; do
	name=${f##*/}
	name=${name%.replay}
	case $mode in
	compare)
		kernel "$f" >/tmp/k.out 2>&1
		model "$f" >/tmp/m.out 2>&1
		if cmp -s /tmp/k.out /tmp/m.out; then
			pass=$((pass + 1))
		else
			fail=$((fail + 1))
			echo "FAIL $name: kernel $DT_KERNEL (+) and the model --compat $DT_COMPAT (-) differ:"
			diff -u /tmp/m.out /tmp/k.out | sed -n '3,$p' | head -n 40
		fi
		;;
	expect)
		want=$dir/$name.$DT_COMPAT.expected
		[ -f "$want" ] || continue
		ok=1
		kernel "$f" >/tmp/k.out 2>&1
		if ! cmp -s "$want" /tmp/k.out; then
			ok=0
			echo "FAIL $name: kernel $DT_KERNEL (+) no longer gives $name.$DT_COMPAT.expected (-):"
			diff -u "$want" /tmp/k.out | sed -n '3,$p'
		fi
		model "$f" >/tmp/m.out 2>&1
		if ! cmp -s "$want" /tmp/m.out; then
			ok=0
			echo "FAIL $name: the model --compat $DT_COMPAT (+) does not give $name.$DT_COMPAT.expected (-):"
			diff -u "$want" /tmp/m.out | sed -n '3,$p'
		fi
		if [ -f "$dir/$name.expected" ]; then
			echo "$name: where kernel $DT_KERNEL (-) and the correct model (+) differ:"
			dirtyscope replay "$f" | diff -u /tmp/k.out - | sed -n '3,$p' | grep '^[-+]'
		fi
		if [ $ok -eq 1 ]; then pass=$((pass + 1)); else fail=$((fail + 1)); fi
		;;
	*)
		echo "guest.sh: unknown mode '$mode'"
		exit 2
		;;
	esac
done
echo "$mode: $pass passed, $fail failed"
[ $fail -eq 0 ] && [ $pass -gt 0 ]
