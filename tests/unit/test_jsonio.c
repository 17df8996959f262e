/*
 * test_jsonio.c - unit tests for server/jsonio.c: the JSON string escaper,
 * strict parsing of request bodies (one object, UTF-8, no NUL, no repeated key, bounded
 * nesting), and the number rules of SPEC 6 (price, integer, DECIMAL output).
 *
 * Bodies are handed to the parser in malloc'd buffers of exactly their length
 * (no terminating NUL), so valgrind reports any read past the body.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <cjson/cJSON.h>

#include "server/jsonio.h"

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

/* A byte string with its length (may hold NUL bytes). */
#define BYTES(s) s, sizeof(s) - 1

/* Input string -> exact JSON text jsonio_str must produce. */
static const struct {
    const char *in;
    const char *out;
} json_str_vectors[] = {
    {"", "\"\""},
    {"plain", "\"plain\""},
    {"Gaming laptop", "\"Gaming laptop\""},
    {"a\"b", "\"a\\\"b\""},
    {"\"", "\"\\\"\""},
    {"a\\b", "\"a\\\\b\""},
    {"\\", "\"\\\\\""},
    {"\\u0000", "\"\\\\u0000\""},
    {"line1\nline2", "\"line1\\nline2\""},
    {"a\tb", "\"a\\tb\""},
    {"a\rb", "\"a\\rb\""},
    {"\x01", "\"\\u0001\""},
    {"x\x01"
     "y",
     "\"x\\u0001y\""},
    {"\x08", "\"\\u0008\""},
    {"\x0c", "\"\\u000c\""},
    {"\x1f", "\"\\u001f\""},
    {"\x1b[31m", "\"\\u001b[31m\""},
    {"\x7f", "\"\x7f\""},
    {"/", "\"/\""},
    {"<script>", "\"<script>\""},
    /* UTF-8 passes through unchanged: é, €, U+1D11E, U+10FFFF. */
    {"h\xc3\xa9llo", "\"h\xc3\xa9llo\""},
    {"\xe2\x82\xac 5", "\"\xe2\x82\xac 5\""},
    {"\xf0\x9d\x84\x9e", "\"\xf0\x9d\x84\x9e\""},
    {"\xf4\x8f\xbf\xbf", "\"\xf4\x8f\xbf\xbf\""},
    {"\"\\\n\t\x01\xc3\xa9", "\"\\\"\\\\\\n\\t\\u0001\xc3\xa9\""},
};

static void test_jsonio_str(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_ELEMS(json_str_vectors); i++) {
        strbuf b;

        sb_init(&b);
        sb_puts(&b, "[");
        jsonio_str(&b, json_str_vectors[i].in);
        sb_puts(&b, "]");
        assert_false(b.oom);
        size_t want = strlen(json_str_vectors[i].out);
        if (b.len != want + 2 || memcmp(b.data + 1, json_str_vectors[i].out, want) != 0)
            fail_msg("vector %zu: got %s want %s", i, b.data + 1, json_str_vectors[i].out);
        assert_string_equal(b.data + b.len - 1, "]");

        /* The output is JSON that reads back as the input. */
        cJSON *arr = cJSON_Parse(b.data);
        if (!arr)
            fail_msg("vector %zu: output %s is not JSON", i, b.data);
        cJSON *s = cJSON_GetArrayItem(arr, 0);
        assert_true(cJSON_IsString(s));
        if (strcmp(s->valuestring, json_str_vectors[i].in) != 0)
            fail_msg("vector %zu: does not read back", i);
        cJSON_Delete(arr);
        sb_free(&b);
    }
}

static void test_jsonio_str_long(void **state)
{
    strbuf b;
    char in[1001];

    (void)state;
    for (size_t k = 0; k < 1000; k++)
        in[k] = (k % 10 == 9) ? '"' : 'x';
    in[1000] = '\0';
    sb_init(&b);
    jsonio_str(&b, in);
    assert_false(b.oom);
    /* 900 x, 100 escaped quotes (2 bytes each), 2 enclosing quotes */
    assert_int_equal(b.len, 900 + 200 + 2);
    assert_memory_equal(b.data, "\"xxxxxxxxx\\\"xxxxxxxxx\\\"", 23);
    assert_string_equal(b.data + b.len - 3, "\\\"\"");
    sb_free(&b);
}

/* jsonio_strn takes exactly n bytes (a NUL among them is escaped), and its
 * worst case (every byte a \u00XX) grows the buffer as needed. */
