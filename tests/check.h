/* SPDX-License-Identifier: MIT */
/*
 * check.h - the smallest test harness that does the job: CHECK() records a
 * failure with its line and goes on, so one run shows every broken case;
 * the program exits 0 (pass), 1 (fail) or 77 (skip), as ctest expects.
 */
#ifndef DT_CHECK_H
#define DT_CHECK_H

#include <inttypes.h>
#include <stdio.h>

static int check_failures;

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "%s:%d: FAILED: %s\n", __FILE__, __LINE__, #cond);         \
			check_failures++;                                                          \
		}                                                                                  \
	} while (0)

/* CHECK(a == b) that prints both values. */
#define CHECK_EQ(a, b)                                                                             \
	do {                                                                                       \
		int64_t check_a_ = (int64_t)(a), check_b_ = (int64_t)(b);                          \
		if (check_a_ != check_b_) {                                                        \
			fprintf(stderr, "%s:%d: FAILED: %s == %s (%" PRId64 " != %" PRId64 ")\n",  \
				__FILE__, __LINE__, #a, #b, check_a_, check_b_);                   \
			check_failures++;                                                          \
		}                                                                                  \
	} while (0)

#define CHECK_EXIT() return check_failures ? 1 : 0

#endif
