/*
 * test_strbuf.c - common/strbuf.c: appends, growth, printf, integers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/strbuf.h"

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

/* ---- strbuf ---- */

static void test_sb_init_append_reset_free(void **state)
{
    strbuf b;

    (void)state;
    sb_init(&b);
    assert_null(b.data);
    assert_int_equal(b.len, 0);
    assert_int_equal(b.cap, 0);
    assert_false(b.oom);

    sb_append(&b, "abc", 3);
    assert_int_equal(b.len, 3);
    assert_string_equal(b.data, "abc");
    sb_puts(&b, "def");
    assert_int_equal(b.len, 6);
    assert_string_equal(b.data, "abcdef");
    sb_append(&b, "xyz", 1); /* only n bytes */
    assert_int_equal(b.len, 7);
    assert_string_equal(b.data, "abcdefx");
    sb_append(&b, "", 0);
    assert_int_equal(b.len, 7);
    assert_string_equal(b.data, "abcdefx");
    assert_true(b.cap > b.len);
    assert_false(b.oom);

    sb_reset(&b);
    assert_int_equal(b.len, 0);
    assert_non_null(b.data);
    assert_string_equal(b.data, "");
    sb_puts(&b, "again");
    assert_string_equal(b.data, "again");
    assert_int_equal(b.len, 5);

    sb_free(&b);
    assert_null(b.data);
    assert_int_equal(b.len, 0);
    assert_int_equal(b.cap, 0);

    /* Usable again after sb_free; sb_reset on an empty buffer is harmless. */
    sb_reset(&b);
    assert_int_equal(b.len, 0);
    sb_puts(&b, "x");
    assert_string_equal(b.data, "x");
    sb_free(&b);
}

static void test_sb_append_grows(void **state)
{
    strbuf b;

    (void)state;
    sb_init(&b);
    for (int i = 0; i < 1000; i++)
        sb_append(&b, "0123456789", 10);
    assert_false(b.oom);
    assert_int_equal(b.len, 10000);
    assert_int_equal(strlen(b.data), 10000);
    assert_true(b.cap >= b.len + 1);
    for (size_t i = 0; i < 10000; i++)
        if (b.data[i] != (char)('0' + i % 10))
            fail_msg("byte %zu is '%c'", i, b.data[i]);
    sb_free(&b);
}

static void test_sb_printf_short(void **state)
{
    strbuf b;

    (void)state;
    sb_init(&b);
    sb_printf(&b, "%d-%s-%05.1f", 42, "x", 3.14159);
    assert_string_equal(b.data, "42-x-003.1");
    assert_int_equal(b.len, 10);
    sb_printf(&b, "%s", "");
    assert_string_equal(b.data, "42-x-003.1");
    assert_int_equal(b.len, 10);
    sb_printf(&b, "|%u", 7u);
    assert_string_equal(b.data, "42-x-003.1|7");
    assert_int_equal(b.len, 12);
    sb_free(&b);
}

/* Output lengths around the 256-byte stack buffer sb_printf tries first. */
static const size_t printf_lengths[] = {0, 1, 254, 255, 256, 257, 511, 1000, 5000};

static void test_sb_printf_long(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_ELEMS(printf_lengths); i++) {
        size_t n = printf_lengths[i];
        char *arg = malloc(n + 1);
        char *want = malloc(n + 32);
        strbuf b;

        assert_non_null(arg);
        assert_non_null(want);
        for (size_t k = 0; k < n; k++)
            arg[k] = (char)('a' + k % 26);
        arg[n] = '\0';

        sb_init(&b);
        sb_puts(&b, "P:");        /* the formatted text lands after existing content */
        sb_printf(&b, "%s", arg); /* formatted output of exactly n bytes */
        sb_printf(&b, "|%zu", n);
        int wn = snprintf(want, n + 32, "P:%s|%zu", arg, n);
        assert_true(wn > 0 && (size_t)wn < n + 32);

        assert_false(b.oom);
        if (b.len != (size_t)wn || strcmp(b.data, want) != 0)
            fail_msg("length %zu: got %zu bytes", n, b.len);
        assert_int_equal(strlen(b.data), b.len);

        /* And it keeps appending correctly afterwards. */
        sb_puts(&b, "END");
        assert_int_equal(b.len, (size_t)wn + 3);
        assert_string_equal(b.data + wn, "END");

        sb_free(&b);
        free(arg);
        free(want);
    }
}

static void test_sb_int(void **state)
{
    static const struct {
        long long v;
        const char *want;
    } cases[] = {
        {0, "0"},
        {7, "7"},
        {-1, "-1"},
        {2147483647, "2147483647"},
        {9223372036854775807LL, "9223372036854775807"},
        {-9223372036854775807LL - 1, "-9223372036854775808"},
    };
    (void)state;
    for (size_t i = 0; i < N_ELEMS(cases); i++) {
        strbuf b;
        sb_init(&b);
        sb_puts(&b, "x");
        sb_int(&b, cases[i].v);
        assert_false(b.oom);
        assert_string_equal(b.data + 1, cases[i].want);
        sb_free(&b);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sb_init_append_reset_free),
        cmocka_unit_test(test_sb_append_grows),
        cmocka_unit_test(test_sb_printf_short),
        cmocka_unit_test(test_sb_printf_long),
        cmocka_unit_test(test_sb_int),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