static void test_jsonio_strn(void **state)
{
    strbuf b;

    (void)state;
    sb_init(&b);
    sb_lit(&b, "[");
    jsonio_strn(&b, "a\0b\"cdef", 4); /* "a", NUL, "b", '"' */
    sb_lit(&b, "]");
    assert_false(b.oom);
    assert_string_equal(b.data, "[\"a\\u0000b\\\"\"]");
    assert_int_equal(b.len, strlen(b.data));

    char ctl[300];
    for (size_t k = 0; k < sizeof ctl; k++)
        ctl[k] = (char)(1 + k % 31); /* all controls: 1..31 */
    sb_reset(&b);
    jsonio_strn(&b, ctl, sizeof ctl);
    assert_false(b.oom);
    size_t two = 0; /* of these, only \n, \r and \t have two-byte escapes */
    for (size_t k = 0; k < sizeof ctl; k++)
        two += ctl[k] == '\n' || ctl[k] == '\r' || ctl[k] == '\t';
    assert_int_equal(b.len, 2 + two * 2 + (sizeof ctl - two) * 6);
    assert_true(b.len < b.cap);
    assert_int_equal(b.data[b.len], '\0');
    cJSON *j = cJSON_ParseWithLength(b.data, b.len);
    assert_non_null(j);
    assert_true(cJSON_IsString(j));
    assert_memory_equal(j->valuestring, ctl, sizeof ctl);
    cJSON_Delete(j);

    sb_reset(&b);
    jsonio_strn(&b, "", 0);
    assert_string_equal(b.data, "\"\"");
    sb_free(&b);
}

/* The escaping a byte at a time, as RFC 8259 asks: the reference for the
 * word-at-a-time scan in jsonio_strn. Returns the length written to out. */
static size_t ref_json_str(const unsigned char *in, size_t n, char *out)
{
    static const char hex[] = "0123456789abcdef";
    size_t o = 0;
    out[o++] = '"';
    for (size_t i = 0; i < n; i++) {
        unsigned char c = in[i];
        if (c == '"' || c == '\\') {
            out[o++] = '\\';
            out[o++] = (char)c;
        } else if (c == '\n' || c == '\r' || c == '\t') {
            out[o++] = '\\';
            out[o++] = c == '\n' ? 'n' : c == '\r' ? 'r' : 't';
        } else if (c < 0x20) {
            memcpy(out + o, "\\u00", 4);
            out[o + 4] = hex[c >> 4];
            out[o + 5] = hex[c & 15];
            o += 6;
        } else {
            out[o++] = (char)c;
        }
    }
    out[o++] = '"';
    return o;
}

static void check_against_ref(strbuf *b, const unsigned char *in, size_t n)
{
    char want[6 * 64 + 2];
    size_t wn = ref_json_str(in, n, want);
    sb_reset(b);
    jsonio_strn(b, (const char *)in, n);
    assert_false(b->oom);
    assert_int_equal(b->len, wn);
    assert_memory_equal(b->data, want, wn);
    assert_int_equal(b->data[b->len], '\0');
}

/* Every byte value at every place of strings 1..24 bytes long (both sides of
 * each 8-byte word boundary), among bytes that need no escape and among
 * neighbours that do; then pseudo-random strings mixing all kinds. The scan
 * reads eight bytes at a time, so this is where an off-by-one would show. */
static void test_jsonio_strn_matches_bytewise(void **state)
{
    strbuf b;
    unsigned char in[64];

    (void)state;
    sb_init(&b);
    for (size_t n = 1; n <= 24; n++)
        for (size_t at = 0; at < n; at++)
            for (unsigned v = 0; v < 256; v++) {
                memset(in, 'a', n);
                in[at] = (unsigned char)v;
                check_against_ref(&b, in, n);
                memset(in, 0xC3, n); /* a UTF-8 lead byte: >= 0x80 needs no escape */
                in[at] = (unsigned char)v;
                check_against_ref(&b, in, n);
                if (at + 1 < n)
                    in[at + 1] = '"';
                check_against_ref(&b, in, n);
            }
    /* the bytes the tests inside a word must tell apart: each side of 0x20,
     * '"' and '\\', and the high half */
    static const unsigned char pick[] = {0x00, 0x01, 0x09, 0x0a, 0x1f, 0x20, 0x21, 0x22,
                                         0x23, 0x5b, 0x5c, 0x5d, 0x7f, 0x80, 0x9f, 0xa0,
                                         0xc3, 0xff, 'a',  'a',  'a',  'a',  'a',  'a'};
    uint32_t x = 12345;
    for (int round = 0; round < 20000; round++) {
        x = x * 1103515245u + 12345u;
        size_t n = (x >> 16) % 64;
        for (size_t k = 0; k < n; k++) {
            x = x * 1103515245u + 12345u;
            in[k] = pick[(x >> 16) % sizeof pick];
        }
        check_against_ref(&b, in, n);
    }
    sb_free(&b);
}

