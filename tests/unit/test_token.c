/*
 * test_token.c - unit tests for crypto/token.c: issue/check round trip with
 * flask-jwt-extended's header and claims, one test per row of SPEC §5 (alg
 * none, HS384, HS512, RS256, tampered payload, other key, exp, nbf, type,
 * malformed shapes), and a token made by PyJWT that must be accepted.
 *
 * Forged tokens are built here with OpenSSL (HMAC, base64) so the test does
 * not share code with what it tests.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <cjson/cJSON.h>
#include <jwt.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "crypto/token.h"
#include "testutil.h"

/* The 32-byte HS256 key PY_TOKEN was signed with. */
static const char KEY[] = "0123456789abcdef0123456789abcdef";
#define KEYLEN (sizeof KEY - 1)
static const char OTHER_KEY[] = "fedcba9876543210fedcba9876543210";

#define NOW 1700000000L
#define TTL 3600L

/*
 * Made once with Debian's python3-jwt 2.6.0 (PyJWT, what flask-jwt-extended 4
 * calls), with the claims flask-jwt-extended 4 puts in an access token:
 *   /usr/bin/python3 -c 'import jwt, uuid; print(jwt.encode({"fresh": False,
 *       "iat": 1699990000, "jti": str(uuid.uuid4()), "type": "access",
 *       "sub": "Hager666", "nbf": 1699990000, "exp": 4102444800},
 *       "0123456789abcdef0123456789abcdef", algorithm="HS256"))'
 */
static const char PY_TOKEN[] =
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
    "eyJmcmVzaCI6ZmFsc2UsImlhdCI6MTY5OTk5MDAwMCwianRpIjoiMzViYzExYzgtMmJiYy00Zjk2LTk2NGQtNTQw"
    "MjIyYzM1NTQyIiwidHlwZSI6ImFjY2VzcyIsInN1YiI6IkhhZ2VyNjY2IiwibmJmIjoxNjk5OTkwMDAwLCJleHAi"
    "OjQxMDI0NDQ4MDB9."
    "JZ2tVW-etXYhKowbrLxGtBEoVXTISiBipFqNaHJN12Q";

static const char HDR_HS256[] = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";

/* ---- helpers: base64url and token assembly, independent of token.c ---- */

/* Unpadded base64url of `len` bytes into a malloc'd string (the caller frees). */
static char *b64url(const void *in, size_t len)
{
    char *out = malloc(4 * ((len + 2) / 3) + 1);
    int n, i;

    assert_non_null(out);
    n = EVP_EncodeBlock((unsigned char *)out, in, (int)len);
    while (n > 0 && out[n - 1] == '=')
        n--;
    out[n] = '\0';
    for (i = 0; i < n; i++) {
        if (out[i] == '+')
            out[i] = '-';
        else if (out[i] == '/')
            out[i] = '_';
    }
    return out;
}

/* Decode `len` chars of unpadded base64url into a malloc'd NUL-terminated string. */
static char *unb64url(const char *in, size_t len)
{
    size_t padded = (len + 3) / 4 * 4, i;
    char *tmp = malloc(padded + 1);
    char *out = malloc(padded + 1);
    int n;

    assert_non_null(tmp);
    assert_non_null(out);
    for (i = 0; i < padded; i++) {
        char c = i < len ? in[i] : '=';

        tmp[i] = c == '-' ? '+' : c == '_' ? '/' : c;
    }
    tmp[padded] = '\0';
    n = EVP_DecodeBlock((unsigned char *)out, (unsigned char *)tmp, (int)padded);
    assert_true(n >= 0);
    n -= (int)(padded - len); /* EVP_DecodeBlock counts the padding as zero bytes */
    out[n] = '\0';
    free(tmp);
    return out;
}

/* "<b64url(header)>.<b64url(payload)>" followed by "." and `sig` (malloc'd). */
static char *token_with_sig(const char *header, const char *payload, const char *sig)
{
    char *h = b64url(header, strlen(header));
    char *p = b64url(payload, strlen(payload));
    size_t cap = strlen(h) + strlen(p) + strlen(sig) + 3;
    char *t = malloc(cap);
    int n;

    assert_non_null(t);
    n = snprintf(t, cap, "%s.%s.%s", h, p, sig);
    assert_true(n > 0 && (size_t)n < cap);
    free(h);
    free(p);
    return t;
}

/* A token over `header` and `payload` signed with HMAC-`md` under `key` (malloc'd). */
static char *token_signed(const char *header, const char *payload, const EVP_MD *md,
                          const char *key)
{
    char *t = token_with_sig(header, payload, "");
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int maclen = 0;
    size_t signing_len = strlen(t) - 1; /* without the trailing '.' */
    char *sig, *out;
    size_t cap;
    int n;

    assert_non_null(HMAC(md, key, (int)strlen(key), (unsigned char *)t, signing_len, mac, &maclen));
    sig = b64url(mac, maclen);
    cap = strlen(t) + strlen(sig) + 1;
    out = malloc(cap);
    assert_non_null(out);
    n = snprintf(out, cap, "%s%s", t, sig);
    assert_true(n > 0 && (size_t)n < cap);
    free(t);
    free(sig);
    return out;
}

/* An HS256 token over HDR_HS256 and `payload` under KEY. */
static char *hs256(const char *payload)
{
    return token_signed(HDR_HS256, payload, EVP_sha256(), KEY);
}

/* flask-jwt-extended's access-token claims with the given pieces (JSON fragments). */
static void claims(char *buf, size_t cap, const char *sub, long iat, long exp, const char *type)
{
    int n =
        snprintf(buf, cap,
                 "{\"fresh\":false,\"iat\":%ld,\"jti\":\"35bc11c8-2bbc-4f96-964d-540222c35542\","
                 "\"type\":%s,\"sub\":%s,\"nbf\":%ld,\"exp\":%ld}",
                 iat, type, sub, iat, exp);

    assert_true(n > 0 && (size_t)n < cap);
}

/* token_check with KEY at `now` into a throwaway subject buffer. */
static token_error check_at(const char *token, long now)
{
    char sub[TOKEN_SUB_MAX + 1];

    return token_check((const unsigned char *)KEY, KEYLEN, token, (time_t)now, sub, sizeof sub);
}

/* Check a token built from `payload` (HS256, KEY) at NOW and free it. */
static token_error check_payload(const char *payload)
{
    char *t = hs256(payload);
    token_error e = check_at(t, NOW);

    free(t);
    return e;
}

