/*
 * routes_account.c - the account lifecycle of SPEC 9: POST /logout,
 * POST /account/recovery-codes, POST /account/2fa/reset,
 * POST /account/password and DELETE /account, and the recovery codes that
 * /verify-2fa shows and takes (routes.h). All sit behind the token guard;
 * every password they check goes through the throttling of /login
 * (throttle.h), and every revocation is written to MySQL before the answer.
 */
#include <errno.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "crypto/hashgate.h"
#include "crypto/password.h"
#include "crypto/random.h"
#include "crypto/recovery.h"
#include "crypto/secret.h"
#include "crypto/token.h"
#include "db/recovery.h"
#include "db/revocations.h"
#include "db/users.h"
#include "server/routes.h"
#include "server/secrets.h"
#include "server/throttle.h"
#include "server/validate.h"
#include "totp/totp.h"

_Static_assert(RECOVERY_HASH_LEN == RECOVERY_DB_HASH_LEN, "one hash size");
_Static_assert(RECOVERY_CODES <= RECOVERY_DB_SET_MAX, "a set fits the table's bound");

/* ---- recovery codes (also for /verify-2fa) ---- */

status routes_recovery_new_set(const config *cfg, uint64_t user_id,
                               char codes[RECOVERY_CODES][RECOVERY_SHOWN_LEN + 1])
{
    unsigned char hashes[RECOVERY_CODES * RECOVERY_HASH_LEN];
    char canon[RECOVERY_CODE_LEN + 1];
    status st = ST_OK;
    for (size_t i = 0; i < RECOVERY_CODES && st == ST_OK; i++) {
        st = recovery_generate(codes[i]);
        if (st == ST_OK)
            st = recovery_normalize(codes[i], canon) ? ST_OK : ST_INTERNAL;
        if (st == ST_OK)
            st = recovery_hash(cfg->jwt_key, cfg->jwt_key_len, user_id, canon,
                               hashes + i * RECOVERY_HASH_LEN);
    }
    if (st == ST_OK)
        st = recovery_replace(user_id, hashes, RECOVERY_CODES);
    if (st != ST_OK)
        OPENSSL_cleanse(codes, sizeof(char[RECOVERY_CODES][RECOVERY_SHOWN_LEN + 1]));
    OPENSSL_cleanse(hashes, sizeof hashes);
    OPENSSL_cleanse(canon, sizeof canon);
    return st;
}

status routes_recovery_find(const config *cfg, uint64_t user_id, const char *code,
                            unsigned char hash[RECOVERY_HASH_LEN], size_t *unused)
{
    unsigned char set[RECOVERY_DB_SET_MAX * RECOVERY_DB_HASH_LEN];
    size_t n = 0, at = 0;
    *unused = 0;
    status st = recovery_hash(cfg->jwt_key, cfg->jwt_key_len, user_id, code, hash);
    if (st == ST_OK)
        st = recovery_unused(user_id, set, &n);
    if (st == ST_OK) {
        *unused = n;
        /* Every stored hash compared in full, in constant time: the answer's
         * timing says nothing of how close a guess came. The UPDATE that
         * uses the code then matches the key exactly. */
        st = recovery_match(hash, set, n, &at) ? ST_OK : ST_UNAUTHORIZED;
    }
    OPENSSL_cleanse(set, sizeof set);
    return st;
}

void routes_render_codes(strbuf *b, const char codes[RECOVERY_CODES][RECOVERY_SHOWN_LEN + 1])
{
    sb_puts(b, "\"recovery_codes\":[");
    for (size_t i = 0; i < RECOVERY_CODES; i++) {
        if (i)
            sb_puts(b, ",");
        jsonio_str(b, codes[i]);
    }
    sb_puts(b, "]");
}

/* ---- the password every route below asks for ---- */

/*
 * Find the token's user and check `pw` under the throttling of SPEC 4
 * (throttle.h), with `place` admitted here and left to the caller. True:
 * the password is right and its reservation given back (a right password
 * resets no failure count). False: answered (401 invalid_credentials
 * counted, 429, 503; a user deleted since the guard let the token through:
 * 401 revoked).
 */