/* ---- jsonio_parse_object ---- */

/* Parse [s, s+n) from an exactly sized heap copy. */
static status parse_exact(const char *s, size_t n, cJSON **out, const char **why)
{
    char *copy = malloc(n ? n : 1);
    assert_non_null(copy);
    memcpy(copy, s, n);
    status st = jsonio_parse_object(copy, n, out, why);
    free(copy);
    return st;
}

static const struct {
    const char *s;
    size_t n;
} valid_bodies[] = {
    {BYTES("{}")},
    {BYTES("{\"a\":1}")},
    {BYTES("{\"name\":\"Laptop\",\"description\":\"Gaming laptop\",\"price\":1200.99,"
           "\"quantity\":10}")},
    {BYTES("  {\"a\":1}  \r\n\t")},
    {BYTES("\n{ \"a\" : 1 , \"b\" : [ 1 , 2 ] }\n")},
    {BYTES("{\"a\":{\"b\":[1,2,{}]},\"c\":null,\"d\":true}")},
    {BYTES("{\"a\":1,\"A\":2}")},
    {BYTES("{\"a\":{\"x\":1},\"b\":{\"x\":1}}")}, /* same key in different objects */
    {BYTES("{\"a\":\"h\xc3\xa9llo \xe2\x82\xac \xf0\x9d\x84\x9e\"}")},
    {BYTES("{\"a\":\"\\u00e9\\ud834\\udd1e\"}")},
    {BYTES("{\"a\":\"\\\\u0000\"}")},     /* escaped backslash, then u0000 */
    {BYTES("{\"a\":\"\\\\\\\\u0000\"}")}, /* two escaped backslashes, then u0000 */
    {BYTES("{\"a\":\"\\u0001\"}")},
    {BYTES("{\"\\\\u0000\":1}")},
};

static void test_parse_valid(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_ELEMS(valid_bodies); i++) {
        cJSON *obj = NULL;
        const char *why = NULL;
        status st = parse_exact(valid_bodies[i].s, valid_bodies[i].n, &obj, &why);
        if (st != ST_OK)
            fail_msg("body %zu refused: %s", i, why ? why : "(no reason)");
        assert_non_null(obj);
        assert_true(cJSON_IsObject(obj));
        cJSON_Delete(obj);
    }
}

static void test_parse_values(void **state)
{
    cJSON *obj = NULL;
    const char *why = NULL;
    const char body[] = "{\"name\":\"Laptop\",\"price\":1200.99,\"quantity\":10,"
                        "\"esc\":\"\\\\u0000\",\"u\":\"\\u00e9\"}";

    (void)state;
    assert_int_equal(parse_exact(body, sizeof body - 1, &obj, &why), ST_OK);
    assert_non_null(obj);
    assert_int_equal(cJSON_GetArraySize(obj), 5);
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(obj, "name")->valuestring, "Laptop");
    assert_true(cJSON_GetObjectItemCaseSensitive(obj, "price")->valuedouble == 1200.99);
    assert_int_equal(cJSON_GetObjectItemCaseSensitive(obj, "quantity")->valueint, 10);
    /* six characters: backslash u 0 0 0 0 */
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(obj, "esc")->valuestring, "\\u0000");
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(obj, "u")->valuestring, "\xc3\xa9");
    cJSON_Delete(obj);
}

