/*
 * b64url.h - unpadded base64url (RFC 4648 section 5) for JWTs and sealed
 * secrets. Decoding is strict, so every byte string has exactly one accepted
 * spelling: no padding, no characters outside A-Za-z0-9-_, no length of 1
 * mod 4, no stray bits in the last character. Not for MIME base64.
 */
#ifndef INTEGRITY_B64URL_H
#define INTEGRITY_B64URL_H

#include <stddef.h>
#include <stdint.h>

/* Length of the unpadded base64url text of `n` bytes. */
size_t b64url_len(size_t n);

/* Encode `len` bytes of `in` into out[cap], NUL-terminated. Returns 0, or -1
 * when out[cap] cannot hold the text and its NUL (out is left untouched). */
int b64url_encode(const uint8_t *in, size_t len, char *out, size_t cap);

/* Value 0..63 of a base64url character, or -1 for anything else. */
int b64url_value(unsigned char c);

/* Decode `len` chars of `in` into out[cap], the byte count into *outlen.
 * Returns 0, or -1 on any of the errors above or a result longer than cap. */
int b64url_decode(const char *in, size_t len, uint8_t *out, size_t cap, size_t *outlen);

#endif
