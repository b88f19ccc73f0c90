/*
 * Prebuilt addons only (scripts/prebuild.mjs puts this folder first on the include path).
 *
 * GCC 12's libstdc++ headers read glibc's `__libc_single_threaded` (glibc 2.32+) when this header exists, to skip
 * atomic reference counting in single-threaded processes. An addon that references it cannot load on an older
 * glibc. This stand-in says "never single-threaded", so libstdc++ always takes the atomic path: always correct,
 * and the addons are multi-threaded anyway.
 */
#ifndef SS_PREBUILD_SINGLE_THREADED_H
#define SS_PREBUILD_SINGLE_THREADED_H
static const char ss_prebuild_never_single_threaded = 0;
#define __libc_single_threaded ss_prebuild_never_single_threaded
#endif
