/*
 * secret.h - TOTP secrets at rest: AES-256-GCM with OpenSSL EVP, a fresh
 * 96-bit nonce per seal, bound to its row by associated data, in a versioned
 * text format that names the key, so a key can be rotated later and a wrong
 * key is told apart from a damaged value:
 *
 *     v1.<kid>.<base64url(nonce[12] || ciphertext || tag[16])>
 *
 * kid is the first 8 hex characters of SHA-256("integrity-api totp key id" || key).
 * Not for passwords (see password.h) or tokens.
 */
#ifndef INTEGRITY_SECRET_H
#define INTEGRITY_SECRET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/status.h"

#define SECRET_KEY_BYTES 32
#define SECRET_SEALED_MAX 255 /* fits users.totp_secret */

/* True when `stored` is in the sealed format (starts with "v1."), false for
 * a plaintext base32 secret written before TOTP_SECRET_KEY was set. */
bool secret_is_sealed(const char *stored);

/* The key id of `key` (8 lower-case hex characters + NUL). */
void secret_key_id(const uint8_t key[SECRET_KEY_BYTES], char kid[9]);

/*
 * Seal `len` bytes of `plain` (1..64) under `key` with associated data `aad`
 * (a NUL-terminated string, e.g. the username: a value copied to another row
 * does not open). Writes the text form into out[cap]. ST_INVALID for a bad
 * length or a too small `cap`, ST_INTERNAL when OpenSSL fails.
 */
status secret_seal(const uint8_t key[SECRET_KEY_BYTES], const uint8_t *plain, size_t len,
                   const char *aad, char *out, size_t cap);

/*
 * Open a sealed value into plain[cap]; *len gets its length. ST_INVALID when
 * `sealed` is malformed or of an unknown version, ST_UNAUTHORIZED when it was
 * sealed under another key (kid differs) or fails authentication (wrong aad,
 * tampering). `plain` is wiped on failure.
 */
status secret_open(const uint8_t key[SECRET_KEY_BYTES], const char *sealed, const char *aad,
                   uint8_t *plain, size_t cap, size_t *len);

#endif