/* An invalid body and a word its reason must contain. */
static const struct {
    const char *name;
    const char *s;
    size_t n;
    const char *why_has;
} invalid_bodies[] = {
    {"empty", BYTES(""), "JSON"},
    /* a close before any open (the lint's depth must never go below 0) */
    {"close first", BYTES("]{}"), "JSON"},
    {"closes past the start", BYTES("{\"a\":[{\"b\":2}]}\"b\":{} 1, \"b\": 2}]}{}"), "JSON"},
    {"more closes than opens", BYTES("{\"a\":1}}}{\"b\":[]}"), "JSON"},
    {"65 members",
     BYTES("{\"a\":[0,1,2,3,4,5,6,7,8,9,0,1,2,3,4,5,6,7,8,9,0,1,2,3,4,5,6,7,8,9,0,1,2,3,"
           "4,5,6,7,8,9,0,1,2,3,4,5,6,7,8,9,0,1,2,3,4,5,6,7,8,9,0,1,2,3,4]}"),
     "64 members"},
    {"white space only", BYTES("  \n"), "JSON"},
    {"array", BYTES("[]"), "object"},
    {"array of objects", BYTES("[{\"a\":1}]"), "object"},
    {"string", BYTES("\"str\""), "object"},
    {"number", BYTES("12"), "object"},
    {"null", BYTES("null"), "object"},
    {"true", BYTES("true"), "object"},
    {"unclosed", BYTES("{"), "JSON"},
    {"unclosed string", BYTES("{\"a\":\"x}"), "JSON"},
    {"trailing comma", BYTES("{\"a\":1,}"), "JSON"},
    {"bare key", BYTES("{a:1}"), "JSON"},
    {"single quotes", BYTES("{'a':1}"), "JSON"},
    {"trailing garbage", BYTES("{\"a\":1}x"), "JSON"},
    {"trailing garbage after space", BYTES("{\"a\":1} x"), "JSON"},
    {"two objects", BYTES("{\"a\":1}{}"), "JSON"},
    {"two objects spaced", BYTES("{\"a\":1} {}"), "JSON"},
    {"extra brace", BYTES("{\"a\":1}}"), "JSON"},
    {"trailing comma after object", BYTES("{\"a\":1},"), "JSON"},
    {"raw NUL in string", BYTES("{\"a\":\"x\0y\"}"), "NUL"},
    {"raw NUL after object", BYTES("{\"a\":1}\0"), "NUL"},
    {"raw NUL before object", BYTES("\0{\"a\":1}"), "NUL"},
    {"escaped NUL in value", BYTES("{\"a\":\"\\u0000\"}"), "NUL"},
    {"escaped NUL mid value", BYTES("{\"a\":\"ab\\u0000cd\"}"), "NUL"},
    {"escaped NUL in key", BYTES("{\"\\u0000\":1}"), "NUL"},
    {"escaped backslash then escaped NUL", BYTES("{\"a\":\"\\\\\\u0000\"}"), "NUL"},
    {"truncated UTF-8", BYTES("{\"a\":\"\xc3\"}"), "UTF-8"},
    {"overlong UTF-8", BYTES("{\"a\":\"\xc0\xaf\"}"), "UTF-8"},
    {"surrogate UTF-8", BYTES("{\"a\":\"\xed\xa0\x80\"}"), "UTF-8"},
    {"lone continuation", BYTES("{\"a\":\"\x80\"}"), "UTF-8"},
    {"invalid UTF-8 in key", BYTES("{\"\xff\":1}"), "UTF-8"},
    {"Latin-1 text", BYTES("{\"a\":\"caf\xe9\"}"), "UTF-8"},
    {"duplicate key", BYTES("{\"a\":1,\"a\":2}"), "repeat"},
    {"duplicate key, same value", BYTES("{\"a\":1,\"b\":2,\"a\":1}"), "repeat"},
    {"duplicate key, other type", BYTES("{\"price\":1,\"price\":\"1\"}"), "repeat"},
};

static void test_parse_invalid(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_ELEMS(invalid_bodies); i++) {
        cJSON *obj = (cJSON *)&obj; /* not NULL: the parser must clear it */
        const char *why = NULL;
        status st = parse_exact(invalid_bodies[i].s, invalid_bodies[i].n, &obj, &why);
        if (st != ST_INVALID) {
            if (st == ST_OK)
                cJSON_Delete(obj);
            fail_msg("%s: got status %d, want ST_INVALID", invalid_bodies[i].name, (int)st);
        }
        if (obj != NULL)
            fail_msg("%s: *out not NULL on failure", invalid_bodies[i].name);
        if (why == NULL || why[0] == '\0')
            fail_msg("%s: no reason given", invalid_bodies[i].name);
        if (!strstr(why, invalid_bodies[i].why_has))
            fail_msg("%s: reason \"%s\" does not mention %s", invalid_bodies[i].name, why,
                     invalid_bodies[i].why_has);
    }
}

