/*
 * base32.c - RFC 4648 base32 (alphabet A-Z2-7) for TOTP secrets: encoding the
 * 160-bit secrets we generate, and decoding the ones users or apps hand back.
 * Not base32hex, not Crockford's variant, not a streaming codec.
 */
#include "totp/base32.h"

#include <limits.h>
#include <stdbool.h>

static const char b32_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/* The 5-bit value of base32 character `c` (either case), or -1. */
static int b32_value(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a';
    if (c >= '2' && c <= '7')
        return c - '2' + 26;
    return -1;
}

int b32_encode(const uint8_t *in, size_t len, char *out, size_t cap)
{
    size_t need, pos = 0;
    uint32_t acc = 0;
    int bits = 0;

    if (out == NULL || cap == 0)
        return -1;
    out[0] = '\0';
    /* Keep the character count (and the return value) within an int. */
    if (len > (size_t)INT_MAX / 8 || (len > 0 && in == NULL))
        return -1;
    need = B32_ENCODED_LEN(len);
    if (need >= cap)
        return -1;

    for (size_t i = 0; i < len; i++) {
        acc = (acc << 8) | in[i];
        bits += 8;
        while (bits >= 5) {
            bits -= 5;
            out[pos++] = b32_alphabet[(acc >> bits) & 0x1f];
        }
    }
    if (bits > 0)
        out[pos++] = b32_alphabet[(acc << (5 - bits)) & 0x1f];
    out[pos] = '\0';
    return (int)pos;
}

/*
 * A quantum of 8 characters carries 5 bytes; a final partial quantum can only
 * hold 2, 4, 5 or 7 characters (1..4 bytes). Other lengths leave bits that
 * cannot be a whole byte, which we treat like an invalid character.
 */
static bool b32_tail_ok(size_t nchars)
{
    switch (nchars % 8) {
    case 0:
    case 2:
    case 4:
    case 5:
    case 7:
        return true;
    default:
        return false;
    }
}

int b32_decode(const char *in, size_t len, uint8_t *out, size_t cap)
{
    size_t nchars = 0, npad = 0, nbytes, pos = 0;
    unsigned trail;
    uint32_t acc = 0;
    int bits = 0, last = 0;

    if (in == NULL && len > 0)
        return -1;

    /*
     * First pass: validate everything and size the output, so that a
     * rejected input never leaves half-decoded secret bytes in `out`.
     */
    for (size_t i = 0; i < len; i++) {
        char c = in[i];

        if (c == ' ')
            continue;
        if (c == '=') {
            npad++;
            continue;
        }
        last = b32_value(c);
        if (npad > 0 || last < 0)
            return -1; /* data after padding, or not in the alphabet */
        nchars++;
    }
    if (nchars > (size_t)INT_MAX || !b32_tail_ok(nchars))
        return -1;
    /* Padding, when present, must complete the last quantum exactly. */
    if (npad > 0 && (nchars % 8 == 0 || npad != 8 - nchars % 8))
        return -1;
    /* A canonical encoding fills the bits after the last byte with zeros. */
    trail = (unsigned)(nchars * 5 % 8);
    if (trail > 0 && (last & ((1 << trail) - 1)) != 0)
        return -1;
    nbytes = nchars * 5 / 8;
    if (nbytes > cap || (nbytes > 0 && out == NULL))
        return -1;

    for (size_t i = 0; i < len && in[i] != '='; i++) {
        if (in[i] == ' ')
            continue;
        acc = (acc << 5) | (uint32_t)b32_value(in[i]);
        bits += 5;
        if (bits >= 8) {
            bits -= 8;
            out[pos++] = (uint8_t)(acc >> bits);
        }
        acc &= (1u << bits) - 1; /* keep only the bits not yet emitted */
    }
    return (int)pos;
}
