/* SPDX-License-Identifier: MIT */
/*
 * replay.h - the engine's reader of the replay language (../shared/REPLAY.md,
 * rulings in docs/semantics.md), callable on any stream so that the CLI and
 * the fuzz targets run the same code.
 */
#ifndef DS_REPLAY_H
#define DS_REPLAY_H

#include <stdint.h>
#include <stdio.h>

/* The longest line, in bytes, not counting its newline (docs/semantics.md). */
#define DS_REPLAY_LINE_MAX 4096

struct ds_replay_config {
	const char *backend; /* NULL: "model" */
	const char *harvest; /* NULL: "reference" */
	const char *compat;  /* NULL: the correct bits; else a name of dt_compat_names() */
	const char *device;  /* what the backend opens (vfio: the group files), or NULL */
	/*
	 * 0, or the most memory the replay asks the machine for at once (a
	 * mapping's backing, a bitmap buffer, an rw buffer): above it the
	 * request is treated as one the machine refused, which is what
	 * docs/semantics.md rules for memory that cannot be had. The fuzz
	 * targets set it so that one input cannot ask for terabytes.
	 */
	uint64_t max_alloc;
};

/*
 * Run the replay file read from @in (named @name in messages), printing one
 * result line per operation on @out. Returns 0 when every line was read and
 * every result written; 2 after one line on @err naming the file, the line
 * and the cause (a syntax error, a read error, a write error on @out, a
 * backend that cannot be created). *@bad_line (may be NULL) gets the number
 * of the line that stopped the replay, or 0.
 * Not thread-safe with respect to @in, @out and @err; otherwise no global state.
 */
int ds_replay_stream(const struct ds_replay_config *cfg, FILE *in, const char *name, FILE *out,
		     FILE *err, unsigned long *bad_line);

#endif
