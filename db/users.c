/*
 * users.c - DAO for the users table (see users.h). Prepared statements only.
 */
#include "db/users.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>

#include "db/db_internal.h"

static const char SQL_CREATE[] =
    "INSERT INTO users (username, password_hash, totp_secret) VALUES (?, ?, ?)";

static const char SQL_FIND[] =
    "SELECT id, username, password_hash, totp_secret, totp_enrolled, totp_last_step,"
    " IF(locked_until > UNIX_TIMESTAMP(), locked_until - UNIX_TIMESTAMP(), 0),"
    " IFNULL(challenge_expires > UNIX_TIMESTAMP(), 0)"
    " FROM users WHERE username = ?";

/* Assignments only read columns not yet assigned in the same statement, so
 * the result is the same under MySQL's left-to-right and MariaDB's
 * SIMULTANEOUS_ASSIGNMENT semantics. */
static const char SQL_RESERVE[] =
    "UPDATE users SET"
    " failed_logins = IF(locked_until <= UNIX_TIMESTAMP(), 1, failed_logins + 1),"
    " locked_until = IF(locked_until <= UNIX_TIMESTAMP(), NULL, locked_until)"
    " WHERE id = ? AND ((locked_until IS NULL AND failed_logins < ?)"
    " OR locked_until <= UNIX_TIMESTAMP())";

static const char SQL_LOCK_REMAINING[] =
    "SELECT IFNULL(locked_until - UNIX_TIMESTAMP(), 0) FROM users WHERE id = ?";

static const char SQL_PASSWORD_FAILED[] =
    "UPDATE users SET locked_until = UNIX_TIMESTAMP() + ?"
    " WHERE id = ? AND failed_logins >= ? AND locked_until IS NULL";

static const char SQL_OPEN_CHALLENGE[] =
    "UPDATE users SET"
    " failed_logins = IF(failed_logins > 0, failed_logins - 1, 0),"
    " challenge_expires = UNIX_TIMESTAMP() + ?,"
    " password_hash = IFNULL(?, password_hash)"
    " WHERE id = ?";

static const char SQL_RELEASE[] =
    "UPDATE users SET failed_logins = IF(failed_logins > 0, failed_logins - 1, 0) WHERE id = ?";

static const char SQL_CODE_FAILED[] =
    "UPDATE users SET"
    " locked_until = IF(challenge_failures + 1 >= ? AND failed_logins + 1 >= ?"
    "   AND locked_until IS NULL, UNIX_TIMESTAMP() + ?, locked_until),"
    " failed_logins = IF(challenge_failures + 1 >= ?, failed_logins + 1, failed_logins),"
    " challenge_expires = IF(challenge_failures + 1 >= ?, NULL, challenge_expires),"
    " challenge_failures = IF(challenge_failures + 1 >= ?, 0, challenge_failures + 1)"
    " WHERE id = ? AND challenge_expires > UNIX_TIMESTAMP()";

static const char SQL_COMPLETE[] =
    "UPDATE users SET totp_last_step = ?, totp_enrolled = 1, challenge_expires = NULL,"
    " challenge_failures = 0, failed_logins = 0, locked_until = NULL"
    " WHERE id = ? AND totp_last_step < ? AND challenge_expires > UNIX_TIMESTAMP()";

static const char SQL_SET_SECRET[] = "UPDATE users SET totp_secret = ? WHERE id = ?";

static const char SQL_ANY_SEALED[] =
    "SELECT totp_secret FROM users WHERE totp_secret LIKE 'v1.%' LIMIT 1";

status users_create(const char *username, const char *password_hash, const char *totp_secret)
{
    unsigned long l0 = strlen(username), l1 = strlen(password_hash), l2 = strlen(totp_secret);
    MYSQL_BIND p[3];
    db_bind_str(&p[0], username, &l0);
    db_bind_str(&p[1], password_hash, &l1);
    db_bind_str(&p[2], totp_secret, &l2);
    return db_exec(SQL_CREATE, p, NULL, NULL);
}

