/* sqlite_api: SQLite 3, opened on first use (util/dynlib.h says why).
 *
 * The scheduler's state store includes this header instead of <sqlite3.h>
 * (which it includes in turn): the functions it uses become a table, and
 * each name is redirected to it.  A function the store starts to use must be
 * added to SQLITE_API_FUNCTIONS and given its redirecting #define below. */
#ifndef MALLARD_SCHED_SQLITE_API_H
#define MALLARD_SCHED_SQLITE_API_H

#include "util/dynlib.h"
#include "util/error.h"

#include <sqlite3.h>

#define SQLITE_API_FUNCTIONS(X)                                                                    \
    X(sqlite3_bind_double)                                                                         \
    X(sqlite3_bind_int)                                                                            \
    X(sqlite3_bind_int64)                                                                          \
    X(sqlite3_bind_null)                                                                           \
    X(sqlite3_bind_text)                                                                           \
    X(sqlite3_busy_handler)                                                                        \
    X(sqlite3_changes)                                                                             \
    X(sqlite3_clear_bindings)                                                                      \
    X(sqlite3_close)                                                                               \
    X(sqlite3_column_double)                                                                       \
    X(sqlite3_column_int)                                                                          \
    X(sqlite3_column_int64)                                                                        \
    X(sqlite3_column_text)                                                                         \
    X(sqlite3_errmsg)                                                                              \
    X(sqlite3_errstr)                                                                              \
    X(sqlite3_exec)                                                                                \
    X(sqlite3_finalize)                                                                            \
    X(sqlite3_get_autocommit)                                                                      \
    X(sqlite3_open_v2)                                                                             \
    X(sqlite3_prepare_v3)                                                                          \
    X(sqlite3_reset)                                                                               \
    X(sqlite3_step)

typedef struct sqlite_api {
#define SQLITE_API_SLOT(name) __typeof__(&name) name;
    SQLITE_API_FUNCTIONS(SQLITE_API_SLOT)
#undef SQLITE_API_SLOT
} sqlite_api;

extern dynlib sqlite_lib;
extern sqlite_api sqlite_fn;

/* Opens libsqlite3.so.0 now, for a clean error when the store is opened. */
bool sqlite_api_load(mlerr *err);

#ifndef SQLITE_API_IMPLEMENTATION
#define SQLITE_API_CALL(name)  (dynlib_ensure(&sqlite_lib), sqlite_fn.name)
#define sqlite3_bind_double    SQLITE_API_CALL(sqlite3_bind_double)
#define sqlite3_bind_int       SQLITE_API_CALL(sqlite3_bind_int)
#define sqlite3_bind_int64     SQLITE_API_CALL(sqlite3_bind_int64)
#define sqlite3_bind_null      SQLITE_API_CALL(sqlite3_bind_null)
#define sqlite3_bind_text      SQLITE_API_CALL(sqlite3_bind_text)
#define sqlite3_busy_handler   SQLITE_API_CALL(sqlite3_busy_handler)
#define sqlite3_changes        SQLITE_API_CALL(sqlite3_changes)
#define sqlite3_clear_bindings SQLITE_API_CALL(sqlite3_clear_bindings)
#define sqlite3_close          SQLITE_API_CALL(sqlite3_close)
#define sqlite3_column_double  SQLITE_API_CALL(sqlite3_column_double)
#define sqlite3_column_int     SQLITE_API_CALL(sqlite3_column_int)
#define sqlite3_column_int64   SQLITE_API_CALL(sqlite3_column_int64)
#define sqlite3_column_text    SQLITE_API_CALL(sqlite3_column_text)
#define sqlite3_errmsg         SQLITE_API_CALL(sqlite3_errmsg)
#define sqlite3_errstr         SQLITE_API_CALL(sqlite3_errstr)
#define sqlite3_exec           SQLITE_API_CALL(sqlite3_exec)
#define sqlite3_finalize       SQLITE_API_CALL(sqlite3_finalize)
#define sqlite3_get_autocommit SQLITE_API_CALL(sqlite3_get_autocommit)
#define sqlite3_open_v2        SQLITE_API_CALL(sqlite3_open_v2)
#define sqlite3_prepare_v3     SQLITE_API_CALL(sqlite3_prepare_v3)
#define sqlite3_reset          SQLITE_API_CALL(sqlite3_reset)
#define sqlite3_step           SQLITE_API_CALL(sqlite3_step)
#endif

#endif
