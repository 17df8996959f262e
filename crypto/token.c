/*
 * token.c - access tokens as flask-jwt-extended 4 issues them: HS256 JWTs with
 * the claims sub, iat, nbf, exp, jti, type "access" and fresh false.
 *
 * Issuing goes through libjwt. Checking does not trust libjwt with anything:
 * the token is split and its base64url validated by hand, the algorithm is
 * pinned to HS256 from the raw header before any key is used, the HMAC is
 * recomputed with OpenSSL and compared in constant time, and only then is the
 * payload read (exp, nbf, type, sub) with cJSON. Not for refresh tokens, other
 * algorithms, or keys other than the shared HS256 secret.
 */
#include "crypto/token.h"

#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <math.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <jwt.h>
#include <openssl/crypto.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <pthread.h>
#include <openssl/hmac.h>

#include "crypto/b64url.h"
#include "crypto/random.h"

#define TOKEN_MAX_LEN 8192   /* longer is refused before any decoding */
#define TOKEN_SIG_LEN 32     /* SHA-256 output */
#define TOKEN_SIG_B64_LEN 43 /* its unpadded base64url length */

/*
 * True when JSON text `s` (`len` bytes) contains the escape \u0000. cJSON
 * would decode it into a C string that ends early, so "HS256\u0000x" would
 * read as "HS256" and a subject could be cut short: such text is refused.
 */
static bool json_has_nul_escape(const unsigned char *s, size_t len)
{
    size_t i;

    for (i = 0; i + 1 < len; i++) {
        if (s[i] != '\\')
            continue;
        if (s[i + 1] == 'u' && i + 5 < len && memcmp(s + i + 2, "0000", 4) == 0)
            return true;
        i++; /* skip the escaped character: an escaped backslash then "u0000" is text */
    }
    return false;
}

/*
 * Decode base64url text `in` (`len` chars) and parse it as one JSON value with
 * nothing after it. Returns the cJSON tree (the caller frees it with
 * cJSON_Delete) or NULL for bad base64url, a NUL byte or \u0000 escape, or
 * bad JSON.
 */
static cJSON *b64url_json(const char *in, size_t len)
{
    unsigned char *buf = NULL;
    size_t n = 0, cap = len / 4 * 3 + 3;
    cJSON *json = NULL;

    buf = malloc(cap + 1);
    if (buf == NULL)
        goto out;
    if (b64url_decode(in, len, buf, cap, &n) != 0 || memchr(buf, '\0', n) != NULL ||
        json_has_nul_escape(buf, n))
        goto out;
    buf[n] = '\0';
    json = cJSON_ParseWithOpts((const char *)buf, NULL, 1); /* 1: no trailing bytes */
out:
    free(buf);
    return json;
}

/*
 * Issue a token for subject `sub` (1..TOKEN_SUB_MAX bytes) valid from `now`
 * for `ttl` (> 0) seconds, signed HS256 with `key` (`keylen` bytes, at least
 * TOKEN_KEY_MIN). Header {"alg":"HS256","typ":"JWT"}; claims sub, iat = nbf =
 * now, exp = now + ttl, jti (UUID4), type "access", fresh false. *out is
 * malloc'd and NUL-terminated; the caller frees it with free(). ST_INVALID for
 * bad arguments (then *out is NULL), ST_NOMEM or ST_INTERNAL if libjwt or the
 * RNG fails.
 */
time_t token_clock(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
        return time(NULL);
    return ts.tv_sec;
}

