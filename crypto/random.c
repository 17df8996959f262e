/*
 * random.c - cryptographically secure random bytes and UUIDs, drawn from
 * OpenSSL's DRBG (RAND_bytes) and nothing else: no rand(), no /dev/urandom
 * reads of our own. Not for deterministic or test-seeded randomness.
 */
#include "crypto/random.h"

#include <limits.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

/*
 * Fill `buf` with `len` random bytes. len == 0 is a no-op. ST_INVALID for a
 * NULL `buf` with len > 0; ST_INTERNAL if OpenSSL's DRBG fails (then the
 * contents of `buf` are unspecified and must not be used).
 */
status random_bytes(void *buf, size_t len)
{
    unsigned char *p = buf;

    if (len == 0)
        return ST_OK;
    if (p == NULL)
        return ST_INVALID;
    /* RAND_bytes takes an int count: feed it in chunks that fit one. */
    while (len > 0) {
        int chunk = len > (size_t)INT_MAX ? INT_MAX : (int)len;

        if (RAND_bytes(p, chunk) != 1)
            return ST_INTERNAL;
        p += chunk;
        len -= (size_t)chunk;
    }
    return ST_OK;
}

/*
 * Write a random RFC 4122 version-4 UUID in its canonical lower-case form
 * (8-4-4-4-12 hex digits, 36 chars + NUL) into out[37]. ST_INVALID for a NULL
 * `out`; ST_INTERNAL if the DRBG fails (then out holds an empty string).
 */
status random_uuid4(char out[37])
{
    static const char hex[] = "0123456789abcdef";
    unsigned char b[16];
    size_t i, o = 0;
    status st;

    if (out == NULL)
        return ST_INVALID;
    out[0] = '\0';
    st = random_bytes(b, sizeof b);
    if (st != ST_OK)
        goto out;
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40); /* version 4 */
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80); /* variant 10xx (RFC 4122) */
    for (i = 0; i < sizeof b; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            out[o++] = '-';
        out[o++] = hex[b[i] >> 4];
        out[o++] = hex[b[i] & 0x0f];
    }
    out[o] = '\0';
out:
    OPENSSL_cleanse(b, sizeof b);
    return st;
}
