// SPDX-License-Identifier: MIT
/*
 * files.c - whole files and folders for the run, plan and migrate folders
 * (files.h): one copy of the write-then-rename that keeps results whole.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "files.h"

int ds_sync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), ret = 0;

	if (fd < 0)
		return -errno;
	if (fsync(fd))
		ret = -errno;
	close(fd);
	return ret;
}

int ds_write_whole(const char *dir, const char *name, size_t bufsize, ds_fill_fn fill,
		   const void *ctx)
{
	char tmp[PATH_MAX], path[PATH_MAX];
	char *buf = NULL;
	FILE *f;
	int fd, ret, n;

	n = snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (n < 0 || (size_t)n >= sizeof(path))
		return -ENAMETOOLONG;
	n = snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
	if (n < 0 || (size_t)n >= sizeof(tmp))
		return -ENAMETOOLONG;

	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
	if (fd < 0)
		return -errno;
	f = fdopen(fd, "w");
	if (!f) {
		ret = -errno;
		close(fd);
		goto err;
	}
	if (bufsize) {
		buf = malloc(bufsize);
		if (buf)
			setvbuf(f, buf, _IOFBF, bufsize);
	}
	errno = 0;
	ret = fill(f, ctx);
	if (!ret && ferror(f))
		ret = errno ? -errno : -EIO;
	/* The buffered tail can fail (ENOSPC) here too; fsync before the rename makes it durable. */
	if (!ret && (fflush(f) || fsync(fileno(f))))
		ret = errno ? -errno : -EIO;
	if (fclose(f) && !ret)
		ret = errno ? -errno : -EIO;
	free(buf);
	if (ret)
		goto err;
	if (rename(tmp, path)) {
		ret = -errno;
		goto err;
	}
	return ds_sync_dir(dir);
err:
	unlink(tmp);
	return ret;
}

int ds_make_parents(const char *path)
{
	char buf[PATH_MAX];
	size_t i, len = strlen(path);

	if (len >= sizeof(buf))
		return -ENAMETOOLONG;
	memcpy(buf, path, len + 1);
	for (i = 1; i < len; i++) {
		if (buf[i] != '/')
			continue;
		buf[i] = '\0';
		if (mkdir(buf, 0777) && errno != EEXIST)
			return -errno;
		buf[i] = '/';
	}
	return 0;
}

int ds_mkdir_p(const char *dir)
{
	int ret;

	if (!*dir)
		return -EINVAL;
	ret = ds_make_parents(dir);
	if (ret)
		return ret;
	return mkdir(dir, 0777) && errno != EEXIST ? -errno : 0;
}

int ds_is_empty(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int ret = 1;

	if (!d)
		return -errno;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
			ret = 0;
			break;
		}
	closedir(d);
	return ret;
}

uint64_t ds_mem_available(void)
{
	char line[256];
	unsigned long long kb = 0;
	FILE *f = fopen("/proc/meminfo", "re");

	if (!f)
		return UINT64_MAX;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "MemAvailable: %llu kB", &kb) == 1)
			break;
	fclose(f);
	return kb ? kb * 1024 : UINT64_MAX;
}
