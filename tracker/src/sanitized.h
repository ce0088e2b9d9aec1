/* SPDX-License-Identifier: MIT */
/*
 * sanitized.h - DT_SANITIZED is 1 in a build with AddressSanitizer or
 * ThreadSanitizer, whichever compiler says so (GCC's __SANITIZE_*__ or
 * clang's __has_feature): code that sanitizers cannot follow (string
 * instructions, ifunc resolvers that run before their runtime) takes a
 * plain path there.
 */
#ifndef DT_SANITIZED_H
#define DT_SANITIZED_H

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define DT_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define DT_SANITIZED 1
#endif
#endif
#ifndef DT_SANITIZED
#define DT_SANITIZED 0
#endif

#endif
