/*
 * test_request.c - unit tests for the parsing rules of server/request.c that
 * need no connection: route patterns against paths (exact, case-sensitive,
 * one '*' for one non-empty segment), %-escapes in paths, and the JSON
 * media type of Content-Type.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "server/http.h"

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

static const struct {
    const char *pattern, *path;
    const char *arg; /* the '*' segment on a match, NULL when none or no match */
    bool match;
} path_cases[] = {
    {"/login$", "/login", NULL, true},
    {"/login$", "/Login", NULL, false}, /* case-sensitive, unlike CivetWeb */
    {"/login$", "/login/", NULL, false},
    {"/login$", "/logi", NULL, false},
    {"/login$", "/loginx", NULL, false},
    {"/login$", "", NULL, false},
    {"/products$", "/products", NULL, true},
    {"/products/*$", "/products/42", "42", true},
    {"/products/*$", "/products/", NULL, false}, /* the segment is not empty */
    {"/products/*$", "/products", NULL, false},
    {"/products/*$", "/products/42/", NULL, false},
    {"/products/*$", "/products/42/history", NULL, false},
    {"/products/*$", "/PRODUCTS/42", NULL, false},
    {"/products/*$", "/products/abc", "abc", true}, /* any segment: the route checks it */
    {"/products/*/history$", "/products/7/history", "7", true},
    {"/products/*/history$", "/products/7/History", NULL, false},
    {"/products/*/history$", "/products//history", NULL, false},
    {"/products/*/history$", "/products/7/history/", NULL, false},
    {"/products/*/history$", "/products/7/8/history", NULL, false},
    {"/products/*/history$", "/products/7/historyx", NULL, false},
};

static void test_path_match(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_ELEMS(path_cases); i++) {
        const char *arg = NULL;
        size_t arg_len = 0;
        path_pattern p;
        http_pattern_compile(path_cases[i].pattern, &p);
        bool got =
            http_pattern_match(&p, path_cases[i].path, strlen(path_cases[i].path), &arg, &arg_len);
        if (got != path_cases[i].match)
            fail_msg("%s against %s: got %d, want %d", path_cases[i].path, path_cases[i].pattern,
                     got, path_cases[i].match);
        if (path_cases[i].arg) {
            assert_non_null(arg);
            assert_int_equal(arg_len, strlen(path_cases[i].arg));
            assert_memory_equal(arg, path_cases[i].arg, arg_len);
            /* the segment points into the path, not into a copy */
            assert_true(arg >= path_cases[i].path &&
                        arg + arg_len <= path_cases[i].path + strlen(path_cases[i].path));
        } else if (!got) {
            assert_null(arg);
        }
    }
}

static const struct {
    const char *path;
    bool clean;
} clean_cases[] = {
    {"/products/1", true},     {"", true},
    {"/a%20b", true},          /* an escape of a printable byte: matches no route, not refused */
    {"/a%7e", true},           /* lower-case hex */
    {"/products/1%00", false}, /* NUL must not cut the path short */
    {"/x%0a", false},          /* line feed: would forge log lines */
    {"/x%0D", false},          {"/x%1f", false},
    {"/x%7f", false},                          /* DEL */
    {"/x%7F", false},          {"/x%", false}, /* malformed: no digits */
    {"/x%4", false},                           /* one digit */
    {"/x%g0", false},                          /* not hex */
    {"/x%0g", false},          {"%41%42", true},
    {"/%%41", false},
};

static void test_path_clean(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_ELEMS(clean_cases); i++)
        if (http_path_clean(clean_cases[i].path) != clean_cases[i].clean)
            fail_msg("%s: want %s", clean_cases[i].path,
                     clean_cases[i].clean ? "clean" : "refused");
}

static const struct {
    const char *ct;
    bool json;
} type_cases[] = {
    {"application/json", true},
    {"Application/JSON", true},
    {"application/json; charset=utf-8", true},
    {"application/json;charset=UTF-8", true},
    {"  application/json  ", true},
    {"\tapplication/json ;q=1", true},
    {"application/jsonp", false},
    {"application/json-patch+json", false},
    {"text/json", false},
    {"application/x-www-form-urlencoded", false},
    {"text/plain", false},
    {"", false},
    {"application/", false},
    {"json", false},
};

static void test_is_json_type(void **state)
{
    (void)state;
    assert_false(http_is_json_type(NULL));
    for (size_t i = 0; i < N_ELEMS(type_cases); i++)
        if (http_is_json_type(type_cases[i].ct) != type_cases[i].json)
            fail_msg("'%s': want %s", type_cases[i].ct, type_cases[i].json ? "JSON" : "not JSON");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_path_match),
        cmocka_unit_test(test_path_clean),
        cmocka_unit_test(test_is_json_type),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
