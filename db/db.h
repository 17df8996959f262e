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

typedef struct db_config {
    char host[256];
    unsigned port;
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

/* A round trip to the server on this thread's connection: ST_OK or ST_UNAVAILABLE. */
status db_ping(void);

/*
 * Counters for the server's metrics, read at any time from any thread; they
 * only grow. db_error_count: database errors since start (failed connects,
 * lost connections, timeouts, deadlocks, unexpected server errors; not a
 * duplicate key or a failed CHECK, which are answers about the data).
 * db_retry_count: statements or transactions run again after a transient
 * error (none are yet: 0).
 */
unsigned long long db_error_count(void);
unsigned long long db_retry_count(void);

#endif
