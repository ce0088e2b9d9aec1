/* SPDX-License-Identifier: MIT */
/*
 * stop.h - the signals that ask a long command (run, migrate) to stop and
 * keep what it measured: SIGINT, SIGTERM, SIGHUP. Each command has its own
 * handler (what it sets is its own); installing it and naming the signal
 * in meta.json are the same everywhere.
 */
#ifndef DS_STOP_H
#define DS_STOP_H

/* Install @handler for SIGINT, SIGTERM and SIGHUP, with no flags. */
void ds_catch_stop_signals(void (*handler)(int));

/* "SIGINT", "SIGTERM", "SIGHUP"; NULL for any other signal. */
const char *ds_stop_signal_name(int sig);

#endif
