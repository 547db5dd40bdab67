/* Shared by the Linux programs beside the scenarios in tests/linux: each
 * program checks on real Linux what its scenario asserts in ipcsim, prints
 * one line per fact, and exits 0 only if every fact holds. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int failures;

#define CHECK(cond, what)                                                      \
    do {                                                                       \
        if (cond) {                                                            \
            printf("ok      %s\n", what);                                      \
        } else {                                                               \
            printf("FAILED  %s (errno %d: %s)\n", what, errno, strerror(errno)); \
            failures++;                                                        \
        }                                                                      \
    } while (0)

static int done(void) { return failures ? 1 : 0; }
