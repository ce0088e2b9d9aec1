/* SPDX-License-Identifier: MIT */
#ifndef DS_ERRNAME_H
#define DS_ERRNAME_H

/* "EINVAL" for EINVAL; NULL for an errno without a name here. */
const char *ds_errname(int err);

#endif
