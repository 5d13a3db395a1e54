/* Unit tests for mat_with_retries: conflicts are retried, and a retry that
 * succeeds leaves no error behind (a leak LeakSanitizer once caught when two
 * tests created the audit schema at once). */
#include "check.h"
#include "exec/materialize_internal.h"
#include "util/xalloc.h"

typedef struct flaky {
    int conflicts_left;
    int calls;
} flaky;

/* Fails with a transaction conflict until conflicts_left runs out. */
static bool flaky_step(db_conn *c, void *ctx, db_error *e)
{
    flaky *f = ctx;
    f->calls++;
    if (f->conflicts_left-- > 0) {
        free(e->message);
        e->kind = DB_ERR_TRANSACTION_CONFLICT;
        e->message = xstrdup("TransactionContext Error: Catalog write-write conflict");
        return false;
    }
    return true;
}

TEST(retried_until_success_leaves_no_error)
{
    mat_exec_opts o = mat_exec_defaults();
    o.backoff_ms = 1;
    flaky f = {.conflicts_left = 2};
    db_error e = {0};
    int retries = 0;
    CHECK(mat_with_retries(NULL, "m", &o, flaky_step, &f, &retries, &e));
    CHECK(f.calls == 3);
    CHECK(retries == 2);
    CHECK(e.message == NULL);
    CHECK(e.kind == DB_ERR_NONE);
}

TEST(gives_up_after_max_retries)
{
    mat_exec_opts o = mat_exec_defaults();
    o.backoff_ms = 1;
    o.max_retries = 2;
    flaky f = {.conflicts_left = 10};
    db_error e = {0};
    int retries = 0;
    CHECK(!mat_with_retries(NULL, "m", &o, flaky_step, &f, &retries, &e));
    CHECK(f.calls == 3);
    CHECK(e.kind == DB_ERR_TRANSACTION_CONFLICT);
    CHECK(e.message != NULL);
    db_error_release(&e);
}

int main(void)
{
    RUN(retried_until_success_leaves_no_error);
    RUN(gives_up_after_max_retries);
    return CHECK_DONE();
}
