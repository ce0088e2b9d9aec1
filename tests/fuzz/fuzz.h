/* SPDX-License-Identifier: MIT */
/* fuzz.h - the entry point every fuzz target defines (libFuzzer's). */
#ifndef DT_FUZZ_H
#define DT_FUZZ_H

#include <stddef.h>
#include <stdint.h>

/* Run one input; abort() on a finding. Returns 0 (libFuzzer's contract). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
