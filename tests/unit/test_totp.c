/*
 * test_totp.c - unit tests for totp/totp.c: the RFC 6238 Appendix B SHA1
 * vectors, 6-digit truncation, and totp_verify's window, replay and format rules.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "totp/totp.h"

/* RFC 6238 Appendix B: the SHA1 seed is the ASCII string "12345678901234567890". */
static const uint8_t rfc_key[] = "12345678901234567890";
#define RFC_KEYLEN 20

static const struct {
    int64_t t;
    int64_t step;
    int64_t code8;
} rfc6238_sha1[] = {
    {59LL, 0x1LL, 94287082},
    {1111111109LL, 0x23523ECLL, 7081804},
    {1111111111LL, 0x23523EDLL, 14050471},
    {1234567890LL, 0x273EF07LL, 89005924},
    {2000000000LL, 0x3F940AALL, 69279037},
    {20000000000LL, 0x27BC86AALL, 65353130},
};

#define N_VECTORS (sizeof(rfc6238_sha1) / sizeof(rfc6238_sha1[0]))

/* The "now" of the verify tests (an RFC vector time), and its code at step offset d. */
static const time_t t_now = 1111111111;

static void code_at(int64_t d, char out[TOTP_DIGITS + 1])
{
    int64_t c = totp_code(rfc_key, RFC_KEYLEN, totp_step(t_now) + d, TOTP_DIGITS);
    int n;

    assert_true(c >= 0);
    n = snprintf(out, TOTP_DIGITS + 1, "%06lld", (long long)c);
    assert_int_equal(n, TOTP_DIGITS);
}

static void test_step(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_VECTORS; i++)
        assert_int_equal(totp_step((time_t)rfc6238_sha1[i].t), rfc6238_sha1[i].step);
    assert_int_equal(totp_step(0), 0);
    assert_int_equal(totp_step(29), 0);
    assert_int_equal(totp_step(30), 1);
    assert_int_equal(totp_step(-1), -1); /* floor, as RFC 6238 says, not truncation */
    assert_int_equal(totp_step(-30), -1);
    assert_int_equal(totp_step(-31), -2);
}

static void test_rfc6238_sha1_8_digits(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_VECTORS; i++) {
        int64_t step = totp_step((time_t)rfc6238_sha1[i].t);

        assert_int_equal(totp_code(rfc_key, RFC_KEYLEN, step, 8), rfc6238_sha1[i].code8);
    }
}

static void test_rfc6238_sha1_6_digits(void **state)
{
    (void)state;
    /* The same truncated value, modulo 10^6 instead of 10^8: the last six digits. */
    for (size_t i = 0; i < N_VECTORS; i++) {
        int64_t step = totp_step((time_t)rfc6238_sha1[i].t);

        assert_int_equal(totp_code(rfc_key, RFC_KEYLEN, step, TOTP_DIGITS),
                         rfc6238_sha1[i].code8 % 1000000);
    }
    /* 07081804 -> "081804": the caller keeps the leading zero. */
    assert_int_equal(totp_code(rfc_key, RFC_KEYLEN, 0x23523EC, 6), 81804);
}

static void test_code_rejects_bad_digits(void **state)
{
    (void)state;
    assert_int_equal(totp_code(rfc_key, RFC_KEYLEN, 1, 0), -1);
    assert_int_equal(totp_code(rfc_key, RFC_KEYLEN, 1, 10), -1);
}

static void test_verify_accepts_window(void **state)
{
    char code[TOTP_DIGITS + 1];
    int64_t base = totp_step(t_now);

    (void)state;
    for (int64_t d = -1; d <= 1; d++) {
        int64_t matched = -42;

        code_at(d, code);
        assert_true(totp_verify(rfc_key, RFC_KEYLEN, code, t_now, 0, &matched));
        assert_int_equal(matched, base + d);
    }
    /* The RFC vector at T = 1111111111, 6 digits. */
    assert_true(totp_verify(rfc_key, RFC_KEYLEN, "050471", t_now, 0, NULL));
}

