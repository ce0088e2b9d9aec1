/* SPDX-License-Identifier: MIT */
/*
 * units.h - quantities with units, as the command line spells them: sizes,
 * rates and times, parsed exactly (no floating point on the way) and
 * printed back for people. Shared by the commands that take a bandwidth, a
 * state size or a downtime limit (plan, run).
 *
 * The syntax: a decimal number (digits, optionally a '.' and more digits;
 * no sign, no exponent, at most 19 digits), then a unit with no space.
 *
 *   sizes   B; K M G T P and KiB MiB GiB TiB PiB are powers of 1024
 *           (64G is 64 x 2^30, as `run --device-size 64G` has always meant);
 *           kB KB MB GB TB PB are powers of 1000 (1.25GB is 1.25 x 10^9).
 *   rates   a size per second: 200MB/s, 1.25GB/s, 100MiB/s, 4096B/s;
 *           or bits per second with decimal prefixes as networks count
 *           them: bit/s kbit/s Kbit/s Mbit/s Gbit/s Tbit/s (10Gbit/s is
 *           1.25 x 10^9 bytes/s), binary ones Kibit/s Mibit/s Gibit/s Tibit/s.
 *           "Gb/s" and "Gbps" are refused: b against B is one typo away.
 *   times   ns, us (or µs), ms, s; ds_parse_time() also takes ps.
 *
 * Every value must come out as a whole number of the base unit (bytes,
 * bytes per second, nanoseconds): 1.5K is 1536 bytes, 1.1K is refused, and
 * so is 100bit/s (12.5 bytes/s). Results above 2^63-1 are refused, so any
 * of them fits a JSON reader's signed 64-bit integer.
 *
 * A bare "0" is zero in any unit and is accepted everywhere: a zero has no
 * unit to get wrong, and the caller then says "must not be zero" where zero
 * makes no sense, which names the real problem. Any other number needs a
 * unit, except for sizes parsed with DS_UNITS_BARE_BYTES.
 *
 * Every parser returns 0, or -EINVAL (malformed, no unit, an unknown unit, a
 * sign, not a whole number of the base unit, an empty list or range) or
 * -ERANGE (too large; too many items in a list). On failure, *@why (when
 * @why is not NULL) points to a static phrase saying what is wrong, for a
 * message of the form "--bandwidth '10': <why>"; *@out is untouched.
 * Nothing here prints or allocates; all of it is thread-safe.
 */
#ifndef DS_UNITS_H
#define DS_UNITS_H

#include <stddef.h>
#include <stdint.h>

/* ds_parse_size() flag: a number without a unit is bytes ("4096"). */
#define DS_UNITS_BARE_BYTES (1u << 0)

/* Bytes: "4K", "64G", "1.5MiB", "9MB"; see above. */
int ds_parse_size(const char *s, unsigned int flags, uint64_t *out, const char **why);

/* Bytes per second: "10Gbit/s", "1.25GB/s", "200MB/s". */
int ds_parse_rate(const char *s, uint64_t *out, const char **why);

/* Whole nanoseconds: "300ms", "1.5us", "58s"; "0.5ns" is refused. */
int ds_parse_time_ns(const char *s, uint64_t *out, const char **why);

/*
 * Nanoseconds with a fraction, for costs per unit of work that are below a
 * nanosecond ("0.046ns" per bitmap byte, "45ps"). The number itself is
 * parsed exactly; only the result is rounded to the nearest double.
 */
int ds_parse_time(const char *s, double *out, const char **why);

/*
 * A list of sizes, ascending and without duplicates, into @out (room for
 * @max): items separated by commas, each a size or a range A..B that stands
 * for A, 2A, 4A, ... up to B (B itself only when it is A times a power of
 * two). "1G..4T", "1G,16G", "64K..1M,1G". A range whose end is below its
 * start is empty and refused, as is an empty list. -ERANGE when more than
 * @max sizes would result. Sizes follow ds_parse_size() with @flags.
 */
int ds_parse_size_list(const char *s, unsigned int flags, uint64_t *out, size_t max, size_t *n,
		       const char **why);

/*
 * Printing for people, three significant digits: "812 ns", "1.23 µs",
 * "58.0 s", "0.127 ns"; "1.00 GiB", "512 KiB", "100 B"; "10.0 Gbit/s". Each writes at most
 * @len bytes (16 is always enough) into @buf and returns @buf.
 */
char *ds_format_ns(char *buf, size_t len, double ns);
char *ds_format_bytes(char *buf, size_t len, double bytes);
char *ds_format_bits_per_s(char *buf, size_t len, double bytes_per_s);

#endif
