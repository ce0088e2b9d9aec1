// SPDX-License-Identifier: MIT
/* run_outdir.c - the run folder: its default name, made up front, removed when no results come. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "run.h"

/* Remove the folders this run created, deepest first; rmdir keeps any that are not empty. */
void ds_remove_made(struct ds_made_dirs *made)
{
	char *slash;

	for (; made->depth > 0; made->depth--) {
		rmdir(made->path);
		slash = strrchr(made->path, '/');
		if (!slash)
			break;
		*slash = '\0';
	}
	made->depth = 0;
}

int ds_make_out(const char *dir, struct ds_made_dirs *made, const char **why)
{
	char probe[PATH_MAX + 32], *p, *slash, c;
	struct stat st;
	int fd;

	made->depth = 0;
	if (!*dir || snprintf(made->path, sizeof(made->path), "%s", dir) >= (int)sizeof(made->path)) {
		*why = "not a usable path";
		return -1;
	}
	for (p = made->path + 1;; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		c = *p;
		*p = '\0';
		if (stat(made->path, &st) == 0) {
			if (!S_ISDIR(st.st_mode)) {
				*why = "a file is in the way";
				goto undo;
			}
		} else if (mkdir(made->path, 0777) == 0) {
			made->depth++;
		} else {
			*why = strerror(errno);
			goto undo;
		}
		*p = c;
		if (!c)
			break;
	}
	/* Root passes every permission check: only a real file shows the folder takes writes. */
	snprintf(probe, sizeof(probe), "%s/.probe.%d", made->path, (int)getpid());
	fd = open(probe, O_WRONLY | O_CREAT | O_EXCL, 0600);
	if (fd < 0) {
		*why = strerror(errno);
		ds_remove_made(made);
		return -1;
	}
	close(fd);
	unlink(probe);
	return 0;
undo:
	/* The path ends at the component that failed, which this run did not make. */
	slash = strrchr(made->path, '/');
	if (slash)
		*slash = '\0';
	ds_remove_made(made);
	return -1;
}

/* results/runs/20261125-143000-ragged64-pinned, made unique. */
void ds_default_out(const struct ds_run_opts *o, char *buf, size_t len)
{
	char stamp[32];
	time_t now = time(NULL);
	struct tm tm;
	struct stat st;
	int i;

	char layout[32], *colon;

	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &tm);
	/* "ragged:64" -> "ragged64": a colon in a path trips scp and make. */
	snprintf(layout, sizeof(layout), "%s", o->layouts[0].name);
	colon = strchr(layout, ':');
	if (colon)
		memmove(colon, colon + 1, strlen(colon));
	for (i = 1;; i++) {
		if (i == 1)
			snprintf(buf, len, "results/runs/%s-%s-%s", stamp, layout,
				 o->workloads[0]->name);
		else
			snprintf(buf, len, "results/runs/%s-%s-%s-%d", stamp, layout,
				 o->workloads[0]->name, i);
		if (stat(buf, &st) < 0)
			return;
	}
}

