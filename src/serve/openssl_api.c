/* openssl_api: the table behind openssl_api.h, filled from libssl.so.3. */
#define OPENSSL_API_IMPLEMENTATION
#include "serve/openssl_api.h"

openssl_api openssl_fn;

static bool bind_openssl(void *handle, const char **missing)
{
#define OPENSSL_API_BIND(name)                                                                     \
    if (!dynlib_bind_slot(handle, #name, &openssl_fn.name, missing))                               \
        return false;
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
