/* check: the smallest unit-test harness that does the job.
 *
 * A test file defines TEST(name) functions and lists them in main with
 * RUN(name).  CHECK failures report file:line and the expression, count, and
 * let the test go on; CHECK_STR compares strings and shows both.  The exit
 * code is non-zero if anything failed, which is all ctest needs. */
#ifndef MALLARD_TESTS_CHECK_H
#define MALLARD_TESTS_CHECK_H

#include <stdio.h>
#include <string.h>

static int check_failures;
static int check_count;

#define TEST(name) static void name(void)
#define RUN(name)                                                                                  \
    do {                                                                                           \
        int before_ = check_failures;                                                              \
        name();                                                                                    \
        printf("%s %s\n", check_failures == before_ ? "ok  " : "FAIL", #name);                     \
    } while (0)
#define CHECK_DONE()                                                                               \
    (printf("%d checks, %d failed\n", check_count, check_failures), check_failures ? 1 : 0)

#define CHECK(expr)                                                                                \
    do {                                                                                           \
        check_count++;                                                                             \
        if (!(expr)) {                                                                             \
            check_failures++;                                                                      \
            fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #expr);               \
        }                                                                                          \
    } while (0)

#define CHECK_STR(got, want)                                                                       \
    do {                                                                                           \
        const char *got_ = (got), *want_ = (want);                                                 \
        check_count++;                                                                             \
        if (!got_ || !want_ || strcmp(got_, want_) != 0) {                                         \
            check_failures++;                                                                      \
            fprintf(stderr, "%s:%d: %s\n  got:  %s\n  want: %s\n", __FILE__, __LINE__, #got,       \
                    got_ ? got_ : "(null)", want_ ? want_ : "(null)");                             \
        }                                                                                          \
    } while (0)

/* got contains want as a substring. */
#define CHECK_CONTAINS(got, want)                                                                  \
    do {                                                                                           \
        const char *got_ = (got), *want_ = (want);                                                 \
        check_count++;                                                                             \
        if (!got_ || !strstr(got_, want_)) {                                                       \
            check_failures++;                                                                      \
            fprintf(stderr, "%s:%d: %s does not contain \"%s\"\n  got: %s\n", __FILE__, __LINE__,  \
                    #got, want_, got_ ? got_ : "(null)");                                          \
        }                                                                                          \
    } while (0)

#endif
