/*
 * users.c - DAO for the users table (see users.h). Prepared statements only.
 */
#include "db/users.h"

#include <openssl/crypto.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "db/db_internal.h"

static const char SQL_CREATE[] = "INSERT INTO users (username, password_hash, totp_secret,"
                                 " tokens_valid_after) VALUES (?, ?, ?, ?)";

static const char SQL_FIND[] =
    "SELECT id, username, password_hash, totp_secret, totp_enrolled, totp_last_step,"
    " IF(locked_until > UNIX_TIMESTAMP(), locked_until - UNIX_TIMESTAMP(), 0),"
    " IFNULL(challenge_expires > UNIX_TIMESTAMP(), 0), tokens_valid_after"
    " FROM users WHERE username = ?";

/*
 * Throttling (SPEC 4). failed_logins counts resolved failures only (wrong
 * passwords, closed challenges) until a completed login; password checks in
 * flight are counted apart, in attempts_in_flight, and are never failures.
 * A check is granted only while failures plus checks in flight stay under
 * the limit (one at a time once the limit is reached and its lock has
 * passed), so parallel guesses on any number of instances cannot have more
 * than `max` wrong passwords checked before the lock. Checks in flight stop
 * counting at attempts_expire, `hold` seconds after the latest grant, so a
 * server that died mid-check blocks nobody for longer than that.
 *
 * The failure that brings the count to n >= max locks for
 * lock * 2^(n - max) seconds (the k-th lock since the last completed login
 * lasts lock * 2^(k-1): after a lock passes, one check is granted, and its
 * failure is the next lock's), at most 24 h (or `lock` when that is longer).
 * A lock that passes leaves both columns as they are.
 *
 * Assignments only read columns not yet assigned in the same statement, so
 * the result is the same under MySQL's left-to-right and MariaDB's
 * SIMULTANEOUS_ASSIGNMENT semantics.
 */
#define SQL_LOCKED "IFNULL(locked_until > UNIX_TIMESTAMP(), 0)"
/* The end of the lock set by the failure that brings the count to
 * failed_logins + 1 (parameters: lock, max, lock). */
#define SQL_NEXT_LOCK_END                                                                          \
    "UNIX_TIMESTAMP() + LEAST(? << LEAST(GREATEST(CAST(failed_logins AS SIGNED) + 1 - ?, 0), 17)," \
    " GREATEST(?, 86400))"
#define SQL_RELEASE_ONE "attempts_in_flight = IF(attempts_in_flight > 0, attempts_in_flight - 1, 0)"

static const char SQL_RESERVE[] =
    "UPDATE users SET"
    " attempts_in_flight = IF(attempts_expire > UNIX_TIMESTAMP(), attempts_in_flight + 1, 1),"
    " attempts_expire = UNIX_TIMESTAMP() + ?"
    " WHERE id = ? AND (locked_until <= UNIX_TIMESTAMP()"
    "   OR (locked_until IS NULL AND failed_logins < ?))"
    " AND (IFNULL(attempts_expire <= UNIX_TIMESTAMP(), 1) OR attempts_in_flight = 0"
    "   OR attempts_in_flight + failed_logins < ?)";

/* Why a reservation was refused: the lock's remaining seconds, and whether a
 * lock is owed (the failures reached `max` with no lock on record: a lowered
 * LOGIN_MAX_FAILURES, another instance's limit, a lost UPDATE). */
static const char SQL_THROTTLE_STATE[] =
    "SELECT IF(" SQL_LOCKED ", locked_until - UNIX_TIMESTAMP(), 0),"
    " locked_until IS NULL AND failed_logins >= ?"
    " FROM users WHERE id = ?";

/* The owed lock is the one the last failure on record would have set. */
static const char SQL_LOCK_OWED[] =
    "UPDATE users SET locked_until = UNIX_TIMESTAMP()"
    " + LEAST(? << LEAST(GREATEST(CAST(failed_logins AS SIGNED) - ?, 0), 17), GREATEST(?, 86400))"
    " WHERE id = ? AND locked_until IS NULL AND failed_logins >= ?";

/* Each statement that may set a lock notes in @integrity_locked whether it
 * did, for users_lockout_count (read by SQL_LOCKED_NOW only after it matched
 * its row: a statement that matched none leaves the variable as it was). */
static const char SQL_PASSWORD_FAILED[] =
    "UPDATE users SET"
    " locked_until = IF(@integrity_locked := (failed_logins + 1 >= ? AND NOT " SQL_LOCKED
    "), " SQL_NEXT_LOCK_END ", locked_until),"
    " failed_logins = failed_logins + 1,"
    " attempts_in_flight = IF(? AND attempts_in_flight > 0, attempts_in_flight - 1,"
    "   attempts_in_flight)"
    " WHERE id = ?";

