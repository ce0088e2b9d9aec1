// SPDX-License-Identifier: MIT
#include <ctype.h>
#include <errno.h>

#include "parse.h"

int ds_parse_u64(const char *s, uint64_t *out)
{
	unsigned int base = 10, digit, shift = 0;
	uint64_t v = 0;
	const char *p = s;

	if (p[0] == '0' && p[1] == 'x') {
		base = 16;
		p += 2;
	}
	if (!isxdigit((unsigned char)*p))
		return -EINVAL;
	for (; *p; p++) {
		if (isdigit((unsigned char)*p))
			digit = (unsigned int)(*p - '0');
		else if (base == 16 && isxdigit((unsigned char)*p))
			digit = (unsigned int)(tolower((unsigned char)*p) - 'a' + 10);
		else
			break;
		if (digit >= base)
			return -EINVAL;
		if (__builtin_mul_overflow(v, base, &v) || __builtin_add_overflow(v, digit, &v))
			return -ERANGE;
	}
	switch (*p) {
	case '\0':
		break;
	case 'K':
		shift = 10;
		break;
	case 'M':
		shift = 20;
		break;
	case 'G':
		shift = 30;
		break;
	case 'T':
		shift = 40;
		break;
	default:
		return -EINVAL;
	}
	if (shift) {
		if (p[1] != '\0')
			return -EINVAL;
		if (v > (UINT64_MAX >> shift))
			return -ERANGE;
		v <<= shift;
	}
	*out = v;
	return 0;
}
