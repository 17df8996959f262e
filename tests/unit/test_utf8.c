/*
 * test_utf8.c - common/utf8.c: well-formedness and length in code points.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/utf8.h"

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

/* A byte string with its length (may hold NUL bytes). */
#define BYTES(s) s, sizeof(s) - 1

/* ---- UTF-8 ---- */

static const struct {
    const char *name;
    const char *s;
    size_t n;
    bool ok;
} utf8_vectors[] = {
    {"empty", BYTES(""), true},
    {"ascii", BYTES("hello, world"), true},
    {"ascii with NUL", BYTES("a\0b"), true}, /* NUL is valid UTF-8; jsonio refuses it elsewhere */
    {"DEL", BYTES("\x7f"), true},
    {"2-byte U+0080", BYTES("\xc2\x80"), true},
    {"2-byte e-acute", BYTES("\xc3\xa9"), true},
    {"2-byte U+07FF", BYTES("\xdf\xbf"), true},
    {"3-byte U+0800", BYTES("\xe0\xa0\x80"), true},
    {"3-byte euro", BYTES("\xe2\x82\xac"), true},
    {"3-byte U+D7FF", BYTES("\xed\x9f\xbf"), true},
    {"3-byte U+E000", BYTES("\xee\x80\x80"), true},
    {"3-byte U+FFFD", BYTES("\xef\xbf\xbd"), true},
    {"3-byte U+FFFF", BYTES("\xef\xbf\xbf"), true},
    {"4-byte U+10000", BYTES("\xf0\x90\x80\x80"), true},
    {"4-byte G clef", BYTES("\xf0\x9d\x84\x9e"), true},
    {"4-byte U+10FFFF", BYTES("\xf4\x8f\xbf\xbf"), true},
    {"mixed",
     BYTES("a\xc3\xa9"
           "b\xe2\x82\xac"
           "c\xf0\x9d\x84\x9e"
           "d"),
     true},
    {"overlong C0 80", BYTES("\xc0\x80"), false},
    {"overlong C1 BF", BYTES("\xc1\xbf"), false},
    {"overlong C0 AF (/)", BYTES("\xc0\xaf"), false},
    {"overlong E0 80 80", BYTES("\xe0\x80\x80"), false},
    {"overlong E0 9F BF", BYTES("\xe0\x9f\xbf"), false},
    {"overlong F0 80 80 80", BYTES("\xf0\x80\x80\x80"), false},
    {"overlong F0 8F BF BF", BYTES("\xf0\x8f\xbf\xbf"), false},
    {"surrogate ED A0 80", BYTES("\xed\xa0\x80"), false},
    {"surrogate ED AF BF", BYTES("\xed\xaf\xbf"), false},
    {"surrogate ED B0 80", BYTES("\xed\xb0\x80"), false},
    {"surrogate ED BF BF", BYTES("\xed\xbf\xbf"), false},
    {"surrogate pair CESU", BYTES("\xed\xa0\xbd\xed\xb8\x80"), false},
    {"U+110000 F4 90 80 80", BYTES("\xf4\x90\x80\x80"), false},
    {"F5 lead", BYTES("\xf5\x80\x80\x80"), false},
    {"F7 lead", BYTES("\xf7\xbf\xbf\xbf"), false},
    {"F8 lead", BYTES("\xf8\x88\x80\x80\x80"), false},
    {"FE", BYTES("\xfe"), false},
    {"FF", BYTES("\xff"), false},
    {"truncated 2-byte", BYTES("\xc3"), false},
    {"truncated 2-byte after ascii", BYTES("abc\xc3"), false},
    {"truncated 3-byte (1 of 2)", BYTES("\xe2"), false},
    {"truncated 3-byte (2 of 2)", BYTES("\xe2\x82"), false},
    {"truncated 4-byte (3 of 3)", BYTES("\xf0\x9d\x84"), false},
    {"truncated 3-byte then ascii",
     BYTES("\xe2\x82"
           "a"),
     false},
    {"truncated 4-byte then ascii",
     BYTES("\xf0\x9d\x84"
           "a"),
     false},
    {"2-byte lead then lead", BYTES("\xc3\xc3\xa9"), false},
    {"lone continuation 80", BYTES("\x80"), false},
    {"lone continuation BF", BYTES("\xbf"), false},
    {"continuation inside ascii",
     BYTES("a\x80"
           "b"),
     false},
    {"extra continuation", BYTES("\xc3\xa9\x80"), false},
    {"valid then invalid", BYTES("\xe2\x82\xac\xc0\x80"), false},
};

static void test_utf8_valid(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_ELEMS(utf8_vectors); i++) {
        bool got = utf8_valid(utf8_vectors[i].s, utf8_vectors[i].n);
        if (got != utf8_vectors[i].ok)
            fail_msg("%s: got %s, want %s", utf8_vectors[i].name, got ? "valid" : "invalid",
                     utf8_vectors[i].ok ? "valid" : "invalid");
    }
}

/* Only the first n bytes count: a sequence cut by n is invalid. */
static void test_utf8_valid_respects_length(void **state)
{
    (void)state;
    assert_true(utf8_valid("\xc3\xa9", 2));
    assert_false(utf8_valid("\xc3\xa9", 1));
    assert_false(utf8_valid("\xe2\x82\xac", 2));
    assert_false(utf8_valid("\xf0\x9d\x84\x9e", 3));
    assert_true(utf8_valid("ab\xff", 2)); /* the bad byte is past n */
    assert_true(utf8_valid("\xff", 0));
}

static const struct {
    const char *s;
    size_t len;
} utf8_length_vectors[] = {
    {"", 0},
    {"abc", 3},
    {"\xc3\xa9", 1},
    {"h\xc3\xa9llo", 5},
    {"\xe2\x82\xac", 1},
    {"\xf0\x9d\x84\x9e", 1},
    {"a\xe2\x82\xac\xf0\x9d\x84\x9e\xc3\xa9", 4},
    {"\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e", 3},
};

static void test_utf8_length(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_ELEMS(utf8_length_vectors); i++) {
        size_t got = utf8_length(utf8_length_vectors[i].s);
        if (got != utf8_length_vectors[i].len)
            fail_msg("vector %zu: got %zu, want %zu", i, got, utf8_length_vectors[i].len);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_utf8_valid),
        cmocka_unit_test(test_utf8_valid_respects_length),
        cmocka_unit_test(test_utf8_length),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