/* ---- issuing ---- */

static void test_issue_round_trip(void **state)
{
    char *t = NULL, *hdr_txt, *pay_txt;
    const char *d1, *d2;
    char sub[TOKEN_SUB_MAX + 1];
    cJSON *hdr, *pay;
    const cJSON *v;

    (void)state;
    assert_int_equal(token_issue((const unsigned char *)KEY, KEYLEN, "Hager666", NOW, TTL, &t),
                     ST_OK);
    assert_non_null(t);
    assert_int_equal(token_check((const unsigned char *)KEY, KEYLEN, t, NOW, sub, sizeof sub),
                     TOKEN_OK);
    assert_string_equal(sub, "Hager666");

    d1 = strchr(t, '.');
    assert_non_null(d1);
    d2 = strchr(d1 + 1, '.');
    assert_non_null(d2);
    assert_null(strchr(d2 + 1, '.'));
    assert_int_equal(strlen(d2 + 1), 43); /* 32-byte HS256 signature */

    hdr_txt = unb64url(t, (size_t)(d1 - t));
    hdr = cJSON_Parse(hdr_txt);
    assert_true(cJSON_IsObject(hdr));
    v = cJSON_GetObjectItemCaseSensitive(hdr, "alg");
    assert_true(cJSON_IsString(v));
    assert_string_equal(v->valuestring, "HS256");
    v = cJSON_GetObjectItemCaseSensitive(hdr, "typ");
    assert_true(cJSON_IsString(v));
    assert_string_equal(v->valuestring, "JWT");

    pay_txt = unb64url(d1 + 1, (size_t)(d2 - d1 - 1));
    pay = cJSON_Parse(pay_txt);
    assert_true(cJSON_IsObject(pay));
    v = cJSON_GetObjectItemCaseSensitive(pay, "sub");
    assert_true(cJSON_IsString(v));
    assert_string_equal(v->valuestring, "Hager666");
    v = cJSON_GetObjectItemCaseSensitive(pay, "iat");
    assert_true(cJSON_IsNumber(v));
    assert_true(v->valuedouble == (double)NOW);
    v = cJSON_GetObjectItemCaseSensitive(pay, "nbf");
    assert_true(cJSON_IsNumber(v));
    assert_true(v->valuedouble == (double)NOW);
    v = cJSON_GetObjectItemCaseSensitive(pay, "exp");
    assert_true(cJSON_IsNumber(v));
    assert_true(v->valuedouble == (double)(NOW + TTL));
    /* Integers, as PyJWT requires for iat/nbf/exp. */
    assert_null(strstr(pay_txt, "e+"));
    assert_null(strstr(pay_txt, "1700000000."));
    v = cJSON_GetObjectItemCaseSensitive(pay, "jti");
    assert_true(cJSON_IsString(v));
    assert_true(is_uuid4(v->valuestring));
    v = cJSON_GetObjectItemCaseSensitive(pay, "type");
    assert_true(cJSON_IsString(v));
    assert_string_equal(v->valuestring, "access");
    v = cJSON_GetObjectItemCaseSensitive(pay, "fresh");
    assert_true(cJSON_IsFalse(v));
    assert_int_equal(cJSON_GetArraySize(pay), 7); /* nothing else */

    cJSON_Delete(hdr);
    cJSON_Delete(pay);
    free(hdr_txt);
    free(pay_txt);
    free(t);
}

/* Valid over [iat, iat + ttl): nbf == now is fine, exp == now is not. */
static void test_issue_validity_window(void **state)
{
    char *t = NULL;

    (void)state;
    assert_int_equal(token_issue((const unsigned char *)KEY, KEYLEN, "Hager666", NOW, TTL, &t),
                     ST_OK);
    assert_int_equal(check_at(t, NOW - 1), TOKEN_NOT_YET_VALID);
    assert_int_equal(check_at(t, NOW), TOKEN_OK);
    assert_int_equal(check_at(t, NOW + TTL - 1), TOKEN_OK);
    assert_int_equal(check_at(t, NOW + TTL), TOKEN_EXPIRED);
    assert_int_equal(token_check((const unsigned char *)OTHER_KEY, KEYLEN, t, NOW,
                                 (char[TOKEN_SUB_MAX + 1]){0}, TOKEN_SUB_MAX + 1),
                     TOKEN_BAD_SIGNATURE);
    free(t);
}

/* Every token gets its own jti. */
static void test_issue_unique(void **state)
{
    char *a = NULL, *b = NULL;

    (void)state;
    assert_int_equal(token_issue((const unsigned char *)KEY, KEYLEN, "Hager666", NOW, TTL, &a),
                     ST_OK);
    assert_int_equal(token_issue((const unsigned char *)KEY, KEYLEN, "Hager666", NOW, TTL, &b),
                     ST_OK);
    assert_string_not_equal(a, b);
    free(a);
    free(b);
}

/* A subject with JSON metacharacters is escaped on the way out and back. */
static void test_issue_sub_escaping(void **state)
{
    static const char odd[] = "a\"b\\c/d\xc3\xa9";
    char *t = NULL;
    char sub[TOKEN_SUB_MAX + 1];

    (void)state;
    assert_int_equal(token_issue((const unsigned char *)KEY, KEYLEN, odd, NOW, TTL, &t), ST_OK);
    assert_int_equal(token_check((const unsigned char *)KEY, KEYLEN, t, NOW, sub, sizeof sub),
                     TOKEN_OK);
    assert_string_equal(sub, odd);
    free(t);
}

static void test_issue_bad_args(void **state)
{
    const unsigned char *k = (const unsigned char *)KEY;
    char long_sub[TOKEN_SUB_MAX + 2];
    char *t = (char *)"sentinel";

    (void)state;
    memset(long_sub, 'a', sizeof long_sub - 1);
    long_sub[sizeof long_sub - 1] = '\0';
    assert_int_equal(token_issue(NULL, KEYLEN, "Hager666", NOW, TTL, &t), ST_INVALID);
    assert_null(t);
    assert_int_equal(token_issue(k, TOKEN_KEY_MIN - 1, "Hager666", NOW, TTL, &t), ST_INVALID);
    assert_int_equal(token_issue(k, KEYLEN, NULL, NOW, TTL, &t), ST_INVALID);
    assert_int_equal(token_issue(k, KEYLEN, "", NOW, TTL, &t), ST_INVALID);
    assert_int_equal(token_issue(k, KEYLEN, long_sub, NOW, TTL, &t), ST_INVALID);
    assert_int_equal(token_issue(k, KEYLEN, "Hager666", NOW, 0, &t), ST_INVALID);
    assert_int_equal(token_issue(k, KEYLEN, "Hager666", NOW, -1, &t), ST_INVALID);
    assert_null(t);
    assert_int_equal(token_issue(k, KEYLEN, "Hager666", NOW, TTL, NULL), ST_INVALID);
    long_sub[TOKEN_SUB_MAX] = '\0'; /* exactly TOKEN_SUB_MAX is fine */
    assert_int_equal(token_issue(k, KEYLEN, long_sub, NOW, TTL, &t), ST_OK);
    free(t);
}