static const char SQL_OPEN_CHALLENGE[] = "UPDATE users SET " SQL_RELEASE_ONE ","
                                         " challenge_expires = UNIX_TIMESTAMP() + ?,"
                                         " password_hash = IFNULL(?, password_hash)"
                                         " WHERE id = ?";

static const char SQL_RELEASE[] = "UPDATE users SET " SQL_RELEASE_ONE " WHERE id = ?";

/* The closing wrong code is a failure as a wrong password is. */
static const char SQL_CODE_FAILED[] =
    "UPDATE users SET"
    " locked_until = IF(@integrity_locked := (challenge_failures + 1 >= ?"
    "   AND failed_logins + 1 >= ? AND NOT " SQL_LOCKED "), " SQL_NEXT_LOCK_END ", locked_until),"
    " failed_logins = IF(challenge_failures + 1 >= ?, failed_logins + 1, failed_logins),"
    " challenge_expires = IF(challenge_failures + 1 >= ?, NULL, challenge_expires),"
    " challenge_failures = IF(challenge_failures + 1 >= ?, 0, challenge_failures + 1)"
    " WHERE id = ? AND challenge_expires > UNIX_TIMESTAMP()";

static const char SQL_LOCKED_NOW[] = "SELECT IFNULL(@integrity_locked, 0)";

static const char SQL_COMPLETE[] =
    "UPDATE users SET totp_last_step = ?, totp_enrolled = 1, challenge_expires = NULL,"
    " challenge_failures = 0, failed_logins = 0, locked_until = NULL"
    " WHERE id = ? AND totp_last_step < ? AND challenge_expires > UNIX_TIMESTAMP()";

static const char SQL_COMPLETE_ENROLLMENT[] =
    "UPDATE users SET totp_last_step = ?, totp_enrolled = 1, challenge_expires = NULL,"
    " challenge_failures = 0, failed_logins = 0, locked_until = NULL"
    " WHERE id = ? AND totp_enrolled = 0 AND totp_last_step < ?"
    " AND challenge_expires > UNIX_TIMESTAMP()";

static const char SQL_CHANGE_PASSWORD[] =
    "UPDATE users SET password_hash = ?, tokens_valid_after = GREATEST(tokens_valid_after, ?)"
    " WHERE id = ?";

static const char SQL_RESET_2FA[] =
    "UPDATE users SET totp_secret = ?, totp_enrolled = 0, totp_last_step = 0,"
    " challenge_expires = NULL, challenge_failures = 0,"
    " tokens_valid_after = GREATEST(tokens_valid_after, ?)"
    " WHERE id = ?";

static const char SQL_DELETE[] = "DELETE FROM users WHERE id = ? AND totp_last_step < ?";

static const char SQL_SET_SECRET[] = "UPDATE users SET totp_secret = ? WHERE id = ?";

static const char SQL_ANY_SEALED[] =
    "SELECT totp_secret FROM users WHERE totp_secret LIKE 'v1.%' LIMIT 1";

/* users_lockout_count: the locks this process's statements set. */
static atomic_ullong g_lockouts;

unsigned long long users_lockout_count(void)
{
    return atomic_load_explicit(&g_lockouts, memory_order_relaxed);
}

/* After a statement that may have set a lock matched its row: count the
 * lock it set, if it did. The answer does not depend on it: an error here
 * only goes uncounted. */
static void note_lockout(void)
{
    int64_t locked = 0;
    my_bool is_null = 0;
    MYSQL_BIND r[1];
    db_bind_out_i64(&r[0], &locked, &is_null);
    if (db_row(SQL_LOCKED_NOW, NULL, r) == ST_OK && !is_null && locked)
        atomic_fetch_add_explicit(&g_lockouts, 1, memory_order_relaxed);
}

status users_create(const char *username, const char *password_hash, const char *totp_secret,
                    int64_t valid_after)
{
    unsigned long l0 = strlen(username), l1 = strlen(password_hash), l2 = strlen(totp_secret);
    MYSQL_BIND p[4];
    db_bind_str(&p[0], username, &l0);
    db_bind_str(&p[1], password_hash, &l1);
    db_bind_str(&p[2], totp_secret, &l2);
    db_bind_i64(&p[3], &valid_after);
    return db_exec(SQL_CREATE, p, NULL, NULL);
}