/* A repeated key is refused in nested objects too (jsonio.h: "repeats a key"). */
/* Escapes RFC 8259 does not allow: cJSON reads "\uZZZZ" as U+0000 and cuts
 * the string there (a fuzz finding: a password "mypassword\uZZZZ..." was
 * stored as "mypassword"). */
static void test_parse_bad_escapes(void **state)
{
    static const struct {
        const char *s;
        size_t n;
        status want;
    } cases[] = {
        {BYTES("{\"p\":\"mypassword\\uZZZZ-the-rest\"}"), ST_INVALID},
        {BYTES("{\"p\":\"Lap\\u00zztop\"}"), ST_INVALID},
        {BYTES("{\"p\":\"a\\u12\"}"), ST_INVALID},
        {BYTES("{\"p\":\"a\\x41\"}"), ST_INVALID},
        {BYTES("{\"p\":\"a\\u0000b\"}"), ST_INVALID},
        {BYTES("{\"p\":\"caf\\u00e9 \\/ \\\" \\\\ \\b\\f\\n\\r\\t\"}"), ST_OK},
        {BYTES("{\"p\":\"\\uD83D\\uDE00\"}"), ST_OK},
    };

    (void)state;
    for (size_t i = 0; i < N_ELEMS(cases); i++) {
        cJSON *obj = NULL;
        const char *why = NULL;
        status st = parse_exact(cases[i].s, cases[i].n, &obj, &why);
        if (st != cases[i].want)
            fail_msg("%.*s: got status %d, want %d", (int)cases[i].n, cases[i].s, (int)st,
                     (int)cases[i].want);
        cJSON_Delete(obj);
    }
}

static void test_parse_nested_duplicate_key(void **state)
{
    static const struct {
        const char *s;
        size_t n;
    } bodies[] = {
        {BYTES("{\"a\":{\"b\":1,\"b\":2}}")},
        {BYTES("{\"a\":[{\"b\":1,\"b\":2}]}")},
    };

    (void)state;
    for (size_t i = 0; i < N_ELEMS(bodies); i++) {
        cJSON *obj = NULL;
        const char *why = NULL;
        status st = parse_exact(bodies[i].s, bodies[i].n, &obj, &why);
        if (st == ST_OK)
            cJSON_Delete(obj);
        if (st != ST_INVALID)
            fail_msg("%.*s: got status %d, want ST_INVALID", (int)bodies[i].n, bodies[i].s,
                     (int)st);
        assert_null(obj);
        assert_non_null(why);
    }
}

#define DEEP 10000

/* prefix, `depth` copies of open, middle, `depth` copies of close, suffix;
 * malloc'd without a NUL (the caller frees), its length in *n. */
static char *nested_body(const char *prefix, const char *open, const char *middle,
                         const char *close, const char *suffix, int depth, size_t *n)
{
    size_t lp = strlen(prefix), lo = strlen(open), lm = strlen(middle), lc = strlen(close),
           ls = strlen(suffix);
    size_t total = lp + (size_t)depth * (lo + lc) + lm + ls;
    char *s = malloc(total);
    char *p = s;

    assert_non_null(s);
    memcpy(p, prefix, lp);
    p += lp;
    for (int i = 0; i < depth; i++, p += lo)
        memcpy(p, open, lo);
    memcpy(p, middle, lm);
    p += lm;
    for (int i = 0; i < depth; i++, p += lc)
        memcpy(p, close, lc);
    memcpy(p, suffix, ls);
    *n = total;
    return s;
}

static const struct {
    const char *prefix, *open, *middle, *close, *suffix;
} nest_shapes[] = {
    {"", "[", "", "]", ""},          /* [[[...]]] */
    {"{\"a\":", "[", "1", "]", "}"}, /* {"a":[[[...1...]]]} */
    {"", "{\"a\":", "1", "}", ""},   /* {"a":{"a":...1...}} */
    {"{\"a\":", "[{\"b\":", "2", "}]", "}"},
};

/* 10,000 levels: refused, no crash (cJSON's nesting limit), nothing leaked. */
static void test_parse_deep_nesting(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_ELEMS(nest_shapes); i++) {
        size_t n;
        char *body = nested_body(nest_shapes[i].prefix, nest_shapes[i].open, nest_shapes[i].middle,
                                 nest_shapes[i].close, nest_shapes[i].suffix, 10000, &n);
        cJSON *obj = NULL;
        const char *why = NULL;
        status st = jsonio_parse_object(body, n, &obj, &why);
        free(body);
        if (st == ST_OK)
            cJSON_Delete(obj);
        if (st != ST_INVALID)
            fail_msg("shape %zu: got status %d, want ST_INVALID", i, (int)st);
        assert_null(obj);
        assert_non_null(why);
        assert_true(why[0] != '\0');
    }
}

