// SPDX-License-Identifier: MIT
/* errname.c - errno names, as the replay prints them. */
#include <errno.h>
#include <stddef.h>

#include "errname.h"

#define E(x) [x] = #x
static const char *const names[] = {
	E(EPERM),  E(ENOENT), E(EIO),	 E(ENXIO),     E(E2BIG),     E(EBADF),	  E(EAGAIN),
	E(ENOMEM), E(EACCES), E(EFAULT), E(EBUSY),     E(EEXIST),    E(ENODEV),	  E(EINVAL),
	E(ENOTTY), E(ENOSPC), E(ERANGE), E(ENOSYS),    E(EOVERFLOW), E(EOPNOTSUPP),
};
#undef E

const char *ds_errname(int err)
{
	if (err <= 0 || (size_t)err >= sizeof(names) / sizeof(names[0]))
		return NULL;
	return names[err];
}
