/* test_util_dynlib: libraries opened on first use -- a missing library or
 * function gives an error that names it and the package to install (and the
 * failure is remembered), and the OpenSSL and SQLite shims reach the real
 * libraries through their redirected names. */
#include "check.h"
#include "sched/sqlite_api.h"
#include "serve/openssl_api.h"
#include "util/dynlib.h"

#include <stdlib.h>

static const char *wanted_symbol;
static void *found_symbol;

static bool bind_one(void *handle, const char **missing)
{
    found_symbol = dynlib_symbol(handle, wanted_symbol);
    if (!found_symbol)
        *missing = wanted_symbol;
    return found_symbol != NULL;
}

TEST(missing_library_names_it_and_the_package)
{
    dynlib lib = DYNLIB_INIT("libmallard-no-such-library.so.9", "mallard-no-such-package",
                             "the test's imaginary feature", bind_one);
    wanted_symbol = "anything";
    for (int attempt = 0; attempt < 2; attempt++) {
        mlerr err = MLERR_INIT;
        CHECK(!dynlib_load(&lib, &err));
        CHECK(err.set && err.exit_code == EXIT_SETUP);
        CHECK_CONTAINS(mlerr_message(&err), "the test's imaginary feature needs "
                                            "libmallard-no-such-library.so.9, which cannot be "
                                            "loaded");
        CHECK_CONTAINS(mlerr_message(&err), "hint: install Debian's mallard-no-such-package");
        mlerr_clear(&err);
    }
    CHECK(!atomic_load(&lib.loaded));
}

TEST(missing_function_names_it)
{
    dynlib lib = DYNLIB_INIT("libm.so.6", "libc6", "a test", bind_one);
    wanted_symbol = "mallard_no_such_function";
    mlerr err = MLERR_INIT;
    CHECK(!dynlib_load(&lib, &err));
    CHECK_CONTAINS(mlerr_message(&err), "has no function mallard_no_such_function");
    mlerr_clear(&err);
}

TEST(present_library_binds_once)
{
    dynlib lib = DYNLIB_INIT("libm.so.6", "libc6", "a test", bind_one);
    wanted_symbol = "cos";
    mlerr err = MLERR_INIT;
    CHECK(dynlib_load(&lib, &err) && !err.set);
    double (*cosine)(double) = NULL;
    memcpy(&cosine, &found_symbol, sizeof found_symbol);
    CHECK(cosine && cosine(0.0) == 1.0);
    found_symbol = NULL;
    CHECK(dynlib_load(&lib, &err)); /* the second call binds nothing again */
    CHECK(found_symbol == NULL);
}

TEST(openssl_shim_computes_sha256)
{
    /* the FIPS 180-2 test vector for "abc" */
    unsigned char digest[SHA256_DIGEST_LENGTH];
    SHA256((const unsigned char *)"abc", 3, digest);
    char hex[2 * SHA256_DIGEST_LENGTH + 1];
    for (int i = 0; i < SHA256_DIGEST_LENGTH; i++)
        snprintf(hex + 2 * i, 3, "%02x", digest[i]);
    CHECK_STR(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    CHECK(atomic_load(&openssl_lib.loaded));
    mlerr err = MLERR_INIT;
    CHECK(openssl_api_load(&err));
}

static int first_column(void *out, int n, char **values, char **names)
{
    (void)names;
    if (n > 0 && values[0])
        snprintf(out, 16, "%s", values[0]);
    return 0;
}

TEST(sqlite_shim_runs_a_query)
{
    mlerr err = MLERR_INIT;
    CHECK(sqlite_api_load(&err));
    sqlite3 *db = NULL;
    CHECK(sqlite3_open_v2(":memory:", &db, SQLITE_OPEN_READWRITE, NULL) == SQLITE_OK);
    char answer[16] = "";
    CHECK(sqlite3_exec(db, "select 6 * 7", first_column, answer, NULL) == SQLITE_OK);
    CHECK_STR(answer, "42");
    sqlite3_close(db);
}

int main(void)
{
    RUN(missing_library_names_it_and_the_package);
    RUN(missing_function_names_it);
    RUN(present_library_binds_once);
    RUN(openssl_shim_computes_sha256);
    RUN(sqlite_shim_runs_a_query);
    return CHECK_DONE();
}
