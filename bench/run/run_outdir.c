// SPDX-License-Identifier: MIT
/*
 * run_outdir.c - the run folder: its default name, made exclusively up
 * front so that two runs never share one, and the --force swap that
 * replaces an earlier run whole (results/README.md).
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "files.h"
#include "run.h"


/* Root passes every permission check: only a real file shows the folder takes writes. */
static int probe(const char *dir)
{
	char path[PATH_MAX + 32];
	int fd;

	snprintf(path, sizeof(path), "%s/.probe.%d", dir, (int)getpid());
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	close(fd);
	unlink(path);
	return 0;
}

static void default_name(const struct ds_run_opts *o, char *buf, size_t len, int n)
{
	char stamp[32], layout[32], *colon;
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &tm);
	/* "ragged:64" -> "ragged64": a colon in a path trips scp and make. */
	snprintf(layout, sizeof(layout), "%s", o->layouts[0].name);
	colon = strchr(layout, ':');
	if (colon)
		memmove(colon, colon + 1, strlen(colon));
	if (n == 1)
		snprintf(buf, len, "results/runs/%s-%s-%s", stamp, layout, o->workloads[0]->name);
	else
		snprintf(buf, len, "results/runs/%s-%s-%s-%d", stamp, layout, o->workloads[0]->name,
			 n);
}

int ds_outdir_make(const struct ds_run_opts *o, struct ds_outdir *od, const char **why)
{
	struct stat st;
	int ret, n;

	memset(od, 0, sizeof(*od));
	if (!o->out) {
		default_name(o, od->path, sizeof(od->path), 1);
		if ((ret = ds_make_parents(od->path)) < 0) {
			*why = strerror(-ret);
			return -1;
		}
		/* mkdir is the test and the claim at once: a second run gets the next name. */
		for (n = 2; mkdir(od->path, 0777); n++) {
			if (errno != EEXIST || n > 1000) {
				*why = strerror(errno);
				return -1;
			}
			default_name(o, od->path, sizeof(od->path), n);
		}
	} else {
		if (!*o->out || strlen(o->out) + 32 >= sizeof(od->path)) {
			*why = "not a usable path";
			return -1;
		}
		snprintf(od->path, sizeof(od->path), "%s", o->out);
		if ((ret = ds_make_parents(od->path)) < 0) {
			*why = ret == -ENOTDIR ? "a file is in the way" : strerror(-ret);
			return -1;
		}
		if (mkdir(od->path, 0777)) {
			if (errno != EEXIST) {
				*why = errno == ENOTDIR ? "a file is in the way" : strerror(errno);
				return -1;
			}
			if (stat(od->path, &st) || !S_ISDIR(st.st_mode)) {
				*why = "a file is in the way";
				return -1;
			}
			ret = ds_is_empty(od->path);
			if (ret < 0) {
				*why = strerror(-ret);
				return -1;
			}
			if (!ret && !o->force) {
				*why = "the folder is not empty (an earlier run?): choose another "
				       "--out, or add --force to replace it";
				return -1;
			}
			if (!ret) {
				/* Written beside it, swapped in whole at the end. */
				od->swap = true;
				snprintf(od->path, sizeof(od->path), "%s.new.%d", o->out, (int)getpid());
				if (mkdir(od->path, 0777)) {
					*why = strerror(errno);
					return -1;
				}
			}
		}
	}
	snprintf(od->final, sizeof(od->final), "%s", o->out && !od->swap ? o->out : od->path);
	if (od->swap)
		snprintf(od->final, sizeof(od->final), "%s", o->out);
	ret = probe(od->path);
	if (ret < 0) {
		*why = strerror(-ret);
		rmdir(od->path);
		return -1;
	}
	return 0;
}

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)type;
	(void)ftw;
	return remove(path) ? -1 : 0;
}

static int remove_tree(const char *dir)
{
	return nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS) ? -errno : 0;
}

int ds_outdir_finish(struct ds_outdir *od)
{
	if (!od->swap)
		return 0;
	/* One atomic exchange: DIR holds the old run or the new one, never a mix. */
	if (renameat2(AT_FDCWD, od->path, AT_FDCWD, od->final, RENAME_EXCHANGE))
		return -errno;
	od->swap = false;
	/* The old run now sits under the temporary name. */
	remove_tree(od->path);
	snprintf(od->path, sizeof(od->path), "%s", od->final);
	return 0;
}

void ds_outdir_remove(struct ds_outdir *od)
{
	remove_tree(od->path);
}