status token_issue(const unsigned char *key, size_t keylen, const char *sub, time_t now, long ttl,
                   char **out)
{
    jwt_t *jwt = NULL;
    char *enc = NULL;
    char jti[37];
    size_t sublen;
    status st = ST_INTERNAL;

    if (out == NULL)
        return ST_INVALID;
    *out = NULL;
    if (key == NULL || keylen < TOKEN_KEY_MIN || keylen > (size_t)INT_MAX || sub == NULL)
        return ST_INVALID;
    sublen = strnlen(sub, TOKEN_SUB_MAX + 1);
    if (sublen == 0 || sublen > TOKEN_SUB_MAX)
        return ST_INVALID;
    if (ttl <= 0 || now < 0 || (long)now > LONG_MAX - ttl)
        return ST_INVALID;

    st = random_uuid4(jti);
    if (st != ST_OK)
        goto out;
    st = ST_INTERNAL;
    if (jwt_new(&jwt) != 0)
        goto out;
    if (jwt_set_alg(jwt, JWT_ALG_HS256, key, (int)keylen) != 0)
        goto out;
    if (jwt_add_grant_bool(jwt, "fresh", 0) != 0 || jwt_add_grant_int(jwt, "iat", (long)now) != 0 ||
        jwt_add_grant(jwt, "jti", jti) != 0 || jwt_add_grant(jwt, "type", "access") != 0 ||
        jwt_add_grant(jwt, "sub", sub) != 0 || jwt_add_grant_int(jwt, "nbf", (long)now) != 0 ||
        jwt_add_grant_int(jwt, "exp", (long)now + ttl) != 0)
        goto out;
    enc = jwt_encode_str(jwt);
    if (enc == NULL)
        goto out;
    /* libjwt 1.10 has no jwt_free_str: its strings come from malloc and go to free. */
    *out = strdup(enc);
    st = *out != NULL ? ST_OK : ST_NOMEM;
out:
    free(enc);
    jwt_free(jwt); /* also wipes libjwt's copy of the key */
    return st;
}

/* True when a name appears twice in the claims object. */
static bool has_repeated_claim(const cJSON *claims)
{
    for (const cJSON *a = claims->child; a; a = a->next)
        for (const cJSON *b = a->next; b; b = b->next)
            if (a->string && b->string && strcmp(a->string, b->string) == 0)
                return true;
    return false;
}

/* The clock's part of a check, for the full check and the memo alike: exp >
 * now (else EXPIRED), nbf <= now (else NOT_YET_VALID), iat <= now (else
 * NOT_YET_ISSUED, as PyJWT); -INFINITY for nbf or iat: none. */
static token_error check_window(double exp, double nbf, double iat, time_t now)
{
    if (!(exp > (double)now))
        return TOKEN_EXPIRED;
    if (nbf > (double)now)
        return TOKEN_NOT_YET_VALID;
    if (iat > (double)now)
        return TOKEN_NOT_YET_ISSUED;
    return TOKEN_OK;
}

/* A whole number of seconds as int64_t, clamped (-INFINITY: INT64_MIN). */
static int64_t whole_seconds(double v)
{
    if (!(v > -9.2e18))
        return INT64_MIN;
    if (v >= 9.2e18)
        return INT64_MAX;
    return (int64_t)v;
}

/* The subject (non-empty) into sub[sub_cap] with its NUL, or MALFORMED. */
static token_error copy_sub(const char *subject, char *sub, size_t sub_cap)
{
    size_t n = strlen(subject);
    if (n == 0 || n >= sub_cap)
        return TOKEN_MALFORMED;
    memcpy(sub, subject, n + 1);
    return TOKEN_OK;
}

/*
 * Check the payload claims of a token whose header and signature already
 * passed: exp (number, > now), nbf (number, <= now, optional), iat (number,
 * <= now, optional), type ("access"), sub (non-empty string of at most
 * TOKEN_SUB_MAX bytes), jti (optional; a string of 1..TOKEN_JTI_MAX bytes).
 * On TOKEN_OK *out holds sub, jti, iat and exp, and *exp_out, *nbf_out and
 * *iat_out the exact numbers (-INFINITY for an nbf or iat not there).
 */
