/*
 * test_validate.c - unit tests for server/validate.c: the input rules of
 * SPEC 2, 3, 5 and 6 as tables. Request bodies (credentials, 2FA code,
 * product in full and in part) are checked for the exact field -> reason
 * object they give back and for what they store; then the product id of the
 * path, the page query, If-Match, Authorization: Bearer, the Accept
 * preference between JSON and the QR PNG, the Idempotency-Key header and
 * the product fingerprint it is compared by (known answers, framing, and
 * bodies that differ only in their JSON spelling).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <cjson/cJSON.h>

#include "server/validate.h"

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

/* The reasons validate.c gives, word for word (they reach clients in "fields"). */
#define R_REQUIRED "required"
#define R_STRING "must be a string"
#define R_UNKNOWN "unknown field"
#define R_USERNAME "3 to 64 characters from A-Z a-z 0-9 _ . @ -"
#define R_PASSWORD "8 to 72 bytes of UTF-8"
#define R_CODE "must be a string of 6 digits"
#define R_NAME "1 to 255 characters, not only white space"
#define R_DESC "at most 2000 characters"
#define R_PRICE "a number from 0 to 99999999.99 with at most 2 decimal places"
#define R_QTY "an integer from 0 to 2147483647"
#define R_EMPTY "send at least one of name, description, price, quantity"

/* ---- helpers ---- */

static cJSON *parse(const char *text)
{
    cJSON *j = cJSON_Parse(text);

    if (!j)
        fail_msg("test table: not JSON: %s", text);
    return j;
}

/* `unit` repeated n times; the caller frees. */
static char *repeat(const char *unit, size_t n)
{
    size_t u = strlen(unit);
    char *s = malloc(u * n + 1);

    assert_non_null(s);
    for (size_t i = 0; i < n; i++)
        memcpy(s + i * u, unit, u);
    s[u * n] = '\0';
    return s;
}

/* `base` (a JSON object) with `key` set to `unit` repeated n times; the
 * caller frees with cJSON_Delete. */
static cJSON *body_with(const char *base, const char *key, const char *unit, size_t n)
{
    cJSON *b = parse(base);
    char *s = repeat(unit, n);

    cJSON_DeleteItemFromObjectCaseSensitive(b, key);
    assert_non_null(cJSON_AddStringToObject(b, key, s));
    free(s);
    return b;
}

/*
 * `got` (which this frees) must be exactly the field -> reason object `want`
 * (JSON text), or NULL when `want` is NULL. `what` names the case.
 */
static void assert_fields(const char *what, cJSON *got, const char *want)
{
    char *got_text = got ? cJSON_PrintUnformatted(got) : NULL;
    cJSON *w = want ? parse(want) : NULL;
    bool same = want ? got && cJSON_Compare(got, w, true) : got == NULL;

    if (!same)
        print_error("%s: fields %s, expected %s\n", what, got_text ? got_text : "NULL",
                    want ? want : "NULL");
    free(got_text);
    cJSON_Delete(w);
    cJSON_Delete(got);
    assert_true(same);
}

/* ---- credentials (SPEC 3: /signup and /login) ---- */

static const struct {
    const char *body;
    const char *want; /* the fields object, NULL when valid */
} cred_cases[] = {
    {"{\"username\":\"abc\",\"password\":\"12345678\"}", NULL},
    {"{\"username\":\"Hager666\",\"password\":\"mypassword\"}", NULL},
    {"{\"username\":\"A.b_c@d-9\",\"password\":\"12345678\"}", NULL},
    {"{\"password\":\"12345678\",\"username\":\"abc\"}", NULL},
    /* username: charset and length */
    {"{\"username\":\"ab\",\"password\":\"12345678\"}", "{\"username\":\"" R_USERNAME "\"}"},
    {"{\"username\":\"\",\"password\":\"12345678\"}", "{\"username\":\"" R_USERNAME "\"}"},
    {"{\"username\":\"a b c\",\"password\":\"12345678\"}", "{\"username\":\"" R_USERNAME "\"}"},
    {"{\"username\":\"abc!\",\"password\":\"12345678\"}", "{\"username\":\"" R_USERNAME "\"}"},
    {"{\"username\":\"a/bc\",\"password\":\"12345678\"}", "{\"username\":\"" R_USERNAME "\"}"},
    {"{\"username\":\"abc+\",\"password\":\"12345678\"}", "{\"username\":\"" R_USERNAME "\"}"},
    {"{\"username\":\"h\\u00e9llo\",\"password\":\"12345678\"}",
     "{\"username\":\"" R_USERNAME "\"}"},
    {"{\"username\":\"abc\\t\",\"password\":\"12345678\"}", "{\"username\":\"" R_USERNAME "\"}"},
    /* password: 8..72 bytes */
    {"{\"username\":\"abc\",\"password\":\"1234567\"}", "{\"password\":\"" R_PASSWORD "\"}"},
    {"{\"username\":\"abc\",\"password\":\"\"}", "{\"password\":\"" R_PASSWORD "\"}"},
    /* 4 x U+00E9 = 4 characters but 8 bytes: long enough */
    {"{\"username\":\"abc\",\"password\":\"\\u00e9\\u00e9\\u00e9\\u00e9\"}", NULL},
    /* 3 x U+00E9 + 1 = 7 bytes */
    {"{\"username\":\"abc\",\"password\":\"\\u00e9\\u00e9\\u00e9x\"}",
     "{\"password\":\"" R_PASSWORD "\"}"},
    /* wrong types */
    {"{\"username\":123,\"password\":\"12345678\"}", "{\"username\":\"" R_STRING "\"}"},
    {"{\"username\":null,\"password\":\"12345678\"}", "{\"username\":\"" R_STRING "\"}"},
    {"{\"username\":[\"abc\"],\"password\":\"12345678\"}", "{\"username\":\"" R_STRING "\"}"},
    {"{\"username\":\"abc\",\"password\":12345678}", "{\"password\":\"" R_STRING "\"}"},
    {"{\"username\":\"abc\",\"password\":true}", "{\"password\":\"" R_STRING "\"}"},
    {"{\"username\":\"abc\",\"password\":{}}", "{\"password\":\"" R_STRING "\"}"},
    /* missing fields */
    {"{\"password\":\"12345678\"}", "{\"username\":\"" R_REQUIRED "\"}"},
    {"{\"username\":\"abc\"}", "{\"password\":\"" R_REQUIRED "\"}"},
    {"{}", "{\"username\":\"" R_REQUIRED "\",\"password\":\"" R_REQUIRED "\"}"},
    /* names are case-sensitive: "Username" is unknown and "username" missing */
    {"{\"Username\":\"abc\",\"password\":\"12345678\"}",
     "{\"Username\":\"" R_UNKNOWN "\",\"username\":\"" R_REQUIRED "\"}"},
    /* the first unknown field is named, beside the other errors; it alone
     * is enough to refuse the body (SPEC 8) */
    {"{\"username\":\"abc\",\"password\":\"12345678\",\"email\":\"a@b.c\"}",
     "{\"email\":\"" R_UNKNOWN "\"}"},
    {"{\"username\":\"abc\",\"password\":\"12345678\",\"code\":\"123456\",\"x\":null}",
     "{\"code\":\"" R_UNKNOWN "\"}"},
    {"{\"username\":\"ab\",\"password\":1,\"extra\":1}",
     "{\"extra\":\"" R_UNKNOWN "\",\"username\":\"" R_USERNAME "\",\"password\":\"" R_STRING "\"}"},
};