/* Ordinary nesting (50 levels) is still fine. */
static void test_parse_moderate_nesting(void **state)
{
    (void)state;
    for (size_t i = 1; i < N_ELEMS(nest_shapes); i++) {
        size_t n;
        char *body = nested_body(nest_shapes[i].prefix, nest_shapes[i].open, nest_shapes[i].middle,
                                 nest_shapes[i].close, nest_shapes[i].suffix, 15,
                                 &n); /* at most 31 levels */
        cJSON *obj = NULL;
        const char *why = NULL;
        status st = jsonio_parse_object(body, n, &obj, &why);
        free(body);
        if (st != ST_OK)
            fail_msg("shape %zu: refused: %s", i, why ? why : "(no reason)");
        cJSON_Delete(obj);
    }
}

/* More than 32 levels is refused before cJSON recurses (a worker thread's
 * stack overflowed at about 900 levels: an abuse-test finding). */
static void test_parse_depth_limit(void **state)
{
    (void)state;
    for (size_t i = 1; i < N_ELEMS(nest_shapes); i++) {
        size_t n;
        char *body = nested_body(nest_shapes[i].prefix, nest_shapes[i].open, nest_shapes[i].middle,
                                 nest_shapes[i].close, nest_shapes[i].suffix, 40, &n);
        cJSON *obj = NULL;
        const char *why = NULL;
        status st = jsonio_parse_object(body, n, &obj, &why);
        free(body);
        assert_int_equal(st, ST_INVALID);
        assert_null(obj);
        assert_non_null(why);
        assert_non_null(strstr(why, "nested"));
    }
}

/* Numbers outside RFC 8259's grammar, which cJSON's strtod accepts. */
static void test_parse_number_grammar(void **state)
{
    static const struct {
        const char *s;
        size_t n;
        status want;
    } cases[] = {
        {BYTES("{\"q\":01}"), ST_INVALID},
        {BYTES("{\"q\":1.}"), ST_INVALID},
        {BYTES("{\"q\":-}"), ST_INVALID},
        {BYTES("{\"q\":.5}"), ST_INVALID},
        {BYTES("{\"q\":1e}"), ST_INVALID},
        {BYTES("{\"q\":-01.5}"), ST_INVALID},
        {BYTES("{\"q\":0}"), ST_OK},
        {BYTES("{\"q\":-0.5}"), ST_OK},
        {BYTES("{\"q\":10.25}"), ST_OK},
        {BYTES("{\"q\":1e400}"), ST_OK}, /* grammatical; jsonio_price refuses it */
        {BYTES("{\"q\":[1,2.5E-3,-7]}"), ST_OK},
        {BYTES("{\"q\":\"01 1. -\"}"), ST_OK}, /* inside a string: text */
    };
    (void)state;
    for (size_t i = 0; i < N_ELEMS(cases); i++) {
        cJSON *obj = NULL;
        const char *why = NULL;
        status st = jsonio_parse_object(cases[i].s, cases[i].n, &obj, &why);
        if (st != cases[i].want)
            fail_msg("%s: got status %d, want %d", cases[i].s, (int)st, (int)cases[i].want);
        cJSON_Delete(obj);
    }
}

/* ---- jsonio_price ---- */

/* jsonio_price on the JSON text `json`; out gets the canonical form. */
static bool price_of(const char *json, char out[16])
{
    cJSON *item = cJSON_Parse(json);
    if (!item)
        fail_msg("test bug: cJSON refused %s", json);
    bool ok = jsonio_price(item, out);
    cJSON_Delete(item);
    return ok;
}

static const struct {
    const char *json;
    const char *text;
} good_prices[] = {
    {"1200.99", "1200.99"},
    {"0", "0.00"},
    {"0.0", "0.00"},
    {"0.00", "0.00"},
    {"0.1", "0.10"},
    {"0.01", "0.01"},
    {"0.07", "0.07"},
    {"1.15", "1.15"},
    {"10", "10.00"},
    {"10.5", "10.50"},
    {"19.99", "19.99"},
    {"1200.9900", "1200.99"},
    {"1234567.89", "1234567.89"},
    {"99999999.98", "99999999.98"},
    {"99999999.99", "99999999.99"},
    {"1e2", "100.00"},
    {"1.5E1", "15.00"},
    {"12345E-2", "123.45"},
};

