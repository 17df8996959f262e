/*
 * test_b64url.c - unit tests for crypto/b64url.c: the RFC 4648 section 10
 * vectors in the url-safe alphabet without padding, both ways; the two
 * characters that differ from base64 (- and _); the strict decoder (padding,
 * foreign characters, lengths of 1 mod 4, stray bits: one spelling per byte
 * string); and the capacity rules of both directions.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "crypto/b64url.h"

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

static const char ALPHABET[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* RFC 4648 section 10, the base64 column without its padding (the same
 * text in base64url: none of these use the characters 62 and 63). */
static const struct {
    const char *plain;
    const char *encoded;
} rfc4648_vectors[] = {
    {"", ""},           {"f", "Zg"},          {"fo", "Zm8"},          {"foo", "Zm9v"},
    {"foob", "Zm9vYg"}, {"fooba", "Zm9vYmE"}, {"foobar", "Zm9vYmFy"},
};

/* Bytes whose base64 needs + and /: base64url spells them - and _. */
static const struct {
    uint8_t bytes[6];
    size_t len;
    const char *encoded;
} urlsafe_vectors[] = {
    {{0xfb, 0xff}, 2, "-_8"},                       /* base64 "+/8=" */
    {{0xfb, 0xef, 0xbe}, 3, "----"},                /* base64 "++++" */
    {{0xff, 0xff, 0xff}, 3, "____"},                /* base64 "////" */
    {{0xff}, 1, "_w"},                              /* base64 "/w==" */
    {{0x00, 0x00, 0x00}, 3, "AAAA"},                /* base64 "AAAA" */
    {{0x03, 0xef, 0xff}, 3, "A-__"},                /* base64 "A+//" */
    {{0x14, 0xfb, 0x9c, 0x03, 0xd9}, 5, "FPucA9k"}, /* RFC 4648 section 9 */
};

static void test_len(void **state)
{
    static const size_t want[] = {0, 2, 3, 4, 6, 7, 8, 10, 11, 12};

    (void)state;
    for (size_t n = 0; n < N_ELEMS(want); n++)
        assert_int_equal(b64url_len(n), want[n]);
    assert_int_equal(b64url_len(32), 43); /* an HS256 signature */
    assert_int_equal(b64url_len(20), 27); /* a TOTP secret */
    assert_int_equal(b64url_len(300), 400);
}

static void test_encode_rfc4648(void **state)
{
    char out[16];

    (void)state;
    for (size_t i = 0; i < N_ELEMS(rfc4648_vectors); i++) {
        const char *p = rfc4648_vectors[i].plain;

        memset(out, 'X', sizeof out);
        assert_int_equal(b64url_encode((const uint8_t *)p, strlen(p), out, sizeof out), 0);
        assert_string_equal(out, rfc4648_vectors[i].encoded);
        assert_int_equal(strlen(out), b64url_len(strlen(p)));
    }
}

static void test_decode_rfc4648(void **state)
{
    uint8_t out[16];
    size_t n;

    (void)state;
    for (size_t i = 0; i < N_ELEMS(rfc4648_vectors); i++) {
        const char *e = rfc4648_vectors[i].encoded;
        const char *p = rfc4648_vectors[i].plain;

        n = 999;
        assert_int_equal(b64url_decode(e, strlen(e), out, sizeof out, &n), 0);
        assert_int_equal(n, strlen(p));
        assert_memory_equal(out, p, n);
    }
}

static void test_urlsafe_alphabet(void **state)
{
    char text[16];
    uint8_t bytes[16];
    size_t n;

    (void)state;
    for (size_t i = 0; i < N_ELEMS(urlsafe_vectors); i++) {
        const char *e = urlsafe_vectors[i].encoded;

        assert_int_equal(
            b64url_encode(urlsafe_vectors[i].bytes, urlsafe_vectors[i].len, text, sizeof text), 0);
        assert_string_equal(text, e);
        assert_int_equal(b64url_decode(e, strlen(e), bytes, sizeof bytes, &n), 0);
        assert_int_equal(n, urlsafe_vectors[i].len);
        assert_memory_equal(bytes, urlsafe_vectors[i].bytes, n);
    }
}

