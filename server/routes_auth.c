/*
 * routes_auth.c - POST /signup, /login and /verify-2fa (SPEC 3 and 4).
 * Validates the bodies, calls crypto/, totp/ and db/users, renders answers.
 */
#define _GNU_SOURCE /* sem_clockwait */
#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "crypto/hasher.h"
#include "crypto/password.h"
#include "crypto/random.h"
#include "crypto/secret.h"
#include "crypto/token.h"
#include "db/users.h"
#include "monotime.h"
#include "server/routes.h"
#include "server/validate.h"
#include "totp/base32.h"
#include "totp/otpauth.h"
#include "totp/qr.h"
#include "totp/totp.h"

#define MAX_CODE_FAILURES 5 /* wrong codes that close a challenge (SPEC 3) */

/* A hash nobody's password matches, checked for unknown users so that they
 * cost the same bcrypt as known ones (no user enumeration by timing). */
static char g_dummy_hash[PASSWORD_HASH_LEN + 1];
/*
 * At most one bcrypt per core at a time: more only adds contention. A login
 * or signup first takes a place in the bcrypt queue, before any database
 * work; each place holds a worker thread, so at most half the workers may
 * have one, and past that the request is answered 503 server_busy at once,
 * having cost no query (a client that retries at once, as load generators
 * do, must not turn each retry into database writes). A place then waits at
 * most LOGIN_QUEUE_SECONDS for a slot and is answered 503 server_busy after
 * that: a client that gave up waiting (its socket is not watched while it
 * waits) holds its place no longer than this.
 */
static sem_t g_bcrypt_slots;
static atomic_int g_bcrypt_places;
static int g_bcrypt_places_max;
static unsigned g_bcrypt_wait_seconds;

/* A request's place in the bcrypt queue. */
typedef struct bcrypt_place {
    bool held;
    struct timespec deadline; /* CLOCK_MONOTONIC: the latest a slot is waited for */
} bcrypt_place;

/* How long one answer from the bcrypt helper is waited for: 64 times what
 * a hash took here at start-up, and never under 30 s. A helper starved by a
 * read storm at its lower priority answers in seconds (bench/findings.md:
 * 2-3 logins in 8 s at the default); one that has not answered in this long
 * is stopped or hung, and is killed so that logins go on in-process. */
#define HASH_ANSWER_MIN_MS 30000u
#define HASH_ANSWER_FACTOR 64u

static unsigned hash_answer_ms(long long hash_ms)
{
    long long bound = hash_ms * HASH_ANSWER_FACTOR;
    if (bound < HASH_ANSWER_MIN_MS)
        bound = HASH_ANSWER_MIN_MS;
    return bound > HASHER_ANSWER_MS_MAX ? HASHER_ANSWER_MS_MAX : (unsigned)bound;
}

status routes_auth_init(const config *cfg)
{
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    unsigned slots = cores < 1 ? 1 : cores > HASHER_SLOTS_MAX ? HASHER_SLOTS_MAX : (unsigned)cores;
    if (sem_init(&g_bcrypt_slots, 0, slots) != 0)
        return ST_INTERNAL;
    g_bcrypt_places_max = cfg->threads / 2 > 0 ? (int)cfg->threads / 2 : 1;
    g_bcrypt_wait_seconds = cfg->login_queue_seconds;
    /* The dummy hash, made here (timed: it sets the helper's bound below)
     * before the helper is forked, while the process has a single thread. */
    unsigned char rnd[24];
    char pw[sizeof rnd * 2 + 1];
    long long hash_ms = 0;
    status st = random_bytes(rnd, sizeof rnd);
    if (st == ST_OK) {
        for (size_t i = 0; i < sizeof rnd; i++)
            snprintf(pw + 2 * i, 3, "%02x", rnd[i]);
        long long t0 = monotonic_ms();
        st = password_hash(pw, strlen(pw), cfg->bcrypt_cost, g_dummy_hash);
        hash_ms = monotonic_ms() - t0;
    }
    OPENSSL_cleanse(rnd, sizeof rnd);
    OPENSSL_cleanse(pw, sizeof pw);
    if (st != ST_OK) {
        sem_destroy(&g_bcrypt_slots);
        return st;
    }
    /* The hashes run in a helper with one channel per slot. Without it they
     * run in our threads. */
    if (hasher_start(slots, (int)cfg->bcrypt_nice, hash_answer_ms(hash_ms)) != ST_OK)
        fprintf(stderr, "integrity-server: WARNING: no bcrypt helper process; hashing in the "
                        "server's threads\n");
    return ST_OK;
}

