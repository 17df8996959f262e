/*
 * test_password.c - unit tests for crypto/password.c: bcrypt $2b$ hashes round
 * trip, length and NUL rules, rehash decisions, malformed hashes, and a hash
 * made by Python's bcrypt (what flask-bcrypt stores). Costs are kept at 4
 * except for the one Python hash, which is cost 12.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "crypto/password.h"

#define FAST_COST 4

/*
 * Made once with Debian's python3-bcrypt 3.2.2 (what flask-bcrypt calls):
 *   /usr/bin/python3 -c 'import bcrypt; \
 *       print(bcrypt.hashpw(b"mypassword", bcrypt.gensalt(12)).decode())'
 */
static const char PY_BCRYPT_HASH[] = "$2b$12$JK15wDMw/hDXHnmHG4Xzz.p0NmTiElRHBOV7bprdQX/Kk8E44V0JK";

static void test_round_trip(void **state)
{
    static const char pw[] = "mypassword";
    char hash[PASSWORD_HASH_LEN + 1];

    (void)state;
    assert_int_equal(password_hash(pw, strlen(pw), FAST_COST, hash), ST_OK);
    assert_int_equal(strlen(hash), PASSWORD_HASH_LEN);
    assert_memory_equal(hash, "$2b$04$", 7);
    assert_true(password_verify(pw, strlen(pw), hash));
}

static void test_wrong_password(void **state)
{
    static const char pw[] = "mypassword";
    char hash[PASSWORD_HASH_LEN + 1];

    (void)state;
    assert_int_equal(password_hash(pw, strlen(pw), FAST_COST, hash), ST_OK);
    assert_false(password_verify("mypassword2", 11, hash));
    assert_false(password_verify("Mypassword", 10, hash));
    assert_false(password_verify("mypasswor", 9, hash));
}

/* The same password twice gets two different salts, and both verify. */
static void test_salt_is_random(void **state)
{
    static const char pw[] = "mypassword";
    char a[PASSWORD_HASH_LEN + 1], b[PASSWORD_HASH_LEN + 1];

    (void)state;
    assert_int_equal(password_hash(pw, strlen(pw), FAST_COST, a), ST_OK);
    assert_int_equal(password_hash(pw, strlen(pw), FAST_COST, b), ST_OK);
    assert_string_not_equal(a, b);
    assert_true(password_verify(pw, strlen(pw), a));
    assert_true(password_verify(pw, strlen(pw), b));
}

/* 72 bytes are all used: a change in the 72nd byte is a different password. */
static void test_72_bytes(void **state)
{
    char pw[PASSWORD_MAX_BYTES];
    char hash[PASSWORD_HASH_LEN + 1];

    (void)state;
    memset(pw, 'a', sizeof pw);
    assert_int_equal(password_hash(pw, sizeof pw, FAST_COST, hash), ST_OK);
    assert_true(password_verify(pw, sizeof pw, hash));
    assert_false(password_verify(pw, sizeof pw - 1, hash));
    pw[PASSWORD_MAX_BYTES - 1] = 'b';
    assert_false(password_verify(pw, sizeof pw, hash));
}

static void test_73_bytes_invalid(void **state)
{
    char pw[PASSWORD_MAX_BYTES + 1];
    char hash[PASSWORD_HASH_LEN + 1];
    char ok[PASSWORD_HASH_LEN + 1];

    (void)state;
    memset(pw, 'a', sizeof pw);
    memset(hash, 'X', sizeof hash);
    assert_int_equal(password_hash(pw, sizeof pw, FAST_COST, hash), ST_INVALID);
    assert_string_equal(hash, "");
    /* Never silently cut: 73 bytes do not match the hash of their first 72. */
    assert_int_equal(password_hash(pw, PASSWORD_MAX_BYTES, FAST_COST, ok), ST_OK);
    assert_false(password_verify(pw, sizeof pw, ok));
}

static void test_empty_invalid(void **state)
{
    char hash[PASSWORD_HASH_LEN + 1];

    (void)state;
    assert_int_equal(password_hash("", 0, FAST_COST, hash), ST_INVALID);
    assert_int_equal(password_hash(NULL, 8, FAST_COST, hash), ST_INVALID);
    assert_int_equal(password_hash("password", 8, FAST_COST, NULL), ST_INVALID);
}