static void test_verify_rejects_outside_window(void **state)
{
    char code[TOTP_DIGITS + 1], inside[TOTP_DIGITS + 1];

    (void)state;
    for (int64_t d = -2; d <= 2; d += 4) {
        int64_t matched = -42;

        code_at(d, code);
        /* Guard against a chance collision with a code inside the window. */
        for (int64_t w = -1; w <= 1; w++) {
            code_at(w, inside);
            assert_string_not_equal(code, inside);
        }
        assert_false(totp_verify(rfc_key, RFC_KEYLEN, code, t_now, 0, &matched));
        assert_int_equal(matched, -42);
    }
}

static void test_verify_rejects_replay(void **state)
{
    char code[TOTP_DIGITS + 1];
    int64_t base = totp_step(t_now);
    int64_t matched = -42;

    (void)state;
    /* The current step was already accepted: it and the previous one are refused. */
    code_at(0, code);
    assert_false(totp_verify(rfc_key, RFC_KEYLEN, code, t_now, base, &matched));
    assert_int_equal(matched, -42);
    code_at(-1, code);
    assert_false(totp_verify(rfc_key, RFC_KEYLEN, code, t_now, base, &matched));
    assert_int_equal(matched, -42);
    /* ...but the next step is still new. */
    code_at(1, code);
    assert_true(totp_verify(rfc_key, RFC_KEYLEN, code, t_now, base, &matched));
    assert_int_equal(matched, base + 1);

    /* last_step = previous step: the previous code is a replay, the current one is not. */
    matched = -42;
    code_at(-1, code);
    assert_false(totp_verify(rfc_key, RFC_KEYLEN, code, t_now, base - 1, &matched));
    assert_int_equal(matched, -42);
    code_at(0, code);
    assert_true(totp_verify(rfc_key, RFC_KEYLEN, code, t_now, base - 1, &matched));
    assert_int_equal(matched, base);

    /* A step after the whole window was accepted (clock went back): nothing passes. */
    for (int64_t d = -1; d <= 1; d++) {
        code_at(d, code);
        assert_false(totp_verify(rfc_key, RFC_KEYLEN, code, t_now, base + 1, NULL));
    }
}

static void test_verify_rejects_malformed(void **state)
{
    static const char *const bad[] = {"12345", "1234567", "12a456", "", " 12345", "12345 ",
                                      "+12345", "-12345", "12345\xd9\xa6" /* Arabic-Indic six */};
    char code[TOTP_DIGITS + 1], longer[TOTP_DIGITS + 2];
    int64_t matched = -42;

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_false(totp_verify(rfc_key, RFC_KEYLEN, bad[i], t_now, 0, &matched));
        assert_int_equal(matched, -42);
    }
    assert_false(totp_verify(rfc_key, RFC_KEYLEN, NULL, t_now, 0, &matched));

    /* A right code with a character more or less is still refused. */
    code_at(0, code);
    assert_int_equal(snprintf(longer, sizeof(longer), "%s0", code), TOTP_DIGITS + 1);
    assert_false(totp_verify(rfc_key, RFC_KEYLEN, longer, t_now, 0, &matched));
    code[TOTP_DIGITS - 1] = '\0';
    assert_false(totp_verify(rfc_key, RFC_KEYLEN, code, t_now, 0, &matched));
    assert_int_equal(matched, -42);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_step),
        cmocka_unit_test(test_rfc6238_sha1_8_digits),
        cmocka_unit_test(test_rfc6238_sha1_6_digits),
        cmocka_unit_test(test_code_rejects_bad_digits),
        cmocka_unit_test(test_verify_accepts_window),
        cmocka_unit_test(test_verify_rejects_outside_window),
        cmocka_unit_test(test_verify_rejects_replay),
        cmocka_unit_test(test_verify_rejects_malformed),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
