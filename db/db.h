/*
 * db.h - connection handling for MySQL/MariaDB through Connector/C.
 *
 * One connection per HTTP worker thread, opened lazily on first use, kept for
 * the thread's life and checked cheaply (a zero-timeout poll on its socket)
 * before each use, so a restarted server is noticed without a round trip.
 * Prepared statements are prepared once per connection and cached by their
 * SQL text's address. Nothing here knows HTTP; the DAO modules (users.c,
 * products.c) build on the helpers in db_internal.h.
 */
#ifndef INTEGRITY_DB_H
#define INTEGRITY_DB_H

#include <signal.h>
#include <stdbool.h>

#include "common/status.h"

/* The most servers DATABASE_URL may name (SPEC 11). */
#define DB_MAX_HOSTS 8

typedef struct db_host {
    char name[256];
    unsigned port;
} db_host;

typedef struct db_config {
    /* The servers in the order of preference: the first that answers and is
     * ready is used; the server moves down the list when it fails and back
     * up when an earlier one answers again. At least one. */
    db_host hosts[DB_MAX_HOSTS];
    unsigned nhosts;
    char user[128];
    char password[256];
    char database[65];
    char socket[256];         /* empty: TCP */
    unsigned connect_timeout; /* seconds */
    unsigned read_timeout;
    unsigned write_timeout;
} db_config;

/* Process-wide set-up; copies *cfg. Call once before any thread uses the db. */
status db_init(const db_config *cfg);

/* Process-wide tear-down, after every thread called db_thread_end(). */
void db_shutdown(void);

/* Per-thread set-up and tear-down (mysql_thread_init / mysql_thread_end);
 * db_thread_end also closes the thread's connection. */
void db_thread_start(void);
void db_thread_end(void);

/*
 * Connect on this thread (the start-up thread: see db_set_ready), retrying
 * with exponential backoff (0.25 s to 5 s) and logging each failure to
 * stderr, until connected or *stop becomes non-zero (then ST_UNAVAILABLE).
 */
status db_wait_ready(volatile sig_atomic_t *stop);

/* Apply the embedded schema.sql on this thread's connection. */
status db_apply_schema(void);

/* Open the database to every thread: until this is called (after the schema
 * is applied), only the thread that called db_wait_ready() may use it and
 * the others get ST_UNAVAILABLE. */
void db_set_ready(void);

/* A round trip to the server on this thread's connection: ST_OK, or
 * ST_UNAVAILABLE when no server answers or the one that does is a Galera
 * node that is not ready (not Synced: joining, donor, non-primary). */
status db_ping(void);

/*
 * Counters for metrics, monotonic since start, readable from any thread:
 * - db_retry_count(): statements executed again after a Galera certification
 *   failure or an InnoDB deadlock (error 1213). Each db/ statement is one
 *   transaction (an autocommit statement or a CALL), so a retry is of the
 *   whole transaction; at most DB_DEADLOCK_TRIES executions per statement.
 * - db_retry_exhausted_count(): statements that still failed with 1213 after
 *   DB_DEADLOCK_TRIES executions (answered 503).
 * - db_failover_count(): connections opened to a server other than the one
 *   the previous connection of the same thread used (moves and returns).
 * - db_error_count(): database errors (failed connects, lost connections,
 *   timeouts, deadlocks, unexpected server errors; not a duplicate key or a
 *   failed CHECK, which are answers about the data).
 */
#define DB_DEADLOCK_TRIES 3
unsigned long long db_retry_count(void);
unsigned long long db_retry_exhausted_count(void);
unsigned long long db_failover_count(void);
unsigned long long db_error_count(void);

#endif
