/*
 * test_recovery.c - unit tests for crypto/recovery.c: generated codes have
 * the shown form and the a-z2-7 alphabet and spread over it, typed codes are
 * read ignoring case and dashes and nothing else, and the keyed hash is
 * HMAC-SHA256 under HMAC-SHA256(secret, label) of "<id>:<code>" (recomputed
 * here with OpenSSL), different per user and per key.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "crypto/recovery.h"
#include "testutil.h"

static const char SECRET[] = "it-test-key:0123456789abcdefghijklmnopqr";

static bool in_alphabet(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '2' && c <= '7');
}

static void test_generate_shape_and_alphabet(void **state)
{
    (void)state;
    unsigned seen[256] = {0};
    for (int k = 0; k < 2000; k++) {
        char code[RECOVERY_SHOWN_LEN + 1];
        memset(code, 'X', sizeof code);
        assert_int_equal(recovery_generate(code), ST_OK);
        assert_int_equal(strlen(code), RECOVERY_SHOWN_LEN);
        for (int i = 0; i < RECOVERY_SHOWN_LEN; i++) {
            if (i == 4 || i == 9) {
                assert_int_equal(code[i], '-');
            } else {
                assert_true(in_alphabet(code[i]));
                seen[(unsigned char)code[i]]++;
            }
        }
        char canon[RECOVERY_CODE_LEN + 1];
        assert_true(recovery_normalize(code, canon));
    }
    /* 24,000 characters over 32 symbols: each about 750 times; every one is
     * drawn, none far off (a bias in the 5-bit groups would show) */
    for (const char *a = "abcdefghijklmnopqrstuvwxyz234567"; *a; a++) {
        assert_true(seen[(unsigned char)*a] > 500);
        assert_true(seen[(unsigned char)*a] < 1000);
    }
}

static void test_generate_differs(void **state)
{
    (void)state;
    char a[RECOVERY_SHOWN_LEN + 1], b[RECOVERY_SHOWN_LEN + 1];
    assert_int_equal(recovery_generate(a), ST_OK);
    assert_int_equal(recovery_generate(b), ST_OK);
    assert_string_not_equal(a, b); /* 2^-60 */
}

static void test_normalize(void **state)
{
    (void)state;
    static const char *const same[] = {"abcd-efgh-2345", "ABCD-EFGH-2345", "abcdefgh2345",
                                       "-aBcD--eFgH-2345-", "abcd-efgh2345"};
    for (size_t i = 0; i < sizeof same / sizeof same[0]; i++) {
        char out[RECOVERY_CODE_LEN + 1];
        memset(out, 'X', sizeof out);
        assert_true(recovery_normalize(same[i], out));
        assert_string_equal(out, "abcdefgh2345");
    }
    static const char *const bad[] = {"",
                                      "abcd-efgh-234",   /* 11 */
                                      "abcd-efgh-23456", /* 13 */
                                      "abcd-efgh-2341",  /* 1 is not base32 */
                                      "abcd-efgh-2348",  /* nor 8 */
                                      "abcd efgh 2345",  /* spaces are not dashes */
                                      "abcd_efgh_2345",
                                      "abcd-efgh-234\xc3\xa9",
                                      "abcdefgh2345abcdefgh2345"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char out[RECOVERY_CODE_LEN + 1];
        assert_false(recovery_normalize(bad[i], out));
    }
    char out[RECOVERY_CODE_LEN + 1];
    assert_false(recovery_normalize(NULL, out));
}

/* The hash recomputed from its definition (recovery.h). */
static void expected_hash(const char *secret, uint64_t id, const char *code, unsigned char *out)
{
    unsigned char key[32];
    unsigned int n = 0;
    assert_non_null(HMAC(EVP_sha256(), secret, (int)strlen(secret),
                         (const unsigned char *)"integrity-api/recovery-codes/v1", 31, key, &n));
    assert_int_equal(n, 32);
    char msg[64];
    int m = snprintf(msg, sizeof msg, "%llu:%s", (unsigned long long)id, code);
    assert_true(m > 0 && (size_t)m < sizeof msg);
    assert_non_null(HMAC(EVP_sha256(), key, 32, (const unsigned char *)msg, (size_t)m, out, &n));
    assert_int_equal(n, 32);
}

static void test_hash_is_keyed_per_user_and_key(void **state)
{
    (void)state;
    const unsigned char *k = (const unsigned char *)SECRET;
    unsigned char h[RECOVERY_HASH_LEN], want[32], other[RECOVERY_HASH_LEN];
    assert_int_equal(recovery_hash(k, strlen(SECRET), 42, "abcdefgh2345", h), ST_OK);
    expected_hash(SECRET, 42, "abcdefgh2345", want);
    assert_memory_equal(h, want, 32);
    /* another user, another key, another code: another hash */
    assert_int_equal(recovery_hash(k, strlen(SECRET), 43, "abcdefgh2345", other), ST_OK);
    assert_memory_not_equal(h, other, 32);
    assert_int_equal(recovery_hash((const unsigned char *)"another key of at least 32 bytes!", 33,
                                   42, "abcdefgh2345", other),
                     ST_OK);
    assert_memory_not_equal(h, other, 32);
    assert_int_equal(recovery_hash(k, strlen(SECRET), 42, "abcdefgh2346", other), ST_OK);
    assert_memory_not_equal(h, other, 32);
    /* only the canonical form is hashed: the caller normalises first */
    assert_int_equal(recovery_hash(k, strlen(SECRET), 42, "ABCDEFGH2345", other), ST_INVALID);
    assert_int_equal(recovery_hash(k, strlen(SECRET), 42, "abcd-efgh-2345", other), ST_INVALID);
    assert_int_equal(recovery_hash(k, 0, 42, "abcdefgh2345", other), ST_INVALID);
    assert_int_equal(recovery_hash(NULL, 5, 42, "abcdefgh2345", other), ST_INVALID);
}

static void test_match(void **state)
{
    (void)state;
    unsigned char set[3 * RECOVERY_HASH_LEN];
    for (size_t i = 0; i < sizeof set; i++)
        set[i] = (unsigned char)(i / RECOVERY_HASH_LEN + 1);
    unsigned char h[RECOVERY_HASH_LEN];
    size_t at = 99;
    memset(h, 2, sizeof h);
    assert_true(recovery_match(h, set, 3, &at));
    assert_int_equal(at, 1);
    h[31] = 9; /* differs in the last byte only */
    assert_false(recovery_match(h, set, 3, &at));
    assert_false(recovery_match(h, set, 0, &at));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_generate_shape_and_alphabet),
        cmocka_unit_test(test_generate_differs),
        cmocka_unit_test(test_normalize),
        cmocka_unit_test(test_hash_is_keyed_per_user_and_key),
        cmocka_unit_test(test_match),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