static token_error token_check_claims(const cJSON *claims, time_t now, token_claims *out,
                                      double *exp_out, double *nbf_out, double *iat_out)
{
    const cJSON *exp = cJSON_GetObjectItemCaseSensitive(claims, "exp");
    const cJSON *nbf = cJSON_GetObjectItemCaseSensitive(claims, "nbf");
    const cJSON *iat = cJSON_GetObjectItemCaseSensitive(claims, "iat");
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(claims, "type");
    const cJSON *s = cJSON_GetObjectItemCaseSensitive(claims, "sub");
    const cJSON *jti = cJSON_GetObjectItemCaseSensitive(claims, "jti");

    if (!cJSON_IsNumber(exp) || (nbf != NULL && !cJSON_IsNumber(nbf)) ||
        (iat != NULL && !cJSON_IsNumber(iat)))
        return TOKEN_MALFORMED;
    /* 1e400 reads as infinity: a token that never expires. Refuse it, and a
     * claim given twice (cJSON keeps the first, PyJWT the last). */
    if (!isfinite(exp->valuedouble) || (nbf && !isfinite(nbf->valuedouble)) ||
        (iat && !isfinite(iat->valuedouble)) || has_repeated_claim(claims))
        return TOKEN_MALFORMED;
    *exp_out = exp->valuedouble;
    *iat_out = iat ? iat->valuedouble : -INFINITY;
    *nbf_out = nbf ? nbf->valuedouble : -INFINITY;
    token_error e = check_window(*exp_out, *nbf_out, *iat_out, now);
    if (e != TOKEN_OK)
        return e;
    if (!cJSON_IsString(type) || type->valuestring == NULL ||
        strcmp(type->valuestring, "access") != 0)
        return TOKEN_WRONG_TYPE;
    if (!cJSON_IsString(s) || s->valuestring == NULL)
        return TOKEN_MALFORMED;
    if (jti != NULL && (!cJSON_IsString(jti) || jti->valuestring == NULL ||
                        copy_sub(jti->valuestring, out->jti, sizeof out->jti) != TOKEN_OK))
        return TOKEN_MALFORMED;
    /* iat in whole seconds rounded down (a fractional iat is still in its
     * second), exp rounded up, both clamped into int64_t. */
    out->iat = whole_seconds(floor(*iat_out));
    out->exp = whole_seconds(ceil(*exp_out));
    return copy_sub(s->valuestring, out->sub, sizeof out->sub);
}

/*
 * Per-thread state for token_check. OpenSSL 3's one-shot HMAC() fetches the
 * algorithms and builds a context on every call (about half of a check's
 * 4 us); each thread keeps one keyed EVP_MAC_CTX instead and restarts it with
 * the same key. It also remembers the last token it found valid under that
 * key: a keep-alive client sends the same token with every request, and all
 * of a check but the clock (the shape, the header, the MAC, the claims' types,
 * type and sub) depends on the token's bytes and the key alone. Freed, and
 * wiped, when the thread ends.
 */
#define TOKEN_MEMO_MAX 1024 /* a longer token is checked in full every time */

typedef struct mac_cache {
    EVP_MAC_CTX *ctx;
    size_t keylen;
    unsigned char key[512];
    size_t memo_len; /* 0: nothing remembered */
    char memo[TOKEN_MEMO_MAX];
    double memo_exp, memo_nbf, memo_iat; /* -INFINITY: the token has no nbf, iat */
    token_claims memo_claims;
} mac_cache;

static pthread_once_t mac_once = PTHREAD_ONCE_INIT;
static pthread_key_t mac_key;
static EVP_MAC *mac_algo; /* fetched once, kept for the process's life */

static void mac_cache_free(void *p)
{
    mac_cache *c = p;
    EVP_MAC_CTX_free(c->ctx);
    OPENSSL_cleanse(c, sizeof *c);
    free(c);
}

static void mac_init_once(void)
{
    mac_algo = EVP_MAC_fetch(NULL, "HMAC", NULL);
    if (pthread_key_create(&mac_key, mac_cache_free) != 0)
        mac_algo = NULL; /* then hs256() falls back to HMAC() */
}

/* This thread's cache for a key of keylen bytes, or NULL (then no caching). */
static mac_cache *thread_cache(size_t keylen)
{
    pthread_once(&mac_once, mac_init_once);
    if (mac_algo == NULL || keylen > sizeof((mac_cache *)NULL)->key)
        return NULL;
    mac_cache *c = pthread_getspecific(mac_key);
    if (c == NULL) {
        c = calloc(1, sizeof *c);
        if (c && pthread_setspecific(mac_key, c) != 0) {
            free(c);
            c = NULL;
        }
    }
    return c;
}

static bool cache_has_key(const mac_cache *c, const unsigned char *key, size_t keylen)
{
    return c->ctx && c->keylen == keylen && CRYPTO_memcmp(c->key, key, keylen) == 0;
}

/* The MAC of data[len] under key[keylen] into out (32 bytes), with cache c
 * when not NULL; 0 or -1. */