/* Every byte value: its index in the alphabet, or -1. */
static void test_value(void **state)
{
    (void)state;
    for (int c = 0; c < 256; c++) {
        const char *at = c ? strchr(ALPHABET, c) : NULL;
        int want = at ? (int)(at - ALPHABET) : -1;

        if (b64url_value((unsigned char)c) != want)
            print_error("b64url_value(0x%02x) = %d, expected %d\n", c,
                        b64url_value((unsigned char)c), want);
        assert_int_equal(b64url_value((unsigned char)c), want);
    }
}

/* Text the strict decoder refuses. */
static const struct {
    const char *text;
    size_t len; /* 0: strlen */
    const char *why;
} invalid[] = {
    {"Zg==", 0, "padding"},
    {"Zg=", 0, "padding"},
    {"Zm8=", 0, "padding"},
    {"=", 0, "padding alone"},
    {"Z", 0, "length 1 mod 4"},
    {"A", 0, "length 1 mod 4, no stray bits"},
    {"AAAAA", 0, "length 1 mod 4, no stray bits"},
    {"Zm9vA", 0, "length 1 mod 4, no stray bits"},
    {"Zm9vY", 0, "length 1 mod 4"},
    {"Zm9vYmFyZ", 0, "length 1 mod 4"},
    {"Zh", 0, "stray bits in the last character"},
    {"Zm9", 0, "stray bits in the last character"},
    {"Zm9vYmF", 0, "stray bits in the last character"},
    {"_x", 0, "stray bits in the last character"},
    {"+/8", 0, "base64's + and /"},
    {"Zm+v", 0, "base64's +"},
    {"Zm/v", 0, "base64's /"},
    {"Zm9 v", 0, "a space"},
    {"Zm9v\n", 0, "a newline"},
    {"Zm.v", 0, "a dot"},
    {"Zm\xc3\xa9v", 0, "a non-ASCII byte"},
    {"Zm\0v", 4, "a NUL inside"},
};

static void test_decode_invalid(void **state)
{
    uint8_t out[16];
    size_t n;

    (void)state;
    for (size_t i = 0; i < N_ELEMS(invalid); i++) {
        size_t len = invalid[i].len ? invalid[i].len : strlen(invalid[i].text);
        int rc = b64url_decode(invalid[i].text, len, out, sizeof out, &n);

        if (rc != -1)
            print_error("decoded \"%s\" (%s)\n", invalid[i].text, invalid[i].why);
        assert_int_equal(rc, -1);
    }
}

/* Only `len` characters are read: a token part is a slice of the token. */
static void test_decode_slice(void **state)
{
    uint8_t out[8];
    size_t n;

    (void)state;
    assert_int_equal(b64url_decode("Zm9v.YmFy", 4, out, sizeof out, &n), 0);
    assert_int_equal(n, 3);
    assert_memory_equal(out, "foo", 3);
    assert_int_equal(b64url_decode("Zm9v.YmFy", 5, out, sizeof out, &n), -1);
    assert_int_equal(b64url_decode("Zm9v", 0, out, sizeof out, &n), 0);
    assert_int_equal(n, 0);
}

/* One spelling per byte string: of all 64^2 two-character and 64^3
 * three-character texts, exactly those the encoder writes are accepted. */
