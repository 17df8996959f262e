/*
 * recovery.h - recovery codes (SPEC 9): making them, reading them as people
 * type them, and the keyed hash the database keeps instead of them. No I/O.
 *
 * A code is 12 characters of a-z2-7 (RFC 4648's base32 alphabet in lower
 * case: 60 bits from OpenSSL's CSPRNG), shown as xxxx-xxxx-xxxx and matched
 * ignoring case and dashes. The database keeps
 *   HMAC-SHA256(k, "<user id>:<12 characters>"),
 *   k = HMAC-SHA256(JWT_SECRET_KEY, "integrity-api/recovery-codes/v1"),
 * so a dump alone reverses nothing (60 bits is too many to guess through an
 * HMAC whose key is not in the dump), one user's code is no other's, and a
 * check costs microseconds where bcrypt would cost ten times its 250 ms.
 * Rotating JWT_SECRET_KEY changes k: every stored code stops matching (as
 * every token stops working), and users make a new set once logged in.
 */
#ifndef INTEGRITY_RECOVERY_H
#define INTEGRITY_RECOVERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/status.h"

#define RECOVERY_CODES 10     /* codes per set */
#define RECOVERY_CODE_LEN 12  /* characters of a-z2-7: 60 bits */
#define RECOVERY_SHOWN_LEN 14 /* xxxx-xxxx-xxxx */
#define RECOVERY_INPUT_MAX 64 /* the longest text read as a code, dashes included */
#define RECOVERY_HASH_LEN 32  /* HMAC-SHA256 */
#define RECOVERY_KEY_LABEL "integrity-api/recovery-codes/v1"

/* A new random code, shown form (xxxx-xxxx-xxxx), into out[RECOVERY_SHOWN_LEN
 * + 1]. ST_INTERNAL if the DRBG fails. */
status recovery_generate(char out[RECOVERY_SHOWN_LEN + 1]);

/*
 * A code as typed into its canonical form: dashes dropped, upper case
 * lowered. True, with out[RECOVERY_CODE_LEN + 1] set, when exactly
 * RECOVERY_CODE_LEN characters of a-z2-7 remain; false for anything else
 * (other characters, too short, too long, NULL).
 */
bool recovery_normalize(const char *in, char out[RECOVERY_CODE_LEN + 1]);

/*
 * The stored form of canonical `code` (recovery_normalize's) for user
 * `user_id`, keyed by `secret` (JWT_SECRET_KEY, `secret_len` bytes), into
 * out[RECOVERY_HASH_LEN]. ST_INVALID for a code that is not canonical or an
 * empty secret; ST_INTERNAL if OpenSSL fails.
 */
status recovery_hash(const unsigned char *secret, size_t secret_len, uint64_t user_id,
                     const char *code, unsigned char out[RECOVERY_HASH_LEN]);

/* True when `h` equals one of the n hashes of `set` (each RECOVERY_HASH_LEN
 * bytes), *index set to it; every one is compared in full, in constant time. */
bool recovery_match(const unsigned char *h, const unsigned char *set, size_t n, size_t *index);

#endif
