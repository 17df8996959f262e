/*
 * revocations.c - DAO for revoked_tokens, and the one read that decides
 * whether a token is revoked (see revocations.h). Prepared statements only.
 */
#include "db/revocations.h"

#include <string.h>

#include "db/db_internal.h"

/* One round trip, three index lookups: the user by the unique username
 * (none: deleted) with a tokens_valid_after not after iat, the jti by
 * primary key, and the revocation epoch (revocations.h) in the same
 * snapshot. */
static const char SQL_CHECK[] =
    "SELECT EXISTS (SELECT 1 FROM users WHERE username = ? AND tokens_valid_after <= ?)"
    " AND NOT EXISTS (SELECT 1 FROM revoked_tokens WHERE jti = ?),"
    " (SELECT n FROM revocation_epoch WHERE id = 1)";

static const char SQL_EPOCH[] = "SELECT n FROM revocation_epoch WHERE id = 1";

static const char SQL_ADD[] = "INSERT INTO revoked_tokens (jti, expires_at) VALUES (?, ?)"
                              " ON DUPLICATE KEY UPDATE expires_at = GREATEST(expires_at, ?)";

static const char SQL_PURGE[] = "DELETE FROM revoked_tokens WHERE expires_at < UNIX_TIMESTAMP() - ?"
                                " LIMIT ?";

status revocations_check(const revocation_key *k, uint64_t *epoch)
{
    unsigned long l_sub = strlen(k->sub), l_jti = strlen(k->jti);
    int64_t iat = k->iat;
    MYSQL_BIND p[3];
    db_bind_str(&p[0], k->sub, &l_sub);
    db_bind_i64(&p[1], &iat);
    db_bind_str(&p[2], k->jti, &l_jti);
    p[2].buffer_type = MYSQL_TYPE_BLOB; /* a binary jti, compared byte for byte */
    int64_t good = 0;
    uint64_t n = 0;
    my_bool null = 0, n_null = 0;
    MYSQL_BIND r[2];
    db_bind_out_i64(&r[0], &good, &null);
    db_bind_out_u64(&r[1], &n, &n_null);
    status st = db_row(SQL_CHECK, p, r);
    if (st == ST_NOT_FOUND)
        return ST_INTERNAL; /* a SELECT without FROM always answers one row */
    if (st != ST_OK)
        return st;
    if (epoch)
        *epoch = n_null || n == REVOCATION_EPOCH_NONE ? REVOCATION_EPOCH_NONE : n;
    return good && !null ? ST_OK : ST_REVOKED;
}

status revocations_epoch(uint64_t *epoch)
{
    *epoch = REVOCATION_EPOCH_NONE;
    uint64_t n = 0;
    my_bool null = 0;
    MYSQL_BIND r[1];
    db_bind_out_u64(&r[0], &n, &null);
    status st = db_row(SQL_EPOCH, NULL, r);
    if (st == ST_NOT_FOUND)
        return ST_OK; /* no epoch row: every check asks in full */
    if (st == ST_OK && !null && n != REVOCATION_EPOCH_NONE)
        *epoch = n;
    return st;
}

status revocations_add(const char *jti, int64_t expires_at)
{
    unsigned long l_jti = strlen(jti);
    MYSQL_BIND p[3];
    db_bind_str(&p[0], jti, &l_jti);
    p[0].buffer_type = MYSQL_TYPE_BLOB;
    db_bind_i64(&p[1], &expires_at);
    db_bind_i64(&p[2], &expires_at);
    status st = db_exec(SQL_ADD, p, NULL, NULL);
    if (st != ST_OK)
        return st;
    /* The purge rides on the write path, bounded, instead of a cron job; its
     * failure loses nothing (the next insert purges), so it is not the
     * caller's error. */
    int64_t slack = REVOCATIONS_PURGE_SLACK, batch = REVOCATIONS_PURGE_BATCH;
    MYSQL_BIND q[2];
    db_bind_i64(&q[0], &slack);
    db_bind_i64(&q[1], &batch);
    (void)db_exec(SQL_PURGE, q, NULL, NULL);
    return ST_OK;
}