static void test_price_accepted(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_ELEMS(good_prices); i++) {
        char out[16];
        memset(out, 'Z', sizeof out);
        if (!price_of(good_prices[i].json, out))
            fail_msg("%s refused", good_prices[i].json);
        if (memchr(out, '\0', sizeof out) == NULL || strcmp(out, good_prices[i].text) != 0)
            fail_msg("%s: got \"%.16s\", want \"%s\"", good_prices[i].json, out,
                     good_prices[i].text);
    }
}

static const char *const bad_prices[] = {
    "100000000", "100000000.00", "99999999.991", "99999999.999", "1e9",
    "-0.01",     "-1",           "-99999999.99", "1200.999",     "1200.9900000001",
    "1200.991",  "0.001",        "0.005",        "0.009",        "0.015",
    "1e-3",      "1e400",        "-1e400",       "\"12.5\"",     "\"0\"",
    "true",      "false",        "null",         "[]",           "[1]",
    "{}",
};

static void test_price_rejected(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_ELEMS(bad_prices); i++) {
        char out[16];
        if (price_of(bad_prices[i], out))
            fail_msg("%s accepted as \"%.16s\"", bad_prices[i], out);
    }
    char out[16];
    assert_false(jsonio_price(NULL, out));
}

/* 1e400 overflows to infinity in cJSON; it must not pass as a price. */
static void test_price_infinity(void **state)
{
    char out[16];
    cJSON *item = cJSON_Parse("1e400");

    (void)state;
    assert_non_null(item);
    assert_true(cJSON_IsNumber(item));
    assert_false(jsonio_price(item, out));
    cJSON_Delete(item);

    item = cJSON_CreateNumber(NAN);
    assert_non_null(item);
    assert_false(jsonio_price(item, out));
    cJSON_Delete(item);
}

/* JSON -0 is the price 0: if accepted, its DECIMAL text must be "0.00", not "-0.00". */
static void test_price_negative_zero(void **state)
{
    static const char *const zeros[] = {"-0", "-0.0", "-0.00"};

    (void)state;
    for (size_t i = 0; i < N_ELEMS(zeros); i++) {
        char out[16];
        if (price_of(zeros[i], out) && strcmp(out, "0.00") != 0)
            fail_msg("%s accepted as \"%s\", want \"0.00\" (or refused)", zeros[i], out);
    }
}

/* Every cent text in [from, to] cents is accepted and comes back exactly. */
static void check_cents(long long from, long long to, long long step)
{
    for (long long c = from; c <= to; c += step) {
        char json[32], out[16];
        snprintf(json, sizeof json, "%lld.%02lld", c / 100, c % 100);
        memset(out, 'Z', sizeof out);
        if (!price_of(json, out))
            fail_msg("%s refused", json);
        if (strcmp(out, json) != 0)
            fail_msg("%s came back as \"%s\"", json, out);
    }
}

static void test_price_every_cent(void **state)
{
    (void)state;
    check_cents(0, 1000, 1);                    /* 0.00 .. 10.00 */
    check_cents(100000, 101000, 1);             /* 1000.00 .. 1010.00 */
    check_cents(9999990000LL, 9999999999LL, 1); /* 99999900.00 .. 99999999.99 */
    /* a sweep of the whole range with a step prime to 100 */
    check_cents(0, 9999999999LL, 999983);
}

/* A third decimal that is not zero is always refused (0.000 .. 10.000). */
static void test_price_three_decimals(void **state)
{
    (void)state;
    for (int m = 0; m <= 10000; m++) {
        char json[32], out[16];
        snprintf(json, sizeof json, "%d.%03d", m / 1000, m % 1000);
        bool ok = price_of(json, out);
        if (ok != (m % 10 == 0))
            fail_msg("%s: got %s", json, ok ? "accepted" : "refused");
    }
}

/* ---- jsonio_integer ---- */

