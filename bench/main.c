// SPDX-License-Identifier: MIT
/* main.c - `dirtyscope COMMAND ...`: dispatch to the subcommands. */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "version.h"

static const struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
} commands[] = {
	{"run", cmd_run, "map DMA regions, drive workloads, time every tracking call"},
	{"plan", cmd_plan, "stop-and-copy downtime per device size, from measured harvest costs"},
	{"migrate", cmd_migrate, "a real pre-copy migration over loopback: measured vs predicted downtime"},
	{"replay", cmd_replay, "run a replay file against a backend, one result line per operation"},
	{"compare", cmd_compare, "two runs row by row: change, confidence interval, verdict"},
	{"plot", cmd_plot, "figures (PNG, SVG) and a one-page HTML report of run folders"},
};

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: dirtyscope COMMAND [options]\n\n"
		   "A benchmark and profiler for DMA dirty-page tracking (VFIO type1).\n\n"
		   "commands:\n");
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\n'dirtyscope COMMAND --help' lists the options of a command.\n"
		   "  -h, --help     show this help\n"
		   "  --version      print the version and git revision\n");
}

int main(int argc, char **argv)
{
	size_t i;

	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("dirtyscope %s (%s)\n", DS_VERSION, DS_GIT_REVISION);
		return 0;
	}
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].run(argc - 1, argv + 1);
	fprintf(stderr, "dirtyscope: unknown command '%s' (see dirtyscope --help)\n", argv[1]);
	return 2;
}
