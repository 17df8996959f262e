/*
 * routes_auth.c - POST /signup, /login and /verify-2fa (SPEC 3 and 4).
 * Validates the bodies, calls crypto/, totp/ and db/users, renders answers.
 */
#include <ctype.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "crypto/password.h"
#include "crypto/random.h"
#include "crypto/secret.h"
#include "crypto/token.h"
#include "db/users.h"
#include "server/routes.h"
#include "totp/base32.h"
#include "totp/otpauth.h"
#include "totp/qr.h"
#include "totp/totp.h"

#define USERNAME_MIN 3
#define USERNAME_MAX 64
#define PASSWORD_MIN 8
#define MAX_CODE_FAILURES 5 /* wrong codes that close a challenge (SPEC 3) */

/* A hash nobody's password matches, checked for unknown users so that they
 * cost the same bcrypt as known ones (no user enumeration by timing). */
static char g_dummy_hash[PASSWORD_HASH_LEN + 1];
/* At most one bcrypt per core at a time: more only adds contention, and the
 * worker threads left over keep serving cheap requests. */
static sem_t g_bcrypt_slots;

status routes_auth_init(const config *cfg)
{
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    if (sem_init(&g_bcrypt_slots, 0, (unsigned)(cores > 0 ? cores : 1)) != 0)
        return ST_INTERNAL;
    unsigned char rnd[24];
    char pw[sizeof rnd * 2 + 1];
    status st = random_bytes(rnd, sizeof rnd);
    if (st != ST_OK)
        return st;
    for (size_t i = 0; i < sizeof rnd; i++)
        snprintf(pw + 2 * i, 3, "%02x", rnd[i]);
    st = password_hash(pw, strlen(pw), cfg->bcrypt_cost, g_dummy_hash);
    OPENSSL_cleanse(pw, sizeof pw);
    return st;
}

void routes_auth_free(void)
{
    sem_destroy(&g_bcrypt_slots);
}

static status hash_gated(const char *pw, size_t len, int cost, char out[PASSWORD_HASH_LEN + 1])
{
    sem_wait(&g_bcrypt_slots);
    status st = password_hash(pw, len, cost, out);
    sem_post(&g_bcrypt_slots);
    return st;
}

static bool verify_gated(const char *pw, size_t len, const char *hash)
{
    sem_wait(&g_bcrypt_slots);
    bool ok = password_verify(pw, len, hash);
    sem_post(&g_bcrypt_slots);
    return ok;
}

/* ---- body validation ---- */

typedef struct credentials {
    const char *username;
    const char *password; /* or the code, for /verify-2fa */
    size_t password_len;
} credentials;

static void field_error(cJSON **fields, const char *field, const char *why)
{
    if (!*fields)
        *fields = cJSON_CreateObject();
    if (*fields && !cJSON_HasObjectItem(*fields, field))
        cJSON_AddStringToObject(*fields, field, why);
}

/* Every key of `body` is one of `allowed` (NULL-terminated); others are errors. */
static void check_unknown(const cJSON *body, const char *const *allowed, cJSON **fields)
{
    for (const cJSON *it = body->child; it; it = it->next) {
        bool known = false;
        for (const char *const *a = allowed; *a; a++)
            known = known || strcmp(*a, it->string) == 0;
        if (!known)
            field_error(fields, it->string, "unknown field");
    }
}

static bool valid_username(const char *s)
{
    size_t n = strlen(s);
    if (n < USERNAME_MIN || n > USERNAME_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (!(isascii(ch) && isalnum(ch)) && ch != '_' && ch != '.' && ch != '@' && ch != '-')
            return false;
    }
    return true;
}

static void check_username(const cJSON *body, credentials *c, cJSON **fields)
{
    const cJSON *u = cJSON_GetObjectItemCaseSensitive(body, "username");
    if (!u)
        field_error(fields, "username", "required");
    else if (!cJSON_IsString(u))
        field_error(fields, "username", "must be a string");
    else if (!valid_username(u->valuestring))
        field_error(fields, "username",
                    "3 to 64 characters from A-Z a-z 0-9 _ . @ -");
    else
        c->username = u->valuestring;
}