static const struct {
    const char *json;
    int64_t min, max;
    bool ok;
    int64_t value;
} integer_vectors[] = {
    {"10", 0, 2147483647, true, 10},
    {"10.0", 0, 2147483647, true, 10},
    {"1e1", 0, 2147483647, true, 10},
    {"0", 0, 2147483647, true, 0},
    {"0.0", 0, 2147483647, true, 0},
    {"2147483647", 0, 2147483647, true, 2147483647},
    {"-5", -10, 10, true, -5},
    {"-10", -10, 10, true, -10},
    {"1.5", 0, 2147483647, false, 0},
    {"10.000001", 0, 2147483647, false, 0},
    {"0.5", 0, 2147483647, false, 0},
    {"-1", 0, 2147483647, false, 0},
    {"-0.5", 0, 2147483647, false, 0},
    {"2147483648", 0, 2147483647, false, 0},
    {"4294967296", 0, 2147483647, false, 0},
    {"11", -10, 10, false, 0},
    {"-11", -10, 10, false, 0},
    {"1e400", 0, 2147483647, false, 0},
    {"-1e400", 0, 2147483647, false, 0},
    {"\"10\"", 0, 2147483647, false, 0},
    {"true", 0, 2147483647, false, 0},
    {"false", 0, 2147483647, false, 0},
    {"null", 0, 2147483647, false, 0},
    {"[10]", 0, 2147483647, false, 0},
};

static void test_integer(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_ELEMS(integer_vectors); i++) {
        cJSON *item = cJSON_Parse(integer_vectors[i].json);
        int64_t v = -777;
        if (!item)
            fail_msg("test bug: cJSON refused %s", integer_vectors[i].json);
        bool ok = jsonio_integer(item, integer_vectors[i].min, integer_vectors[i].max, &v);
        cJSON_Delete(item);
        if (ok != integer_vectors[i].ok)
            fail_msg("%s in [%lld, %lld]: got %s", integer_vectors[i].json,
                     (long long)integer_vectors[i].min, (long long)integer_vectors[i].max,
                     ok ? "accepted" : "refused");
        if (ok && v != integer_vectors[i].value)
            fail_msg("%s: got %lld, want %lld", integer_vectors[i].json, (long long)v,
                     (long long)integer_vectors[i].value);
    }
    int64_t v;
    assert_false(jsonio_integer(NULL, 0, 10, &v));
}

/* ---- jsonio_decimal ---- */

static const struct {
    const char *dec;
    const char *json;
} decimal_vectors[] = {
    {"1200.00", "1200.0"},
    {"1200.50", "1200.5"},
    {"1200.99", "1200.99"},
    {"1200.90", "1200.9"},
    {"1200.09", "1200.09"},
    {"0.00", "0.0"},
    {"0.10", "0.1"},
    {"0.07", "0.07"},
    {"10.20", "10.2"},
    {"100.00", "100.0"},
    {"99999999.99", "99999999.99"},
    {"5", "5"},
    {"100", "100"},
    {"0", "0"},
};

static void test_jsonio_decimal(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_ELEMS(decimal_vectors); i++) {
        strbuf b;
        char want[64];

        sb_init(&b);
        sb_puts(&b, "[");
        jsonio_decimal(&b, decimal_vectors[i].dec);
        sb_puts(&b, "]");
        snprintf(want, sizeof want, "[%s]", decimal_vectors[i].json);
        if (strcmp(b.data, want) != 0)
            fail_msg("%s: got %s, want %s", decimal_vectors[i].dec, b.data, want);
        assert_int_equal(b.len, strlen(want));
        sb_free(&b);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_jsonio_str),
        cmocka_unit_test(test_jsonio_str_long),
        cmocka_unit_test(test_jsonio_strn),
        cmocka_unit_test(test_jsonio_strn_matches_bytewise),
        cmocka_unit_test(test_parse_valid),
        cmocka_unit_test(test_parse_values),
        cmocka_unit_test(test_parse_invalid),
        cmocka_unit_test(test_parse_nested_duplicate_key),
        cmocka_unit_test(test_parse_bad_escapes),
        cmocka_unit_test(test_parse_deep_nesting),
        cmocka_unit_test(test_parse_moderate_nesting),
        cmocka_unit_test(test_parse_depth_limit),
        cmocka_unit_test(test_parse_number_grammar),
        cmocka_unit_test(test_price_accepted),
        cmocka_unit_test(test_price_rejected),
        cmocka_unit_test(test_price_infinity),
        cmocka_unit_test(test_price_negative_zero),
        cmocka_unit_test(test_price_every_cent),
        cmocka_unit_test(test_price_three_decimals),
        cmocka_unit_test(test_integer),
        cmocka_unit_test(test_jsonio_decimal),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
