/* dynlib: opening optional shared libraries on first use (see dynlib.h). */
#include "util/dynlib.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool open_and_bind(dynlib *lib)
{
    /* RTLD_LOCAL: the library's symbols stay out of the global scope, so
     * nothing loaded later resolves against them by accident */
    void *handle = dlopen(lib->soname, RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
        const char *why = dlerror();
        snprintf(lib->message, sizeof lib->message, "%s needs %s, which cannot be loaded: %s",
                 lib->purpose, lib->soname, why ? why : "unknown error");
        return false;
    }
    const char *missing = NULL;
    if (!lib->bind(handle, &missing)) {
        snprintf(lib->message, sizeof lib->message, "%s needs %s, but it has no function %s",
                 lib->purpose, lib->soname, missing ? missing : "?");
        /* never dlclose: a half-bound library is simply left unused */
        return false;
    }
    return true;
}

bool dynlib_load(dynlib *lib, mlerr *err)
{
    if (atomic_load_explicit(&lib->loaded, memory_order_acquire))
        return true;
    pthread_mutex_lock(&lib->lock);
    if (!lib->tried) {
        lib->tried = true;
        if (open_and_bind(lib))
            atomic_store_explicit(&lib->loaded, true, memory_order_release);
    }
    bool ok = atomic_load_explicit(&lib->loaded, memory_order_relaxed);
    pthread_mutex_unlock(&lib->lock);
    if (!ok) {
        mlerr_set(err, EXIT_SETUP, "%s", lib->message);
        mlerr_hint(err, "install Debian's %s package (apt-get install %s)", lib->package,
                   lib->package);
    }
    return ok;
}

void dynlib_require(dynlib *lib)
{
    mlerr err = {0};
    if (dynlib_load(lib, &err))
        return;
    fprintf(stderr, "mallard: %s\n", mlerr_message(&err));
    mlerr_clear(&err);
    exit(EXIT_SETUP);
}

void *dynlib_symbol(void *handle, const char *name)
{
    return dlsym(handle, name);
}

bool dynlib_bind_slot(void *handle, const char *name, void *slot, const char **missing)
{
    void *sym = dlsym(handle, name);
    if (!sym) {
        *missing = name;
        return false;
    }
    memcpy(slot, &sym, sizeof sym);
    return true;
}
