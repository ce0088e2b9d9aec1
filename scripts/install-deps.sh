#!/bin/sh
# SPDX-License-Identifier: MIT
# install-deps.sh - the Debian packages dirtyscope builds, tests and plots with.
# The one list: the README and .ci/run both call this script.
set -eu
packages="
	build-essential cmake pkg-config git
	libnuma-dev liburcu-dev libbsd-dev libjansson-dev
	python3 python3-jsonschema
	gnuplot-nox fonts-dejavu-core hyperfine
	chromium
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
