#!/bin/sh
# SPDX-License-Identifier: MIT
# install-deps.sh - the Debian packages dirtyscope builds, tests and plots with.
# The one list: the README and .ci/run both call this script. The last line
# is for the kernel tests (scripts/kernel-vm.sh boots Debian's kernel under
# QEMU; the kernel package itself is fetched with apt-get download, not
# installed).
set -eu
packages="
	build-essential cmake pkg-config git
	libnuma-dev liburcu-dev libbsd-dev libjansson-dev
	python3 python3-jsonschema
	gnuplot-nox fonts-dejavu-core hyperfine
	chromium
	qemu-system-x86 busybox-static cpio kmod xz-utils zstd file
	clang-14 libclang-rt-14-dev
"
if [ "$(id -u)" -eq 0 ]; then
	run=""
else
	run="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$run apt-get update -q
# shellcheck disable=SC2086 # the list is meant to split into words
$run apt-get install -y -q --no-install-recommends $packages