void routes_auth_free(void)
{
    sem_destroy(&g_bcrypt_slots);
    if (hasher_stop() != ST_OK)
        fprintf(stderr, "integrity-server: the bcrypt helper did not exit cleanly\n");
}

/* Take a place in the queue; ST_BUSY when every place is taken. */
static status bcrypt_admit(bcrypt_place *p)
{
    if (atomic_fetch_add(&g_bcrypt_places, 1) >= g_bcrypt_places_max) {
        atomic_fetch_sub(&g_bcrypt_places, 1);
        return ST_BUSY;
    }
    clock_gettime(CLOCK_MONOTONIC, &p->deadline);
    p->deadline.tv_sec += (time_t)g_bcrypt_wait_seconds;
    p->held = true;
    return ST_OK;
}

static void bcrypt_leave(bcrypt_place *p)
{
    if (p->held)
        atomic_fetch_sub(&g_bcrypt_places, 1);
    p->held = false;
}

/* Wait for a slot until the place's deadline (a free slot is taken even
 * past it); ST_BUSY when none came. */
static status bcrypt_slot_take(const bcrypt_place *p)
{
    while (sem_clockwait(&g_bcrypt_slots, CLOCK_MONOTONIC, &p->deadline) != 0)
        if (errno != EINTR)
            return ST_BUSY; /* ETIMEDOUT */
    return ST_OK;
}

/* Once, when the bcrypt helper (crypto/hasher.h) is found gone: the hashes
 * go on in the server's own threads, which an operator should know. */
static void hasher_check(void)
{
    static atomic_bool logged;
    if (hasher_pid() != 0 && !hasher_running() && !atomic_exchange(&logged, true))
        fprintf(stderr,
                "integrity-server: the bcrypt helper (pid %ld) %s; hashing in the "
                "server's threads from now on\n",
                (long)hasher_pid(),
                hasher_hung() ? "did not answer in time and was killed" : "is gone");
}

static status hash_gated(const bcrypt_place *p, const char *pw, size_t len, int cost,
                         char out[PASSWORD_HASH_LEN + 1])
{
    status st = bcrypt_slot_take(p);
    if (st != ST_OK)
        return st;
    st = hasher_hash(pw, len, cost, out);
    sem_post(&g_bcrypt_slots);
    hasher_check();
    return st;
}

/* ST_OK when `pw` matches `hash`, ST_UNAUTHORIZED when not, ST_BUSY. */
static status verify_gated(const bcrypt_place *p, const char *pw, size_t len, const char *hash)
{
    status st = bcrypt_slot_take(p);
    if (st != ST_OK)
        return st;
    st = hasher_verify(pw, len, hash);
    sem_post(&g_bcrypt_slots);
    hasher_check();
    return st;
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
        fprintf(stderr,
                "auth: user %llu has an encrypted TOTP secret but TOTP_SECRET_KEY "
                "is not set\n",
                (unsigned long long)u->id);
        return -1;
    }
    size_t len = 0;
    status st = secret_open(cfg->totp_key, u->totp_secret, u->username, key, cap, &len);
    if (st != ST_OK) {
        fprintf(stderr,
                "auth: the TOTP secret of user %llu does not open with "
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
    if (len > 0 &&
        secret_seal(cfg->totp_key, key, (size_t)len, u->username, sealed, sizeof sealed) == ST_OK)
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
        snprintf(why, why_cap,
                 "TOTP secrets in the database are encrypted, but "
                 "TOTP_SECRET_KEY is not set");
        return ST_INVALID;
    }
    char kid[9];
    secret_key_id(cfg->totp_key, kid);
    /* "v1.<kid>." : the key id is public, so a plain compare is fine. */
    if (strncmp(sample + 3, kid, 8) != 0) {
        snprintf(why, why_cap,
                 "TOTP_SECRET_KEY (key id %s) is not the key that encrypted "
                 "the stored TOTP secrets (key id %.8s)",
                 kid, sample + 3);
        return ST_INVALID;
    }
    return ST_OK;
}

