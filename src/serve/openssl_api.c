/* openssl_api: the table behind openssl_api.h, filled from libssl.so.3. */
#define OPENSSL_API_IMPLEMENTATION
#include "serve/openssl_api.h"

#include <string.h>

openssl_api openssl_fn;

static bool bind_openssl(void *handle, const char **missing)
{
    /* through void *: ISO C has no conversion from an object pointer to a
     * function pointer, POSIX guarantees dlsym's result survives this copy */
#define OPENSSL_API_BIND(name)                                                                     \
    {                                                                                              \
        void *sym = dynlib_symbol(handle, #name);                                                  \
        if (!sym) {                                                                                \
            *missing = #name;                                                                      \
            return false;                                                                          \
        }                                                                                          \
        memcpy(&openssl_fn.name, &sym, sizeof sym);                                                \
    }
    OPENSSL_API_FUNCTIONS(OPENSSL_API_BIND)
#undef OPENSSL_API_BIND
    return true;
}

/* libssl's dependency on libcrypto brings it in, and dlsym on libssl's handle
 * searches libcrypto too. */
dynlib openssl_lib =
    DYNLIB_INIT("libssl.so.3", "libssl3", "mallard serve (TLS and password hashing)", bind_openssl);

bool openssl_api_load(mlerr *err)
{
    return dynlib_load(&openssl_lib, err);
}