static void check_password(const cJSON *body, credentials *c, cJSON **fields)
{
    const cJSON *p = cJSON_GetObjectItemCaseSensitive(body, "password");
    if (!p) {
        field_error(fields, "password", "required");
    } else if (!cJSON_IsString(p)) {
        field_error(fields, "password", "must be a string");
    } else {
        size_t n = strlen(p->valuestring);
        if (n < PASSWORD_MIN || n > PASSWORD_MAX_BYTES)
            field_error(fields, "password", "8 to 72 bytes of UTF-8");
        else {
            c->password = p->valuestring;
            c->password_len = n;
        }
    }
}

/* Parse and validate {"username", "password"}; false when answered already. */
static bool read_credentials(request *r, cJSON **body, credentials *c)
{
    static const char *const allowed[] = {"username", "password", NULL};
    memset(c, 0, sizeof *c);
    if (!http_json_body(r, body))
        return false;
    cJSON *fields = NULL;
    check_unknown(*body, allowed, &fields);
    check_username(*body, c, &fields);
    check_password(*body, c, &fields);
    if (fields) {
        http_send_validation(r, fields);
        return false;
    }
    return true;
}

/* ---- the TOTP secret as stored ---- */

/*
 * The raw secret of `u` into key[cap]: sealed with TOTP_SECRET_KEY (bound to
 * the username), or base32 from before the key was set. Returns its length,
 * or -1 with the reason logged (never the secret) when it cannot be read.
 */
static int user_secret(const config *cfg, const user *u, uint8_t *key, size_t cap)
{
    if (!secret_is_sealed(u->totp_secret))
        return b32_decode(u->totp_secret, strlen(u->totp_secret), key, cap);
    if (!cfg->has_totp_key) {
        fprintf(stderr, "auth: user %llu has an encrypted TOTP secret but TOTP_SECRET_KEY "
                        "is not set\n", (unsigned long long)u->id);
        return -1;
    }
    size_t len = 0;
    status st = secret_open(cfg->totp_key, u->totp_secret, u->username, key, cap, &len);
    if (st != ST_OK) {
        fprintf(stderr, "auth: the TOTP secret of user %llu does not open with "
                        "TOTP_SECRET_KEY (%s): wrong key, or a damaged row\n",
                (unsigned long long)u->id, status_name(st));
        return -1;
    }
    return (int)len;
}

/* The text to store for a new secret: sealed when TOTP_SECRET_KEY is set. */
static status store_secret(const config *cfg, const char *username, const uint8_t *secret,
                           size_t len, char *out, size_t cap)
{
    if (cfg->has_totp_key)
        return secret_seal(cfg->totp_key, secret, len, username, out, cap);
    return b32_encode(secret, len, out, cap) < 0 ? ST_INTERNAL : ST_OK;
}

/* A plaintext secret from before TOTP_SECRET_KEY was set is sealed at the
 * user's next good password. Failure leaves the old row working. */
static void seal_legacy_secret(const config *cfg, const user *u)
{
    if (!cfg->has_totp_key || secret_is_sealed(u->totp_secret))
        return;
    uint8_t key[64];
    char sealed[SECRET_SEALED_MAX + 1];
    int len = b32_decode(u->totp_secret, strlen(u->totp_secret), key, sizeof key);
    if (len > 0 && secret_seal(cfg->totp_key, key, (size_t)len, u->username, sealed,
                               sizeof sealed) == ST_OK)
        (void)users_set_secret(u->id, sealed);
    OPENSSL_cleanse(key, sizeof key);
    OPENSSL_cleanse(sealed, sizeof sealed);
}