status users_find(const char *username, user *out)
{
    unsigned long len = strlen(username);
    MYSQL_BIND p[1];
    db_bind_str(&p[0], username, &len);
    int64_t id = 0, enrolled = 0, last_step = 0, lock_remaining = 0, challenge_open = 0;
    int64_t valid_after = 0;
    unsigned long l_name, l_hash, l_secret;
    my_bool nulls[9] = {0};
    MYSQL_BIND r[9];
    db_bind_out_i64(&r[0], &id, &nulls[0]);
    db_bind_out_str(&r[1], out->username, sizeof out->username, &l_name, &nulls[1]);
    db_bind_out_str(&r[2], out->password_hash, sizeof out->password_hash, &l_hash, &nulls[2]);
    db_bind_out_str(&r[3], out->totp_secret, sizeof out->totp_secret, &l_secret, &nulls[3]);
    db_bind_out_i64(&r[4], &enrolled, &nulls[4]);
    db_bind_out_i64(&r[5], &last_step, &nulls[5]);
    db_bind_out_i64(&r[6], &lock_remaining, &nulls[6]);
    db_bind_out_i64(&r[7], &challenge_open, &nulls[7]);
    db_bind_out_i64(&r[8], &valid_after, &nulls[8]);
    status st = db_row(SQL_FIND, p, r);
    if (st != ST_OK) {
        OPENSSL_cleanse(out, sizeof *out);
        return st;
    }
    out->id = (uint64_t)id;
    out->totp_enrolled = enrolled != 0;
    out->totp_last_step = last_step;
    out->lock_remaining = lock_remaining > 0 ? lock_remaining : 0;
    out->challenge_open = challenge_open != 0;
    out->tokens_valid_after = valid_after;
    return ST_OK;
}

/* The lock's remaining seconds and whether one is owed (SQL_THROTTLE_STATE). */
static status throttle_state(uint64_t id, int64_t max, int64_t *remaining, bool *owed)
{
    MYSQL_BIND p[2];
    db_bind_i64(&p[0], &max);
    db_bind_u64(&p[1], &id);
    int64_t owed_flag = 0;
    my_bool nulls[2] = {0};
    MYSQL_BIND r[2];
    db_bind_out_i64(&r[0], remaining, &nulls[0]);
    db_bind_out_i64(&r[1], &owed_flag, &nulls[1]);
    status st = db_row(SQL_THROTTLE_STATE, p, r);
    *owed = owed_flag != 0;
    return st;
}

status users_reserve_attempt(uint64_t id, unsigned max_failures, unsigned lock_seconds,
                             unsigned hold_seconds, int64_t *retry_after)
{
    int64_t max = max_failures, lock = lock_seconds, hold = hold_seconds;
    MYSQL_BIND p[4];
    db_bind_i64(&p[0], &hold);
    db_bind_u64(&p[1], &id);
    db_bind_i64(&p[2], &max);
    db_bind_i64(&p[3], &max);
    uint64_t n = 0;
    status st = db_exec(SQL_RESERVE, p, NULL, &n);
    if (st != ST_OK)
        return st;
    if (n == 1)
        return ST_OK;

    int64_t remaining = 0;
    bool owed = false;
    st = throttle_state(id, max, &remaining, &owed);
    if (st == ST_OK && owed) {
        /* Set the lock that is owed (one statement: of two racing, one sets
         * it), then read its end like any other lock. */
        MYSQL_BIND q[5];
        db_bind_i64(&q[0], &lock);
        db_bind_i64(&q[1], &max);
        db_bind_i64(&q[2], &lock);
        db_bind_u64(&q[3], &id);
        db_bind_i64(&q[4], &max);
        uint64_t set = 0;
        st = db_exec(SQL_LOCK_OWED, q, NULL, &set);
        if (st == ST_OK && set == 1)
            atomic_fetch_add_explicit(&g_lockouts, 1, memory_order_relaxed);
        if (st == ST_OK)
            st = throttle_state(id, max, &remaining, &owed);
    }
    if (st != ST_OK)
        return st;
    if (remaining > 0) {
        *retry_after = remaining;
        return ST_LOCKED;
    }
    /* Not locked: every check allowed now is in flight (or the lock just
     * passed, or was owed and is still being set): the caller waits. */
    return ST_BUSY;
}

status users_password_failed(uint64_t id, unsigned max_failures, unsigned lock_seconds,
                             bool release)
{
    int64_t lock = lock_seconds, max = max_failures, rel = release;
    MYSQL_BIND p[6];
    db_bind_i64(&p[0], &max);
    db_bind_i64(&p[1], &lock);
    db_bind_i64(&p[2], &max);
    db_bind_i64(&p[3], &lock);
    db_bind_i64(&p[4], &rel);
    db_bind_u64(&p[5], &id);
    uint64_t n = 0;
    status st = db_exec(SQL_PASSWORD_FAILED, p, NULL, &n);
    if (st == ST_OK && n == 1)
        note_lockout();
    return st;
}

