/*
 * users.h - the users table: accounts, their TOTP enrollment, the login
 * challenge and the throttling counters. Every state change is one atomic
 * statement whose conditions are in its WHERE clause, so parallel requests
 * and several server instances cannot race past a rule. Times are the
 * database's UNIX_TIMESTAMP(), one clock for every instance.
 */
#ifndef INTEGRITY_USERS_H
#define INTEGRITY_USERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/status.h"

#define USERS_NAME_MAX 64
#define USERS_HASH_MAX 100
#define USERS_SECRET_MAX 255

typedef struct user {
    uint64_t id;
    char username[USERS_NAME_MAX + 1]; /* as signed up (login ignores case) */
    char password_hash[USERS_HASH_MAX + 1];
    char totp_secret[USERS_SECRET_MAX + 1]; /* base32; the caller wipes it */
    bool totp_enrolled;
    int64_t totp_last_step;
    int64_t lock_remaining; /* seconds until the lock ends; 0 when not locked */
    bool challenge_open;    /* a password login is good for /verify-2fa */
} user;

/* Insert a new user. ST_CONFLICT when the name is taken ignoring case. */
status users_create(const char *username, const char *password_hash, const char *totp_secret);

/* Find a user by name, ignoring case. ST_NOT_FOUND when there is none. */
status users_find(const char *username, user *out);

/*
 * Reserve one password attempt before checking the password: counts it as a
 * failure up front, so parallel guesses cannot exceed `max_failures`. A lock
 * that has run out is cleared (and the count restarted) here. ST_LOCKED when
 * the account is locked or its attempts are all in use; *retry_after then
 * holds the seconds to wait (at least 1).
 */
status users_reserve_attempt(uint64_t id, unsigned max_failures, int64_t *retry_after);

/* The reserved attempt failed: lock the account for `lock_seconds` when the
 * count has reached `max_failures`. */
status users_password_failed(uint64_t id, unsigned max_failures, unsigned lock_seconds);

/* Give back a reserved attempt whose password was never checked. */
status users_release_attempt(uint64_t id);

/*
 * The reserved attempt succeeded: give the attempt back (a right password
 * does not reset the count), open a challenge good for `challenge_seconds`
 * (replacing any older one) and, when `new_hash` is not NULL, store it.
 * Wrong codes so far are kept: a new challenge does not reset them, or a
 * holder of the password could guess codes forever, four at a time.
 */
status users_open_challenge(uint64_t id, unsigned challenge_seconds, const char *new_hash);

/*
 * A wrong code against the open challenge. Wrong codes add up across
 * challenges until a login completes; every `max_code_failures`th closes the
 * challenge, counts as one login failure (locking at `max_failures`) and
 * starts the wrong-code count again.
 */
status users_code_failed(uint64_t id, unsigned max_code_failures, unsigned max_failures,
                         unsigned lock_seconds);

/*
 * A right code at TOTP step `step`: atomically, only while the challenge is
 * open and `step` is after the last accepted one, record the step, confirm
 * enrollment, close the challenge and reset the failure count.
 * ST_UNAUTHORIZED when that condition no longer holds (replay or race).
 */
status users_complete_login(uint64_t id, int64_t step);

/* Replace the stored TOTP secret of user `id` (sealing an old plaintext one). */
status users_set_secret(uint64_t id, const char *totp_secret);

/* One sealed secret ("v1.%") into out[cap], for the start-up key check.
 * ST_NOT_FOUND when no row has one. */
status users_any_sealed_secret(char *out, size_t cap);

#endif
