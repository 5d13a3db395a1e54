/* mlerr: the error a failed operation hands back to its caller.
 *
 * Functions that can fail take an `mlerr *` last and return false (or NULL).
 * The first failure wins: later calls to mlerr_set on an already-set error
 * are ignored, so the innermost, most specific message survives while
 * callers may still add context with mlerr_prefix.  The exit code travels
 * with the error because the layer that fails knows best whether it was a
 * handled failure (1) or a setup/usage error (2), as dbt distinguishes them. */
#ifndef MALLARD_UTIL_ERROR_H
#define MALLARD_UTIL_ERROR_H

#include "util/strbuf.h"

#include <stdbool.h>

enum {
    EXIT_OK = 0,
    EXIT_HANDLED = 1, /* the job ran; some of its work failed */
    EXIT_SETUP = 2,   /* bad usage, bad configuration, or interrupted */
};

typedef struct mlerr {
    bool set;
    int exit_code;
    strbuf msg;
} mlerr;

#define MLERR_INIT                                                                                 \
    {                                                                                              \
        0                                                                                          \
    }

void mlerr_set(mlerr *e, int exit_code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* "FILE:LINE:COL: message"; line and col are 1-based, 0 leaves them out. */
void mlerr_at(mlerr *e, int exit_code, const char *file, int line, int col, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));
/* Puts "context: " in front of an error that is already set. */
void mlerr_prefix(mlerr *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Adds a line of advice ("  hint: ...") under the message. */
void mlerr_hint(mlerr *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
const char *mlerr_message(const mlerr *e);
void mlerr_clear(mlerr *e);

#endif
