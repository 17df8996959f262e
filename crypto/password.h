/*
 * password.h - password hashing with bcrypt ($2b$) through libxcrypt, in the
 * format flask-bcrypt writes and reads. Not for anything but passwords.
 */
#ifndef INTEGRITY_PASSWORD_H
#define INTEGRITY_PASSWORD_H

#include <stdbool.h>
#include <stddef.h>

#include "common/status.h"

#define PASSWORD_MAX_BYTES 72 /* bcrypt reads no further: longer is refused, never cut */
#define PASSWORD_HASH_LEN 60  /* "$2b$12$" + 22 salt + 31 hash chars */
#define PASSWORD_COST_MIN 4
#define PASSWORD_COST_MAX 31

/*
 * Hash the `len` bytes of `pw` (1..72, no NUL) with a fresh random salt at
 * bcrypt `cost` into out[PASSWORD_HASH_LEN + 1]. ST_INVALID for a bad length,
 * a NUL byte or a cost outside 4..31; ST_NOMEM if allocation fails;
 * ST_INTERNAL if the RNG or libxcrypt fails. On error `out` is an empty string.
 */
status password_hash(const char *pw, size_t len, int cost, char out[PASSWORD_HASH_LEN + 1]);

/*
 * True when `pw` (`len` bytes) matches `hash` ($2a$, $2b$ or $2y$). Compares the
 * result in constant time. False for any malformed hash, and for a `pw` that
 * password_hash would refuse (empty, over 72 bytes, or containing a NUL).
 */
bool password_verify(const char *pw, size_t len, const char *hash);

/* True when `hash` is not a $2b$ hash of exactly `cost`. */
bool password_needs_rehash(const char *hash, int cost);

#endif
