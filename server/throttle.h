/*
 * throttle.h - a password check under the account throttling of SPEC 4, the
 * one machinery every route that checks a password goes through (/login,
 * and the account routes of SPEC 9): the check is reserved in MySQL before
 * the bcrypt runs (users_reserve_attempt), waits for the account's turn
 * instead of answering 429 while others are in flight, and a wrong password
 * is counted as one failure, locking with the doubling locks of users.h.
 */
#ifndef INTEGRITY_THROTTLE_H
#define INTEGRITY_THROTTLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto/hashgate.h"
#include "db/users.h"
#include "server/http.h"

/*
 * Check `pw` (`len` bytes) against user *u's hash with `place` admitted
 * (hashgate_admit). True: the password is right and its reservation is
 * still held: the caller resolves it with users_open_challenge or
 * users_release_attempt (throttle_release) and then answers. False: the
 * answer has been sent: 401 invalid_credentials (counted as a failure),
 * 429 too_many_attempts with Retry-After while locked, 503 server_busy when
 * the turn or a bcrypt slot did not come within LOGIN_QUEUE_SECONDS, or the
 * database's error. The place is left to the caller.
 */
bool throttle_check_password(request *r, hashgate_place *place, const user *u, const char *pw,
                             size_t len);

/* A right password that opens no challenge (the account routes): give its
 * reservation back. A right password resets no failure count (SPEC 4). */
status throttle_release(const user *u);

/* 429 {"error": "too_many_attempts"} with Retry-After: retry_after. */
void throttle_send_locked(request *r, int64_t retry_after);

/* 401 {"error": "invalid_credentials"}, the same for a wrong password and an
 * unknown user. */
void throttle_send_invalid_credentials(request *r);

#endif
