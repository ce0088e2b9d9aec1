/* SPDX-License-Identifier: MIT */
/* commands.h - the subcommands of the dirtyscope CLI; each returns the exit status. */
#ifndef DS_COMMANDS_H
#define DS_COMMANDS_H

int cmd_migrate(int argc, char **argv);
int cmd_plan(int argc, char **argv);
int cmd_replay(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_compare(int argc, char **argv);
int cmd_plot(int argc, char **argv);

#endif
