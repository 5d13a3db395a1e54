/* dynlib: shared libraries that are opened on first use (dlopen).
 *
 * Only `mallard serve` needs OpenSSL and only the scheduler needs SQLite, but
 * a library linked into the binary costs every process its relocation at
 * start-up: libssl, libcrypto and libsqlite3 together made up about 7 ms of
 * a 30 ms start, a few percent of a whole `mallard build` of a small
 * project.  So their users call them through a table of function pointers
 * (serve/openssl_api.h, sched/sqlite_api.h) that is filled the first time
 * any of them is needed.  Call sites keep the libraries' own names: each
 * shim header turns a name into a call through its table. */
#ifndef MALLARD_UTIL_DYNLIB_H
#define MALLARD_UTIL_DYNLIB_H

#include "util/error.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

typedef struct dynlib {
    const char *soname;  /* what dlopen is given, e.g. "libssl.so.3" */
    const char *package; /* the Debian package that installs it */
    const char *purpose; /* what needs it, for the error message */
    /* Looks every symbol up (dynlib_bind_slot); false (naming the missing
     * one in *missing) when one is absent. */
    bool (*bind)(void *handle, const char **missing);
    /* filled in by dynlib_load: */
    pthread_mutex_t lock;
    atomic_bool loaded;
    bool tried;
    char message[512];
} dynlib;

#define DYNLIB_INIT(soname, package, purpose, bind)                                                \
    {                                                                                              \
        (soname), (package), (purpose), (bind), PTHREAD_MUTEX_INITIALIZER, false, false,           \
        {                                                                                          \
            0                                                                                      \
        }                                                                                          \
    }

/* Opens lib and binds its table, once (thread-safe; a failure is remembered
 * and reported again).  False with err saying which library is missing,
 * what needs it and which package to install. */
bool dynlib_load(dynlib *lib, mlerr *err);
/* dynlib_load for the shims' call sites, which have no way to fail: prints
 * the error and exits 2 when the library cannot be loaded.  Commands load
 * their libraries up front with dynlib_load, so this exit is a last
 * resort. */
void dynlib_require(dynlib *lib);
/* dlsym, for bind functions. */
void *dynlib_symbol(void *handle, const char *name);
/* Looks name up and stores it in the function pointer at slot; false (with
 * *missing = name) when the library lacks it.  The copy goes through void *:
 * ISO C has no conversion from an object pointer to a function pointer, and
 * POSIX guarantees dlsym's result survives this one. */
bool dynlib_bind_slot(void *handle, const char *name, void *slot, const char **missing);

static inline void dynlib_ensure(dynlib *lib)
{
    if (!atomic_load_explicit(&lib->loaded, memory_order_acquire))
        dynlib_require(lib);
}

#endif
