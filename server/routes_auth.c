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

#include "common/monotime.h"
#include "crypto/hashgate.h"
#include "crypto/password.h"
#include "crypto/random.h"
#include "crypto/secret.h"
#include "crypto/token.h"
#include "db/users.h"
#include "server/metrics.h"
#include "server/routes.h"
#include "server/secrets.h"
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
        st = users_create(c.username, hash, stored);
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

static void send_locked(request *r, int64_t retry_after)
{
    char h[48];
    snprintf(h, sizeof h, "Retry-After: %lld\r\n", (long long)retry_after);
    http_send_literal(r, 429,
                      "{\"message\":\"Too many failed attempts; try again later\","
                      "\"error\":\"too_many_attempts\"}",
                      h);
}

static void send_invalid_credentials(request *r)
{
    http_send_error(r, 401, "invalid_credentials", "Invalid username or password");
}

/*
 * How long a reserved password check counts as in flight when its server
 * dies before resolving it: the longest wait for a bcrypt slot plus this
 * slack, which covers the check itself. A check still running
 * LOGIN_HOLD_MARGIN_SECONDS before that end is not answered (see
 * route_login).
 */
#define LOGIN_HOLD_SLACK_SECONDS 30u
#define LOGIN_HOLD_MARGIN_SECONDS 3u
#define TURN_PAUSE_MIN_MS 5u
#define TURN_PAUSE_MAX_MS 100u

/* Sleep before asking again for the account's turn: *pause_ms, doubling up
 * to TURN_PAUSE_MAX_MS, never past deadline_ms (CLOCK_MONOTONIC, ms). False
 * when the deadline has passed: the wait is over. */
static bool turn_wait(long long deadline_ms, unsigned *pause_ms)
{
    long long left = deadline_ms - monotonic_ms();
    if (left <= 0)
        return false;
    long long ms = left < *pause_ms ? left : *pause_ms;
    struct timespec ts = {.tv_sec = (time_t)(ms / 1000), .tv_nsec = (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
    *pause_ms = *pause_ms * 2 > TURN_PAUSE_MAX_MS ? TURN_PAUSE_MAX_MS : *pause_ms * 2;
    return true;
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
            send_invalid_credentials(r);
        goto out;
    }
    if (st != ST_OK) {
        http_send_status(r, st);
        goto out;
    }
    /* Wait for the account's turn (SPEC 4: never 429 unless locked) within
     * the same LOGIN_QUEUE_SECONDS as the wait for a bcrypt slot. */
    int64_t retry_after = 1;
    unsigned hold = cfg->login_queue_seconds + LOGIN_HOLD_SLACK_SECONDS;
    long long deadline_ms = monotonic_ms() + 1000LL * cfg->login_queue_seconds;
    long long reserved_ms = 0;
    unsigned pause_ms = TURN_PAUSE_MIN_MS;
    do {
        reserved_ms = monotonic_ms();
        st = users_reserve_attempt(u.id, cfg->login_max_failures, cfg->login_lock_seconds, hold,
                                   &retry_after);
    } while (st == ST_BUSY && turn_wait(deadline_ms, &pause_ms));
    if (st == ST_LOCKED) {
        send_locked(r, retry_after);
        goto out;
    }
    if (st == ST_NOT_FOUND) { /* deleted meanwhile */
        send_invalid_credentials(r);
        goto out;
    }
    if (st != ST_OK) {
        http_send_status(r, st);
        goto out;
    }
    st = hashgate_verify(&place, c.password, c.password_len, u.password_hash);
    /* A check that outlived its reservation may have run beside one granted
     * in its place: its answer is not given, and its reservation (already
     * lapsed) is not given back. */
    bool fresh = monotonic_ms() - reserved_ms < 1000LL * (hold - LOGIN_HOLD_MARGIN_SECONDS);
    if (st != ST_OK && st != ST_UNAUTHORIZED) {
        /* Not checked (ST_BUSY): give the reserved attempt back, as for a
         * right one. */
        if (fresh)
            (void)users_release_attempt(u.id);
        http_send_status(r, st);
        goto out;
    }
    if (st == ST_UNAUTHORIZED) {
        st = users_password_failed(u.id, cfg->login_max_failures, cfg->login_lock_seconds, fresh);
        if (st == ST_OK && fresh)
            send_invalid_credentials(r);
        else
            http_send_status(r, st == ST_OK ? ST_BUSY : st);
        goto out;
    }
    if (!fresh) {
        http_send_status(r, ST_BUSY);
        goto out;
    }
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

static void send_token(request *r, const char *sub)
{
    char *token = NULL;
    status st = token_issue(r->cfg->jwt_key, r->cfg->jwt_key_len, sub, token_clock(),
                            r->cfg->jwt_expires, &token);
    if (st != ST_OK) {
        http_send_status(r, st);
        return;
    }
    strbuf b;
    sb_init(&b);
    sb_puts(&b, "{\"access_token\":");
    jsonio_str(&b, token);
    sb_printf(&b, ",\"token_type\":\"Bearer\",\"expires_in\":%ld}", r->cfg->jwt_expires);
    http_send_json(r, 200, &b, NULL);
    metrics_token_issued();
    OPENSSL_cleanse(token, strlen(token));
    free(token);
    if (b.data)
        OPENSSL_cleanse(b.data, b.len);
    sb_free(&b);
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
        send_locked(r, u.lock_remaining); /* the lock covers the whole login */
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
    int keylen = secrets_open(cfg, &u, key, sizeof key);
    if (keylen <= 0) {
        http_send_status(r, ST_INTERNAL);
        goto out;
    }
    int64_t step = 0;
    bool ok = totp_verify(key, (size_t)keylen, c.code, time(NULL), u.totp_last_step, &step);
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
    metrics_totp(totp_result(r));
    OPENSSL_cleanse(key, sizeof key);
    OPENSSL_cleanse(&u, sizeof u);
    jsonio_free(body);
}
