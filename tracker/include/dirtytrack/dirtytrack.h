/* SPDX-License-Identifier: MIT */
/* dirtytrack/dirtytrack.h - the whole public API of libdirtytrack. */
#ifndef DIRTYTRACK_DIRTYTRACK_H
#define DIRTYTRACK_DIRTYTRACK_H

#include <dirtytrack/container.h>
#include <dirtytrack/dirty.h>
#include <dirtytrack/hwdirty.h>
#include <dirtytrack/profile.h>

#endif