status users_open_challenge(uint64_t id, unsigned challenge_seconds, const char *new_hash)
{
    int64_t secs = challenge_seconds;
    unsigned long hlen = new_hash ? strlen(new_hash) : 0;
    MYSQL_BIND p[3];
    db_bind_i64(&p[0], &secs);
    if (new_hash)
        db_bind_str(&p[1], new_hash, &hlen);
    else
        db_bind_null(&p[1]);
    db_bind_u64(&p[2], &id);
    return db_exec(SQL_OPEN_CHALLENGE, p, NULL, NULL);
}

status users_code_failed(uint64_t id, unsigned max_code_failures, unsigned max_failures,
                         unsigned lock_seconds)
{
    int64_t mc = max_code_failures, mf = max_failures, lock = lock_seconds;
    MYSQL_BIND p[9];
    db_bind_i64(&p[0], &mc);
    db_bind_i64(&p[1], &mf);
    db_bind_i64(&p[2], &lock);
    db_bind_i64(&p[3], &mf);
    db_bind_i64(&p[4], &lock);
    db_bind_i64(&p[5], &mc);
    db_bind_i64(&p[6], &mc);
    db_bind_i64(&p[7], &mc);
    db_bind_u64(&p[8], &id);
    uint64_t n = 0;
    status st = db_exec(SQL_CODE_FAILED, p, NULL, &n);
    if (st == ST_OK && n == 1)
        note_lockout();
    return st;
}

status users_complete_login(uint64_t id, int64_t step)
{
    MYSQL_BIND p[3];
    db_bind_i64(&p[0], &step);
    db_bind_u64(&p[1], &id);
    db_bind_i64(&p[2], &step);
    uint64_t n = 0;
    status st = db_exec(SQL_COMPLETE, p, NULL, &n);
    if (st != ST_OK)
        return st;
    return n == 1 ? ST_OK : ST_UNAUTHORIZED;
}

status users_complete_enrollment(uint64_t id, int64_t step)
{
    MYSQL_BIND p[3];
    db_bind_i64(&p[0], &step);
    db_bind_u64(&p[1], &id);
    db_bind_i64(&p[2], &step);
    uint64_t n = 0;
    status st = db_exec(SQL_COMPLETE_ENROLLMENT, p, NULL, &n);
    if (st != ST_OK)
        return st;
    return n == 1 ? ST_OK : ST_UNAUTHORIZED;
}

/* An UPDATE of (text, valid_after, id): ST_NOT_FOUND when no row matched. */
static status update_revoking(const char *sql, const char *text, int64_t valid_after, uint64_t id)
{
    unsigned long len = strlen(text);
    MYSQL_BIND p[3];
    db_bind_str(&p[0], text, &len);
    db_bind_i64(&p[1], &valid_after);
    db_bind_u64(&p[2], &id);
    uint64_t n = 0;
    status st = db_exec(sql, p, NULL, &n);
    if (st != ST_OK)
        return st;
    return n == 1 ? ST_OK : ST_NOT_FOUND;
}

status users_change_password(uint64_t id, const char *password_hash, int64_t valid_after)
{
    return update_revoking(SQL_CHANGE_PASSWORD, password_hash, valid_after, id);
}

status users_reset_2fa(uint64_t id, const char *totp_secret, int64_t valid_after)
{
    return update_revoking(SQL_RESET_2FA, totp_secret, valid_after, id);
}

status users_delete(uint64_t id, int64_t step)
{
    MYSQL_BIND p[2];
    db_bind_u64(&p[0], &id);
    db_bind_i64(&p[1], &step);
    uint64_t n = 0;
    status st = db_exec(SQL_DELETE, p, NULL, &n);
    if (st != ST_OK)
        return st;
    return n == 1 ? ST_OK : ST_UNAUTHORIZED;
}

status users_set_secret(uint64_t id, const char *totp_secret)
{
    unsigned long len = strlen(totp_secret);
    MYSQL_BIND p[2];
    db_bind_str(&p[0], totp_secret, &len);
    db_bind_u64(&p[1], &id);
    return db_exec(SQL_SET_SECRET, p, NULL, NULL);
}

status users_any_sealed_secret(char *out, size_t cap)
{
    unsigned long len;
    my_bool null = 0;
    MYSQL_BIND r[1];
    db_bind_out_str(&r[0], out, (unsigned long)cap, &len, &null);
    return db_row(SQL_ANY_SEALED, NULL, r);
}

status users_release_attempt(uint64_t id)
{
    MYSQL_BIND p[1];
    db_bind_u64(&p[0], &id);
    return db_exec(SQL_RELEASE, p, NULL, NULL);
}