/* ---- interop: a token from PyJWT / flask-jwt-extended ---- */

static void test_pyjwt_token_accepted(void **state)
{
    char sub[TOKEN_SUB_MAX + 1];

    (void)state;
    assert_int_equal(
        token_check((const unsigned char *)KEY, KEYLEN, PY_TOKEN, NOW, sub, sizeof sub), TOKEN_OK);
    assert_string_equal(sub, "Hager666");
    assert_int_equal(check_at(PY_TOKEN, 1699990000L - 1), TOKEN_NOT_YET_VALID);
    assert_int_equal(check_at(PY_TOKEN, 4102444800L), TOKEN_EXPIRED);
    assert_int_equal(
        token_check((const unsigned char *)OTHER_KEY, KEYLEN, PY_TOKEN, NOW, sub, sizeof sub),
        TOKEN_BAD_SIGNATURE);
    assert_string_equal(sub, "");
}

/* ---- SPEC §5: algorithms other than HS256 ---- */

static void test_alg_none(void **state)
{
    char payload[512];
    char *t;
    token_error e;

    (void)state;
    claims(payload, sizeof payload, "\"Hager666\"", NOW - 10, NOW + TTL, "\"access\"");
    /* The classic: alg none and an empty signature. */
    t = token_with_sig("{\"alg\":\"none\"}", payload, "");
    e = check_at(t, NOW);
    assert_true(e == TOKEN_BAD_ALG || e == TOKEN_MALFORMED);
    free(t);
    t = token_with_sig("{\"alg\":\"none\",\"typ\":\"JWT\"}", payload, "");
    e = check_at(t, NOW);
    assert_true(e == TOKEN_BAD_ALG || e == TOKEN_MALFORMED);
    free(t);
    /* alg none with some signature. */
    t = token_with_sig("{\"alg\":\"none\"}", payload, "c2lnbmF0dXJl");
    assert_int_equal(check_at(t, NOW), TOKEN_BAD_ALG);
    free(t);
    /* alg none with a real HS256 signature under our key. */
    t = token_signed("{\"alg\":\"none\"}", payload, EVP_sha256(), KEY);
    assert_int_equal(check_at(t, NOW), TOKEN_BAD_ALG);
    free(t);
    t = token_signed("{\"alg\":\"None\"}", payload, EVP_sha256(), KEY);
    assert_int_equal(check_at(t, NOW), TOKEN_BAD_ALG);
    free(t);
}

static void test_alg_hs384_same_key(void **state)
{
    char payload[512];
    char *t;

    (void)state;
    claims(payload, sizeof payload, "\"Hager666\"", NOW - 10, NOW + TTL, "\"access\"");
    t = token_signed("{\"alg\":\"HS384\",\"typ\":\"JWT\"}", payload, EVP_sha384(), KEY);
    assert_int_equal(check_at(t, NOW), TOKEN_BAD_ALG);
    free(t);
}

static void test_alg_hs512_same_key(void **state)
{
    char payload[512];
    char *t;

    (void)state;
    claims(payload, sizeof payload, "\"Hager666\"", NOW - 10, NOW + TTL, "\"access\"");
    t = token_signed("{\"alg\":\"HS512\",\"typ\":\"JWT\"}", payload, EVP_sha512(), KEY);
    assert_int_equal(check_at(t, NOW), TOKEN_BAD_ALG);
    free(t);
}

/* The same attack with a token libjwt itself signs HS512 with our key. */
static void test_alg_hs512_libjwt(void **state)
{
    jwt_t *jwt = NULL;
    char *t;

    (void)state;
    assert_int_equal(jwt_new(&jwt), 0);
    assert_int_equal(jwt_set_alg(jwt, JWT_ALG_HS512, (const unsigned char *)KEY, (int)KEYLEN), 0);
    assert_int_equal(jwt_add_grant(jwt, "sub", "Hager666"), 0);
    assert_int_equal(jwt_add_grant(jwt, "type", "access"), 0);
    assert_int_equal(jwt_add_grant_int(jwt, "exp", NOW + TTL), 0);
    t = jwt_encode_str(jwt);
    assert_non_null(t);
    assert_int_equal(check_at(t, NOW), TOKEN_BAD_ALG);
    free(t);
    jwt_free(jwt);
}

/* Key confusion: an RS256 header with an HMAC made from the shared secret. */
static void test_alg_rs256(void **state)
{
    char payload[512];
    char *t;

    (void)state;
    claims(payload, sizeof payload, "\"Hager666\"", NOW - 10, NOW + TTL, "\"access\"");
    t = token_signed("{\"alg\":\"RS256\",\"typ\":\"JWT\"}", payload, EVP_sha256(), KEY);
    assert_int_equal(check_at(t, NOW), TOKEN_BAD_ALG);
    free(t);
}

/* Anything but the exact string "HS256", each correctly HS256-signed with KEY. */
static void test_alg_not_exactly_hs256(void **state)
{
    static const char *const headers[] = {
        "{\"alg\":\"hs256\",\"typ\":\"JWT\"}",
        "{\"alg\":\"HS256 \",\"typ\":\"JWT\"}",
        "{\"alg\":\"HS2560\"}",
        "{\"alg\":\"\"}",
        "{\"typ\":\"JWT\"}",
        "{}",
        "{\"alg\":256}",
        "{\"alg\":null}",
        "{\"alg\":[\"HS256\"]}",
        "{\"alg\":{\"HS256\":true}}",
        "{\"ALG\":\"HS256\"}",
        "{\"alg\":\"ES256\"}",
    };
    char payload[512];
    size_t i;

    (void)state;
    claims(payload, sizeof payload, "\"Hager666\"", NOW - 10, NOW + TTL, "\"access\"");
    for (i = 0; i < sizeof headers / sizeof headers[0]; i++) {
        char *t = token_signed(headers[i], payload, EVP_sha256(), KEY);

        assert_int_equal(check_at(t, NOW), TOKEN_BAD_ALG);
        free(t);
    }
}