/* ---- bodies ---- */

/* Parse and validate {"username", "password"}; false when answered already. */
static bool read_credentials(request *r, cJSON **body, credentials *c)
{
    if (!http_json_body(r, body))
        return false;
    cJSON *fields = validate_credentials(*body, c);
    if (fields) {
        http_send_validation(r, fields);
        return false;
    }
    return true;
}

/* Parse and validate {"username", "code"}; false when answered already. */
static bool read_code(request *r, cJSON **body, code_request *c)
{
    if (!http_json_body(r, body))
        return false;
    cJSON *fields = validate_code_request(*body, c);
    if (fields) {
        http_send_validation(r, fields);
        return false;
    }
    return true;
}

/* ---- POST /signup ---- */

void route_signup(request *r)
{
    cJSON *body = NULL;
    credentials c;
    uint8_t secret[TOTP_SECRET_BYTES];
    char stored[SECRET_SEALED_MAX + 1];
    char hash[PASSWORD_HASH_LEN + 1];
    bcrypt_place place = {0};

    if (!read_credentials(r, &body, &c))
        goto out;
    status st = bcrypt_admit(&place);
    if (st == ST_OK)
        st = hash_gated(&place, c.password, c.password_len, r->cfg->bcrypt_cost, hash);
    bcrypt_leave(&place);
    if (st == ST_OK)
        st = random_bytes(secret, sizeof secret);
    if (st == ST_OK)
        st = store_secret(r->cfg, c.username, secret, sizeof secret, stored, sizeof stored);
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
    cJSON_Delete(body);
}

/* ---- POST /login ---- */

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
    bcrypt_place place = {0};
    memset(&u, 0, sizeof u);

    if (!read_credentials(r, &body, &c))
        goto out;
    const config *cfg = r->cfg;
    status st = bcrypt_admit(&place);
    if (st != ST_OK) {
        http_send_status(r, st);
        goto out;
    }
    st = users_find(c.username, &u);
    if (st == ST_NOT_FOUND) {
        st = verify_gated(&place, c.password, c.password_len, g_dummy_hash);
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
    st = verify_gated(&place, c.password, c.password_len, u.password_hash);
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
        hash_gated(&place, c.password, c.password_len, cfg->bcrypt_cost, new_hash) == ST_OK)
        rehash = new_hash;
    bcrypt_leave(&place);
    st = users_open_challenge(u.id, cfg->login_challenge_seconds, rehash);
    if (st != ST_OK) {
        http_send_status(r, st);
        goto out;
    }
    seal_legacy_secret(cfg, &u);
    if (u.totp_enrolled)
        http_send_literal(r, 200,
                          "{\"message\":\"Enter the code from your authenticator app\","
                          "\"2fa_enrolled\":true}",
                          NULL);
    else
        send_enrollment(r, &u);
out:
    bcrypt_leave(&place);
    OPENSSL_cleanse(&u, sizeof u);
    OPENSSL_cleanse(new_hash, sizeof new_hash);
    cJSON_Delete(body);
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
    code_request c;
    user u;
    uint8_t key[64];
    memset(&u, 0, sizeof u);

    if (!read_code(r, &body, &c))
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
    int keylen = user_secret(cfg, &u, key, sizeof key);
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
    OPENSSL_cleanse(key, sizeof key);
    OPENSSL_cleanse(&u, sizeof u);
    cJSON_Delete(body);
}