static bool confirm_password(request *r, hashgate_place *place, user *u, const char *pw, size_t len)
{
    status st = hashgate_admit(place);
    if (st == ST_OK)
        st = users_find(r->user, u);
    if (st == ST_NOT_FOUND)
        st = ST_REVOKED;
    if (st != ST_OK) {
        http_send_status(r, st);
        return false;
    }
    if (!throttle_check_password(r, place, u, pw, len))
        return false;
    st = throttle_release(u);
    if (st != ST_OK) {
        http_send_status(r, st);
        return false;
    }
    return true;
}

/* The second after now by this server's clock, the one token iat is read
 * from: tokens issued before it are refused (users.h). A token issued right
 * after the change waits for that second (routes_auth.c, send_token). */
static int64_t next_second(void)
{
    return (int64_t)token_clock() + 1;
}

/* ---- POST /logout ---- */

void route_logout(request *r)
{
    if (!r->jti[0]) { /* flask-jwt-extended's tokens always carry one */
        http_send_msg(r, 422, "Missing claim: jti");
        return;
    }
    status st = revocations_add(r->jti, r->exp);
    if (st != ST_OK) {
        http_send_status(r, st);
        return;
    }
    http_tokens_revoked();
    http_send_literal(r, 200, "{\"message\":\"Logged out\"}", NULL);
}

/* ---- POST /account/recovery-codes ---- */

void route_account_recovery_codes(request *r)
{
    cJSON *body = NULL;
    password_request in;
    user u;
    hashgate_place place = {0};
    char codes[RECOVERY_CODES][RECOVERY_SHOWN_LEN + 1];
    strbuf b;
    sb_init(&b);
    memset(&u, 0, sizeof u);
    memset(codes, 0, sizeof codes);

    if (!http_read_body(r, validate_password_request, &in, &body) ||
        !confirm_password(r, &place, &u, in.password, in.password_len))
        goto out;
    hashgate_leave(&place);
    status st = routes_recovery_new_set(r->cfg, u.id, codes);
    if (st != ST_OK) {
        http_send_status(r, st);
        goto out;
    }
    sb_puts(&b, "{");
    routes_render_codes(&b, codes);
    sb_puts(&b, "}");
    http_send_json(r, 200, &b, NULL);
out:
    hashgate_leave(&place);
    if (b.data)
        OPENSSL_cleanse(b.data, b.len);
    sb_free(&b);
    OPENSSL_cleanse(codes, sizeof codes);
    OPENSSL_cleanse(&u, sizeof u);
    jsonio_free(body);
}

/* ---- POST /account/2fa/reset ---- */

void route_account_2fa_reset(request *r)
{
    cJSON *body = NULL;
    password_request in;
    user u;
    hashgate_place place = {0};
    uint8_t secret[TOTP_SECRET_BYTES];
    char stored[SECRET_SEALED_MAX + 1];
    memset(&u, 0, sizeof u);

    if (!http_read_body(r, validate_password_request, &in, &body) ||
        !confirm_password(r, &place, &u, in.password, in.password_len))
        goto out;
    hashgate_leave(&place);
    /* A new secret (the next /login shows its QR), unconfirmed, and every
     * token so far refused, in one statement; then the codes go. Codes left
     * by a failure between the two cannot be used: a recovery login needs
     * confirmed 2FA, and the next confirmation replaces the set. */
    status st = random_bytes(secret, sizeof secret);
    if (st == ST_OK)
        st = secrets_store_text(r->cfg, u.username, secret, sizeof secret, stored, sizeof stored);
    if (st == ST_OK)
        st = users_reset_2fa(u.id, stored, next_second());
    if (st == ST_OK) {
        http_tokens_revoked();
        st = recovery_clear(u.id);
    }
    if (st == ST_NOT_FOUND)
        st = ST_REVOKED; /* deleted meanwhile */
    if (st == ST_OK)
        http_send_literal(r, 200,
                          "{\"message\":\"Two-factor authentication reset: every token is "
                          "revoked; log in again to enroll your authenticator app\"}",
                          NULL);
    else
        http_send_status(r, st);
out:
    hashgate_leave(&place);
    OPENSSL_cleanse(secret, sizeof secret);
    OPENSSL_cleanse(stored, sizeof stored);
    OPENSSL_cleanse(&u, sizeof u);
    jsonio_free(body);
}

