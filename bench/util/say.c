// SPDX-License-Identifier: MIT
/* say.c - the commands' messages on stderr (say.h). */
#include <stdarg.h>
#include <stdio.h>

#include "say.h"

__attribute__((format(printf, 3, 0))) static void vsay(const char *cmd, const char *kind,
						      const char *fmt, va_list ap)
{
	fprintf(stderr, "dirtyscope %s: %s", cmd, kind);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

int ds_bad(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsay(cmd, "", fmt, ap);
	va_end(ap);
	return 2;
}

void ds_warn(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsay(cmd, "warning: ", fmt, ap);
	va_end(ap);
}