static void test_nul_inside_invalid(void **state)
{
    static const char pw[] = "my\0password";
    static const char plain[] = "mypassword";
    char hash[PASSWORD_HASH_LEN + 1];

    (void)state;
    assert_int_equal(password_hash(pw, sizeof pw - 1, FAST_COST, hash), ST_INVALID);
    assert_int_equal(password_hash(plain, sizeof plain, FAST_COST, hash),
                     ST_INVALID); /* trailing NUL */
    /* A NUL-cut password never verifies against the hash of its prefix. */
    assert_int_equal(password_hash("my", 2, FAST_COST, hash), ST_OK);
    assert_false(password_verify(pw, sizeof pw - 1, hash));
    assert_true(password_verify(pw, 2, hash));
}

static void test_cost_range(void **state)
{
    char hash[PASSWORD_HASH_LEN + 1];

    (void)state;
    assert_int_equal(password_hash("password", 8, PASSWORD_COST_MIN - 1, hash), ST_INVALID);
    assert_int_equal(password_hash("password", 8, PASSWORD_COST_MAX + 1, hash), ST_INVALID);
    assert_int_equal(password_hash("password", 8, -1, hash), ST_INVALID);
    assert_int_equal(password_hash("password", 8, 5, hash), ST_OK);
    assert_memory_equal(hash, "$2b$05$", 7);
}

/* UTF-8 and other high bytes are hashed as bytes. */
static void test_utf8_bytes(void **state)
{
    static const char pw[] = "p\xc3\xa4ssw\xc3\xb6rd\xf0\x9f\x94\x92";
    char hash[PASSWORD_HASH_LEN + 1];

    (void)state;
    assert_int_equal(password_hash(pw, sizeof pw - 1, FAST_COST, hash), ST_OK);
    assert_true(password_verify(pw, sizeof pw - 1, hash));
    assert_false(password_verify("passwrd", 7, hash));
}

/* $2a$ and $2y$ hashes of an ASCII password are the $2b$ hash with another tag. */
static void test_verify_2a_2y(void **state)
{
    static const char pw[] = "mypassword";
    char hash[PASSWORD_HASH_LEN + 1];

    (void)state;
    assert_int_equal(password_hash(pw, strlen(pw), FAST_COST, hash), ST_OK);
    hash[2] = 'a';
    assert_true(password_verify(pw, strlen(pw), hash));
    assert_false(password_verify("mypassword2", 11, hash));
    hash[2] = 'y';
    assert_true(password_verify(pw, strlen(pw), hash));
    assert_false(password_verify("mypassword2", 11, hash));
    hash[2] = 'x'; /* the old broken-8-bit variant: not accepted */
    assert_false(password_verify(pw, strlen(pw), hash));
}

static void test_needs_rehash(void **state)
{
    char hash[PASSWORD_HASH_LEN + 1];

    (void)state;
    assert_int_equal(password_hash("password", 8, FAST_COST, hash), ST_OK);
    assert_false(password_needs_rehash(hash, FAST_COST));
    assert_true(password_needs_rehash(hash, 12));
    assert_true(password_needs_rehash(hash, 5));
    hash[2] = 'a';
    assert_true(password_needs_rehash(hash, FAST_COST));
    hash[2] = 'y';
    assert_true(password_needs_rehash(hash, FAST_COST));

    assert_false(password_needs_rehash(PY_BCRYPT_HASH, 12));
    assert_true(password_needs_rehash(PY_BCRYPT_HASH, 10));
    assert_true(password_needs_rehash(PY_BCRYPT_HASH, 2)); /* "12" is not 1 or 2 */
    assert_true(password_needs_rehash(NULL, 12));
    assert_true(password_needs_rehash("", 12));
    assert_true(password_needs_rehash("$2b$", 12));
    assert_true(password_needs_rehash("$2b$1", 12));
    assert_true(password_needs_rehash("$2b$12", 12));
    assert_true(password_needs_rehash("$2b$1x$", 12));
    assert_true(password_needs_rehash("$1$abc", 12));
}

