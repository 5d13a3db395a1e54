/* sqlite_api: the table behind sqlite_api.h, filled from libsqlite3.so.0. */
#define SQLITE_API_IMPLEMENTATION
#include "sched/sqlite_api.h"

#include <string.h>

sqlite_api sqlite_fn;

static bool bind_sqlite(void *handle, const char **missing)
{
    /* through void *, as in serve/openssl_api.c */
#define SQLITE_API_BIND(name)                                                                      \
    {                                                                                              \
        void *sym = dynlib_symbol(handle, #name);                                                  \
        if (!sym) {                                                                                \
            *missing = #name;                                                                      \
            return false;                                                                          \
        }                                                                                          \
        memcpy(&sqlite_fn.name, &sym, sizeof sym);                                                 \
    }
    SQLITE_API_FUNCTIONS(SQLITE_API_BIND)
#undef SQLITE_API_BIND
    return true;
}

dynlib sqlite_lib =
    DYNLIB_INIT("libsqlite3.so.0", "libsqlite3-0", "the scheduler's state store", bind_sqlite);

bool sqlite_api_load(mlerr *err)
{
    return dynlib_load(&sqlite_lib, err);
}
