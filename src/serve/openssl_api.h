/* openssl_api: OpenSSL 3, opened on first use (util/dynlib.h says why).
 *
 * Files of serve include this header instead of <openssl/...>: it declares
 * the functions serve uses as a table and redirects each name to it, so
 * `SSL_read(ssl, buf, n)` calls libssl's SSL_read once the library is open
 * and opens it first when it is not.  A function serve starts to use must be
 * added to OPENSSL_API_FUNCTIONS and given its redirecting #define below. */
#ifndef MALLARD_SERVE_OPENSSL_API_H
#define MALLARD_SERVE_OPENSSL_API_H

#include "util/dynlib.h"
#include "util/error.h"

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <openssl/ssl.h>

#define OPENSSL_API_FUNCTIONS(X)                                                                   \
    X(CRYPTO_memcmp)                                                                               \
    X(ERR_get_error)                                                                               \
    X(ERR_reason_error_string)                                                                     \
    X(EVP_DecodeBlock)                                                                             \
    X(EVP_Digest)                                                                                  \
    X(EVP_EncodeBlock)                                                                             \
    X(EVP_md5)                                                                                     \
    X(EVP_sha256)                                                                                  \
    X(HMAC)                                                                                        \
    X(OPENSSL_cleanse)                                                                             \
    X(PKCS5_PBKDF2_HMAC)                                                                           \
    X(RAND_bytes)                                                                                  \
    X(SHA256)                                                                                      \
    X(SSL_CTX_check_private_key)                                                                   \
    X(SSL_CTX_ctrl)                                                                                \
    X(SSL_CTX_free)                                                                                \
    X(SSL_CTX_new)                                                                                 \
    X(SSL_CTX_use_PrivateKey_file)                                                                 \
    X(SSL_CTX_use_certificate_chain_file)                                                          \
    X(SSL_accept)                                                                                  \
    X(SSL_free)                                                                                    \
    X(SSL_get_error)                                                                               \
    X(SSL_new)                                                                                     \
    X(SSL_pending)                                                                                 \
    X(SSL_read)                                                                                    \
    X(SSL_set_fd)                                                                                  \
    X(SSL_shutdown)                                                                                \
    X(SSL_write)                                                                                   \
    X(TLS_server_method)

typedef struct openssl_api {
#define OPENSSL_API_SLOT(name) __typeof__(&name) name;
    OPENSSL_API_FUNCTIONS(OPENSSL_API_SLOT)
#undef OPENSSL_API_SLOT
} openssl_api;

extern dynlib openssl_lib;
extern openssl_api openssl_fn;

/* Opens libssl.so.3 (and with it libcrypto.so.3) now, for a clean error at
 * the start of a command rather than an exit at its first TLS or SCRAM
 * call. */
bool openssl_api_load(mlerr *err);

#ifndef OPENSSL_API_IMPLEMENTATION
#define OPENSSL_API_CALL(name)             (dynlib_ensure(&openssl_lib), openssl_fn.name)
#define CRYPTO_memcmp                      OPENSSL_API_CALL(CRYPTO_memcmp)
#define ERR_get_error                      OPENSSL_API_CALL(ERR_get_error)
#define ERR_reason_error_string            OPENSSL_API_CALL(ERR_reason_error_string)
#define EVP_DecodeBlock                    OPENSSL_API_CALL(EVP_DecodeBlock)
#define EVP_Digest                         OPENSSL_API_CALL(EVP_Digest)
#define EVP_EncodeBlock                    OPENSSL_API_CALL(EVP_EncodeBlock)
#define EVP_md5                            OPENSSL_API_CALL(EVP_md5)
#define EVP_sha256                         OPENSSL_API_CALL(EVP_sha256)
#define HMAC                               OPENSSL_API_CALL(HMAC)
#define OPENSSL_cleanse                    OPENSSL_API_CALL(OPENSSL_cleanse)
#define PKCS5_PBKDF2_HMAC                  OPENSSL_API_CALL(PKCS5_PBKDF2_HMAC)
#define RAND_bytes                         OPENSSL_API_CALL(RAND_bytes)
#define SHA256                             OPENSSL_API_CALL(SHA256)
#define SSL_CTX_check_private_key          OPENSSL_API_CALL(SSL_CTX_check_private_key)
#define SSL_CTX_ctrl                       OPENSSL_API_CALL(SSL_CTX_ctrl)
#define SSL_CTX_free                       OPENSSL_API_CALL(SSL_CTX_free)
#define SSL_CTX_new                        OPENSSL_API_CALL(SSL_CTX_new)
#define SSL_CTX_use_PrivateKey_file        OPENSSL_API_CALL(SSL_CTX_use_PrivateKey_file)
#define SSL_CTX_use_certificate_chain_file OPENSSL_API_CALL(SSL_CTX_use_certificate_chain_file)
#define SSL_accept                         OPENSSL_API_CALL(SSL_accept)
#define SSL_free                           OPENSSL_API_CALL(SSL_free)
#define SSL_get_error                      OPENSSL_API_CALL(SSL_get_error)
#define SSL_new                            OPENSSL_API_CALL(SSL_new)
#define SSL_pending                        OPENSSL_API_CALL(SSL_pending)
#define SSL_read                           OPENSSL_API_CALL(SSL_read)
#define SSL_set_fd                         OPENSSL_API_CALL(SSL_set_fd)
#define SSL_shutdown                       OPENSSL_API_CALL(SSL_shutdown)
#define SSL_write                          OPENSSL_API_CALL(SSL_write)
#define TLS_server_method                  OPENSSL_API_CALL(TLS_server_method)
#endif

#endif