/* ---- SPEC §5: signatures ---- */

static void test_modified_payload_old_signature(void **state)
{
    char *t = NULL, *forged, *evil;
    const char *d1, *d2;
    char payload[512];
    size_t cap;
    int n;

    (void)state;
    assert_int_equal(token_issue((const unsigned char *)KEY, KEYLEN, "Hager666", NOW, TTL, &t),
                     ST_OK);
    d1 = strchr(t, '.');
    d2 = strchr(d1 + 1, '.');
    claims(payload, sizeof payload, "\"admin\"", NOW, NOW + TTL, "\"access\"");
    evil = b64url(payload, strlen(payload));
    cap = strlen(t) + strlen(evil) + 1;
    forged = malloc(cap);
    assert_non_null(forged);
    n = snprintf(forged, cap, "%.*s.%s%s", (int)(d1 - t), t, evil, d2);
    assert_true(n > 0 && (size_t)n < cap);
    assert_int_equal(check_at(forged, NOW), TOKEN_BAD_SIGNATURE);
    free(evil);
    free(forged);
    free(t);
}

static void test_other_key(void **state)
{
    char payload[512];
    char *t;

    (void)state;
    claims(payload, sizeof payload, "\"Hager666\"", NOW - 10, NOW + TTL, "\"access\"");
    t = token_signed(HDR_HS256, payload, EVP_sha256(), OTHER_KEY);
    assert_int_equal(check_at(t, NOW), TOKEN_BAD_SIGNATURE);
    free(t);
    /* A key that differs only in its last byte. */
    t = token_signed(HDR_HS256, payload, EVP_sha256(), "0123456789abcdef0123456789abcdeF");
    assert_int_equal(check_at(t, NOW), TOKEN_BAD_SIGNATURE);
    free(t);
    /* And a key that is KEY plus one byte. */
    t = token_signed(HDR_HS256, payload, EVP_sha256(), "0123456789abcdef0123456789abcdef0");
    assert_int_equal(check_at(t, NOW), TOKEN_BAD_SIGNATURE);
    free(t);
}

/* A signature that is not 32 bytes, or one bit off, is a bad signature. */
static void test_signature_shape(void **state)
{
    char payload[512];
    char *t, *u;
    size_t n;

    (void)state;
    claims(payload, sizeof payload, "\"Hager666\"", NOW - 10, NOW + TTL, "\"access\"");
    /* An HS512 MAC under an HS256 header: 64 bytes. */
    t = token_signed(HDR_HS256, payload, EVP_sha512(), KEY);
    assert_int_equal(check_at(t, NOW), TOKEN_BAD_SIGNATURE);
    free(t);
    /* The right MAC cut to 31 bytes (42 chars would be 31.5 bytes: cut to 40). */
    t = hs256(payload);
    n = strlen(t);
    u = strdup(t);
    assert_non_null(u);
    u[n - 3] = '\0';
    assert_int_equal(check_at(u, NOW), TOKEN_BAD_SIGNATURE);
    free(u);
    /* The right MAC plus a character. */
    u = malloc(n + 2);
    assert_non_null(u);
    memcpy(u, t, n);
    u[n] = 'A';
    u[n + 1] = '\0';
    assert_int_equal(check_at(u, NOW), TOKEN_BAD_SIGNATURE);
    free(u);
    /* One character of the MAC changed (not the last, which carries spare bits). */
    u = strdup(t);
    assert_non_null(u);
    u[n - 5] = u[n - 5] == 'A' ? 'B' : 'A';
    assert_int_equal(check_at(u, NOW), TOKEN_BAD_SIGNATURE);
    free(u);
    /* The same MAC bytes spelled with non-zero spare bits in the last character:
       lenient decoders accept it, a strict one does not. */
    u = strdup(t);
    assert_non_null(u);
    {
        static const char alphabet[] =
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        const char *pos = strchr(alphabet, u[n - 1]);

        assert_non_null(pos);
        assert_int_equal((pos - alphabet) & 3, 0); /* a canonical encoder leaves them zero */
        u[n - 1] = alphabet[(pos - alphabet) | 1];
    }
    assert_int_equal(check_at(u, NOW), TOKEN_MALFORMED);
    free(u);
    assert_int_equal(check_at(t, NOW), TOKEN_OK);
    free(t);
}

/* A key shorter than TOKEN_KEY_MIN never verifies anything. */
static void test_short_key_refused(void **state)
{
    char payload[512];
    char sub[TOKEN_SUB_MAX + 1];
    char *t;

    (void)state;
    claims(payload, sizeof payload, "\"Hager666\"", NOW - 10, NOW + TTL, "\"access\"");
    t = token_signed(HDR_HS256, payload, EVP_sha256(), "short");
    assert_int_equal(token_check((const unsigned char *)"short", 5, t, NOW, sub, sizeof sub),
                     TOKEN_BAD_SIGNATURE);
    assert_int_equal(token_check(NULL, 0, t, NOW, sub, sizeof sub), TOKEN_BAD_SIGNATURE);
    free(t);
}

/* ---- SPEC §5: time ---- */

static void test_exp_in_past(void **state)
{
    char payload[512];

    (void)state;
    claims(payload, sizeof payload, "\"Hager666\"", NOW - TTL - 10, NOW - 10, "\"access\"");
    assert_int_equal(check_payload(payload), TOKEN_EXPIRED);
}

static void test_exp_equals_now(void **state)
{
    char payload[512];

    (void)state;
    claims(payload, sizeof payload, "\"Hager666\"", NOW - TTL, NOW, "\"access\"");
    assert_int_equal(check_payload(payload), TOKEN_EXPIRED);
    claims(payload, sizeof payload, "\"Hager666\"", NOW - TTL, NOW + 1, "\"access\"");
    assert_int_equal(check_payload(payload), TOKEN_OK);
}