status users_find(const char *username, user *out)
{
    unsigned long len = strlen(username);
    MYSQL_BIND p[1];
    db_bind_str(&p[0], username, &len);
    MYSQL_STMT *s;
    status st = db_exec(SQL_FIND, p, &s, NULL);
    if (st != ST_OK)
        return st;

    int64_t id = 0, enrolled = 0, last_step = 0, lock_remaining = 0, challenge_open = 0;
    unsigned long l_name, l_hash, l_secret;
    my_bool nulls[8] = {0};
    MYSQL_BIND r[8];
    db_bind_out_i64(&r[0], &id, &nulls[0]);
    db_bind_out_str(&r[1], out->username, sizeof out->username, &l_name, &nulls[1]);
    db_bind_out_str(&r[2], out->password_hash, sizeof out->password_hash, &l_hash, &nulls[2]);
    db_bind_out_str(&r[3], out->totp_secret, sizeof out->totp_secret, &l_secret, &nulls[3]);
    db_bind_out_i64(&r[4], &enrolled, &nulls[4]);
    db_bind_out_i64(&r[5], &last_step, &nulls[5]);
    db_bind_out_i64(&r[6], &lock_remaining, &nulls[6]);
    db_bind_out_i64(&r[7], &challenge_open, &nulls[7]);
    st = db_fetch(s, r);
    db_done(s);
    if (st != ST_OK) {
        OPENSSL_cleanse(out, sizeof *out);
        return st;
    }
    out->id = (uint64_t)id;
    out->totp_enrolled = enrolled != 0;
    out->totp_last_step = last_step;
    out->lock_remaining = lock_remaining > 0 ? lock_remaining : 0;
    out->challenge_open = challenge_open != 0;
    return ST_OK;
}

status users_reserve_attempt(uint64_t id, unsigned max_failures, int64_t *retry_after)
{
    int64_t max = max_failures;
    MYSQL_BIND p[2];
    db_bind_u64(&p[0], &id);
    db_bind_i64(&p[1], &max);
    uint64_t n = 0;
    status st = db_exec(SQL_RESERVE, p, NULL, &n);
    if (st != ST_OK)
        return st;
    if (n == 1)
        return ST_OK;

    /* Locked, or every allowed attempt is in flight right now. */
    *retry_after = 1;
    MYSQL_BIND q[1];
    db_bind_u64(&q[0], &id);
    MYSQL_STMT *s;
    st = db_exec(SQL_LOCK_REMAINING, q, &s, NULL);
    if (st != ST_OK)
        return st;
    int64_t remaining = 0;
    my_bool null = 0;
    MYSQL_BIND r[1];
    db_bind_out_i64(&r[0], &remaining, &null);
    st = db_fetch(s, r);
    db_done(s);
    if (st == ST_OK && remaining > 1)
        *retry_after = remaining;
    return st == ST_OK || st == ST_NOT_FOUND ? ST_LOCKED : st;
}

status users_password_failed(uint64_t id, unsigned max_failures, unsigned lock_seconds)
{
    int64_t lock = lock_seconds, max = max_failures;
    MYSQL_BIND p[3];
    db_bind_i64(&p[0], &lock);
    db_bind_u64(&p[1], &id);
    db_bind_i64(&p[2], &max);
    return db_exec(SQL_PASSWORD_FAILED, p, NULL, NULL);
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
    MYSQL_BIND p[7];
    db_bind_i64(&p[0], &mc);
    db_bind_i64(&p[1], &mf);
    db_bind_i64(&p[2], &lock);
    db_bind_i64(&p[3], &mc);
    db_bind_i64(&p[4], &mc);
    db_bind_i64(&p[5], &mc);
    db_bind_u64(&p[6], &id);
    return db_exec(SQL_CODE_FAILED, p, NULL, NULL);
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
    MYSQL_STMT *s;
    status st = db_exec(SQL_ANY_SEALED, NULL, &s, NULL);
    if (st != ST_OK)
        return st;
    unsigned long len;
    my_bool null = 0;
    MYSQL_BIND r[1];
    db_bind_out_str(&r[0], out, (unsigned long)cap, &len, &null);
    st = db_fetch(s, r);
    db_done(s);
    return st;
}

status users_release_attempt(uint64_t id)
{
    MYSQL_BIND p[1];
    db_bind_u64(&p[0], &id);
    return db_exec(SQL_RELEASE, p, NULL, NULL);
}
