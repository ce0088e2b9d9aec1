#!/bin/sh
# SPDX-License-Identifier: MIT
# test.sh - build and run every test three ways: a normal build with
# warnings as errors, AddressSanitizer + UBSan, and ThreadSanitizer for the
# concurrent tests; then fuzz each target of tests/fuzz for 30 s (DT_FUZZ_SECONDS) with
# clang's libFuzzer (docs/fuzzing.md). Build folders: build-test,
# build-asan, build-tsan, build-fuzz.
set -eu
cd "$(dirname "$0")/.."
jobs=$(nproc 2>/dev/null || echo 2)

echo "== normal build (-Werror)"
cmake -S . -B build-test -DDT_WERROR=ON -DDT_KERNEL_TESTS=ON >/dev/null
cmake --build build-test -j "$jobs"
# The soak (a minute of racing markers a harvest) is run by hand: ctest -L soak.
ctest --test-dir build-test --output-on-failure -LE soak -j "$jobs"

echo "== AddressSanitizer + UBSan"
cmake -S . -B build-asan -DDT_WERROR=ON -DDT_ASAN=ON >/dev/null
cmake --build build-asan -j "$jobs"
# report_browser is Chromium's time, not our code's: the normal build runs it.
ASAN_OPTIONS=detect_leaks=1 ctest --test-dir build-asan --output-on-failure -LE 'soak|browser' -j "$jobs"

echo "== ThreadSanitizer (tests labelled stress)"
cmake -S . -B build-tsan -DDT_WERROR=ON -DDT_TSAN=ON >/dev/null
# Only what the stress tests run (ctest -N -L stress); a stress test whose
# binary is missing here fails as "Not Run", so a new one cannot slip by.
cmake --build build-tsan -j "$jobs" --target dirtyscope test_concurrency test_marking_stress \
	test_workloads test_uffd_race test_migrate_writers
ctest --test-dir build-tsan --output-on-failure -L stress -j "$jobs"

echo "== fuzz (clang-14, libFuzzer + ASan + UBSan: tests labelled fuzz)"
# Only the fuzz binaries: the rest of this build would repeat the ASan stage.
# The compiler by its full path: CMake takes a bare name for a change of
# compiler on every later configure, and drops the cache with DT_FUZZ in it.
clang=$(command -v clang-14) || { echo "test.sh: clang-14 missing (scripts/install-deps.sh)" >&2; exit 1; }
cmake -S . -B build-fuzz -DCMAKE_C_COMPILER="$clang" -DDT_WERROR=ON -DDT_FUZZ=ON \
	-DDT_FUZZ_SECONDS="${DT_FUZZ_SECONDS:-30}" >/dev/null
cmake --build build-fuzz -j "$jobs" --target fuzz
ctest --test-dir build-fuzz --output-on-failure -L fuzz -j "$jobs"