static void test_exp_missing_or_not_number(void **state)
{
    (void)state;
    assert_int_equal(check_payload("{\"sub\":\"Hager666\",\"type\":\"access\"}"), TOKEN_MALFORMED);
    assert_int_equal(
        check_payload("{\"sub\":\"Hager666\",\"type\":\"access\",\"exp\":\"4102444800\"}"),
        TOKEN_MALFORMED);
    assert_int_equal(check_payload("{\"sub\":\"Hager666\",\"type\":\"access\",\"exp\":null}"),
                     TOKEN_MALFORMED);
    /* Minimal but complete: no nbf, no iat, no jti is accepted. */
    assert_int_equal(check_payload("{\"sub\":\"Hager666\",\"type\":\"access\",\"exp\":4102444800}"),
                     TOKEN_OK);
}

/* exp 1e400 reads as infinity (a token that never expires); a claim given
 * twice is ambiguous (cJSON keeps the first, PyJWT the last): both refused. */
static void test_infinite_or_repeated_claims(void **state)
{
    (void)state;
    assert_int_equal(check_payload("{\"sub\":\"u\",\"exp\":1e400,\"type\":\"access\"}"),
                     TOKEN_MALFORMED);
    assert_int_equal(
        check_payload("{\"sub\":\"u\",\"exp\":4102444800,\"nbf\":-1e400,\"type\":\"access\"}"),
        TOKEN_MALFORMED);
    assert_int_equal(check_payload("{\"sub\":\"admin\",\"sub\":\"u\",\"exp\":4102444800,"
                                   "\"type\":\"access\"}"),
                     TOKEN_MALFORMED);
    assert_int_equal(check_payload("{\"sub\":\"u\",\"exp\":4102444800,\"type\":\"access\"}"),
                     TOKEN_OK);
}

static void test_nbf_in_future(void **state)
{
    char payload[512];

    (void)state;
    claims(payload, sizeof payload, "\"Hager666\"", NOW + 1, NOW + TTL, "\"access\"");
    assert_int_equal(check_payload(payload), TOKEN_NOT_YET_VALID);
    claims(payload, sizeof payload, "\"Hager666\"", NOW, NOW + TTL, "\"access\"");
    assert_int_equal(check_payload(payload), TOKEN_OK);
    assert_int_equal(check_payload("{\"sub\":\"Hager666\",\"type\":\"access\",\"exp\":4102444800,"
                                   "\"nbf\":\"0\"}"),
                     TOKEN_MALFORMED);
}

static void test_iat_in_future(void **state)
{
    char payload[512];

    (void)state;
    /* iat ahead of now, nbf not: refused as PyJWT does, with its words */
    snprintf(payload, sizeof payload,
             "{\"sub\":\"Hager666\",\"type\":\"access\",\"iat\":%ld,\"nbf\":%ld,"
             "\"exp\":%ld}",
             NOW + 60, NOW - 60, NOW + TTL);
    assert_int_equal(check_payload(payload), TOKEN_NOT_YET_ISSUED);
    assert_string_equal(token_error_message(TOKEN_NOT_YET_ISSUED),
                        "The token is not yet valid (iat)");
    /* the same token is good from its iat on, remembered or not */
    char *t = hs256(payload);
    assert_int_equal(check_at(t, NOW + 60), TOKEN_OK);
    assert_int_equal(check_at(t, NOW + 60), TOKEN_OK); /* the memo */
    assert_int_equal(check_at(t, NOW + 59), TOKEN_NOT_YET_ISSUED);
    free(t);
    /* without iat, nothing to check */
    snprintf(payload, sizeof payload, "{\"sub\":\"Hager666\",\"type\":\"access\",\"exp\":%ld}",
             NOW + TTL);
    assert_int_equal(check_payload(payload), TOKEN_OK);
}

/* ---- SPEC §5: type ---- */

static void test_type_refresh(void **state)
{
    char payload[512];

    (void)state;
    claims(payload, sizeof payload, "\"Hager666\"", NOW - 10, NOW + TTL, "\"refresh\"");
    assert_int_equal(check_payload(payload), TOKEN_WRONG_TYPE);
    claims(payload, sizeof payload, "\"Hager666\"", NOW - 10, NOW + TTL, "\"Access\"");
    assert_int_equal(check_payload(payload), TOKEN_WRONG_TYPE);
    claims(payload, sizeof payload, "\"Hager666\"", NOW - 10, NOW + TTL, "1");
    assert_int_equal(check_payload(payload), TOKEN_WRONG_TYPE);
    assert_int_equal(check_payload("{\"sub\":\"Hager666\",\"exp\":4102444800}"), TOKEN_WRONG_TYPE);
}

/* ---- SPEC §5: malformed tokens ---- */

static void test_wrong_part_count(void **state)
{
    char payload[512];
    char *t, *u;
    size_t n;

    (void)state;
    claims(payload, sizeof payload, "\"Hager666\"", NOW - 10, NOW + TTL, "\"access\"");
    t = hs256(payload);
    n = strlen(t);
    /* Two parts: drop the signature and its dot. */
    u = strdup(t);
    assert_non_null(u);
    *strrchr(u, '.') = '\0';
    assert_int_equal(check_at(u, NOW), TOKEN_MALFORMED);
    free(u);
    /* Four parts. */
    u = malloc(n + 6);
    assert_non_null(u);
    memcpy(u, t, n);
    memcpy(u + n, ".abcd", 6);
    assert_int_equal(check_at(u, NOW), TOKEN_MALFORMED);
    free(u);
    /* One part. */
    assert_int_equal(check_at("eyJhbGciOiJIUzI1NiJ9", NOW), TOKEN_MALFORMED);
    free(t);
}

static void test_empty_parts(void **state)
{
    static const char *const tokens[] = {
        "", ".", "..", "...", "a..c", ".b.c", "a.b.", "eyJhbGciOiJIUzI1NiJ9..c2ln",
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof tokens / sizeof tokens[0]; i++)
        assert_int_equal(check_at(tokens[i], NOW), TOKEN_MALFORMED);
    assert_int_equal(check_at(NULL, NOW), TOKEN_MALFORMED);
}

