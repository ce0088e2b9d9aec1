#!/bin/sh
# SPDX-License-Identifier: MIT
# guest.sh DIR - the kernel tests' side inside the QEMU guest (busybox sh;
# scripts/kernel-vm.sh sets DT_VFIO_GROUPS, DT_KERNEL and DT_COMPAT).
# Runs every DIR/*.replay through the vfio backend and prints, for
# kernel_test.sh to split and compare on the host (where the model runs
# at native speed):
#   ==> kernel DT_KERNEL DT_COMPAT
#   ==> file NAME.replay
#   ...the replay's lines...
#   ==> status N
set -u
dir=$1
[ -n "${DT_VFIO_GROUPS:-}" ] || { echo "guest.sh: no edu device bound to vfio-pci"; exit 1; }
echo "==> kernel ${DT_KERNEL:-?} ${DT_COMPAT:-?}"
for f in "$dir"/*.replay; do
	echo "==> file ${f##*/}"
	dirtyscope replay --backend vfio --device "$DT_VFIO_GROUPS" "$f" 2>&1
	echo "==> status $?"
done
