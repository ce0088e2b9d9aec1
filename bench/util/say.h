/* SPDX-License-Identifier: MIT */
/*
 * say.h - the one shape of every command's messages on stderr:
 * "dirtyscope CMD: MESSAGE" and "dirtyscope CMD: warning: MESSAGE".
 */
#ifndef DS_SAY_H
#define DS_SAY_H

/* Print the error; return 2, the exit status of bad input. */
int ds_bad(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Print the warning. */
void ds_warn(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