/* Each character outside A-Za-z0-9-_ anywhere in a good token makes it malformed. */
static void test_non_base64url(void **state)
{
    static const char bad[] = {'+', '/', '=', ' ', '\n', '\t', '%', '"', '\x80', '\xff'};
    char payload[512];
    char *t, *u;
    size_t i, n;

    (void)state;
    claims(payload, sizeof payload, "\"Hager666\"", NOW - 10, NOW + TTL, "\"access\"");
    t = hs256(payload);
    n = strlen(t);
    for (i = 0; i < sizeof bad; i++) {
        u = strdup(t);
        assert_non_null(u);
        u[3] = bad[i]; /* header */
        assert_int_equal(check_at(u, NOW), TOKEN_MALFORMED);
        memcpy(u, t, n);
        u[n - 5] = bad[i]; /* signature */
        assert_int_equal(check_at(u, NOW), TOKEN_MALFORMED);
        free(u);
    }
    /* Padding on a good token, as a lenient encoder might add. */
    u = malloc(n + 2);
    assert_non_null(u);
    memcpy(u, t, n);
    u[n] = '=';
    u[n + 1] = '\0';
    assert_int_equal(check_at(u, NOW), TOKEN_MALFORMED);
    free(u);
    /* Leading or trailing whitespace. */
    u = malloc(n + 2);
    assert_non_null(u);
    u[0] = ' ';
    memcpy(u + 1, t, n + 1);
    assert_int_equal(check_at(u, NOW), TOKEN_MALFORMED);
    free(u);
    free(t);
}

static void test_too_long(void **state)
{
    char *payload, *t;
    size_t cap = 9000;
    int n;

    (void)state;
    payload = malloc(cap);
    assert_non_null(payload);
    /* Validly signed, but over 8 KiB once encoded. */
    n = snprintf(payload, cap,
                 "{\"sub\":\"Hager666\",\"type\":\"access\",\"exp\":4102444800,\"x\":\"%0*d\"}",
                 6500, 0);
    assert_true(n > 0 && (size_t)n < cap);
    t = hs256(payload);
    assert_true(strlen(t) > 8192);
    assert_int_equal(check_at(t, NOW), TOKEN_MALFORMED);
    free(t);
    free(payload);
}

static void test_header_not_json(void **state)
{
    static const char *const headers[] = {
        "not json", "{\"alg\":\"HS256\"", "{\"alg\":\"HS256\"}x", "{\"alg\":\"HS256\"}{}", "",
    };
    char payload[512];
    size_t i;

    (void)state;
    claims(payload, sizeof payload, "\"Hager666\"", NOW - 10, NOW + TTL, "\"access\"");
    for (i = 0; i < sizeof headers / sizeof headers[0]; i++) {
        char *t = token_signed(headers[i], payload, EVP_sha256(), KEY);

        assert_int_equal(check_at(t, NOW), TOKEN_MALFORMED);
        free(t);
    }
    /* Base64url of a length no encoder writes (1 mod 4). */
    assert_int_equal(check_at("eyJhb.eyJzdWIiOiJ4In0.c2ln", NOW), TOKEN_MALFORMED);
}

static void test_header_not_object(void **state)
{
    static const char *const headers[] = {
        "[\"alg\",\"HS256\"]", "[{\"alg\":\"HS256\"}]", "\"HS256\"", "256", "null", "true",
    };
    char payload[512];
    size_t i;

    (void)state;
    claims(payload, sizeof payload, "\"Hager666\"", NOW - 10, NOW + TTL, "\"access\"");
    for (i = 0; i < sizeof headers / sizeof headers[0]; i++) {
        char *t = token_signed(headers[i], payload, EVP_sha256(), KEY);

        assert_int_equal(check_at(t, NOW), TOKEN_MALFORMED);
        free(t);
    }
}

/* A \u0000 escape would cut a C string short inside cJSON: refused outright. */
static void test_nul_escape(void **state)
{
    char payload[512];
    char *t;

    (void)state;
    claims(payload, sizeof payload, "\"Hager666\"", NOW - 10, NOW + TTL, "\"access\"");
    t = token_signed("{\"alg\":\"HS256\\u0000x\"}", payload, EVP_sha256(), KEY);
    assert_int_not_equal(check_at(t, NOW), TOKEN_OK);
    free(t);
    claims(payload, sizeof payload, "\"Hager666\\u0000admin\"", NOW - 10, NOW + TTL, "\"access\"");
    assert_int_equal(check_payload(payload), TOKEN_MALFORMED);
    /* An escaped backslash followed by the text u0000 is an ordinary subject. */
    claims(payload, sizeof payload, "\"a\\\\u0000\"", NOW - 10, NOW + TTL, "\"access\"");
    assert_int_equal(check_payload(payload), TOKEN_OK);
}

static void test_payload_not_json(void **state)
{
    (void)state;
    assert_int_equal(check_payload("not json"), TOKEN_MALFORMED);
    assert_int_equal(check_payload("{\"sub\":\"Hager666\",\"type\":\"access\",\"exp\":4102444800"),
                     TOKEN_MALFORMED);
    assert_int_equal(
        check_payload("{\"sub\":\"Hager666\",\"type\":\"access\",\"exp\":4102444800}trailing"),
        TOKEN_MALFORMED);
    assert_int_equal(
        check_payload("[{\"sub\":\"Hager666\",\"type\":\"access\",\"exp\":4102444800}]"),
        TOKEN_MALFORMED);
    assert_int_equal(check_payload("\"Hager666\""), TOKEN_MALFORMED);
}

static void test_sub_missing(void **state)
{
    (void)state;
    assert_int_equal(check_payload("{\"type\":\"access\",\"exp\":4102444800}"), TOKEN_MALFORMED);
}

static void test_sub_not_string(void **state)
{
    static const char *const subs[] = {"666", "null", "true", "[\"Hager666\"]", "{}", "\"\""};
    char payload[512];
    size_t i;

    (void)state;
    for (i = 0; i < sizeof subs / sizeof subs[0]; i++) {
        claims(payload, sizeof payload, subs[i], NOW - 10, NOW + TTL, "\"access\"");
        assert_int_equal(check_payload(payload), TOKEN_MALFORMED);
    }
}

/* The subject must fit sub[sub_cap] with its NUL; a NULL or empty buffer is refused. */
static void test_sub_capacity(void **state)
{
    char sub[16];

    (void)state;
    memset(sub, 'X', sizeof sub);
    assert_int_equal(token_check((const unsigned char *)KEY, KEYLEN, PY_TOKEN, NOW, sub, 9),
                     TOKEN_OK); /* "Hager666" + NUL */
    assert_string_equal(sub, "Hager666");
    memset(sub, 'X', sizeof sub);
    assert_int_equal(token_check((const unsigned char *)KEY, KEYLEN, PY_TOKEN, NOW, sub, 8),
                     TOKEN_MALFORMED);
    assert_int_equal(sub[0], '\0');
    assert_int_equal(sub[8], 'X'); /* nothing written past sub_cap */
    assert_int_equal(token_check((const unsigned char *)KEY, KEYLEN, PY_TOKEN, NOW, NULL, 16),
                     TOKEN_MALFORMED);
    assert_int_equal(token_check((const unsigned char *)KEY, KEYLEN, PY_TOKEN, NOW, sub, 0),
                     TOKEN_MALFORMED);
}

