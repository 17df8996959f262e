/*
 * test_reqid.c - server/reqid.c: which client ids are kept, the form of new
 * ones, and that new ones do not repeat (within a thread and across threads).
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "server/reqid.h"

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

static void test_valid(void **state)
{
    (void)state;
    static const char *const ok[] = {
        "a",
        "Z",
        "0",
        ".",
        "_",
        "-",
        "abc.DEF_123-xyz",
        "550e8400-e29b-41d4-a716-446655440000",
        "0123456789012345678901234567890123456789012345678901234567890123", /* 64 */
    };
    for (size_t i = 0; i < N_ELEMS(ok); i++)
        assert_true(reqid_valid(ok[i]));
}

static void test_invalid(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "",
        "a b",
        " a",
        "a ",
        "a\tb",
        "a\r\nX-Evil: 1",
        "a/b",
        "a;b",
        "a,b",
        "a:b",
        "a\"b",
        "a\\b",
        "%41",
        "a+b",
        "a=b",
        "\xc3\xa9",
        "a\x7f",
        "\x01",
        "01234567890123456789012345678901234567890123456789012345678901234", /* 65 */
    };
    for (size_t i = 0; i < N_ELEMS(bad); i++) {
        if (reqid_valid(bad[i]))
            fail_msg("accepted: \"%s\"", bad[i]);
    }
    assert_false(reqid_valid(NULL));
    char longer[1000];
    memset(longer, 'a', sizeof longer - 1);
    longer[sizeof longer - 1] = '\0';
    assert_false(reqid_valid(longer));
}

static void assert_new_form(const char *id)
{
    assert_int_equal(strlen(id), REQID_NEW_LEN);
    for (size_t i = 0; i < REQID_NEW_LEN; i++)
        assert_non_null(strchr("0123456789abcdef", id[i]));
    assert_true(reqid_valid(id));
}

static void test_pick(void **state)
{
    (void)state;
    char out[REQID_MAX + 1];
    reqid_pick("client-id.1", out);
    assert_string_equal(out, "client-id.1");
    char max[REQID_MAX + 1];
    memset(max, 'q', REQID_MAX);
    max[REQID_MAX] = '\0';
    reqid_pick(max, out);
    assert_string_equal(out, max);
    reqid_pick(NULL, out);
    assert_new_form(out);
    reqid_pick("", out);
    assert_new_form(out);
    reqid_pick("bad id", out);
    assert_new_form(out);
    char over[REQID_MAX + 2];
    memset(over, 'q', REQID_MAX + 1);
    over[REQID_MAX + 1] = '\0';
    reqid_pick(over, out);
    assert_new_form(out);
}

static int cmp_ids(const void *a, const void *b)
{
    return memcmp(a, b, REQID_NEW_LEN);
}

#define PER_THREAD 20000
#define THREADS 4

static void *make_ids(void *arg)
{
    char(*ids)[REQID_NEW_LEN + 1] = arg;
    for (size_t i = 0; i < PER_THREAD; i++)
        reqid_new(ids[i]);
    return NULL;
}

/* 80,000 ids from four threads (each seeded on its own): no two alike. */
static void test_new_ids_do_not_repeat(void **state)
{
    (void)state;
    char(*ids)[REQID_NEW_LEN + 1] = calloc(PER_THREAD * THREADS, REQID_NEW_LEN + 1);
    assert_non_null(ids);
    pthread_t t[THREADS];
    for (size_t i = 0; i < THREADS; i++)
        assert_int_equal(pthread_create(&t[i], NULL, make_ids, ids + i * PER_THREAD), 0);
    for (size_t i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    for (size_t i = 0; i < PER_THREAD * THREADS; i += 997)
        assert_new_form(ids[i]);
    qsort(ids, PER_THREAD * THREADS, REQID_NEW_LEN + 1, cmp_ids);
    for (size_t i = 1; i < PER_THREAD * THREADS; i++)
        if (memcmp(ids[i - 1], ids[i], REQID_NEW_LEN) == 0)
            fail_msg("repeated id %s", ids[i]);
    free(ids);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid),
        cmocka_unit_test(test_invalid),
        cmocka_unit_test(test_pick),
        cmocka_unit_test(test_new_ids_do_not_repeat),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