static int hs256(mac_cache *c, const unsigned char *key, size_t keylen, const unsigned char *data,
                 size_t len, unsigned char *out, unsigned int *outlen)
{
    if (c == NULL) /* no cache: the plain one-shot */
        return HMAC(EVP_sha256(), key, (int)keylen, data, len, out, outlen) ? 0 : -1;
    if (!cache_has_key(c, key, keylen)) {
        OSSL_PARAM params[] = {
            OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0),
            OSSL_PARAM_construct_end()};
        c->memo_len = 0; /* it was found valid under the old key */
        EVP_MAC_CTX_free(c->ctx);
        c->ctx = EVP_MAC_CTX_new(mac_algo);
        if (c->ctx == NULL || !EVP_MAC_init(c->ctx, key, keylen, params)) {
            EVP_MAC_CTX_free(c->ctx);
            c->ctx = NULL;
            return -1;
        }
        memcpy(c->key, key, keylen);
        c->keylen = keylen;
    } else if (!EVP_MAC_init(c->ctx, NULL, 0, NULL)) { /* restart with the same key */
        return -1;
    }
    size_t n = 0;
    if (!EVP_MAC_update(c->ctx, data, len) || !EVP_MAC_final(c->ctx, out, &n, EVP_MAX_MD_SIZE))
        return -1;
    *outlen = (unsigned int)n;
    return 0;
}

/* The remembered token again: what token_check_claims would say now (its
 * type, sub and jti passed when it was remembered). */
static token_error memo_check(const mac_cache *c, time_t now, token_claims *out)
{
    token_error e = check_window(c->memo_exp, c->memo_nbf, c->memo_iat, now);
    if (e == TOKEN_OK)
        *out = c->memo_claims;
    return e;
}

/*
 * Check `token` at time `now` against `key` (`keylen` bytes), in this order:
 * three non-empty base64url parts, at most 8 KiB in all (else MALFORMED); a
 * header that is a JSON object (else MALFORMED) whose "alg" is exactly
 * "HS256" (else BAD_ALG); a signature of exactly 32 bytes equal, in constant
 * time, to the HMAC-SHA256 of "<header>.<payload>" (else BAD_SIGNATURE; also
 * for a NULL key or one shorter than TOKEN_KEY_MIN; MALFORMED if its last
 * character carries stray bits); a payload that is a JSON object with a numeric
 * exp (else MALFORMED) > now (else EXPIRED), nbf if present <= now (else
 * NOT_YET_VALID), iat if present <= now (else NOT_YET_ISSUED), type "access"
 * (else WRONG_TYPE), a non-empty string sub of at most TOKEN_SUB_MAX bytes
 * and a jti, if present, of 1..TOKEN_JTI_MAX bytes (else MALFORMED). On
 * TOKEN_OK *out holds the claims; on any error it is zeroed.
 */
