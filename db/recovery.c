/*
 * recovery.c - DAO for recovery_codes (see recovery.h). Prepared statements
 * only; the replacement of a set is a stored routine (schema.sql).
 */
#include "db/recovery.h"

#include <string.h>

#include "db/db_internal.h"

static const char SQL_REPLACE[] = "CALL recovery_codes_replace_v1(?, ?)";

static const char SQL_UNUSED[] =
    "SELECT code_hash FROM recovery_codes WHERE user_id = ? AND used_at IS NULL LIMIT 16";

/* Two tables, one statement: the code and the login are used together or
 * not at all (the conditions on both rows are in the WHERE clause). */
static const char SQL_USE_FOR_LOGIN[] =
    "UPDATE recovery_codes rc JOIN users u ON u.id = rc.user_id"
    " SET rc.used_at = CURRENT_TIMESTAMP(3), u.challenge_expires = NULL,"
    " u.challenge_failures = 0, u.failed_logins = 0, u.locked_until = NULL"
    " WHERE rc.user_id = ? AND rc.code_hash = ? AND rc.used_at IS NULL"
    " AND u.totp_enrolled = 1 AND u.challenge_expires > UNIX_TIMESTAMP()";

static const char SQL_USE[] = "UPDATE recovery_codes SET used_at = CURRENT_TIMESTAMP(3)"
                              " WHERE user_id = ? AND code_hash = ? AND used_at IS NULL";

static const char SQL_CLEAR[] = "DELETE FROM recovery_codes WHERE user_id = ?";

static void bind_hash(MYSQL_BIND *b, const unsigned char *hash, unsigned long *len)
{
    *len = RECOVERY_DB_HASH_LEN;
    db_bind_str(b, (const char *)hash, len);
    b->buffer_type = MYSQL_TYPE_BLOB;
}

status recovery_replace(uint64_t user_id, const unsigned char *hashes, size_t n)
{
    if (n > RECOVERY_DB_SET_MAX)
        return ST_INVALID;
    unsigned long len = (unsigned long)(n * RECOVERY_DB_HASH_LEN);
    MYSQL_BIND p[2];
    db_bind_u64(&p[0], &user_id);
    db_bind_str(&p[1], (const char *)hashes, &len);
    p[1].buffer_type = MYSQL_TYPE_BLOB;
    int64_t stored = -1;
    my_bool null = 0;
    MYSQL_BIND r[1];
    db_bind_out_i64(&r[0], &stored, &null);
    status st = db_call_row(SQL_REPLACE, p, r);
    if (st != ST_OK)
        return st;
    return !null && stored == (int64_t)n ? ST_OK : ST_INTERNAL;
}

/* The hashes gathered so far, and the column's buffer. */
typedef struct unused_rows {
    unsigned char h[RECOVERY_DB_HASH_LEN + 1];
    unsigned long len;
    my_bool null;
    unsigned char *out;
    size_t *n;
} unused_rows;

static status unused_row(void *arg)
{
    unused_rows *w = arg;
    if (w->null || w->len != RECOVERY_DB_HASH_LEN || *w->n == RECOVERY_DB_SET_MAX)
        return ST_INTERNAL;
    memcpy(w->out + *w->n * RECOVERY_DB_HASH_LEN, w->h, RECOVERY_DB_HASH_LEN);
    (*w->n)++;
    return ST_OK;
}

status recovery_unused(uint64_t user_id, unsigned char *out, size_t *n)
{
    *n = 0;
    MYSQL_BIND p[1];
    db_bind_u64(&p[0], &user_id);
    unused_rows w = {.out = out, .n = n};
    MYSQL_BIND r[1];
    memset(r, 0, sizeof r);
    r[0].buffer_type = MYSQL_TYPE_BLOB;
    r[0].buffer = w.h;
    r[0].buffer_length = sizeof w.h - 1;
    r[0].length = &w.len;
    r[0].is_null = &w.null;
    return db_each(SQL_UNUSED, p, r, unused_row, &w, NULL);
}

/* A conditional UPDATE of (user, hash): ST_OK when it changed a row. */
static status use(const char *sql, uint64_t user_id, const unsigned char *hash)
{
    unsigned long len;
    MYSQL_BIND p[2];
    db_bind_u64(&p[0], &user_id);
    bind_hash(&p[1], hash, &len);
    uint64_t n = 0;
    status st = db_exec(sql, p, NULL, &n);
    if (st != ST_OK)
        return st;
    return n > 0 ? ST_OK : ST_UNAUTHORIZED;
}

status recovery_use_for_login(uint64_t user_id, const unsigned char *hash)
{
    return use(SQL_USE_FOR_LOGIN, user_id, hash);
}

status recovery_use(uint64_t user_id, const unsigned char *hash)
{
    return use(SQL_USE, user_id, hash);
}

status recovery_clear(uint64_t user_id)
{
    MYSQL_BIND p[1];
    db_bind_u64(&p[0], &user_id);
    return db_exec(SQL_CLEAR, p, NULL, NULL);
}