static void test_malformed_hashes(void **state)
{
    static const char pw[] = "mypassword";
    char truncated[PASSWORD_HASH_LEN];
    char extended[PASSWORD_HASH_LEN + 2];
    char bad_char[PASSWORD_HASH_LEN + 1];
    char bad_cost[PASSWORD_HASH_LEN + 1];
    char low_cost[PASSWORD_HASH_LEN + 1];
    char hash[PASSWORD_HASH_LEN + 1];
    size_t n = strlen(pw);

    (void)state;
    assert_false(password_verify(pw, n, NULL));
    assert_false(password_verify(pw, n, ""));
    assert_false(password_verify(pw, n, "$2b$"));
    assert_false(password_verify(pw, n, "$2b$04$"));
    assert_false(password_verify(pw, n, "$1$abc"));
    assert_false(password_verify(pw, n, "*0"));
    assert_false(password_verify(pw, n, "mypassword"));
    assert_false(
        password_verify(pw, n, "$6$saltsalt$0123456789012345678901234567890123456789012345"));

    assert_int_equal(password_hash(pw, n, FAST_COST, hash), ST_OK);
    memcpy(truncated, hash, PASSWORD_HASH_LEN - 1);
    truncated[PASSWORD_HASH_LEN - 1] = '\0';
    assert_false(password_verify(pw, n, truncated));
    memcpy(extended, hash, PASSWORD_HASH_LEN);
    extended[PASSWORD_HASH_LEN] = 'A';
    extended[PASSWORD_HASH_LEN + 1] = '\0';
    assert_false(password_verify(pw, n, extended));
    memcpy(bad_char, hash, sizeof bad_char);
    bad_char[10] = '!'; /* not in bcrypt's base64 alphabet */
    assert_false(password_verify(pw, n, bad_char));
    memcpy(bad_cost, hash, sizeof bad_cost);
    bad_cost[4] = '9';
    bad_cost[5] = '9'; /* cost 99 */
    assert_false(password_verify(pw, n, bad_cost));
    memcpy(low_cost, hash, sizeof low_cost);
    low_cost[5] = '3'; /* cost 3 */
    assert_false(password_verify(pw, n, low_cost));
    /* A one-character change in the hash part does not verify. */
    hash[PASSWORD_HASH_LEN - 2] = hash[PASSWORD_HASH_LEN - 2] == 'A' ? 'B' : 'A';
    assert_false(password_verify(pw, n, hash));
}

static void test_verify_bad_password_args(void **state)
{
    char hash[PASSWORD_HASH_LEN + 1];
    char long_pw[PASSWORD_MAX_BYTES + 1];

    (void)state;
    memset(long_pw, 'a', sizeof long_pw);
    assert_int_equal(password_hash(long_pw, PASSWORD_MAX_BYTES, FAST_COST, hash), ST_OK);
    assert_false(password_verify(NULL, 8, hash));
    assert_false(password_verify("", 0, hash));
    assert_false(password_verify(long_pw, sizeof long_pw, hash));
}

/* Interop with flask-bcrypt: the one cost-12 test. */
static void test_python_bcrypt_hash(void **state)
{
    (void)state;
    assert_true(password_verify("mypassword", 10, PY_BCRYPT_HASH));
    assert_false(password_verify("mypassword2", 11, PY_BCRYPT_HASH));
    assert_false(password_needs_rehash(PY_BCRYPT_HASH, 12));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_wrong_password),
        cmocka_unit_test(test_salt_is_random),
        cmocka_unit_test(test_72_bytes),
        cmocka_unit_test(test_73_bytes_invalid),
        cmocka_unit_test(test_empty_invalid),
        cmocka_unit_test(test_nul_inside_invalid),
        cmocka_unit_test(test_cost_range),
        cmocka_unit_test(test_utf8_bytes),
        cmocka_unit_test(test_verify_2a_2y),
        cmocka_unit_test(test_needs_rehash),
        cmocka_unit_test(test_malformed_hashes),
        cmocka_unit_test(test_verify_bad_password_args),
        cmocka_unit_test(test_python_bcrypt_hash),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
