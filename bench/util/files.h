/* SPDX-License-Identifier: MIT */
/*
 * files.h - what every command's output folder needs: whole files (written
 * under a temporary name, synced, renamed, the folder synced), parents
 * made, an empty folder told apart, and the memory the machine has free.
 * Nothing here prints; functions return 0 or -errno.
 */
#ifndef DS_FILES_H
#define DS_FILES_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Writes a file's content to @f; returns 0 or -errno. */
typedef int (*ds_fill_fn)(FILE *f, const void *ctx);

/*
 * Write @dir/@name through @fill under "NAME.tmp.PID", fsync it, rename it
 * and fsync @dir, so that a reader (or a crash) sees the old file or the
 * whole new one. @bufsize: a stdio buffer of that size, 0 for the default.
 */
int ds_write_whole(const char *dir, const char *name, size_t bufsize, ds_fill_fn fill,
		   const void *ctx);

/* fsync a folder, so that a rename in it survives a crash. */
int ds_sync_dir(const char *dir);

/* Make the parents of @path (not @path itself). */
int ds_make_parents(const char *path);

/* Make @dir and its parents; one that exists is fine. */
int ds_mkdir_p(const char *dir);

/* 1 when @dir holds nothing, 0 when it holds something, -errno. */
int ds_is_empty(const char *dir);

/* /proc/meminfo's MemAvailable in bytes; UINT64_MAX when unknown. */
uint64_t ds_mem_available(void);

#endif