status routes_auth_check_secrets(const config *cfg, char *why, size_t why_cap)
{
    char sample[USERS_SECRET_MAX + 1];
    status st = users_any_sealed_secret(sample, sizeof sample);
    if (st == ST_NOT_FOUND)
        return ST_OK;
    if (st != ST_OK) {
        snprintf(why, why_cap, "could not read the users table (%s)", status_name(st));
        return st;
    }
    if (!cfg->has_totp_key) {
        snprintf(why, why_cap, "TOTP secrets in the database are encrypted, but "
                               "TOTP_SECRET_KEY is not set");
        return ST_INVALID;
    }
    char kid[9];
    secret_key_id(cfg->totp_key, kid);
    /* "v1.<kid>." : the key id is public, so a plain compare is fine. */
    if (strncmp(sample + 3, kid, 8) != 0) {
        snprintf(why, why_cap, "TOTP_SECRET_KEY (key id %s) is not the key that encrypted "
                               "the stored TOTP secrets (key id %.8s)", kid, sample + 3);
        return ST_INVALID;
    }
    return ST_OK;
}

/* ---- POST /signup ---- */

void route_signup(request *r)
{
    cJSON *body = NULL;
    credentials c;
    uint8_t secret[TOTP_SECRET_BYTES];
    char stored[SECRET_SEALED_MAX + 1];
    char hash[PASSWORD_HASH_LEN + 1];

    if (!read_credentials(r, &body, &c))
        goto out;
    status st = hash_gated(c.password, c.password_len, r->cfg->bcrypt_cost, hash);
    if (st == ST_OK)
        st = random_bytes(secret, sizeof secret);
    if (st == ST_OK)
        st = store_secret(r->cfg, c.username, secret, sizeof secret, stored, sizeof stored);
    if (st == ST_OK)
        st = users_create(c.username, hash, stored);
    if (st == ST_OK) {
        strbuf b;
        sb_init(&b);
        sb_puts(&b, "{\"message\":\"User registered successfully\"}");
        http_send_json(r, 201, &b, NULL);
        sb_free(&b);
    } else if (st == ST_CONFLICT) {
        http_send_error(r, 409, "username_taken", "That username is taken");
    } else {
        http_send_status(r, st);
    }
out:
    OPENSSL_cleanse(secret, sizeof secret);
    OPENSSL_cleanse(stored, sizeof stored);
    cJSON_Delete(body);
}

/* ---- POST /login ---- */

/* The q-value the Accept header gives `type` (e.g. "application/json"):
 * the most specific matching range wins; no Accept header means q=1 for all. */
static double accept_q(const char *accept, const char *type)
{
    if (!accept)
        return 1.0;
    const char *slash = strchr(type, '/');
    size_t major = (size_t)(slash - type);
    double q_best = 0.0;
    int best_spec = -1;
    const char *p = accept;
    while (*p) {
        while (*p == ' ' || *p == ',')
            p++;
        const char *end = p + strcspn(p, ",");
        const char *semi = memchr(p, ';', (size_t)(end - p));
        const char *rend = semi ? semi : end;
        while (rend > p && rend[-1] == ' ')
            rend--;
        size_t rlen = (size_t)(rend - p);
        int spec = -1;
        if (rlen == 3 && strncmp(p, "*/*", 3) == 0)
            spec = 0;
        else if (rlen == major + 2 && strncasecmp(p, type, major + 1) == 0 && p[major + 1] == '*')
            spec = 1;
        else if (rlen == strlen(type) && strncasecmp(p, type, rlen) == 0)
            spec = 2;
        if (spec > best_spec) {
            double q = 1.0;
            for (const char *s = semi; s && s < end; s = memchr(s + 1, ';', (size_t)(end - s - 1))) {
                const char *k = s + 1;
                while (*k == ' ')
                    k++;
                if ((k[0] == 'q' || k[0] == 'Q') && k[1] == '=')
                    q = strtod(k + 2, NULL);
            }
            best_spec = spec;
            q_best = q;
        }
        p = end;
    }
    return q_best;
}

static bool prefers_json(request *r)
{
    const char *accept = http_header(r, "Accept");
    return accept_q(accept, "application/json") > accept_q(accept, "image/png");
}

