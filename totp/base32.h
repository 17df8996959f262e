/*
 * base32.h - RFC 4648 base32 (the alphabet A-Z2-7), as authenticator apps use it.
 * Not for base32hex.
 */
#ifndef INTEGRITY_BASE32_H
#define INTEGRITY_BASE32_H

#include <stddef.h>
#include <stdint.h>

/* Characters b32_encode writes for `n` bytes, without padding and without the NUL. */
#define B32_ENCODED_LEN(n) ((((n)*8) + 4) / 5)

/*
 * Encode `len` bytes of `in` as unpadded upper-case base32 into `out` (capacity
 * `cap`, NUL-terminated). Returns the number of characters written, or -1 when
 * `cap` is too small (then `out` holds an empty string if cap > 0).
 */
int b32_encode(const uint8_t *in, size_t len, char *out, size_t cap);

/*
 * Decode base32 text `in` of `len` characters into `out` (capacity `cap`).
 * Accepts upper or lower case, ignores spaces, and accepts '=' padding only at
 * the end. Returns the number of bytes written, or -1 on an invalid character,
 * misplaced padding, non-zero trailing bits, or when `cap` is too small.
 */
int b32_decode(const char *in, size_t len, uint8_t *out, size_t cap);

#endif
