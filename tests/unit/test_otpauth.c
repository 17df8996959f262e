/*
 * test_otpauth.c - unit tests for totp/otpauth.c: the exact URI pyotp writes,
 * percent-encoding of issuer and account, and the capacity limit.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "totp/otpauth.h"

static const char expected_uri[] =
    "otpauth://totp/Integrity%20API:Hager666?secret=JBSWY3DPEHPK3PXP&issuer=Integrity%20API";

static void test_pyotp_uri(void **state)
{
    char out[256];

    (void)state;
    assert_int_equal(otpauth_uri("Integrity API", "Hager666", "JBSWY3DPEHPK3PXP", out,
                                 sizeof(out)),
                     (int)strlen(expected_uri));
    assert_string_equal(out, expected_uri);
}

/* What urllib.parse.quote(s, safe='') gives for each input. */
static const struct {
    const char *account;
    const char *quoted;
} quote_cases[] = {
    {"a@b.c", "a%40b.c"},
    {"user_name-1.x~", "user_name-1.x~"},
    {"a b/c:d?e&f=g+h%", "a%20b%2Fc%3Ad%3Fe%26f%3Dg%2Bh%25"},
    {"J\xc3\xbcrgen", "J%C3%BCrgen"}, /* UTF-8 bytes, upper-case hex */
};

static void test_account_quoting(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(quote_cases) / sizeof(quote_cases[0]); i++) {
        char want[256], out[256];
        int n = snprintf(want, sizeof(want), "otpauth://totp/Integrity%%20API:%s?secret=ABC"
                                             "&issuer=Integrity%%20API",
                         quote_cases[i].quoted);

        assert_true(n > 0 && (size_t)n < sizeof(want));
        assert_int_equal(otpauth_uri("Integrity API", quote_cases[i].account, "ABC", out,
                                     sizeof(out)),
                         n);
        assert_string_equal(out, want);
    }
}

static void test_small_capacity(void **state)
{
    size_t need = strlen(expected_uri) + 1;
    char out[256];

    (void)state;
    memset(out, 'x', sizeof(out));
    assert_int_equal(otpauth_uri("Integrity API", "Hager666", "JBSWY3DPEHPK3PXP", out,
                                 need - 1),
                     -1);
    assert_string_equal(out, ""); /* never a truncated URI */
    assert_int_equal(otpauth_uri("Integrity API", "Hager666", "JBSWY3DPEHPK3PXP", out, 10),
                     -1);
    assert_int_equal(otpauth_uri("Integrity API", "Hager666", "JBSWY3DPEHPK3PXP", out, 0),
                     -1);
    assert_int_equal(otpauth_uri("Integrity API", "Hager666", "JBSWY3DPEHPK3PXP", out, need),
                     (int)need - 1);
    assert_string_equal(out, expected_uri);
}

static void test_null_arguments(void **state)
{
    char out[64];

    (void)state;
    assert_int_equal(otpauth_uri(NULL, "a", "ABC", out, sizeof(out)), -1);
    assert_int_equal(otpauth_uri("i", NULL, "ABC", out, sizeof(out)), -1);
    assert_int_equal(otpauth_uri("i", "a", NULL, out, sizeof(out)), -1);
    assert_int_equal(otpauth_uri("i", "a", "ABC", NULL, 64), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pyotp_uri),
        cmocka_unit_test(test_account_quoting),
        cmocka_unit_test(test_small_capacity),
        cmocka_unit_test(test_null_arguments),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
