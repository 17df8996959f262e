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
    int64_t lock_remaining;     /* seconds until the lock ends; 0 when not locked */
    bool challenge_open;        /* a password login is good for /verify-2fa */
    int64_t tokens_valid_after; /* tokens with an iat below this are refused (SPEC 9) */
} user;

/* Insert a new user whose tokens are good from second `valid_after` (its
 * sign-up's: a token of a deleted account of the same name, issued before,
 * stays refused). ST_CONFLICT when the name is taken ignoring case. */
status users_create(const char *username, const char *password_hash, const char *totp_secret,
                    int64_t valid_after);

/* Find a user by name, ignoring case. ST_NOT_FOUND when there is none. */
status users_find(const char *username, user *out);

/*
 * Throttling (SPEC 4). failed_logins counts resolved failures (wrong
 * passwords, closed challenges) until a completed login; password checks in
 * flight are counted apart and are never failures. The failure that brings
 * the count to n >= `max_failures` locks the account for
 * lock_seconds * 2^(n - max_failures) seconds, at most 24 h (or lock_seconds
 * when that is longer): each lock since the last completed login doubles the
 * one before. A lock that passes resets nothing.
 */

/*
 * Reserve one password check before running it: granted while the resolved
 * failures plus the checks in flight stay under `max_failures` (one at a
 * time once the failures have reached it and the lock has passed), so
 * parallel guesses on any number of instances cannot have more than
 * `max_failures` wrong passwords checked before the lock. A reservation
 * nobody gives back stops counting `hold_seconds` after the latest grant on
 * the account. A lock owed and not on record (the failures reached
 * `max_failures` with no lock set: a lowered limit, another instance's
 * limit) is set here, for `lock_seconds` doubled as above.
 * ST_OK: reserved; the caller resolves it with users_password_failed,
 * users_open_challenge or users_release_attempt, within `hold_seconds`.
 * ST_LOCKED: locked; *retry_after holds the seconds until the lock ends (>= 1).
 * ST_BUSY: not locked, but every check allowed now is in flight: try again
 * shortly. ST_NOT_FOUND: no such user.
 */
status users_reserve_attempt(uint64_t id, unsigned max_failures, unsigned lock_seconds,
                             unsigned hold_seconds, int64_t *retry_after);

/* The reserved check found a wrong password: count one failure (locking as
 * above when the count reaches `max_failures` and no lock is running) and,
 * when `release`, give the reservation back, in one statement. */
status users_password_failed(uint64_t id, unsigned max_failures, unsigned lock_seconds,
                             bool release);

/* Give back a reserved check whose password was never checked. */
status users_release_attempt(uint64_t id);

/*
 * The reserved check found the right password: give the reservation back (a
 * right password does not reset the failures), open a challenge good for
 * `challenge_seconds` (replacing any older one) and, when `new_hash` is not
 * NULL, store it. Wrong codes so far are kept: a new challenge does not
 * reset them, or a holder of the password could guess codes forever, four
 * at a time.
 */
status users_open_challenge(uint64_t id, unsigned challenge_seconds, const char *new_hash);

/*
 * A wrong code against the open challenge. Wrong codes add up across
 * challenges until a login completes; every `max_code_failures`th closes the
 * challenge, counts as one login failure (locking as a wrong password
 * does) and starts the wrong-code count again.
 */
status users_code_failed(uint64_t id, unsigned max_code_failures, unsigned max_failures,
                         unsigned lock_seconds);

/*
 * A right code at TOTP step `step`: atomically, only while the challenge is
 * open and `step` is after the last accepted one, record the step, confirm
 * enrollment, close the challenge and reset the failure count and the lock
 * (the next lock is again the first).
 * ST_UNAUTHORIZED when that condition no longer holds (replay or race).
 */
status users_complete_login(uint64_t id, int64_t step);

/* The account locks set by this process's statements since start (each
 * lock counted once, by the statement that set it), for the server's
 * metrics. Any thread; it only grows. */
unsigned long long users_lockout_count(void);

/* users_complete_login, only while 2FA is not yet confirmed: ST_OK when
 * this call is the one that confirmed it (of two racing, one), else
 * ST_UNAUTHORIZED (then users_complete_login decides). */
status users_complete_enrollment(uint64_t id, int64_t step);

/*
 * SPEC 9. Each refuses every token of the user issued before second
 * `valid_after` (tokens_valid_after never moves back), in the same
 * statement as its change. ST_NOT_FOUND when there is no such user.
 */
/* A new password hash. */
status users_change_password(uint64_t id, const char *password_hash, int64_t valid_after);
/* 2FA reset: a new TOTP secret, not confirmed, no open challenge, and no
 * step used yet (the steps of the old secret say nothing of the new one's
 * codes: the new app's first code works at once). */
status users_reset_2fa(uint64_t id, const char *totp_secret, int64_t valid_after);

/* Delete the user (its recovery codes go with it: ON DELETE CASCADE), only
 * while its last accepted TOTP step is before `step` (the replay rule; pass
 * INT64_MAX when no TOTP code is used). ST_UNAUTHORIZED when that fails. */
status users_delete(uint64_t id, int64_t step);

/* Replace the stored TOTP secret of user `id` (sealing an old plaintext one). */
status users_set_secret(uint64_t id, const char *totp_secret);

/* One sealed secret ("v1.%") into out[cap], for the start-up key check.
 * ST_NOT_FOUND when no row has one. */
status users_any_sealed_secret(char *out, size_t cap);

#endif