static void test_credentials_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_ELEMS(cred_cases); i++) {
        cJSON *body = parse(cred_cases[i].body);
        credentials c;
        cJSON *fields;

        memset(&c, 0xA5, sizeof c);
        fields = validate_credentials(body, &c);
        if (!cred_cases[i].want) {
            const cJSON *u = cJSON_GetObjectItemCaseSensitive(body, "username");
            const cJSON *p = cJSON_GetObjectItemCaseSensitive(body, "password");

            assert_ptr_equal(c.username, u->valuestring);
            assert_ptr_equal(c.password, p->valuestring);
            assert_int_equal(c.password_len, strlen(p->valuestring));
        } else {
            cJSON *want = parse(cred_cases[i].want);

            /* a field in error is not handed out */
            if (cJSON_GetObjectItemCaseSensitive(want, "username"))
                assert_null(c.username);
            if (cJSON_GetObjectItemCaseSensitive(want, "password")) {
                assert_null(c.password);
                assert_int_equal(c.password_len, 0);
            }
            cJSON_Delete(want);
        }
        assert_fields(cred_cases[i].body, fields, cred_cases[i].want);
        cJSON_Delete(body);
    }
}

/* Lengths at and past the bounds: username 3..64 characters, password
 * 8..72 bytes (U+00E9 is 2 bytes, so 36 of them are 72 bytes). */
static const struct {
    const char *key;
    const char *unit;
    size_t n;
    const char *want;
} cred_lengths[] = {
    {"username", "a", 2, "{\"username\":\"" R_USERNAME "\"}"},
    {"username", "a", 3, NULL},
    {"username", "a", 64, NULL},
    {"username", "a", 65, "{\"username\":\"" R_USERNAME "\"}"},
    {"username", "_", 64, NULL},
    {"password", "p", 7, "{\"password\":\"" R_PASSWORD "\"}"},
    {"password", "p", 8, NULL},
    {"password", "p", 72, NULL},
    {"password", "p", 73, "{\"password\":\"" R_PASSWORD "\"}"},
    {"password", "p", 1000, "{\"password\":\"" R_PASSWORD "\"}"},
    {"password", "\xc3\xa9", 36, NULL},
    {"password", "\xc3\xa9", 37, "{\"password\":\"" R_PASSWORD "\"}"},
    {"password", "\xe2\x82\xac", 24, NULL},                                /* 72 bytes */
    {"password", "\xe2\x82\xac", 25, "{\"password\":\"" R_PASSWORD "\"}"}, /* 75 bytes */
};

static void test_credentials_lengths(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_ELEMS(cred_lengths); i++) {
        cJSON *body = body_with("{\"username\":\"abc\",\"password\":\"12345678\"}",
                                cred_lengths[i].key, cred_lengths[i].unit, cred_lengths[i].n);
        credentials c;
        char what[64];

        snprintf(what, sizeof what, "%s = %zu x '%s'", cred_lengths[i].key, cred_lengths[i].n,
                 cred_lengths[i].unit);
        assert_fields(what, validate_credentials(body, &c), cred_lengths[i].want);
        if (!cred_lengths[i].want)
            assert_int_equal(c.password_len,
                             strlen(cJSON_GetObjectItem(body, "password")->valuestring));
        cJSON_Delete(body);
    }
}

/* ---- code request (SPEC 3: /verify-2fa) ---- */

static const struct {
    const char *body;
    const char *want;
} code_cases[] = {
    {"{\"username\":\"abc\",\"code\":\"123456\"}", NULL},
    {"{\"username\":\"abc\",\"code\":\"000000\"}", NULL},
    {"{\"code\":\"999999\",\"username\":\"abc\"}", NULL},
    {"{\"username\":\"abc\",\"code\":\"12345\"}", "{\"code\":\"" R_CODE "\"}"},
    {"{\"username\":\"abc\",\"code\":\"1234567\"}", "{\"code\":\"" R_CODE "\"}"},
    {"{\"username\":\"abc\",\"code\":\"\"}", "{\"code\":\"" R_CODE "\"}"},
    {"{\"username\":\"abc\",\"code\":\"12345a\"}", "{\"code\":\"" R_CODE "\"}"},
    {"{\"username\":\"abc\",\"code\":\" 12345\"}", "{\"code\":\"" R_CODE "\"}"},
    {"{\"username\":\"abc\",\"code\":\"12345 \"}", "{\"code\":\"" R_CODE "\"}"},
    {"{\"username\":\"abc\",\"code\":\"-12345\"}", "{\"code\":\"" R_CODE "\"}"},
    {"{\"username\":\"abc\",\"code\":\"12 456\"}", "{\"code\":\"" R_CODE "\"}"},
    /* Arabic-Indic digits are digits to Unicode, not to us */
    {"{\"username\":\"abc\",\"code\":\"\\u0661\\u0662\\u0663\\u0664\\u0665\\u0666\"}",
     "{\"code\":\"" R_CODE "\"}"},
    /* a number, even of six digits, is not the string */
    {"{\"username\":\"abc\",\"code\":123456}", "{\"code\":\"" R_CODE "\"}"},
    {"{\"username\":\"abc\",\"code\":null}", "{\"code\":\"" R_CODE "\"}"},
    {"{\"username\":\"abc\",\"code\":[\"123456\"]}", "{\"code\":\"" R_CODE "\"}"},
    {"{\"username\":\"abc\"}", "{\"code\":\"" R_REQUIRED "\"}"},
    {"{\"code\":\"123456\"}", "{\"username\":\"" R_REQUIRED "\"}"},
    {"{}", "{\"username\":\"" R_REQUIRED "\",\"code\":\"" R_REQUIRED "\"}"},
    {"{\"username\":\"a\",\"code\":\"123456\"}", "{\"username\":\"" R_USERNAME "\"}"},
    {"{\"username\":1,\"code\":\"123456\"}", "{\"username\":\"" R_STRING "\"}"},
    {"{\"username\":\"abc\",\"code\":\"123456\",\"password\":\"12345678\"}",
     "{\"password\":\"" R_UNKNOWN "\"}"},
    {"{\"username\":\"abc\",\"code\":\"1\",\"otp\":\"123456\"}",
     "{\"otp\":\"" R_UNKNOWN "\",\"code\":\"" R_CODE "\"}"},
};