static void send_enrollment(request *r, const user *u)
{
    uint8_t key[64];
    char uri[512];
    unsigned char *png = NULL;
    size_t png_len = 0;
    char *b64 = NULL;
    strbuf b;
    sb_init(&b);

    int keylen = user_secret(r->cfg, u, key, sizeof key);
    char secret_b32[B32_ENCODED_LEN(sizeof key) + 1];
    status st = ST_INTERNAL;
    if (keylen > 0 && b32_encode(key, (size_t)keylen, secret_b32, sizeof secret_b32) > 0 &&
        otpauth_uri(r->cfg->totp_issuer, u->username, secret_b32, uri, sizeof uri) > 0)
        st = qr_png(uri, &png, &png_len);
    if (st != ST_OK) {
        http_send_status(r, st);
        goto out;
    }
    if (!prefers_json(r)) {
        http_send(r, 200, "image/png", png, png_len, NULL);
        goto out;
    }
    b64 = malloc(4 * ((png_len + 2) / 3) + 1);
    if (!b64) {
        http_send_status(r, ST_NOMEM);
        goto out;
    }
    EVP_EncodeBlock((unsigned char *)b64, png, (int)png_len);
    sb_puts(&b, "{\"otpauth_uri\":");
    sb_json_str(&b, uri);
    sb_puts(&b, ",\"qr_png_base64\":\"");
    sb_puts(&b, b64);
    sb_puts(&b, "\",\"2fa_enrolled\":false}");
    http_send_json(r, 200, &b, NULL);
out:
    OPENSSL_cleanse(key, sizeof key);
    OPENSSL_cleanse(secret_b32, sizeof secret_b32);
    OPENSSL_cleanse(uri, sizeof uri);
    if (b.data)
        OPENSSL_cleanse(b.data, b.len);
    sb_free(&b);
    free(b64);
    free(png);
}

static void send_locked(request *r, int64_t retry_after)
{
    char h[48];
    snprintf(h, sizeof h, "Retry-After: %lld\r\n", (long long)retry_after);
    strbuf b;
    sb_init(&b);
    sb_puts(&b, "{\"message\":\"Too many failed attempts; try again later\","
                "\"error\":\"too_many_attempts\"}");
    http_send_json(r, 429, &b, h);
    sb_free(&b);
}

static void send_invalid_credentials(request *r)
{
    http_send_error(r, 401, "invalid_credentials", "Invalid username or password");
}

void route_login(request *r)
{
    cJSON *body = NULL;
    credentials c;
    user u;
    char new_hash[PASSWORD_HASH_LEN + 1];
    memset(&u, 0, sizeof u);

    if (!read_credentials(r, &body, &c))
        goto out;
    const config *cfg = r->cfg;
    status st = users_find(c.username, &u);
    if (st == ST_NOT_FOUND) {
        (void)verify_gated(c.password, c.password_len, g_dummy_hash);
        send_invalid_credentials(r);
        goto out;
    }
    if (st != ST_OK) {
        http_send_status(r, st);
        goto out;
    }
    int64_t retry_after = 1;
    st = users_reserve_attempt(u.id, cfg->login_max_failures, &retry_after);
    if (st == ST_LOCKED) {
        send_locked(r, retry_after);
        goto out;
    }
    if (st != ST_OK) {
        http_send_status(r, st);
        goto out;
    }
    if (!verify_gated(c.password, c.password_len, u.password_hash)) {
        st = users_password_failed(u.id, cfg->login_max_failures, cfg->login_lock_seconds);
        if (st == ST_OK)
            send_invalid_credentials(r);
        else
            http_send_status(r, st);
        goto out;
    }
    const char *rehash = NULL;
    if (password_needs_rehash(u.password_hash, cfg->bcrypt_cost) &&
        hash_gated(c.password, c.password_len, cfg->bcrypt_cost, new_hash) == ST_OK)
        rehash = new_hash;
    st = users_open_challenge(u.id, cfg->login_challenge_seconds, rehash);
    if (st != ST_OK) {
        http_send_status(r, st);
        goto out;
    }
    seal_legacy_secret(cfg, &u);
    if (u.totp_enrolled) {
        strbuf b;
        sb_init(&b);
        sb_puts(&b, "{\"message\":\"Enter the code from your authenticator app\","
                    "\"2fa_enrolled\":true}");
        http_send_json(r, 200, &b, NULL);
        sb_free(&b);
    } else {
        send_enrollment(r, &u);
    }
out:
    OPENSSL_cleanse(&u, sizeof u);
    cJSON_Delete(body);
}