/* ---- the per-thread memo of the last valid token ---- */

/* A token found valid is remembered by the thread: checking it again still
 * answers by the clock, as the full check would. */
static void test_memo_rechecks_the_clock(void **state)
{
    char *t = NULL;
    char sub[TOKEN_SUB_MAX + 1];

    (void)state;
    assert_int_equal(token_issue((const unsigned char *)KEY, KEYLEN, "clock_user", NOW, TTL, &t),
                     ST_OK);
    assert_int_equal(check_at(t, NOW), TOKEN_OK); /* the full check; now remembered */
    assert_int_equal(check_at(t, NOW + TTL - 1), TOKEN_OK);
    assert_int_equal(check_at(t, NOW + TTL), TOKEN_EXPIRED);
    assert_int_equal(check_at(t, NOW - 1), TOKEN_NOT_YET_VALID);
    memset(sub, 'X', sizeof sub);
    assert_int_equal(token_check((const unsigned char *)KEY, KEYLEN, t, NOW, sub, sizeof sub),
                     TOKEN_OK);
    assert_string_equal(sub, "clock_user");
    memset(sub, 'X', sizeof sub);
    assert_int_equal(token_check((const unsigned char *)KEY, KEYLEN, t, NOW, sub, 10),
                     TOKEN_MALFORMED); /* "clock_user" needs 11 */
    assert_int_equal(sub[0], '\0');
    free(t);
}

/* token_verify gives what revocation is decided on (SPEC 9): sub, jti, iat
 * and exp, the same from the memo as from the full check; a jti that is not
 * a string of 1..64 bytes is malformed; a token without jti or iat says so. */
static void test_verify_claims(void **state)
{
    char payload[512];
    token_claims tc;

    (void)state;
    claims(payload, sizeof payload, "\"alice\"", NOW - 5, NOW + 100, "\"access\"");
    char *t = hs256(payload);
    for (int pass = 0; pass < 2; pass++) { /* the full check, then the memo */
        memset(&tc, 'X', sizeof tc);
        assert_int_equal(token_verify((const unsigned char *)KEY, KEYLEN, t, NOW, &tc), TOKEN_OK);
        assert_string_equal(tc.sub, "alice");
        assert_string_equal(tc.jti, "35bc11c8-2bbc-4f96-964d-540222c35542");
        assert_int_equal(tc.iat, NOW - 5);
        assert_int_equal(tc.exp, NOW + 100);
    }
    assert_int_equal(token_verify((const unsigned char *)KEY, KEYLEN, t, NOW + 100, &tc),
                     TOKEN_EXPIRED);
    assert_int_equal(tc.sub[0], '\0');
    assert_int_equal(tc.jti[0], '\0');
    free(t);

    static const char *const bad_jti[] = {"1", "\"\"", "null", "[]",
                                          "\"01234567890123456789012345678901234567890123456789"
                                          "0123456789abcde\""};
    for (size_t i = 0; i < sizeof bad_jti / sizeof bad_jti[0]; i++) {
        int n = snprintf(payload, sizeof payload,
                         "{\"iat\":%ld,\"jti\":%s,\"type\":\"access\",\"sub\":\"a\","
                         "\"exp\":%ld}",
                         (long)NOW, bad_jti[i], (long)NOW + 10);
        assert_true(n > 0 && (size_t)n < sizeof payload);
        t = hs256(payload);
        assert_int_equal(token_verify((const unsigned char *)KEY, KEYLEN, t, NOW, &tc),
                         TOKEN_MALFORMED);
        free(t);
    }
    /* 64 bytes is the most; no jti and no iat are allowed, and said */
    int n = snprintf(payload, sizeof payload,
                     "{\"jti\":\"%064d\",\"type\":\"access\",\"sub\":\"a\",\"exp\":%ld.5}", 7,
                     (long)NOW + 10);
    assert_true(n > 0 && (size_t)n < sizeof payload);
    t = hs256(payload);
    assert_int_equal(token_verify((const unsigned char *)KEY, KEYLEN, t, NOW, &tc), TOKEN_OK);
    assert_int_equal(strlen(tc.jti), 64);
    assert_true(tc.iat == INT64_MIN);
    assert_int_equal(tc.exp, NOW + 11); /* rounded up */
    free(t);
    n = snprintf(payload, sizeof payload,
                 "{\"iat\":%ld.75,\"type\":\"access\",\"sub\":\"a\",\"exp\":%ld}", (long)NOW - 2,
                 (long)NOW + 10);
    assert_true(n > 0 && (size_t)n < sizeof payload);
    t = hs256(payload);
    assert_int_equal(token_verify((const unsigned char *)KEY, KEYLEN, t, NOW, &tc), TOKEN_OK);
    assert_string_equal(tc.jti, "");
    assert_int_equal(tc.iat, NOW - 2); /* rounded down */
    free(t);
}

/* What was valid under one key is not under another, remembered or not. */
static void test_memo_is_per_key(void **state)
{
    char payload[512];
    char sub[TOKEN_SUB_MAX + 1];
    char *mine, *theirs;

    (void)state;
    claims(payload, sizeof payload, "\"key_user\"", NOW, NOW + TTL, "\"access\"");
    mine = hs256(payload);
    theirs = token_signed(HDR_HS256, payload, EVP_sha256(), OTHER_KEY);
    assert_int_equal(check_at(mine, NOW), TOKEN_OK);
    assert_int_equal(check_at(mine, NOW), TOKEN_OK);
    assert_int_equal(
        token_check((const unsigned char *)OTHER_KEY, KEYLEN, mine, NOW, sub, sizeof sub),
        TOKEN_BAD_SIGNATURE);
    assert_int_equal(
        token_check((const unsigned char *)OTHER_KEY, KEYLEN, theirs, NOW, sub, sizeof sub),
        TOKEN_OK);
    assert_int_equal(check_at(theirs, NOW), TOKEN_BAD_SIGNATURE);
    assert_int_equal(check_at(mine, NOW), TOKEN_OK);
    assert_int_equal(
        token_check((const unsigned char *)OTHER_KEY, KEYLEN, mine, NOW, sub, sizeof sub),
        TOKEN_BAD_SIGNATURE);
    free(mine);
    free(theirs);
}

