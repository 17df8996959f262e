/*
 * b64url.c - unpadded base64url (RFC 4648 section 5), strict both ways: the
 * one spelling JWTs (RFC 7515) and our sealed secrets use. See b64url.h.
 */
#include "crypto/b64url.h"

/* Length of the unpadded base64url text of `n` bytes. */
size_t b64url_len(size_t n)
{
    return n / 3 * 4 + (n % 3 == 0 ? 0 : n % 3 + 1);
}

/*
 * Unpadded base64url of `len` bytes of `in` into out[cap], NUL-terminated.
 * Returns 0, or -1 when out[cap] cannot hold the text and its NUL (then out
 * is left untouched).
 */
int b64url_encode(const uint8_t *in, size_t len, char *out, size_t cap)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    size_t i, o = 0;

    if (cap < b64url_len(len) + 1)
        return -1;
    for (i = 0; i + 2 < len; i += 3) {
        unsigned long v = (unsigned long)in[i] << 16 | (unsigned long)in[i + 1] << 8 | in[i + 2];

        out[o++] = alphabet[(v >> 18) & 0x3f];
        out[o++] = alphabet[(v >> 12) & 0x3f];
        out[o++] = alphabet[(v >> 6) & 0x3f];
        out[o++] = alphabet[v & 0x3f];
    }
    if (len - i == 1) {
        unsigned long v = (unsigned long)in[i] << 16;

        out[o++] = alphabet[(v >> 18) & 0x3f];
        out[o++] = alphabet[(v >> 12) & 0x3f];
    } else if (len - i == 2) {
        unsigned long v = (unsigned long)in[i] << 16 | (unsigned long)in[i + 1] << 8;

        out[o++] = alphabet[(v >> 18) & 0x3f];
        out[o++] = alphabet[(v >> 12) & 0x3f];
        out[o++] = alphabet[(v >> 6) & 0x3f];
    }
    out[o] = '\0';
    return 0;
}

/* Value 0..63 of a base64url character, or -1 for anything outside A-Za-z0-9-_. */
int b64url_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '-')
        return 62;
    if (c == '_')
        return 63;
    return -1;
}

/*
 * Strict unpadded base64url: decode `len` chars of `in` into out[cap] and
 * store the byte count in *outlen. Returns 0, or -1 for a character outside
 * the alphabet (padding included), a length that is 1 mod 4, a result longer
 * than `cap`, or non-zero unused bits in the last character.
 */
int b64url_decode(const char *in, size_t len, uint8_t *out, size_t cap, size_t *outlen)
{
    unsigned long acc = 0;
    int bits = 0;
    size_t i, o = 0;

    if (len % 4 == 1 || len / 4 * 3 + (len % 4 == 0 ? 0 : len % 4 - 1) > cap)
        return -1;
    for (i = 0; i < len; i++) {
        int v = b64url_value((unsigned char)in[i]);

        if (v < 0)
            return -1;
        acc = ((acc << 6) | (unsigned long)v) & 0xffffUL;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (uint8_t)(acc >> bits);
        }
    }
    if (bits > 0 && (acc & ((1UL << bits) - 1)) != 0)
        return -1;
    *outlen = o;
    return 0;
}
