/*
 * test_random.c - unit tests for crypto/random.c: random_bytes fills exactly
 * what it is asked to, successive calls differ, and random_uuid4 writes
 * canonical RFC 4122 version-4 UUIDs.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "crypto/random.h"
#include "testutil.h"

static void test_bytes_zero_length(void **state)
{
    unsigned char guard = 0xA5;

    (void)state;
    assert_int_equal(random_bytes(&guard, 0), ST_OK);
    assert_int_equal(guard, 0xA5);
    assert_int_equal(random_bytes(NULL, 0), ST_OK);
}

static void test_bytes_null_buffer(void **state)
{
    (void)state;
    assert_int_equal(random_bytes(NULL, 16), ST_INVALID);
}

/* Writes exactly `len` bytes: the guard bytes on both sides stay untouched. */
static void test_bytes_lengths(void **state)
{
    static const size_t lens[] = {1, 2, 15, 16, 17, 32, 64, 1000, 4096};
    unsigned char buf[4096 + 2];
    size_t k;

    (void)state;
    for (k = 0; k < sizeof lens / sizeof lens[0]; k++) {
        size_t len = lens[k];

        memset(buf, 0xA5, sizeof buf);
        assert_int_equal(random_bytes(buf + 1, len), ST_OK);
        assert_int_equal(buf[0], 0xA5);
        assert_int_equal(buf[len + 1], 0xA5);
        if (len >= 16) {
            size_t i, same = 0;

            for (i = 1; i <= len; i++)
                same += buf[i] == 0xA5;
            assert_true(same < len); /* 2^-128 chance of a false failure at 16 */
        }
    }
}

static void test_bytes_differ(void **state)
{
    unsigned char a[32], b[32];

    (void)state;
    assert_int_equal(random_bytes(a, sizeof a), ST_OK);
    assert_int_equal(random_bytes(b, sizeof b), ST_OK);
    assert_memory_not_equal(a, b, sizeof a);
}

static void test_uuid4_format(void **state)
{
    char u[37];
    int i;

    (void)state;
    for (i = 0; i < 1000; i++) {
        memset(u, 'X', sizeof u);
        assert_int_equal(random_uuid4(u), ST_OK);
        assert_true(is_uuid4(u));
    }
}

/* Every variant nibble 8, 9, a, b shows up: the two random bits are not stuck. */
static void test_uuid4_variant_spread(void **state)
{
    int seen[4] = {0, 0, 0, 0};
    char u[37];
    int i;

    (void)state;
    for (i = 0; i < 400; i++) {
        assert_int_equal(random_uuid4(u), ST_OK);
        seen[strchr("89ab", u[19]) - "89ab"] = 1;
    }
    assert_true(seen[0] && seen[1] && seen[2] && seen[3]);
}

static void test_uuid4_differ(void **state)
{
    char a[37], b[37];

    (void)state;
    assert_int_equal(random_uuid4(a), ST_OK);
    assert_int_equal(random_uuid4(b), ST_OK);
    assert_string_not_equal(a, b);
}

static void test_uuid4_null(void **state)
{
    (void)state;
    assert_int_equal(random_uuid4(NULL), ST_INVALID);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bytes_zero_length), cmocka_unit_test(test_bytes_null_buffer),
        cmocka_unit_test(test_bytes_lengths),     cmocka_unit_test(test_bytes_differ),
        cmocka_unit_test(test_uuid4_format),      cmocka_unit_test(test_uuid4_variant_spread),
        cmocka_unit_test(test_uuid4_differ),      cmocka_unit_test(test_uuid4_null),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
