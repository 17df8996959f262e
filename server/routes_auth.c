/*
 * routes_auth.c - POST /signup, /login and /verify-2fa (SPEC 3 and 4).
 * Validates the bodies, calls crypto/, totp/ and db/users, renders answers.
 */
#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crypto/hashgate.h"
#include "crypto/password.h"
#include "crypto/random.h"
#include "crypto/secret.h"
#include "crypto/recovery.h"
#include "crypto/token.h"
#include "db/recovery.h"
#include "db/users.h"
#include "server/metrics.h"
#include "server/routes.h"
#include "server/secrets.h"
#include "server/throttle.h"
#include "server/validate.h"
#include "totp/base32.h"
#include "totp/otpauth.h"
#include "totp/qr.h"
#include "totp/totp.h"

#define MAX_CODE_FAILURES 5 /* wrong codes that close a challenge (SPEC 3) */

static void warn_operator(const char *message)
{
    fprintf(stderr, "integrity-server: %s\n", message);
}

status routes_auth_init(const config *cfg)
{
    /* Each place in the bcrypt queue holds a worker thread: at most half
     * of them may wait there. */
    hashgate_config gate = {
        .places = cfg->threads / 2,
        .wait_seconds = cfg->login_queue_seconds,
        .cost = cfg->bcrypt_cost,
        .nice = (int)cfg->bcrypt_nice,
        .warn = warn_operator,
    };
    return hashgate_start(&gate);
}

void routes_auth_free(void)
{
    if (hashgate_stop() != ST_OK)
        fprintf(stderr, "integrity-server: the bcrypt helper did not exit cleanly\n");
}

/* ---- POST /signup ---- */

void route_signup(request *r)
{
    cJSON *body = NULL;
    credentials c;
    uint8_t secret[TOTP_SECRET_BYTES];
    char stored[SECRET_SEALED_MAX + 1];
    char hash[PASSWORD_HASH_LEN + 1];
    hashgate_place place = {0};

    if (!http_read_body(r, validate_credentials, &c, &body))
        goto out;
    status st = hashgate_admit(&place);
    if (st == ST_OK)
        st = hashgate_hash(&place, c.password, c.password_len, r->cfg->bcrypt_cost, hash);
    hashgate_leave(&place);
    if (st == ST_OK)
        st = random_bytes(secret, sizeof secret);
    if (st == ST_OK)
        st = secrets_store_text(r->cfg, c.username, secret, sizeof secret, stored, sizeof stored);
    if (st == ST_OK)
        st = users_create(c.username, hash, stored, (int64_t)token_clock());
    if (st == ST_OK)
        http_send_literal(r, 201, "{\"message\":\"User registered successfully\"}", NULL);
    else if (st == ST_CONFLICT)
        http_send_error(r, 409, "username_taken", "That username is taken");
    else
        http_send_status(r, st);
out:
    OPENSSL_cleanse(secret, sizeof secret);
    OPENSSL_cleanse(stored, sizeof stored);
    jsonio_free(body);
}

/* ---- the answers' results, for the metrics ---- */

/* What a /login answer told the client, read from the answer itself (its
 * status and error code) so that every path out of route_login is counted
 * by one line at its end. */
static metrics_login_result login_result(const request *r)
{
    switch (r->code) {
    case 200:
        return METRICS_LOGIN_SUCCESS;
    case 401:
        return METRICS_LOGIN_INVALID_CREDENTIALS;
    case 429:
        return METRICS_LOGIN_LOCKED;
    case 400:
    case 413:
    case 415:
        return METRICS_LOGIN_INVALID_REQUEST;
    case 503:
        if (r->error && strcmp(r->error, "server_busy") == 0)
            return METRICS_LOGIN_BUSY;
        return METRICS_LOGIN_ERROR;
    default:
        return METRICS_LOGIN_ERROR;
    }
}

/* The same for /verify-2fa. */
static metrics_totp_result totp_result(const request *r)
{
    switch (r->code) {
    case 200:
        return METRICS_TOTP_SUCCESS;
    case 401:
        if (r->error && strcmp(r->error, "login_required") == 0)
            return METRICS_TOTP_LOGIN_REQUIRED;
        return METRICS_TOTP_INVALID_CODE;
    case 429:
        return METRICS_TOTP_LOCKED;
    case 400:
    case 413:
    case 415:
        return METRICS_TOTP_INVALID_REQUEST;
    default:
        return METRICS_TOTP_ERROR;
    }
}

/* ---- POST /login ---- */

