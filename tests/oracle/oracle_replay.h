/* SPDX-License-Identifier: MIT */
/*
 * oracle_replay.h - the oracle's reading of the replay language, as a
 * function, for the fuzz targets (oracle_replay.c built with
 * ORACLE_REPLAY_NO_MAIN). It shares nothing with bench/.
 */
#ifndef DT_ORACLE_REPLAY_H
#define DT_ORACLE_REPLAY_H

#include <stdint.h>
#include <stdio.h>

/*
 * Run the replay file read from @in (@name in messages) on a fresh oracle,
 * one result line per operation on @out. @max_alloc is 0, or the most memory
 * asked of the machine at once (a mapping's size, a bitmap's bytes, an rw
 * length): above it the machine is taken to refuse. Returns 0, or 2 after
 * one line on @err; *@bad_line is the number of the line that stopped the
 * run, 0 if none did.
 */
int oracle_replay_stream(FILE *in, const char *name, FILE *out, FILE *err, uint64_t max_alloc,
                         unsigned long *bad_line);

#endif