static void test_code_request_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_ELEMS(code_cases); i++) {
        cJSON *body = parse(code_cases[i].body);
        code_request r;
        cJSON *fields;

        memset(&r, 0xA5, sizeof r);
        fields = validate_code_request(body, &r);
        if (!code_cases[i].want) {
            assert_ptr_equal(r.username,
                             cJSON_GetObjectItemCaseSensitive(body, "username")->valuestring);
            assert_ptr_equal(r.code, cJSON_GetObjectItemCaseSensitive(body, "code")->valuestring);
        } else if (strstr(code_cases[i].want, "\"code\"")) {
            assert_null(r.code);
        }
        assert_fields(code_cases[i].body, fields, code_cases[i].want);
        cJSON_Delete(body);
    }
}

/* ---- recovery codes and the account bodies (SPEC 9) ---- */

#define R_RECOVERY "must be a recovery code: 12 characters of a-z and 2-7, dashes allowed"
#define R_BOTH "send code or recovery_code, not both"
#define R_PW "8 to 72 bytes of UTF-8"

static const struct {
    const char *body;
    const char *want;      /* fields, NULL when valid */
    const char *canonical; /* the recovery code read, when valid */
} recovery_cases[] = {
    {"{\"username\":\"abc\",\"recovery_code\":\"abcd-efgh-2345\"}", NULL, "abcdefgh2345"},
    {"{\"username\":\"abc\",\"recovery_code\":\"ABCDEFGH2345\"}", NULL, "abcdefgh2345"},
    {"{\"username\":\"abc\",\"recovery_code\":\"-AbCd-EfGh-2345-\"}", NULL, "abcdefgh2345"},
    {"{\"username\":\"abc\",\"recovery_code\":\"abcd-efgh-234\"}",
     "{\"recovery_code\":\"" R_RECOVERY "\"}", NULL},
    {"{\"username\":\"abc\",\"recovery_code\":\"abcd-efgh-2341\"}",
     "{\"recovery_code\":\"" R_RECOVERY "\"}", NULL},
    {"{\"username\":\"abc\",\"recovery_code\":123456}", "{\"recovery_code\":\"" R_RECOVERY "\"}",
     NULL},
    /* dashes count toward the 64 characters read at most */
    {"{\"username\":\"abc\",\"recovery_code\":\"abcd-efgh-2345-------------------------------"
     "----------------------\"}",
     "{\"recovery_code\":\"" R_RECOVERY "\"}", NULL},
    {"{\"username\":\"abc\",\"code\":\"123456\",\"recovery_code\":\"abcd-efgh-2345\"}",
     "{\"recovery_code\":\"" R_BOTH "\"}", NULL},
    /* a recovery code is not a code */
    {"{\"username\":\"abc\",\"code\":\"abcd-efgh-2345\"}", "{\"code\":\"" R_CODE "\"}", NULL},
};

static void test_recovery_code_request_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_ELEMS(recovery_cases); i++) {
        cJSON *body = parse(recovery_cases[i].body);
        code_request r;
        memset(&r, 0xA5, sizeof r);
        cJSON *fields = validate_code_request(body, &r);
        if (recovery_cases[i].canonical) {
            assert_true(r.factor.is_recovery);
            assert_null(r.code);
            assert_string_equal(r.factor.recovery_code, recovery_cases[i].canonical);
        }
        assert_fields(recovery_cases[i].body, fields, recovery_cases[i].want);
        cJSON_Delete(body);
    }
}

