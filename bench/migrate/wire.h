/* SPDX-License-Identifier: MIT */
/*
 * wire.h - what the source and the destination say to each other, and the
 * page checksum the destination checks its copy with.
 *
 * Every message is a 16-byte header, then a body the header's type
 * defines. Both ends are this machine (the link is loopback only), so the
 * integers travel in the host's byte order and the structs as laid out
 * here: no padding, every field 32 or 64 bits.
 *
 *   source -> destination
 *   HELLO    arg magic; body ds_wire_hello        a migration begins
 *   PAGES    count n, arg round; body n u64 page  a batch of pages
 *            indices, then n pages of page_bytes
 *   ROUND    arg round                            a pre-copy round ended
 *   STATE    arg bytes; body the state            the device state
 *   RESUME                                        stop-and-copy is over:
 *                                                 resume the VM
 *   VERIFY   arg pages; body pages u64 checksums, then the state's
 *   destination -> source
 *   READY    arg bytes of the region populated so far: one every 8 MiB
 *            while it populates after HELLO, the last one with all of
 *            them (the source waits for it: population is never measured)
 *   RESUMED  arg resume time (CLOCK_MONOTONIC ns); body ds_wire_resumed
 *   VERIFIED arg mismatched pages; body ds_wire_verified
 *   ABORT    arg -errno; body 200 bytes of reason  the destination gave up
 *
 * CLOCK_MONOTONIC is one clock for every process of a machine, so the
 * destination's resume time and the source's pause time subtract.
 */
#ifndef DS_WIRE_H
#define DS_WIRE_H

#include <stddef.h>
#include <stdint.h>

#define DS_WIRE_MAGIC 0x31305247494d5344ull /* "DSMIGR01" */
#define DS_WIRE_VERSION 1
/* Pages per PAGES message: 256 KiB of pages and 512 bytes of indices. */
#define DS_WIRE_BATCH 64
/* The most first mismatched pages a VERIFIED lists. */
#define DS_WIRE_LIST 16
#define DS_WIRE_REASON 200

enum ds_wire_type {
	DS_MSG_HELLO = 1,
	DS_MSG_PAGES,
	DS_MSG_ROUND,
	DS_MSG_STATE,
	DS_MSG_RESUME,
	DS_MSG_VERIFY,
	DS_MSG_RESUMED,
	DS_MSG_VERIFIED,
	DS_MSG_ABORT,
	DS_MSG_READY,
};

/* The destination reports its population in steps of this many bytes. */
#define DS_WIRE_POPULATE_STEP (8ull << 20)

struct ds_wire_hdr {
	uint32_t type;
	uint32_t count;
	uint64_t arg;
};

/* HELLO flag: no migration follows this one (the destination may exit). */
#define DS_HELLO_LAST 1u

struct ds_wire_hello {
	uint64_t version;
	uint64_t page_bytes;
	uint64_t pages;
	uint64_t state_bytes;
	uint64_t flags;
};

struct ds_wire_resumed {
	uint64_t pages_received; /* page copies, re-sent ones included */
	uint64_t bytes_received;
};

struct ds_wire_verified {
	uint64_t state_ok;
	uint64_t nlisted;
	uint64_t first[DS_WIRE_LIST];
};

_Static_assert(sizeof(struct ds_wire_hdr) == 16, "the header is 16 bytes on the wire");

/*
 * A 64-bit checksum of @len bytes. Each 8-byte word
 * goes through a bijection of the running value (xor with the word times
 * an odd constant, rotate, times another odd constant), so two pages that
 * differ in one word always differ in their checksums; pages that differ
 * in more words collide with probability about 2^-64. Not cryptographic:
 * it catches a stale page, not an adversary. About 1 ns a word.
 */
uint64_t ds_page_sum(const void *p, size_t len);

#endif
