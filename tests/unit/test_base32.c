/*
 * test_base32.c - unit tests for totp/base32.c: the RFC 4648 section 10
 * vectors both ways, padding rules, case, rejected input, capacity limits.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "totp/base32.h"

/* RFC 4648 section 10, base32 column: encoded without and with padding. */
static const struct {
    const char *plain;
    const char *unpadded;
    const char *padded;
} rfc4648_vectors[] = {
    {"", "", ""},
    {"f", "MY", "MY======"},
    {"fo", "MZXQ", "MZXQ===="},
    {"foo", "MZXW6", "MZXW6==="},
    {"foob", "MZXW6YQ", "MZXW6YQ="},
    {"fooba", "MZXW6YTB", "MZXW6YTB"},
    {"foobar", "MZXW6YTBOI", "MZXW6YTBOI======"},
};

#define N_VECTORS (sizeof(rfc4648_vectors) / sizeof(rfc4648_vectors[0]))

static void test_encode_rfc4648(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_VECTORS; i++) {
        const char *plain = rfc4648_vectors[i].plain;
        size_t n = strlen(plain);
        char out[32];
        int r = b32_encode((const uint8_t *)plain, n, out, sizeof(out));

        assert_int_equal(r, (int)strlen(rfc4648_vectors[i].unpadded));
        assert_int_equal(r, (int)B32_ENCODED_LEN(n));
        assert_string_equal(out, rfc4648_vectors[i].unpadded);
    }
}

static void test_decode_rfc4648(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_VECTORS; i++) {
        const char *plain = rfc4648_vectors[i].plain;
        const char *forms[2] = {rfc4648_vectors[i].unpadded, rfc4648_vectors[i].padded};

        for (size_t f = 0; f < 2; f++) {
            uint8_t out[16];
            int r;

            memset(out, 0xaa, sizeof(out));
            r = b32_decode(forms[f], strlen(forms[f]), out, sizeof(out));
            assert_int_equal(r, (int)strlen(plain));
            assert_memory_equal(out, plain, strlen(plain));
            assert_int_equal(out[r], 0xaa); /* nothing written past the result */
        }
    }
}

static void test_decode_lower_case_and_spaces(void **state)
{
    uint8_t out[16];

    (void)state;
    assert_int_equal(b32_decode("mzxw6ytboi", 10, out, sizeof(out)), 6);
    assert_memory_equal(out, "foobar", 6);
    assert_int_equal(b32_decode("MzXw6YtBoI", 10, out, sizeof(out)), 6);
    assert_memory_equal(out, "foobar", 6);
    /* How authenticator apps display a secret: groups of four. */
    assert_int_equal(b32_decode("mzxw 6ytb oi", 12, out, sizeof(out)), 6);
    assert_memory_equal(out, "foobar", 6);
}

static void test_decode_rejects_invalid_characters(void **state)
{
    static const char *const bad[] = {
        "MZXW6YT1", /* '1' is not in the alphabet (it looks like I/L) */
        "MZXW6YT8", /* '8' neither */
        "MZXW6YT0", /* '0' neither (it looks like O) */
        "MZXW6YT!", "MZXW-6YT", "MZXW\n6YT", "MZXW6YTBOI\t",
    };
    uint8_t out[16];

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(b32_decode(bad[i], strlen(bad[i]), out, sizeof(out)), -1);
    /* An embedded NUL inside the given length is not text. */
    assert_int_equal(b32_decode("MZ\0W6YTB", 8, out, sizeof(out)), -1);
}

static void test_decode_rejects_misplaced_padding(void **state)
{
    static const char *const bad[] = {
        "=MY",        /* padding first */
        "M=Y",        /* padding in the middle */
        "MY=A====",   /* data after padding */
        "MZXW6YTB=",  /* padding after a complete quantum */
        "MY=",        /* padding that does not complete the quantum */
        "MY=======",  /* one '=' too many */
        "MZXW6YQ==",  /* one '=' too many */
        "========",   /* nothing but padding */
    };
    uint8_t out[16];

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(b32_decode(bad[i], strlen(bad[i]), out, sizeof(out)), -1);
}

static void test_decode_rejects_non_canonical(void **state)
{
    uint8_t out[16];

    (void)state;
    /* "MZ" carries 'f' plus two trailing bits 01: not what any encoder writes. */
    assert_int_equal(b32_decode("MZ", 2, out, sizeof(out)), -1);
    assert_int_equal(b32_decode("MZXW6YTBOJ", 10, out, sizeof(out)), -1);
    /* 1, 3 or 6 characters in the last quantum cannot hold whole bytes. */
    assert_int_equal(b32_decode("M", 1, out, sizeof(out)), -1);
    assert_int_equal(b32_decode("MZA", 3, out, sizeof(out)), -1);
    assert_int_equal(b32_decode("MZXW6Y", 6, out, sizeof(out)), -1);
    assert_int_equal(b32_decode("MZXW6YTBM", 9, out, sizeof(out)), -1);
}

static void test_capacity_too_small(void **state)
{
    char enc[11];
    uint8_t dec[6];

    (void)state;
    /* "foobar" needs 10 characters plus the NUL. */
    memset(enc, 'x', sizeof(enc));
    assert_int_equal(b32_encode((const uint8_t *)"foobar", 6, enc, 10), -1);
    assert_string_equal(enc, "");
    assert_int_equal(b32_encode((const uint8_t *)"foobar", 6, enc, 11), 10);
    assert_string_equal(enc, "MZXW6YTBOI");
    assert_int_equal(b32_encode((const uint8_t *)"f", 1, enc, 0), -1);

    assert_int_equal(b32_decode("MZXW6YTBOI", 10, dec, 5), -1);
    assert_int_equal(b32_decode("MZXW6YTBOI", 10, dec, 6), 6);
    assert_memory_equal(dec, "foobar", 6);
    assert_int_equal(b32_decode("", 0, NULL, 0), 0);
}

static void test_round_trip_20_bytes(void **state)
{
    uint8_t secret[20], back[20];
    char enc[B32_ENCODED_LEN(sizeof(secret)) + 1];
    uint32_t x = 0x12345678u;

    (void)state;
    /* A fixed xorshift sequence: random-looking, the same on every run. */
    for (size_t i = 0; i < sizeof(secret); i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        secret[i] = (uint8_t)x;
    }
    secret[0] = 0x00;
    secret[19] = 0xff;

    assert_int_equal(b32_encode(secret, sizeof(secret), enc, sizeof(enc)), 32);
    assert_int_equal(strspn(enc, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"), 32);
    assert_int_equal(b32_decode(enc, strlen(enc), back, sizeof(back)), 20);
    assert_memory_equal(back, secret, sizeof(secret));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_encode_rfc4648),
        cmocka_unit_test(test_decode_rfc4648),
        cmocka_unit_test(test_decode_lower_case_and_spaces),
        cmocka_unit_test(test_decode_rejects_invalid_characters),
        cmocka_unit_test(test_decode_rejects_misplaced_padding),
        cmocka_unit_test(test_decode_rejects_non_canonical),
        cmocka_unit_test(test_capacity_too_small),
        cmocka_unit_test(test_round_trip_20_bytes),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
