/*
 * fuzz_base32.c - libFuzzer target for totp/base32.c, the decoder of the TOTP
 * secrets stored before TOTP_SECRET_KEY (and of anything else base32).
 *
 * The input is decoded as text; what decodes must re-encode to the same text
 * (upper case, without spaces and padding), decode the same into a buffer of
 * exactly its size, and fail into one byte less. The input is also encoded
 * as bytes and must decode back to itself, padded or not, in either case.
 * Every buffer is malloc'd to its exact size so ASan sees any overrun.
 */
#include "fuzz_common.h"

#include <ctype.h>

#include "totp/base32.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The text b32_encode would write for what `in` decodes to. */
static char *fuzz_canonical(const char *in, size_t len)
{
    char *c = malloc(len + 1);
    FUZZ_CHECK(c != NULL);
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        if (in[i] != ' ' && in[i] != '=')
            c[n++] = (char)toupper((unsigned char)in[i]);
    c[n] = '\0';
    return c;
}

/* Text -> bytes -> text. */
static void fuzz_decode_text(const char *in, size_t len)
{
    size_t cap = len * 5 / 8 + 1;
    uint8_t *out = malloc(cap);
    FUZZ_CHECK(out != NULL);
    int n = b32_decode(in, len, out, cap);
    if (n < 0) {
        free(out);
        return;
    }
    FUZZ_CHECK((size_t)n < cap);

    size_t need = B32_ENCODED_LEN((size_t)n);
    char *enc = malloc(need + 1);
    FUZZ_CHECK(enc != NULL);
    FUZZ_CHECK(b32_encode(out, (size_t)n, enc, need + 1) == (int)need);
    char *canon = fuzz_canonical(in, len);
    FUZZ_CHECK(strcmp(enc, canon) == 0);

    uint8_t *exact = malloc(n > 0 ? (size_t)n : 1);
    FUZZ_CHECK(exact != NULL);
    FUZZ_CHECK(b32_decode(in, len, exact, (size_t)n) == n);
    FUZZ_CHECK(memcmp(exact, out, (size_t)n) == 0);
    if (n > 0)
        FUZZ_CHECK(b32_decode(in, len, exact, (size_t)n - 1) == -1);

    free(exact);
    free(canon);
    free(enc);
    free(out);
}

/* Bytes -> text -> bytes, unpadded, padded to a multiple of 8, lower case. */
static void fuzz_encode_bytes(const uint8_t *data, size_t size)
{
    size_t need = B32_ENCODED_LEN(size), padded = (need + 7) / 8 * 8;
    char *enc = malloc(padded + 1);
    uint8_t *back = malloc(size ? size : 1);
    FUZZ_CHECK(enc != NULL && back != NULL);
    /* One byte short of room for the NUL: refused, and an empty string. */
    FUZZ_CHECK(b32_encode(data, size, enc, need) == -1 && (need == 0 || enc[0] == '\0'));
    FUZZ_CHECK(b32_encode(data, size, enc, need + 1) == (int)need);
    FUZZ_CHECK(strlen(enc) == need);
    FUZZ_CHECK(b32_decode(enc, need, back, size) == (int)size);
    FUZZ_CHECK(size == 0 || memcmp(back, data, size) == 0);

    memset(enc + need, '=', padded - need);
    enc[padded] = '\0';
    for (size_t i = 0; i < need; i++)
        enc[i] = (char)tolower((unsigned char)enc[i]);
    FUZZ_CHECK(b32_decode(enc, padded, back, size) == (int)size);
    FUZZ_CHECK(size == 0 || memcmp(back, data, size) == 0);
    free(back);
    free(enc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* An exact copy: the decoder gets a length, never a NUL to stop at. */
    char *text = malloc(size ? size : 1);
    FUZZ_CHECK(text != NULL);
    if (size > 0)
        memcpy(text, data, size);
    fuzz_decode_text(text, size);
    free(text);
    fuzz_encode_bytes(data, size);
    return 0;
}
