/* sqlite_api: the table behind sqlite_api.h, filled from libsqlite3.so.0. */
#define SQLITE_API_IMPLEMENTATION
#include "sched/sqlite_api.h"

sqlite_api sqlite_fn;

static bool bind_sqlite(void *handle, const char **missing)
{
#define SQLITE_API_BIND(name)                                                                      \
    if (!dynlib_bind_slot(handle, #name, &sqlite_fn.name, missing))                                \
        return false;
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