/* ---- POST /account/password ---- */

void route_account_password(request *r)
{
    cJSON *body = NULL;
    password_change in;
    user u;
    hashgate_place place = {0};
    char hash[PASSWORD_HASH_LEN + 1];
    memset(&u, 0, sizeof u);
    memset(hash, 0, sizeof hash);

    if (!http_read_body(r, validate_password_change, &in, &body) ||
        !confirm_password(r, &place, &u, in.old_password, in.old_len))
        goto out;
    status st = hashgate_hash(&place, in.new_password, in.new_len, r->cfg->bcrypt_cost, hash);
    hashgate_leave(&place);
    if (st == ST_OK)
        st = users_change_password(u.id, hash, next_second());
    if (st == ST_NOT_FOUND)
        st = ST_REVOKED;
    if (st == ST_OK) {
        http_tokens_revoked();
        http_send_literal(r, 200,
                          "{\"message\":\"Password changed: every token is revoked; "
                          "log in again\"}",
                          NULL);
    } else {
        http_send_status(r, st);
    }
out:
    hashgate_leave(&place);
    OPENSSL_cleanse(hash, sizeof hash);
    OPENSSL_cleanse(&u, sizeof u);
    jsonio_free(body);
}

/* ---- DELETE /account ---- */

/* The second factor of a deletion, used up by the deletion itself: ST_OK
 * when the account is gone, ST_UNAUTHORIZED for a wrong or used code. */
static status delete_with_factor(request *r, const user *u, const second_factor *f)
{
    if (f->is_recovery) {
        unsigned char hash[RECOVERY_HASH_LEN];
        size_t unused = 0;
        status st = routes_recovery_find(r->cfg, u->id, f->recovery_code, hash, &unused);
        if (st == ST_OK)
            st = recovery_use(u->id, hash); /* of two racing, one */
        OPENSSL_cleanse(hash, sizeof hash);
        return st == ST_OK ? users_delete(u->id, INT64_MAX) : st;
    }
    uint8_t key[SECRETS_KEY_MAX];
    int keylen = secrets_open(r->cfg, u, key, sizeof key);
    int64_t step = 0;
    bool ok = keylen > 0 &&
              totp_verify(key, (size_t)keylen, f->code, time(NULL), u->totp_last_step, &step);
    OPENSSL_cleanse(key, sizeof key);
    if (keylen <= 0)
        return ST_INTERNAL;
    /* The replay rule holds here too: the DELETE's WHERE clause requires
     * the step to be after the last accepted one. */
    return ok ? users_delete(u->id, step) : ST_UNAUTHORIZED;
}

void route_account_delete(request *r)
{
    cJSON *body = NULL;
    account_delete in;
    user u;
    hashgate_place place = {0};
    memset(&u, 0, sizeof u);

    if (!http_read_body(r, validate_account_delete, &in, &body) ||
        !confirm_password(r, &place, &u, in.password, in.password_len))
        goto out;
    hashgate_leave(&place);
    status st = delete_with_factor(r, &u, &in.factor);
    if (st == ST_OK) {
        http_tokens_revoked();
        http_send_literal(r, 200, "{\"message\":\"Account deleted\"}", NULL);
    } else if (st == ST_UNAUTHORIZED) {
        /* A wrong code with the right password counts as a failure (SPEC 4):
         * its reservation was given back, so nothing is released. */
        const config *cfg = r->cfg;
        st = users_password_failed(u.id, cfg->login_max_failures, cfg->login_lock_seconds, false);
        if (st == ST_OK)
            http_send_error(r, 401, "invalid_code", "The code is not valid");
        else
            http_send_status(r, st);
    } else {
        http_send_status(r, st);
    }
out:
    hashgate_leave(&place);
    OPENSSL_cleanse(&in, sizeof in);
    OPENSSL_cleanse(&u, sizeof u);
    jsonio_free(body);
}
