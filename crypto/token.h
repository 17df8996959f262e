/*
 * token.h - access tokens: HS256 JWTs with flask-jwt-extended's claims, issued
 * through libjwt and checked with our own rules first (alg pinned to HS256 from
 * the raw header before anything else is trusted, constant-time signature,
 * exp, nbf, type). Not for refresh tokens or other algorithms.
 */
#ifndef INTEGRITY_TOKEN_H
#define INTEGRITY_TOKEN_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "common/status.h"

#define TOKEN_KEY_MIN 32
#define TOKEN_SUB_MAX 64
#define TOKEN_JTI_MAX 64 /* a UUID is 36; a longer jti is refused as malformed */

typedef enum token_error {
    TOKEN_OK = 0,
    TOKEN_MALFORMED,      /* not three base64url parts, bad JSON, missing claims */
    TOKEN_BAD_ALG,        /* header alg is not exactly HS256 */
    TOKEN_BAD_SIGNATURE,  /* HMAC does not match */
    TOKEN_EXPIRED,        /* exp <= now */
    TOKEN_NOT_YET_VALID,  /* nbf > now */
    TOKEN_NOT_YET_ISSUED, /* iat > now: made by a clock ahead of ours, or forged */
    TOKEN_WRONG_TYPE      /* type is not "access" */
} token_error;

/*
 * The second tokens are issued at and checked against: CLOCK_REALTIME's. Not
 * time(NULL): glibc's time() reads the kernel's coarse clock, which trails
 * CLOCK_REALTIME by up to a tick (4 ms here) after each second begins, so a
 * token minted with nbf = now by a client reading the precise clock (PyJWT:
 * int(time.time())) and sent at once was refused as not yet valid.
 */
time_t token_clock(void);

/*
 * Issue a token for subject `sub` valid from `now` for `ttl` seconds, signed
 * with `key` (`keylen` bytes). *out is malloc'd and NUL-terminated; the caller
 * frees it with free(). ST_INVALID (and *out NULL) for a key shorter than
 * TOKEN_KEY_MIN, a `sub` that is empty or longer than TOKEN_SUB_MAX, or
 * ttl <= 0; ST_NOMEM or ST_INTERNAL if libjwt or the RNG fails.
 */
status token_issue(const unsigned char *key, size_t keylen, const char *sub, time_t now, long ttl,
                   char **out);

/*
 * Check `token` at time `now` against `key`. On TOKEN_OK copies the subject
 * into sub[sub_cap] (TOKEN_MALFORMED if it does not fit); on any error sub is
 * an empty string. A key shorter than TOKEN_KEY_MIN verifies nothing
 * (TOKEN_BAD_SIGNATURE). The order of the checks is documented in token.c.
 * Each thread remembers the last token it found valid under a key and answers
 * it again from the clock alone, with the result a full check would give.
 */
token_error token_check(const unsigned char *key, size_t keylen, const char *token, time_t now,
                        char *sub, size_t sub_cap);

/* What the revocation rules (SPEC 9) need of a valid token. */
typedef struct token_claims {
    char sub[TOKEN_SUB_MAX + 1];
    char jti[TOKEN_JTI_MAX + 1]; /* "" when the token carries none */
    int64_t iat;                 /* whole seconds; INT64_MIN when the token carries none */
    int64_t exp;                 /* whole seconds (rounded up) */
} token_claims;

/*
 * token_check, also giving the claims revocation is decided on: on TOKEN_OK
 * *out holds them; on any error *out is zeroed (empty strings). A jti that
 * is not a string of 1..TOKEN_JTI_MAX bytes is TOKEN_MALFORMED. The
 * per-thread memo answers from the clock alone, claims included: it saves
 * the signature work, never the revocation check, which is the caller's.
 */
token_error token_verify(const unsigned char *key, size_t keylen, const char *token, time_t now,
                         token_claims *out);

/* The flask-jwt-extended style message for `e` (a static string). */
const char *token_error_message(token_error e);

#endif