static void send_enrollment(request *r, const user *u)
{
    uint8_t key[SECRETS_KEY_MAX];
    char uri[OTPAUTH_URI_MAX];
    unsigned char *png = NULL;
    size_t png_len = 0;
    char *b64 = NULL;
    strbuf b;
    sb_init(&b);

    int keylen = secrets_open(r->cfg, u, key, sizeof key);
    char secret_b32[B32_ENCODED_LEN(sizeof key) + 1];
    status st = ST_INTERNAL;
    if (keylen > 0 && b32_encode(key, (size_t)keylen, secret_b32, sizeof secret_b32) > 0 &&
        otpauth_uri(r->cfg->totp_issuer, u->username, secret_b32, uri, sizeof uri) > 0)
        st = qr_png(uri, &png, &png_len);
    if (st != ST_OK) {
        http_send_status(r, st);
        goto out;
    }
    if (!validate_prefers_json(http_header(r, "Accept"))) {
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
    jsonio_str(&b, uri);
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

void route_login(request *r)
{
    cJSON *body = NULL;
    credentials c;
    user u;
    char new_hash[PASSWORD_HASH_LEN + 1];
    hashgate_place place = {0};
    memset(&u, 0, sizeof u);

    if (!http_read_body(r, validate_credentials, &c, &body))
        goto out;
    const config *cfg = r->cfg;
    status st = hashgate_admit(&place);
    if (st != ST_OK) {
        http_send_status(r, st);
        goto out;
    }
    st = users_find(c.username, &u);
    if (st == ST_NOT_FOUND) {
        st = hashgate_verify(&place, c.password, c.password_len, NULL);
        if (st == ST_BUSY)
            http_send_status(r, st);
        else
            throttle_send_invalid_credentials(r);
        goto out;
    }
    if (st != ST_OK) {
        http_send_status(r, st);
        goto out;
    }
    if (!throttle_check_password(r, &place, &u, c.password, c.password_len))
        goto out;
    const char *rehash = NULL;
    if (password_needs_rehash(u.password_hash, cfg->bcrypt_cost) &&
        hashgate_hash(&place, c.password, c.password_len, cfg->bcrypt_cost, new_hash) == ST_OK)
        rehash = new_hash;
    hashgate_leave(&place);
    st = users_open_challenge(u.id, cfg->login_challenge_seconds, rehash);
    if (st != ST_OK) {
        http_send_status(r, st);
        goto out;
    }
    secrets_seal_legacy(cfg, &u);
    if (u.totp_enrolled)
        http_send_literal(r, 200,
                          "{\"message\":\"Enter the code from your authenticator app\","
                          "\"2fa_enrolled\":true}",
                          NULL);
    else
        send_enrollment(r, &u);
out:
    metrics_login(login_result(r));
    hashgate_leave(&place);
    OPENSSL_cleanse(&u, sizeof u);
    OPENSSL_cleanse(new_hash, sizeof new_hash);
    jsonio_free(body);
}

/* ---- POST /verify-2fa ---- */

/*
 * A revocation (SPEC 9) refuses every token whose iat, in whole seconds, is
 * below the user's tokens_valid_after, which it sets to the second after
 * its own. A token issued within that second would be refused with the old
 * ones, so its issue waits for the second to begin: at most about a second,
 * once, right after a password change or a 2FA reset. Capped at 2 s, for a
 * value set by an instance whose clock runs ahead of ours.
 */
static void wait_for_second(int64_t valid_after)
{
    struct timespec now;
    if (clock_gettime(CLOCK_REALTIME, &now) != 0 || (int64_t)now.tv_sec >= valid_after ||
        valid_after - (int64_t)now.tv_sec > 2)
        return;
    struct timespec until = {.tv_sec = (time_t)valid_after, .tv_nsec = 1000000}; /* +1 ms */
    while (clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME, &until, NULL) == EINTR)
        ;
}

/* 200 with a token for `u`; with the first confirmation's recovery codes
 * (`codes` not NULL), or with `codes_left` >= 0 after a recovery code. */
static void send_token(request *r, const user *u, const char (*codes)[RECOVERY_SHOWN_LEN + 1],
                       long codes_left)
{
    char *token = NULL;
    wait_for_second(u->tokens_valid_after);
    status st = token_issue(r->cfg->jwt_key, r->cfg->jwt_key_len, u->username, token_clock(),
                            r->cfg->jwt_expires, &token);
    if (st != ST_OK) {
        http_send_status(r, st);
        return;
    }
    strbuf b;
    sb_init(&b);
    sb_puts(&b, "{\"access_token\":");
    jsonio_str(&b, token);
    sb_printf(&b, ",\"token_type\":\"Bearer\",\"expires_in\":%ld", r->cfg->jwt_expires);
    if (codes) {
        sb_puts(&b, ",");
        routes_render_codes(&b, codes);
    }
    if (codes_left >= 0)
        sb_printf(&b, ",\"recovery_codes_left\":%ld", codes_left);
    sb_puts(&b, "}");
    http_send_json(r, 200, &b, NULL);
    metrics_token_issued();
    OPENSSL_cleanse(token, strlen(token));
    free(token);
    if (b.data)
        OPENSSL_cleanse(b.data, b.len);
    sb_free(&b);
}

/* A right TOTP code at `step`: complete the login (one conditional UPDATE:
 * parallel requests with the same code cannot both pass the replay rule)
 * and answer; the request that first confirms 2FA also makes and shows the
 * recovery codes. ST_UNAUTHORIZED (not answered) when the UPDATE refused. */
static status complete_with_code(request *r, const user *u, int64_t step)
{
    status st = ST_UNAUTHORIZED;
    if (!u->totp_enrolled) {
        st = users_complete_enrollment(u->id, step);
        if (st == ST_OK) {
            char codes[RECOVERY_CODES][RECOVERY_SHOWN_LEN + 1];
            status cs = routes_recovery_new_set(r->cfg, u->id, codes);
            if (cs == ST_OK)
                send_token(r, u, (const char(*)[RECOVERY_SHOWN_LEN + 1]) codes, -1);
            else /* confirmed without codes: POST /account/recovery-codes makes them */
                http_send_status(r, cs);
            OPENSSL_cleanse(codes, sizeof codes);
            return ST_OK;
        }
        if (st != ST_UNAUTHORIZED)
            return st;
    }
    st = users_complete_login(u->id, step);
    if (st == ST_OK)
        send_token(r, u, NULL, -1);
    return st;
}

/* A recovery code instead (SPEC 9): ST_OK when answered with the token and
 * the codes left, ST_UNAUTHORIZED when wrong or used (not answered). */
static status complete_with_recovery(request *r, const user *u, const char *code)
{
    unsigned char hash[RECOVERY_HASH_LEN];
    size_t unused = 0;
    status st = routes_recovery_find(r->cfg, u->id, code, hash, &unused);
    if (st == ST_OK) /* one statement: of two requests racing with one code, one wins */
        st = recovery_use_for_login(u->id, hash);
    OPENSSL_cleanse(hash, sizeof hash);
    if (st == ST_OK)
        send_token(r, u, NULL, unused > 0 ? (long)unused - 1 : 0);
    return st;
}

void route_verify_2fa(request *r)
{
    cJSON *body = NULL;
    code_request c;
    user u;
    uint8_t key[SECRETS_KEY_MAX];
    memset(&u, 0, sizeof u);

    if (!http_read_body(r, validate_code_request, &c, &body))
        goto out;
    const config *cfg = r->cfg;
    status st = users_find(c.username, &u);
    if (st == ST_OK && u.lock_remaining > 0) {
        throttle_send_locked(r, u.lock_remaining); /* the lock covers the whole login */
        goto out;
    }
    if (st == ST_OK && !u.challenge_open)
        st = ST_NOT_FOUND;
    if (st == ST_NOT_FOUND) {
        http_send_error(r, 401, "login_required", "Log in with your password first (POST /login)");
        goto out;
    }
    if (st != ST_OK) {
        http_send_status(r, st);
        goto out;
    }
    if (c.factor.is_recovery) {
        st = complete_with_recovery(r, &u, c.factor.recovery_code);
    } else {
        int keylen = secrets_open(cfg, &u, key, sizeof key);
        if (keylen <= 0) {
            http_send_status(r, ST_INTERNAL);
            goto out;
        }
        int64_t step = 0;
        bool ok = totp_verify(key, (size_t)keylen, c.code, time(NULL), u.totp_last_step, &step);
        st = ok ? complete_with_code(r, &u, step) : ST_UNAUTHORIZED;
    }
    if (st != ST_UNAUTHORIZED) { /* answered, or an error */
        if (st != ST_OK)
            http_send_status(r, st);
        goto out;
    }
    st = users_code_failed(u.id, MAX_CODE_FAILURES, cfg->login_max_failures,
                           cfg->login_lock_seconds);
    if (st == ST_OK)
        http_send_error(r, 401, "invalid_code", "The code is not valid");
    else
        http_send_status(r, st);
out:
    metrics_totp(totp_result(r));
    OPENSSL_cleanse(key, sizeof key);
    OPENSSL_cleanse(&u, sizeof u);
    jsonio_free(body);
}