static void test_account_bodies(void **state)
{
    (void)state;
    static const struct {
        cJSON *(*check)(const cJSON *, void *);
        const char *body, *want;
    } cases[] = {
        {validate_password_request, "{\"password\":\"12345678\"}", NULL},
        {validate_password_request, "{}", "{\"password\":\"" R_REQUIRED "\"}"},
        {validate_password_request, "{\"password\":\"1234567\"}", "{\"password\":\"" R_PW "\"}"},
        {validate_password_request, "{\"password\":\"12345678\",\"code\":\"123456\"}",
         "{\"code\":\"" R_UNKNOWN "\"}"},
        {validate_password_change, "{\"old_password\":\"12345678\",\"new_password\":\"abcdefgh\"}",
         NULL},
        {validate_password_change, "{\"old_password\":\"12345678\",\"new_password\":\"abc\"}",
         "{\"new_password\":\"" R_PW "\"}"},
        {validate_password_change, "{\"old_password\":\"12345678\"}",
         "{\"new_password\":\"" R_REQUIRED "\"}"},
        {validate_account_delete, "{\"password\":\"12345678\",\"code\":\"123456\"}", NULL},
        {validate_account_delete, "{\"password\":\"12345678\",\"code\":\"ABCD-efgh-2345\"}", NULL},
        {validate_account_delete, "{\"password\":\"12345678\",\"code\":\"12345\"}",
         "{\"code\":\"must be a string of 6 digits or a recovery code\"}"},
        {validate_account_delete, "{\"password\":\"12345678\"}", "{\"code\":\"" R_REQUIRED "\"}"},
        {validate_account_delete,
         "{\"password\":\"12345678\",\"code\":\"123456\",\"recovery_code\":\"x\"}",
         "{\"recovery_code\":\"" R_UNKNOWN "\"}"},
    };
    for (size_t i = 0; i < N_ELEMS(cases); i++) {
        cJSON *body = parse(cases[i].body);
        union {
            password_request p;
            password_change c;
            account_delete d;
        } out;
        assert_fields(cases[i].body, cases[i].check(body, &out), cases[i].want);
        cJSON_Delete(body);
    }
    /* what DELETE /account reads from the code: TOTP or recovery */
    cJSON *body = parse("{\"password\":\"12345678\",\"code\":\"abcd-efgh-2345\"}");
    account_delete d;
    assert_null(validate_account_delete(body, &d));
    assert_true(d.factor.is_recovery);
    assert_string_equal(d.factor.recovery_code, "abcdefgh2345");
    assert_int_equal(d.password_len, 8);
    cJSON_Delete(body);
}

/* ---- product bodies (SPEC 6) ---- */

static const struct {
    const char *body;
    bool partial;
    const char *want;  /* fields, NULL when valid */
    const char *price; /* when valid and a price was sent: its canonical text */
} product_cases[] = {
    /* full (POST): name, price, quantity required; description optional */
    {"{\"name\":\"Laptop\",\"description\":\"Gaming laptop\",\"price\":1200.99,\"quantity\":10}",
     false, NULL, "1200.99"},
    {"{\"name\":\"Laptop\",\"price\":1200.99,\"quantity\":10}", false, NULL, "1200.99"},
    {"{\"name\":\"L\",\"description\":\"\",\"price\":0,\"quantity\":0}", false, NULL, "0.00"},
    {"{\"name\":\" a \",\"price\":1.5,\"quantity\":1}", false, NULL, "1.50"},
    {"{\"name\":\"x\",\"price\":99999999.99,\"quantity\":2147483647}", false, NULL, "99999999.99"},
    {"{\"name\":\"x\",\"price\":-0,\"quantity\":1}", false, NULL, "0.00"},
    {"{\"name\":\"x\",\"price\":1e2,\"quantity\":1e3}", false, NULL, "100.00"},
    {"{\"name\":\"x\",\"price\":0.1,\"quantity\":10.0}", false, NULL, "0.10"},
    {"{}", false,
     "{\"name\":\"" R_REQUIRED "\",\"price\":\"" R_REQUIRED "\",\"quantity\":\"" R_REQUIRED "\"}",
     NULL},
    {"{\"description\":\"d\"}", false,
     "{\"name\":\"" R_REQUIRED "\",\"price\":\"" R_REQUIRED "\",\"quantity\":\"" R_REQUIRED "\"}",
     NULL},
    {"{\"name\":\"x\",\"price\":1}", false, "{\"quantity\":\"" R_REQUIRED "\"}", NULL},
    {"{\"name\":\"x\",\"quantity\":1}", false, "{\"price\":\"" R_REQUIRED "\"}", NULL},
    {"{\"price\":1,\"quantity\":1}", false, "{\"name\":\"" R_REQUIRED "\"}", NULL},
    /* name */
    {"{\"name\":\"\",\"price\":1,\"quantity\":1}", false, "{\"name\":\"" R_NAME "\"}", NULL},
    {"{\"name\":\"   \",\"price\":1,\"quantity\":1}", false, "{\"name\":\"" R_NAME "\"}", NULL},
    {"{\"name\":\" \\t\\n\\r\\f\\u000b\",\"price\":1,\"quantity\":1}", false,
     "{\"name\":\"" R_NAME "\"}", NULL},
    {"{\"name\":42,\"price\":1,\"quantity\":1}", false, "{\"name\":\"" R_STRING "\"}", NULL},
    {"{\"name\":null,\"price\":1,\"quantity\":1}", false, "{\"name\":\"" R_STRING "\"}", NULL},
    /* description */
    {"{\"name\":\"x\",\"description\":7,\"price\":1,\"quantity\":1}", false,
     "{\"description\":\"" R_STRING "\"}", NULL},
    {"{\"name\":\"x\",\"description\":null,\"price\":1,\"quantity\":1}", false,
     "{\"description\":\"" R_STRING "\"}", NULL},
    /* price: a number 0..99999999.99, at most 2 decimals; a string is not one */
    {"{\"name\":\"x\",\"price\":\"12.50\",\"quantity\":1}", false, "{\"price\":\"" R_PRICE "\"}",
     NULL},
    {"{\"name\":\"x\",\"price\":-0.01,\"quantity\":1}", false, "{\"price\":\"" R_PRICE "\"}", NULL},
    {"{\"name\":\"x\",\"price\":100000000,\"quantity\":1}", false, "{\"price\":\"" R_PRICE "\"}",
     NULL},
    {"{\"name\":\"x\",\"price\":99999999.991,\"quantity\":1}", false, "{\"price\":\"" R_PRICE "\"}",
     NULL},
    {"{\"name\":\"x\",\"price\":1.999,\"quantity\":1}", false, "{\"price\":\"" R_PRICE "\"}", NULL},
    {"{\"name\":\"x\",\"price\":1e300,\"quantity\":1}", false, "{\"price\":\"" R_PRICE "\"}", NULL},
    {"{\"name\":\"x\",\"price\":true,\"quantity\":1}", false, "{\"price\":\"" R_PRICE "\"}", NULL},
    {"{\"name\":\"x\",\"price\":null,\"quantity\":1}", false, "{\"price\":\"" R_PRICE "\"}", NULL},
    /* quantity: an integer 0..2147483647; a string is not one */
    {"{\"name\":\"x\",\"price\":1,\"quantity\":\"10\"}", false, "{\"quantity\":\"" R_QTY "\"}",
     NULL},
    {"{\"name\":\"x\",\"price\":1,\"quantity\":-1}", false, "{\"quantity\":\"" R_QTY "\"}", NULL},
    {"{\"name\":\"x\",\"price\":1,\"quantity\":2147483648}", false, "{\"quantity\":\"" R_QTY "\"}",
     NULL},
    {"{\"name\":\"x\",\"price\":1,\"quantity\":1.5}", false, "{\"quantity\":\"" R_QTY "\"}", NULL},
    {"{\"name\":\"x\",\"price\":1,\"quantity\":false}", false, "{\"quantity\":\"" R_QTY "\"}",
     NULL},
    /* every error at once, the unknown field too */
    {"{\"name\":\"\",\"description\":1,\"price\":\"1\",\"quantity\":-1,\"id\":5}", false,
     "{\"id\":\"" R_UNKNOWN "\",\"name\":\"" R_NAME "\",\"description\":\"" R_STRING
     "\",\"price\":\"" R_PRICE "\",\"quantity\":\"" R_QTY "\"}",
     NULL},
    {"{\"name\":\"x\",\"price\":1,\"quantity\":1,\"Price\":2}", false,
     "{\"Price\":\"" R_UNKNOWN "\"}", NULL},

    /* partial (PUT/PATCH): any one field, never none */
    {"{}", true, "{\"body\":\"" R_EMPTY "\"}", NULL},
    {"{\"quantity\":0}", true, NULL, NULL},
    {"{\"price\":5}", true, NULL, "5.00"},
    {"{\"name\":\"n\"}", true, NULL, NULL},
    {"{\"description\":\"\"}", true, NULL, NULL},
    {"{\"name\":\"n\",\"description\":\"d\",\"price\":0.5,\"quantity\":3}", true, NULL, "0.50"},
    {"{\"name\":\"  \"}", true, "{\"name\":\"" R_NAME "\"}", NULL},
    {"{\"name\":null}", true, "{\"name\":\"" R_STRING "\"}", NULL},
    {"{\"price\":\"5\"}", true, "{\"price\":\"" R_PRICE "\"}", NULL},
    {"{\"price\":0.001}", true, "{\"price\":\"" R_PRICE "\"}", NULL},
    {"{\"quantity\":\"3\"}", true, "{\"quantity\":\"" R_QTY "\"}", NULL},
    {"{\"quantity\":3,\"description\":[]}", true, "{\"description\":\"" R_STRING "\"}", NULL},
    /* an unknown field alone is that error, not "send at least one" */
    {"{\"colour\":\"red\"}", true, "{\"colour\":\"" R_UNKNOWN "\"}", NULL},
    {"{\"quantity\":1,\"version\":2}", true, "{\"version\":\"" R_UNKNOWN "\"}", NULL},
};

