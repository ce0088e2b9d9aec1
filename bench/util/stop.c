// SPDX-License-Identifier: MIT
/* stop.c - the stop signals of run and migrate (stop.h). */
#include <signal.h>
#include <stddef.h>

#include "stop.h"

void ds_catch_stop_signals(void (*handler)(int))
{
	struct sigaction sa = {.sa_handler = handler};
	static const int sigs[] = {SIGINT, SIGTERM, SIGHUP};
	size_t i;

	sigemptyset(&sa.sa_mask);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, NULL);
}

const char *ds_stop_signal_name(int sig)
{
	switch (sig) {
	case SIGINT:
		return "SIGINT";
	case SIGTERM:
		return "SIGTERM";
	case SIGHUP:
		return "SIGHUP";
	default:
		return NULL;
	}
}
