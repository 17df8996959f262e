/*
 * hashgate.h - admission to bcrypt: how many hashes run at once, how long a
 * request may wait for its turn, and the dummy hash that makes an unknown
 * user cost the same as a known one. In front of hasher.h, which runs the
 * hashes (in its helper process when it has one).
 *
 * At most one bcrypt per core runs at a time: more only adds contention. A
 * request first takes a place in the queue, before any database work; each
 * place holds a caller's thread, so the places are bounded (`places`), and
 * past that the request is refused at once (ST_BUSY), having cost no query:
 * a client that retries at once, as load generators do, must not turn each
 * retry into database writes. A place then waits at most `wait_seconds` for
 * a slot (ST_BUSY after that): a client that gave up waiting holds its place
 * no longer than this.
 */
#ifndef INTEGRITY_HASHGATE_H
#define INTEGRITY_HASHGATE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "common/status.h"
#include "crypto/password.h"

typedef struct hashgate_config {
    unsigned places;       /* requests holding a place at once, at least 1 */
    unsigned wait_seconds; /* the longest wait for a slot */
    int cost;              /* bcrypt cost of the dummy hash */
    int nice;              /* the helper's nice value (hasher_start) */
    /* Called (from any thread, at most once per event) with a sentence for
     * the operator: no helper at start, the helper gone or killed later. */
    void (*warn)(const char *message);
} hashgate_config;

/* A request's place in the queue; zero-initialise it. */
typedef struct hashgate_place {
    bool held;
    struct timespec deadline; /* CLOCK_MONOTONIC: the latest a slot is waited for */
} hashgate_place;

/*
 * Set up the slots (one per core, at most HASHER_SLOTS_MAX), make the dummy
 * hash (timed: it sets the helper's bound on one answer) and start the
 * bcrypt helper. Call it once, while the process has a single thread. A
 * helper that cannot start is warned about and the hashes run in the
 * callers' threads. On failure it has undone itself.
 */
status hashgate_start(const hashgate_config *cfg);

/* Stop the helper and free the slots; ST_INTERNAL when the helper did not
 * exit cleanly. Call it with no hashgate_* call in flight. */
status hashgate_stop(void);

/* Take a place in the queue; ST_BUSY when every place is taken. */
status hashgate_admit(hashgate_place *p);

/* Give the place back (nothing when none is held). */
void hashgate_leave(hashgate_place *p);

/* password_hash() once a slot is free (ST_BUSY when none came before the
 * place's deadline). */
status hashgate_hash(const hashgate_place *p, const char *pw, size_t len, int cost,
                     char out[PASSWORD_HASH_LEN + 1]);

/* password_verify() once a slot is free: ST_OK when `pw` matches `hash`,
 * ST_UNAUTHORIZED when not, ST_BUSY when no slot came. A NULL `hash` is
 * checked against the dummy hash (always ST_UNAUTHORIZED or ST_BUSY), so
 * that an unknown user costs one bcrypt like a known one. */
status hashgate_verify(const hashgate_place *p, const char *pw, size_t len, const char *hash);

#endif