static void test_product_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_ELEMS(product_cases); i++) {
        cJSON *body = parse(product_cases[i].body);
        product_input in;
        char what[160];
        cJSON *fields;

        memset(&in, 0xA5, sizeof in);
        in.partial = product_cases[i].partial;
        fields = validate_product(body, &in);
        const product_fields f = in.f;
        const char *price_buf = in.price;
        snprintf(what, sizeof what, "%s %s", product_cases[i].partial ? "partial" : "full",
                 product_cases[i].body);
        if (!product_cases[i].want) {
            const cJSON *name = cJSON_GetObjectItemCaseSensitive(body, "name");
            const cJSON *desc = cJSON_GetObjectItemCaseSensitive(body, "description");
            const cJSON *qty = cJSON_GetObjectItemCaseSensitive(body, "quantity");

            /* what was sent is handed out, what was not stays unset */
            assert_ptr_equal(f.name, name ? name->valuestring : NULL);
            assert_ptr_equal(f.description, desc ? desc->valuestring : NULL);
            if (product_cases[i].price) {
                assert_ptr_equal(f.price, price_buf);
                assert_string_equal(f.price, product_cases[i].price);
            } else {
                assert_null(f.price);
            }
            assert_int_equal(f.has_quantity, qty != NULL);
            if (qty)
                assert_int_equal(f.quantity, (int64_t)qty->valuedouble);
        }
        assert_fields(what, fields, product_cases[i].want);
        cJSON_Delete(body);
    }
}

/* Text lengths count characters, not bytes: U+00E9 is 2 bytes, U+20AC 3. */
static const struct {
    const char *key;
    const char *unit;
    size_t n;
    const char *want;
} product_lengths[] = {
    {"name", "n", 1, NULL},
    {"name", "n", 255, NULL},
    {"name", "n", 256, "{\"name\":\"" R_NAME "\"}"},
    {"name", "\xc3\xa9", 255, NULL},
    {"name", "\xc3\xa9", 256, "{\"name\":\"" R_NAME "\"}"},
    {"name", "\xe2\x82\xac", 255, NULL},
    {"name", " ", 255, "{\"name\":\"" R_NAME "\"}"},
    {"description", "d", 0, NULL},
    {"description", "d", 2000, NULL},
    {"description", "d", 2001, "{\"description\":\"" R_DESC "\"}"},
    {"description", "\xc3\xa9", 2000, NULL},
    {"description", "\xc3\xa9", 2001, "{\"description\":\"" R_DESC "\"}"},
    {"description", " ", 2000, NULL}, /* white space alone is fine here */
};

static void test_product_lengths(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_ELEMS(product_lengths); i++) {
        for (int partial = 0; partial <= 1; partial++) {
            cJSON *body =
                body_with("{\"name\":\"x\",\"price\":1,\"quantity\":1}", product_lengths[i].key,
                          product_lengths[i].unit, product_lengths[i].n);
            product_input in = {.partial = partial};
            char what[80];

            snprintf(what, sizeof what, "%s = %zu x '%s' (%s)", product_lengths[i].key,
                     product_lengths[i].n, product_lengths[i].unit, partial ? "partial" : "full");
            assert_fields(what, validate_product(body, &in), product_lengths[i].want);
            cJSON_Delete(body);
        }
    }
}

/* ---- the product id of the path ---- */

