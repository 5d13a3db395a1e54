/* digest: MD5 and SHA-256 as lowercase hex, for the names and checksums dbt
 * derives from them (generic-test names and ids, file checksums). */
#ifndef MALLARD_PROJECT_DIGEST_H
#define MALLARD_PROJECT_DIGEST_H

#include <stdbool.h>
#include <stddef.h>

/* out receives 32 hex digits and a NUL. */
void digest_md5_hex(const void *data, size_t len, char out[33]);
/* out receives 64 hex digits and a NUL. */
void digest_sha256_hex(const void *data, size_t len, char out[65]);
/* SHA-256 uses the CPU's SHA instructions when it has them; false forces
 * the plain code (for tests that check both give the same digests). */
void digest_use_cpu_extensions(bool on);

#endif
