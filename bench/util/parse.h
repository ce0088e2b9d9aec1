/* SPDX-License-Identifier: MIT */
/* parse.h - numbers and sizes as the command line and the replay spell them. */
#ifndef DS_PARSE_H
#define DS_PARSE_H

#include <stdint.h>

/*
 * Parse a whole string as a decimal or 0x-hex number with an optional K, M,
 * G or T suffix (powers of 1024). Returns 0, or -EINVAL (not a number, or
 * trailing text), -ERANGE (above 2^64-1).
 */
int ds_parse_u64(const char *s, uint64_t *out);

#endif