static const struct {
    const char *s;
    bool ok;
    uint64_t id;
} id_cases[] = {
    {"1", true, 1},
    {"42", true, 42},
    {"1000000", true, 1000000},
    {"9223372036854775807", true, INT64_MAX},
    {"9223372036854775808", false, 0},
    {"9999999999999999999", false, 0},
    {"18446744073709551616", false, 0},
    {"12345678901234567890", false, 0},
    {"0", false, 0},
    {"00", false, 0},
    {"01", false, 0},
    {"", false, 0},
    {"-1", false, 0},
    {"+1", false, 0},
    {" 1", false, 0},
    {"1 ", false, 0},
    {"1a", false, 0},
    {"0x10", false, 0},
    {"1e3", false, 0},
    {"1.0", false, 0},
};

static void test_id_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_ELEMS(id_cases); i++) {
        uint64_t v = 777;
        bool ok = validate_id(id_cases[i].s, strlen(id_cases[i].s), &v);

        if (ok != id_cases[i].ok)
            print_error("validate_id(\"%s\") = %d\n", id_cases[i].s, ok);
        assert_int_equal(ok, id_cases[i].ok);
        assert_int_equal(v, ok ? id_cases[i].id : 777); /* untouched on failure */
    }
}

/* Only the n bytes given are read: the id is a slice of the path. */
static void test_id_slice(void **state)
{
    uint64_t v = 0;

    (void)state;
    assert_true(validate_id("123/history", 3, &v));
    assert_int_equal(v, 123);
    assert_true(validate_id("5x", 1, &v));
    assert_int_equal(v, 5);
    assert_false(validate_id("123/history", 4, &v));
    assert_false(validate_id("7", 0, &v));
}

/* ---- GET /products?limit=&after_id= ---- */

static const struct {
    const char *q;
    bool ok;
    uint64_t limit, after_id;
    bool paged;
} page_cases[] = {
    {NULL, true, 0, 0, false},
    {"", true, 0, 0, false},
    {"limit=10", true, 10, 0, true},
    {"limit=1", true, 1, 0, true},
    {"limit=1000", true, 1000, 0, true},
    {"after_id=5", true, 1000, 5, true},
    {"after_id=0", true, 1000, 0, true},
    {"limit=5&after_id=7", true, 5, 7, true},
    {"after_id=7&limit=5", true, 5, 7, true},
    {"after_id=9223372036854775807", true, 1000, INT64_MAX, true},
    {"limit=5&", true, 5, 0, true},
    /* other keys are ignored, even without a value; names are case-sensitive */
    {"foo=bar", true, 0, 0, false},
    {"limit", true, 0, 0, false},
    {"Limit=5", true, 0, 0, false},
    {"limits=5", true, 0, 0, false},
    {"x=1&limit=3&y", true, 3, 0, true},
    /* bad values */
    {"limit=0", false, 0, 0, false},
    {"limit=1001", false, 0, 0, false},
    {"limit=", false, 0, 0, false},
    {"limit=abc", false, 0, 0, false},
    {"limit=-1", false, 0, 0, false},
    {"limit=010", false, 0, 0, false},
    {"limit=5&limit=5", false, 0, 0, false},
    {"after_id=", false, 0, 0, false},
    {"after_id=-1", false, 0, 0, false},
    {"after_id=01", false, 0, 0, false},
    {"after_id=00", false, 0, 0, false},
    {"after_id=9223372036854775808", false, 0, 0, false},
    {"after_id=1&after_id=2", false, 0, 0, false},
    {"after_id=0&after_id=0", false, 0, 0, false},
};

static void test_page_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_ELEMS(page_cases); i++) {
        page p;
        bool ok;

        memset(&p, 0xA5, sizeof p);
        ok = validate_page(page_cases[i].q, "after_id", &p);
        if (ok != page_cases[i].ok)
            print_error("validate_page(\"%s\") = %d\n", page_cases[i].q ? page_cases[i].q : "NULL",
                        ok);
        assert_int_equal(ok, page_cases[i].ok);
        if (!ok)
            continue;
        assert_int_equal(p.limit, page_cases[i].limit);
        assert_int_equal(p.after, page_cases[i].after_id);
        assert_int_equal(p.paged, page_cases[i].paged);
    }
}

/* ---- If-Match ---- */

static const struct {
    const char *h;
    uint64_t version;
} if_match_cases[] = {
    {NULL, 0},
    {"*", 0},
    {"  *", 0},
    {"\"5\"", 5},
    /* a weak tag never matches: If-Match compares strongly (RFC 9110) */
    {"W/\"5\"", UINT64_MAX},
    {" \"7\" ", 7},
    {"\"123456\"", 123456},
    {"\"9223372036854775807\"", INT64_MAX},
    /* anything else never matches */
    {"", UINT64_MAX},
    {"5", UINT64_MAX},
    {"W/5", UINT64_MAX},
    {"w/\"5\"", UINT64_MAX},
    {"\"\"", UINT64_MAX},
    {"\"0\"", UINT64_MAX},
    {"\"05\"", UINT64_MAX},
    {"\"-5\"", UINT64_MAX},
    {"\"abc\"", UINT64_MAX},
    {"\"5", UINT64_MAX},
    {"5\"", UINT64_MAX},
    {"\" 5\"", UINT64_MAX},
    {"\"5\", \"6\"", UINT64_MAX},
    {"* ", UINT64_MAX},
    {"**", UINT64_MAX},
    {"\"9223372036854775808\"", UINT64_MAX},
};

static void test_if_match_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_ELEMS(if_match_cases); i++) {
        uint64_t v = validate_if_match(if_match_cases[i].h);

        if (v != if_match_cases[i].version)
            print_error("validate_if_match(%s) = %llu\n",
                        if_match_cases[i].h ? if_match_cases[i].h : "NULL", (unsigned long long)v);
        assert_int_equal(v, if_match_cases[i].version);
    }
}

/* ---- Authorization: Bearer ---- */

static const struct {
    const char *h;
    const char *token; /* NULL: refused */
} bearer_cases[] = {
    {"Bearer abc", "abc"},
    {"Bearer a.b.c", "a.b.c"},
    {"Bearer eyJhbGciOiJIUzI1NiJ9.e30.sig-_", "eyJhbGciOiJIUzI1NiJ9.e30.sig-_"},
    {NULL, NULL},
    {"", NULL},
    {"Bearer", NULL},
    {"Bearer ", NULL},
    {"Bearer  abc", NULL},
    {"Bearer abc ", NULL},
    {"Bearer a b", NULL},
    {"bearer abc", NULL},
    {"BEARER abc", NULL},
    {"Bearerabc", NULL},
    {" Bearer abc", NULL},
    {"Basic YWJjOmRlZg==", NULL},
    {"Token abc", NULL},
};