/* ---- POST /verify-2fa ---- */

static bool read_code(request *r, cJSON **body, credentials *c)
{
    static const char *const allowed[] = {"username", "code", NULL};
    memset(c, 0, sizeof *c);
    if (!http_json_body(r, body))
        return false;
    cJSON *fields = NULL;
    check_unknown(*body, allowed, &fields);
    check_username(*body, c, &fields);
    const cJSON *code = cJSON_GetObjectItemCaseSensitive(*body, "code");
    if (!code)
        field_error(&fields, "code", "required");
    else if (!cJSON_IsString(code))
        field_error(&fields, "code", "must be a string of 6 digits");
    else {
        const char *s = code->valuestring;
        bool ok = strlen(s) == TOTP_DIGITS;
        for (size_t i = 0; ok && i < TOTP_DIGITS; i++)
            ok = s[i] >= '0' && s[i] <= '9';
        if (!ok)
            field_error(&fields, "code", "must be a string of 6 digits");
        c->password = s;
    }
    if (fields) {
        http_send_validation(r, fields);
        return false;
    }
    return true;
}

static void send_token(request *r, const char *sub)
{
    char *token = NULL;
    status st = token_issue(r->cfg->jwt_key, r->cfg->jwt_key_len, sub, time(NULL),
                            r->cfg->jwt_expires, &token);
    if (st != ST_OK) {
        http_send_status(r, st);
        return;
    }
    strbuf b;
    sb_init(&b);
    sb_puts(&b, "{\"access_token\":");
    sb_json_str(&b, token);
    sb_printf(&b, ",\"token_type\":\"Bearer\",\"expires_in\":%ld}", r->cfg->jwt_expires);
    http_send_json(r, 200, &b, NULL);
    OPENSSL_cleanse(token, strlen(token));
    free(token);
    if (b.data)
        OPENSSL_cleanse(b.data, b.len);
    sb_free(&b);
}

void route_verify_2fa(request *r)
{
    cJSON *body = NULL;
    credentials c;
    user u;
    uint8_t key[64];
    memset(&u, 0, sizeof u);

    if (!read_code(r, &body, &c))
        goto out;
    const config *cfg = r->cfg;
    status st = users_find(c.username, &u);
    if (st == ST_OK && !u.challenge_open)
        st = ST_NOT_FOUND;
    if (st == ST_NOT_FOUND) {
        http_send_error(r, 401, "login_required",
                        "Log in with your password first (POST /login)");
        goto out;
    }
    if (st != ST_OK) {
        http_send_status(r, st);
        goto out;
    }
    int keylen = user_secret(cfg, &u, key, sizeof key);
    if (keylen <= 0) {
        http_send_status(r, ST_INTERNAL);
        goto out;
    }
    int64_t step = 0;
    bool ok = totp_verify(key, (size_t)keylen, c.password, time(NULL), u.totp_last_step, &step);
    if (ok) {
        /* One conditional UPDATE decides: parallel requests with the same
         * code cannot both pass the replay rule. */
        st = users_complete_login(u.id, step);
        if (st == ST_OK) {
            send_token(r, u.username);
            goto out;
        }
        if (st != ST_UNAUTHORIZED) {
            http_send_status(r, st);
            goto out;
        }
    }
    st = users_code_failed(u.id, MAX_CODE_FAILURES, cfg->login_max_failures,
                           cfg->login_lock_seconds);
    if (st == ST_OK)
        http_send_error(r, 401, "invalid_code", "The code is not valid");
    else
        http_send_status(r, st);
out:
    OPENSSL_cleanse(key, sizeof key);
    OPENSSL_cleanse(&u, sizeof u);
    cJSON_Delete(body);
}
