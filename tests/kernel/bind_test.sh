#!/bin/sh
# SPDX-License-Identifier: MIT
# bind_test.sh - `dirtyscope replay --vfio-device BDF [--bind]` on a real
# kernel, in the guest of scripts/kernel-vm.sh (busybox sh): the last edu
# device is given back to no driver first, then dirtyscope must refuse it
# without --bind, bind it with --bind, and leave it as it found it.
set -u
fail=0
no() { echo "bind_test: FAIL: $*"; fail=1; }
dev=
for d in /sys/bus/pci/devices/*; do
	[ "$(cat "$d/vendor"):$(cat "$d/device")" = "0x1234:0x11e8" ] && dev=$d
done
[ -n "$dev" ] || { echo "bind_test: no edu device"; exit 1; }
bdf=${dev##*/}
echo "$bdf" >"$dev/driver/unbind"
echo >"$dev/driver_override"
[ -e "$dev/driver" ] && no "$bdf did not leave vfio-pci"

printf 'group 1 iommu\nmap iova=0x100000 size=0x3000\nstart\nget iova=0x100000 size=0x3000\n' >/tmp/b.replay
dirtyscope replay --vfio-device "$bdf" /tmp/b.replay >/tmp/b.out 2>&1 && no "an unbound device was used without --bind"
grep -q -- '--bind' /tmp/b.out || no "the refusal does not mention --bind: $(cat /tmp/b.out)"
[ -e "$dev/driver" ] && no "without --bind, $bdf was bound anyway"

dirtyscope replay --vfio-device "$bdf" --bind /tmp/b.replay >/tmp/b.out 2>&1 || no "--bind failed: $(cat /tmp/b.out)"
grep -q 'get iova=0x100000 size=0x3000 -> 0 set=0-2' /tmp/b.out || no "the replay on $bdf: $(cat /tmp/b.out)"
[ -e "$dev/driver" ] && no "$bdf is still bound to $(basename "$(readlink "$dev/driver")") after the replay"
[ "$(cat "$dev/driver_override")" = "(null)" ] || no "driver_override left as $(cat "$dev/driver_override")"
[ $fail -eq 0 ] && echo "bind_test: --vfio-device and --bind on $bdf: passed"
exit $fail
