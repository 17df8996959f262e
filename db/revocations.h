/*
 * revocations.h - the revocation rules of SPEC 9, kept in MySQL so that they
 * hold on every instance: the revoked_tokens table (one token refused by its
 * jti, POST /logout) and the users' tokens_valid_after (every token of a
 * user issued before a second refused: a password change, a 2FA reset; a
 * deleted user has no row, so all of its tokens are refused).
 */
#ifndef INTEGRITY_REVOCATIONS_H
#define INTEGRITY_REVOCATIONS_H

#include <stdint.h>

#include "common/status.h"

/* What a token's revocation is decided on (crypto/token.h's claims). */
typedef struct revocation_key {
    const char *sub; /* the username */
    const char *jti; /* "" for none */
    int64_t iat;     /* whole seconds; INT64_MIN for none */
} revocation_key;

/*
 * The revocation epoch: a number in MySQL (table revocation_epoch) that the
 * database raises, in the same transaction, with every change that refuses
 * tokens (triggers in schema.sql: a jti revoked, a user's tokens_valid_after
 * moved, a user deleted). Two reads that see the same epoch have no
 * revocation committed between them, so a token found good at epoch n is
 * still good wherever epoch n is read again: the hot reads read it in their
 * own statement (products.h) instead of asking again. REVOCATION_EPOCH_NONE
 * is never read (no epoch row: every read asks again).
 */
#define REVOCATION_EPOCH_NONE UINT64_MAX

/*
 * Whether a token that passed its signature and clock checks is still good:
 * ST_OK when user `sub` exists, `iat` >= its tokens_valid_after and `jti`
 * is not in revoked_tokens; ST_REVOKED when not. *epoch (may be NULL) gets
 * the revocation epoch read in the same statement. One prepared statement,
 * three unique-key lookups, one round trip on the request's connection;
 * ST_UNAVAILABLE / ST_INTERNAL as db_exec.
 */
status revocations_check(const revocation_key *k, uint64_t *epoch);

/* The revocation epoch alone: one row by a one-byte primary key, the
 * cheapest question that tells whether anything was revoked since a check.
 * *epoch is REVOCATION_EPOCH_NONE when there is no epoch row. */
status revocations_epoch(uint64_t *epoch);

/*
 * Refuse the token `jti` from now on, until `expires_at` (its exp, unix
 * seconds). Also deletes at most REVOCATIONS_PURGE_BATCH rows whose token
 * expired more than REVOCATIONS_PURGE_SLACK seconds ago by the database's
 * clock (the slack covers servers whose clocks trail it). Revoking a jti
 * already revoked is ST_OK.
 */
#define REVOCATIONS_PURGE_BATCH 100
#define REVOCATIONS_PURGE_SLACK 300
status revocations_add(const char *jti, int64_t expires_at);

#endif