static void test_bearer_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_ELEMS(bearer_cases); i++) {
        const char *tok = "untouched";
        bool ok = validate_bearer(bearer_cases[i].h, &tok);

        if (ok != (bearer_cases[i].token != NULL))
            print_error("validate_bearer(%s) = %d\n",
                        bearer_cases[i].h ? bearer_cases[i].h : "NULL", ok);
        assert_int_equal(ok, bearer_cases[i].token != NULL);
        if (ok) {
            assert_string_equal(tok, bearer_cases[i].token);
            assert_ptr_equal(tok, bearer_cases[i].h + 7); /* into the header */
        } else {
            assert_string_equal(tok, "untouched");
        }
    }
}

/* ---- Accept: JSON or the QR PNG ---- */

static const struct {
    const char *accept;
    bool json;
} accept_cases[] = {
    {NULL, false},
    {"", false},
    {"application/json", true},
    {"APPLICATION/JSON", true},
    {"application/*", true},
    {"image/png", false},
    {"image/*", false},
    {"*/*", false},
    {"text/html", false},
    {"application/json, image/png", false}, /* a tie goes to the PNG */
    {"image/png, application/json", false},
    {"application/json;q=0.9, image/png;q=0.8", true},
    {"application/json; q=0.5, image/png; q=0.4", true},
    {"application/json;q=0.5, image/png;q=0.5", false},
    {"image/png;q=0.5, application/json", true},
    {"image/png;q=0.9, application/json;q=0.8", false},
    {"application/json;q=0", false},
    {"application/json;q=2", false}, /* an invalid q counts as 0 */
    {"application/json;Q=0.7, image/png;q=0.6", true},
    {"application/json;charset=utf-8", true},
    /* the most specific range wins, whatever the order */
    {"image/*, application/json;q=0.5", false},
    {"application/json, image/*;q=0.1", true},
    {"*/*;q=0.1, application/json", true},
    {"application/json, */*;q=0.1", true},
    {"*/*, image/png;q=0", true},
    {"image/png;q=0, */*", true},
    {"application/*;q=0.2, application/json;q=0.9, image/*;q=0.5", true},
    {"application/json;q=0.1, application/*, image/png;q=0.5", false},
    {"*/*, application/json;q=0", false},
    {"text/*, application/json", true},
};

static void test_prefers_json_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_ELEMS(accept_cases); i++) {
        bool json = validate_prefers_json(accept_cases[i].accept);

        if (json != accept_cases[i].json)
            print_error("validate_prefers_json(%s) = %d\n",
                        accept_cases[i].accept ? accept_cases[i].accept : "NULL", json);
        assert_int_equal(json, accept_cases[i].json);
    }
}

/* ---- Idempotency-Key ---- */

static void test_idempotency_key_table(void **state)
{
    (void)state;
    char k255[256], k256[257], k255_padded[262];
    memset(k255, 'k', 255);
    k255[255] = '\0';
    memset(k256, 'k', 256);
    k256[256] = '\0';
    snprintf(k255_padded, sizeof k255_padded, " \t%s \t ", k255);
    const struct {
        const char *h;
        const char *key; /* NULL: refused */
    } cases[] = {
        {"a", "a"},
        {"9b2c1f0e-5d4a-4c3b-8a7f-6e5d4c3b2a19", "9b2c1f0e-5d4a-4c3b-8a7f-6e5d4c3b2a19"},
        {"~", "~"},     /* 0x7e is printable */
        {"a b", "a b"}, /* and 0x20, inside */
        {"a  b", "a  b"},
        {"!\"#$%&'()*+,-./0189:;<=>?@AZ[\\]^_`az{|}~",
         "!\"#$%&'()*+,-./0189:;<=>?@AZ[\\]^_`az{|}~"},
        {k255, k255},
        /* white space around the value is not part of it (RFC 9110 5.5) */
        {" a", "a"},
        {"a ", "a"},
        {"\t a b \t", "a b"},
        {k255_padded, k255},
        {NULL, NULL},
        {"", NULL},
        {" ", NULL},
        {" \t ", NULL},
        {k256, NULL},
        {"a\tb", NULL},
        {"a\x1f", NULL},
        {"\x01", NULL},
        {"a\x7f", NULL},
        {"caf\xc3\xa9", NULL}, /* UTF-8 is not ASCII */
        {"caf\xe9", NULL},
        {"a\r\nb", NULL},
        {"a\n", NULL},
    };
    for (size_t i = 0; i < N_ELEMS(cases); i++) {
        size_t len = 999;
        const char *key = "untouched";
        bool ok = validate_idempotency_key(cases[i].h, &key, &len);
        if (ok != (cases[i].key != NULL))
            print_error("validate_idempotency_key(case %zu) = %d\n", i, ok);
        assert_int_equal(ok, cases[i].key != NULL);
        if (ok) {
            assert_int_equal(len, strlen(cases[i].key));
            assert_memory_equal(key, cases[i].key, len);
            assert_true(key >= cases[i].h && key + len <= cases[i].h + strlen(cases[i].h));
        } else {
            assert_int_equal(len, 999);
            assert_string_equal(key, "untouched");
        }
    }
}

static void hex(const unsigned char *d, char out[2 * PRODUCTS_IDEM_HASH_LEN + 1])
{
    for (size_t i = 0; i < PRODUCTS_IDEM_HASH_LEN; i++)
        snprintf(out + 2 * i, 3, "%02x", d[i]);
}

/* The digest of fields, as hex. */
static void digest_hex(const char *name, const char *desc, const char *price, int64_t qty,
                       char out[2 * PRODUCTS_IDEM_HASH_LEN + 1])
{
    product_fields f = {
        .name = name, .description = desc, .price = price, .quantity = qty, .has_quantity = true};
    unsigned char d[PRODUCTS_IDEM_HASH_LEN];
    assert_int_equal(validate_product_digest(&f, d), ST_OK);
    hex(d, out);
}

