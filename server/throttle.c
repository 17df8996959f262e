/*
 * throttle.c - a password check under the account throttling (see
 * throttle.h). Moved out of route_login so that every route that checks a
 * password shares it.
 */
#include "server/throttle.h"

#include <errno.h>
#include <stdio.h>
#include <time.h>

#include "common/monotime.h"

/*
 * How long a reserved password check counts as in flight when its server
 * dies before resolving it: the longest wait for a bcrypt slot plus this
 * slack, which covers the check itself. A check still running
 * LOGIN_HOLD_MARGIN_SECONDS before that end is not answered (see
 * throttle_check_password).
 */
#define LOGIN_HOLD_SLACK_SECONDS 30u
#define LOGIN_HOLD_MARGIN_SECONDS 3u
#define TURN_PAUSE_MIN_MS 5u
#define TURN_PAUSE_MAX_MS 100u

void throttle_send_locked(request *r, int64_t retry_after)
{
    char h[48];
    snprintf(h, sizeof h, "Retry-After: %lld\r\n", (long long)retry_after);
    http_send_literal(r, 429,
                      "{\"message\":\"Too many failed attempts; try again later\","
                      "\"error\":\"too_many_attempts\"}",
                      h);
}

void throttle_send_invalid_credentials(request *r)
{
    http_send_error(r, 401, "invalid_credentials", "Invalid username or password");
}

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

bool throttle_check_password(request *r, hashgate_place *place, const user *u, const char *pw,
                             size_t len)
{
    const config *cfg = r->cfg;
    /* Wait for the account's turn (SPEC 4: never 429 unless locked) within
     * the same LOGIN_QUEUE_SECONDS as the wait for a bcrypt slot. */
    int64_t retry_after = 1;
    unsigned hold = cfg->login_queue_seconds + LOGIN_HOLD_SLACK_SECONDS;
    long long deadline_ms = monotonic_ms() + 1000LL * cfg->login_queue_seconds;
    long long reserved_ms = 0;
    unsigned pause_ms = TURN_PAUSE_MIN_MS;
    status st;
    do {
        reserved_ms = monotonic_ms();
        st = users_reserve_attempt(u->id, cfg->login_max_failures, cfg->login_lock_seconds, hold,
                                   &retry_after);
    } while (st == ST_BUSY && turn_wait(deadline_ms, &pause_ms));
    if (st == ST_LOCKED) {
        throttle_send_locked(r, retry_after);
        return false;
    }
    if (st == ST_NOT_FOUND) { /* deleted meanwhile */
        throttle_send_invalid_credentials(r);
        return false;
    }
    if (st != ST_OK) {
        http_send_status(r, st);
        return false;
    }
    st = hashgate_verify(place, pw, len, u->password_hash);
    /* A check that outlived its reservation may have run beside one granted
     * in its place: its answer is not given, and its reservation (already
     * lapsed) is not given back. */
    bool fresh = monotonic_ms() - reserved_ms < 1000LL * (hold - LOGIN_HOLD_MARGIN_SECONDS);
    if (st != ST_OK && st != ST_UNAUTHORIZED) {
        /* Not checked (ST_BUSY): give the reserved attempt back, as for a
         * right one. */
        if (fresh)
            (void)users_release_attempt(u->id);
        http_send_status(r, st);
        return false;
    }
    if (st == ST_UNAUTHORIZED) {
        st = users_password_failed(u->id, cfg->login_max_failures, cfg->login_lock_seconds, fresh);
        if (st == ST_OK && fresh)
            throttle_send_invalid_credentials(r);
        else
            http_send_status(r, st == ST_OK ? ST_BUSY : st);
        return false;
    }
    if (!fresh) {
        http_send_status(r, ST_BUSY);
        return false;
    }
    return true;
}

status throttle_release(const user *u)
{
    return users_release_attempt(u->id);
}
