/* SPDX-License-Identifier: MIT */
/* human.h - numbers for people: times and sizes in units, table cells that count columns. */
#ifndef DS_HUMAN_H
#define DS_HUMAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/*
 * Three significant digits in the largest unit that keeps them: "812 ns",
 * "1.23 µs", "45.6 ms"; "64.0 GiB". The same rendering as the run's table.
 * Returns @buf.
 */
const char *ds_human_ns(char *buf, size_t len, uint64_t ns);
const char *ds_human_bytes(char *buf, size_t len, uint64_t bytes);
/* Sizes as options spell them when exact: "64G", "1T", "512M"; else bytes. */
const char *ds_human_size(char *buf, size_t len, uint64_t bytes);

/* Terminal columns of a UTF-8 string ("µ" is two bytes, one column). */
int ds_columns(const char *s);

/* One table cell of @width columns, with a space before it unless @first. */
void ds_cell(FILE *f, const char *s, int width, bool right, bool first);

#endif