static void test_product_digest_known_answers(void **state)
{
    (void)state;
    char h[2 * PRODUCTS_IDEM_HASH_LEN + 1];
    /* SHA-256 of the label and the fields, each after its length as 8 bytes
     * big-endian (made with Python's hashlib and struct.pack(">Q", n)). */
    digest_hex("Laptop", "Gaming laptop", "1200.99", 10, h);
    assert_string_equal(h, "88be0e6b6b138e4c6671269d98a222dd24c5a424869c02dbea49f17c2058bfbd");
    digest_hex("", "", "0.00", 0, h);
    assert_string_equal(h, "768ef26cd333e1f629bf89f67eaacb6219a7a3b13b972266b0e9ee459b0005a7");
    /* no description is the empty one: the same product */
    digest_hex("", NULL, "0.00", 0, h);
    assert_string_equal(h, "768ef26cd333e1f629bf89f67eaacb6219a7a3b13b972266b0e9ee459b0005a7");
}

static void test_product_digest_framing(void **state)
{
    (void)state;
    /* Field lists whose concatenations are equal, or that swap values
     * between fields: every one is a different request. */
    const struct {
        const char *name, *desc, *price;
        int64_t qty;
    } cases[] = {
        {"ab", "c", "1.00", 1},    {"a", "bc", "1.00", 1},
        {"abc", "", "1.00", 1},    {"c", "ab", "1.00", 1},
        {"a", "b", "c1.00", 1},    {"a", "b", "1.00", 11},
        {"a", "b", "1.001", 1},    {"a", "b1.00", "1", 1},
        {"1.00", "a", "b", 1},     {"a", "", "1.00", 1},
        {"a ", "", "1.00", 1},     {"a", " ", "1.00", 1},
        {"a", "", "10.00", 1},     {"a", "", "1.00", 10},
        {"a", "", "1.10", 0},      {"Laptop", "", "1.00", 2147483647},
        {"Laptop", "", "1.00", 0},
    };
    char h[N_ELEMS(cases)][2 * PRODUCTS_IDEM_HASH_LEN + 1];
    for (size_t i = 0; i < N_ELEMS(cases); i++) {
        digest_hex(cases[i].name, cases[i].desc, cases[i].price, cases[i].qty, h[i]);
        for (size_t j = 0; j < i; j++) {
            if (strcmp(h[i], h[j]) == 0)
                print_error("cases %zu and %zu share a digest\n", j, i);
            assert_string_not_equal(h[i], h[j]);
        }
        char again[2 * PRODUCTS_IDEM_HASH_LEN + 1];
        digest_hex(cases[i].name, cases[i].desc, cases[i].price, cases[i].qty, again);
        assert_string_equal(h[i], again);
    }
}

/* The digest of a whole product body, through validate_product. */
static void body_digest(const char *text, char out[2 * PRODUCTS_IDEM_HASH_LEN + 1])
{
    cJSON *body = parse(text);
    product_input in = {.partial = false};
    cJSON *fields = validate_product(body, &in);
    if (fields)
        print_error("refused: %s\n", text);
    assert_null(fields);
    unsigned char d[PRODUCTS_IDEM_HASH_LEN];
    assert_int_equal(validate_product_digest(&in.f, d), ST_OK);
    hex(d, out);
    cJSON_Delete(body);
}

static void test_product_digest_of_bodies(void **state)
{
    (void)state;
    static const char *const same[] = {
        "{\"name\":\"Laptop\",\"description\":\"\",\"price\":1.5,\"quantity\":2}",
        "{\"name\":\"Laptop\",\"price\":1.5,\"quantity\":2}",
        "{ \"quantity\" : 2 ,\n\t\"price\" : 1.50 , \"name\" : \"Laptop\" }",
        "{\"name\":\"Laptop\",\"price\":15e-1,\"quantity\":2.0}",
        "{\"name\":\"\\u004captop\",\"price\":1.500,\"quantity\":2E0}",
    };
    static const char *const other[] = {
        "{\"name\":\"Laptop \",\"price\":1.5,\"quantity\":2}",
        "{\"name\":\"laptop\",\"price\":1.5,\"quantity\":2}",
        "{\"name\":\"Laptop\",\"description\":\" \",\"price\":1.5,\"quantity\":2}",
        "{\"name\":\"Laptop\",\"price\":1.51,\"quantity\":2}",
        "{\"name\":\"Laptop\",\"price\":1.5,\"quantity\":3}",
        "{\"name\":\"Laptop\",\"price\":15,\"quantity\":2}",
    };
    char first[2 * PRODUCTS_IDEM_HASH_LEN + 1], h[2 * PRODUCTS_IDEM_HASH_LEN + 1];
    body_digest(same[0], first);
    for (size_t i = 1; i < N_ELEMS(same); i++) {
        body_digest(same[i], h);
        if (strcmp(h, first) != 0)
            print_error("not the same request: %s\n", same[i]);
        assert_string_equal(h, first);
    }
    for (size_t i = 0; i < N_ELEMS(other); i++) {
        body_digest(other[i], h);
        if (strcmp(h, first) == 0)
            print_error("the same request: %s\n", other[i]);
        assert_string_not_equal(h, first);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_credentials_table),
        cmocka_unit_test(test_credentials_lengths),
        cmocka_unit_test(test_code_request_table),
        cmocka_unit_test(test_recovery_code_request_table),
        cmocka_unit_test(test_account_bodies),
        cmocka_unit_test(test_product_table),
        cmocka_unit_test(test_product_lengths),
        cmocka_unit_test(test_id_table),
        cmocka_unit_test(test_id_slice),
        cmocka_unit_test(test_page_table),
        cmocka_unit_test(test_if_match_table),
        cmocka_unit_test(test_bearer_table),
        cmocka_unit_test(test_prefers_json_table),
        cmocka_unit_test(test_idempotency_key_table),
        cmocka_unit_test(test_product_digest_known_answers),
        cmocka_unit_test(test_product_digest_framing),
        cmocka_unit_test(test_product_digest_of_bodies),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