/* Only the very same bytes are remembered: one character changed, one
 * missing or one more, right after the token was found valid, is checked in
 * full and refused. */
static void test_memo_needs_every_byte(void **state)
{
    char payload[512];
    char *t, *v;
    size_t n, sig, pay;

    (void)state;
    claims(payload, sizeof payload, "\"byte_user\"", NOW, NOW + TTL, "\"access\"");
    t = hs256(payload);
    n = strlen(t);
    sig = (size_t)(strrchr(t, '.') - t) + 1;
    pay = (size_t)(strchr(t, '.') - t) + 1;
    v = malloc(n + 2);
    assert_non_null(v);

    assert_int_equal(check_at(t, NOW), TOKEN_OK);
    memcpy(v, t, n + 1);
    v[sig + 20] = v[sig + 20] == 'A' ? 'B' : 'A'; /* the signature */
    assert_int_equal(check_at(v, NOW), TOKEN_BAD_SIGNATURE);

    assert_int_equal(check_at(t, NOW), TOKEN_OK);
    memcpy(v, t, n + 1);
    v[pay + 10] = v[pay + 10] == 'A' ? 'B' : 'A'; /* the claims */
    assert_int_equal(check_at(v, NOW), TOKEN_BAD_SIGNATURE);

    assert_int_equal(check_at(t, NOW), TOKEN_OK);
    memcpy(v, t, n + 1);
    v[n - 1] = '\0'; /* one character short */
    assert_int_equal(check_at(v, NOW), TOKEN_BAD_SIGNATURE);

    assert_int_equal(check_at(t, NOW), TOKEN_OK);
    memcpy(v, t, n + 1);
    v[n] = 'A'; /* one character more */
    v[n + 1] = '\0';
    assert_int_equal(check_at(v, NOW), TOKEN_BAD_SIGNATURE);

    assert_int_equal(check_at(t, NOW), TOKEN_OK);
    free(v);
    free(t);
}

/* A token longer than the memo holds is checked in full each time, with the
 * same answers. */
static void test_memo_long_token(void **state)
{
    char pad[1501];
    char payload[2048];
    char *t;
    int k;

    (void)state;
    memset(pad, 'p', sizeof pad - 1);
    pad[sizeof pad - 1] = '\0';
    k = snprintf(payload, sizeof payload,
                 "{\"pad\":\"%s\",\"type\":\"access\",\"sub\":\"long_user\",\"nbf\":%ld,"
                 "\"exp\":%ld}",
                 pad, NOW, NOW + TTL);
    assert_true(k > 0 && (size_t)k < sizeof payload);
    t = hs256(payload);
    assert_true(strlen(t) > 2000);
    assert_int_equal(check_at(t, NOW), TOKEN_OK);
    assert_int_equal(check_at(t, NOW), TOKEN_OK);
    assert_int_equal(check_at(t, NOW + TTL), TOKEN_EXPIRED);
    assert_int_equal(check_at(t, NOW - 1), TOKEN_NOT_YET_VALID);
    free(t);
}

static void test_error_messages(void **state)
{
    (void)state;
    assert_string_equal(token_error_message(TOKEN_MALFORMED), "Invalid token");
    assert_string_equal(token_error_message(TOKEN_BAD_ALG),
                        "The specified alg value is not allowed");
    assert_string_equal(token_error_message(TOKEN_BAD_SIGNATURE), "Signature verification failed");
    assert_string_equal(token_error_message(TOKEN_EXPIRED), "Token has expired");
    assert_string_equal(token_error_message(TOKEN_NOT_YET_VALID),
                        "The token is not yet valid (nbf)");
    assert_string_equal(token_error_message(TOKEN_WRONG_TYPE),
                        "Only non-refresh tokens are allowed");
    assert_non_null(token_error_message(TOKEN_OK));
    assert_string_equal(token_error_message((token_error)99), "Invalid token");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_issue_round_trip),
        cmocka_unit_test(test_verify_claims),
        cmocka_unit_test(test_issue_validity_window),
        cmocka_unit_test(test_issue_unique),
        cmocka_unit_test(test_issue_sub_escaping),
        cmocka_unit_test(test_issue_bad_args),
        cmocka_unit_test(test_pyjwt_token_accepted),
        cmocka_unit_test(test_alg_none),
        cmocka_unit_test(test_infinite_or_repeated_claims),
        cmocka_unit_test(test_alg_hs384_same_key),
        cmocka_unit_test(test_alg_hs512_same_key),
        cmocka_unit_test(test_alg_hs512_libjwt),
        cmocka_unit_test(test_alg_rs256),
        cmocka_unit_test(test_alg_not_exactly_hs256),
        cmocka_unit_test(test_modified_payload_old_signature),
        cmocka_unit_test(test_other_key),
        cmocka_unit_test(test_signature_shape),
        cmocka_unit_test(test_short_key_refused),
        cmocka_unit_test(test_exp_in_past),
        cmocka_unit_test(test_exp_equals_now),
        cmocka_unit_test(test_exp_missing_or_not_number),
        cmocka_unit_test(test_nbf_in_future),
        cmocka_unit_test(test_iat_in_future),
        cmocka_unit_test(test_type_refresh),
        cmocka_unit_test(test_wrong_part_count),
        cmocka_unit_test(test_empty_parts),
        cmocka_unit_test(test_non_base64url),
        cmocka_unit_test(test_too_long),
        cmocka_unit_test(test_header_not_json),
        cmocka_unit_test(test_header_not_object),
        cmocka_unit_test(test_nul_escape),
        cmocka_unit_test(test_payload_not_json),
        cmocka_unit_test(test_sub_missing),
        cmocka_unit_test(test_sub_not_string),
        cmocka_unit_test(test_sub_capacity),
        cmocka_unit_test(test_memo_rechecks_the_clock),
        cmocka_unit_test(test_memo_is_per_key),
        cmocka_unit_test(test_memo_needs_every_byte),
        cmocka_unit_test(test_memo_long_token),
        cmocka_unit_test(test_error_messages),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