static void test_decode_one_spelling(void **state)
{
    char text[4], again[8];
    uint8_t out[4];
    size_t n, accepted2 = 0, accepted3 = 0;

    (void)state;
    for (int a = 0; a < 64; a++) {
        for (int b = 0; b < 64; b++) {
            text[0] = ALPHABET[a];
            text[1] = ALPHABET[b];
            if (b64url_decode(text, 2, out, sizeof out, &n) == 0) {
                accepted2++;
                assert_int_equal(n, 1);
                assert_int_equal(b64url_encode(out, n, again, sizeof again), 0);
                assert_memory_equal(again, text, 2);
            }
            for (int c = 0; c < 64; c++) {
                text[2] = ALPHABET[c];
                if (b64url_decode(text, 3, out, sizeof out, &n) == 0) {
                    accepted3++;
                    assert_int_equal(n, 2);
                    assert_int_equal(b64url_encode(out, n, again, sizeof again), 0);
                    assert_memory_equal(again, text, 3);
                }
            }
        }
    }
    assert_int_equal(accepted2, 256);
    assert_int_equal(accepted3, 65536);
}

/* Every length 0..100 of varied bytes goes there and back. */
static void test_round_trip(void **state)
{
    uint8_t in[100], back[100];
    char text[200];
    size_t n;

    (void)state;
    for (size_t i = 0; i < sizeof in; i++)
        in[i] = (uint8_t)(i * 97 + 13);
    for (size_t len = 0; len <= sizeof in; len++) {
        assert_int_equal(b64url_encode(in, len, text, sizeof text), 0);
        assert_int_equal(strlen(text), b64url_len(len));
        assert_int_equal(strspn(text, ALPHABET), strlen(text));
        memset(back, 0, sizeof back);
        assert_int_equal(b64url_decode(text, strlen(text), back, len, &n), 0);
        assert_int_equal(n, len);
        assert_memory_equal(back, in, len);
    }
}

/* The encoder needs b64url_len(n) + 1 bytes; with one less it writes nothing. */
static void test_encode_capacity(void **state)
{
    char out[16];

    (void)state;
    for (size_t i = 0; i < N_ELEMS(rfc4648_vectors); i++) {
        const char *p = rfc4648_vectors[i].plain;
        size_t need = b64url_len(strlen(p)) + 1;

        memset(out, 'X', sizeof out);
        assert_int_equal(b64url_encode((const uint8_t *)p, strlen(p), out, need - 1), -1);
        for (size_t k = 0; k < sizeof out; k++)
            assert_int_equal(out[k], 'X');
        assert_int_equal(b64url_encode((const uint8_t *)p, strlen(p), out, need), 0);
        assert_string_equal(out, rfc4648_vectors[i].encoded);
        assert_int_equal(out[need], 'X'); /* nothing past the NUL */
    }
    assert_int_equal(b64url_encode((const uint8_t *)"", 0, out, 0), -1);
}

/* The decoder needs room for the whole result; it checks before writing. */
static void test_decode_capacity(void **state)
{
    uint8_t out[16];
    size_t n;

    (void)state;
    for (size_t i = 0; i < N_ELEMS(rfc4648_vectors); i++) {
        const char *e = rfc4648_vectors[i].encoded;
        size_t want = strlen(rfc4648_vectors[i].plain);

        if (want > 0) {
            memset(out, 0xA5, sizeof out);
            assert_int_equal(b64url_decode(e, strlen(e), out, want - 1, &n), -1);
            for (size_t k = 0; k < sizeof out; k++)
                assert_int_equal(out[k], 0xA5);
        }
        memset(out, 0xA5, sizeof out);
        assert_int_equal(b64url_decode(e, strlen(e), out, want, &n), 0);
        assert_int_equal(n, want);
        assert_int_equal(out[want], 0xA5); /* nothing past the result */
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_len),
        cmocka_unit_test(test_encode_rfc4648),
        cmocka_unit_test(test_decode_rfc4648),
        cmocka_unit_test(test_urlsafe_alphabet),
        cmocka_unit_test(test_value),
        cmocka_unit_test(test_decode_invalid),
        cmocka_unit_test(test_decode_slice),
        cmocka_unit_test(test_decode_one_spelling),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_encode_capacity),
        cmocka_unit_test(test_decode_capacity),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
