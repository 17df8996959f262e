/*
 * random.h - cryptographically secure random bytes, from OpenSSL only.
 */
#ifndef INTEGRITY_RANDOM_H
#define INTEGRITY_RANDOM_H

#include <stddef.h>

#include "common/status.h"

/*
 * Fill `buf` with `len` random bytes (len 0 is a no-op). ST_INVALID for a NULL
 * `buf` with len > 0; ST_INTERNAL if OpenSSL's DRBG fails.
 */
status random_bytes(void *buf, size_t len);

/*
 * Write a random RFC 4122 version-4 UUID, lower-case 8-4-4-4-12 hex (36 chars
 * + NUL), into out[37]. ST_INVALID for NULL; ST_INTERNAL if the DRBG fails.
 */
status random_uuid4(char out[37]);

#endif