token_error token_verify(const unsigned char *key, size_t keylen, const char *token, time_t now,
                         token_claims *out)
{
    const char *dot1, *dot2;
    size_t len, i, hlen, plen, slen, siglen = 0;
    unsigned char sig[TOKEN_SIG_LEN];
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int maclen = 0;
    cJSON *header = NULL, *claims = NULL;
    const cJSON *alg;
    token_error e = TOKEN_MALFORMED;

    if (out == NULL)
        return TOKEN_MALFORMED;
    memset(out, 0, sizeof *out);
    if (token == NULL)
        return TOKEN_MALFORMED;

    /* (1) Shape: exactly three non-empty base64url parts, bounded length. */
    len = strnlen(token, TOKEN_MAX_LEN + 1);
    if (len > TOKEN_MAX_LEN)
        return TOKEN_MALFORMED;

    /* (0) The token this thread last found valid under this key, byte for
     * byte (compared in constant time): only the clock can change the
     * answer. */
    mac_cache *c = key != NULL && keylen >= TOKEN_KEY_MIN ? thread_cache(keylen) : NULL;
    if (c && c->memo_len != 0 && c->memo_len == len && cache_has_key(c, key, keylen) &&
        CRYPTO_memcmp(c->memo, token, len) == 0)
        return memo_check(c, now, out);

    for (i = 0; i < len; i++) {
        if (token[i] != '.' && b64url_value((unsigned char)token[i]) < 0)
            return TOKEN_MALFORMED;
    }
    dot1 = memchr(token, '.', len);
    if (dot1 == NULL)
        return TOKEN_MALFORMED;
    dot2 = memchr(dot1 + 1, '.', len - (size_t)(dot1 + 1 - token));
    if (dot2 == NULL || memchr(dot2 + 1, '.', len - (size_t)(dot2 + 1 - token)) != NULL)
        return TOKEN_MALFORMED;
    hlen = (size_t)(dot1 - token);
    plen = (size_t)(dot2 - dot1 - 1);
    slen = len - (size_t)(dot2 + 1 - token);
    if (hlen == 0 || plen == 0 || slen == 0)
        return TOKEN_MALFORMED;

    /* (2) The algorithm, from the raw header, before any key is used. */
    header = b64url_json(token, hlen);
    if (!cJSON_IsObject(header))
        goto out;
    alg = cJSON_GetObjectItemCaseSensitive(header, "alg");
    if (!cJSON_IsString(alg) || alg->valuestring == NULL ||
        strcmp(alg->valuestring, "HS256") != 0) {
        e = TOKEN_BAD_ALG;
        goto out;
    }

    /* (3) The signature: HMAC-SHA256 over "<header>.<payload>", constant time. */
    e = TOKEN_BAD_SIGNATURE;
    if (key == NULL || keylen < TOKEN_KEY_MIN || keylen > (size_t)INT_MAX)
        goto out;
    if (slen != TOKEN_SIG_B64_LEN)
        goto out; /* not 32 bytes: another algorithm's MAC, or garbage */
    if (b64url_decode(dot2 + 1, slen, sig, sizeof sig, &siglen) != 0 || siglen != TOKEN_SIG_LEN) {
        e = TOKEN_MALFORMED; /* stray bits in the last character */
        goto out;
    }
    if (hs256(c, key, keylen, (const unsigned char *)token, hlen + 1 + plen, mac, &maclen) != 0 ||
        maclen != TOKEN_SIG_LEN)
        goto out;
    if (CRYPTO_memcmp(mac, sig, TOKEN_SIG_LEN) != 0)
        goto out;

    /* (4) The claims, now that they are known to be ours. */
    e = TOKEN_MALFORMED;
    claims = b64url_json(dot1 + 1, plen);
    if (!cJSON_IsObject(claims))
        goto out;
    double exp = 0, nbf = 0, iat = 0;
    e = token_check_claims(claims, now, out, &exp, &nbf, &iat);
    if (e == TOKEN_OK && c && len <= sizeof c->memo) {
        memcpy(c->memo, token, len);
        c->memo_len = len;
        c->memo_exp = exp;
        c->memo_nbf = nbf;
        c->memo_iat = iat;
        c->memo_claims = *out;
    }
out:
    OPENSSL_cleanse(mac, sizeof mac);
    OPENSSL_cleanse(sig, sizeof sig);
    cJSON_Delete(header);
    cJSON_Delete(claims);
    if (e != TOKEN_OK)
        memset(out, 0, sizeof *out);
    return e;
}

token_error token_check(const unsigned char *key, size_t keylen, const char *token, time_t now,
                        char *sub, size_t sub_cap)
{
    token_claims tc;
    if (sub != NULL && sub_cap > 0)
        sub[0] = '\0';
    if (sub == NULL || sub_cap == 0)
        return TOKEN_MALFORMED;
    token_error e = token_verify(key, keylen, token, now, &tc);
    if (e == TOKEN_OK)
        e = copy_sub(tc.sub, sub, sub_cap);
    OPENSSL_cleanse(&tc, sizeof tc);
    return e;
}

/* The flask-jwt-extended / PyJWT style message for `e` (a static string). */
const char *token_error_message(token_error e)
{
    switch (e) {
    case TOKEN_OK:
        return "Token is valid";
    case TOKEN_MALFORMED:
        return "Invalid token";
    case TOKEN_BAD_ALG:
        return "The specified alg value is not allowed";
    case TOKEN_BAD_SIGNATURE:
        return "Signature verification failed";
    case TOKEN_EXPIRED:
        return "Token has expired";
    case TOKEN_NOT_YET_VALID:
        return "The token is not yet valid (nbf)";
    case TOKEN_NOT_YET_ISSUED:
        return "The token is not yet valid (iat)";
    case TOKEN_WRONG_TYPE:
        return "Only non-refresh tokens are allowed";
    }
    return "Invalid token";
}
