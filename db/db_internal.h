/*
 * db_internal.h - helpers shared by the DAO modules of db/ only: statement
 * execution with bound parameters and error mapping. Not for use outside db/.
 */
#ifndef INTEGRITY_DB_INTERNAL_H
#define INTEGRITY_DB_INTERNAL_H

#include <mysql.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "common/status.h"

/*
 * Prepare (once per connection) and execute `sql` with `params` on this
 * thread's connection. On ST_OK *stmt is the executed statement, owned by the
 * connection's cache: bind results and fetch, then call db_done() exactly
 * once, whatever the fetches answered. Until then the connection stays open
 * even if it fails (it is only marked broken), so *stmt is never freed under
 * the caller. *affected (may be NULL) gets the matched-row count of an
 * UPDATE/DELETE/INSERT. Errors: ST_CONFLICT for a duplicate key, ST_INVALID
 * for a CHECK constraint, ST_UNAVAILABLE when the server is unreachable (the
 * connection is dropped), ST_INTERNAL otherwise.
 */
status db_exec(const char *sql, MYSQL_BIND *params, MYSQL_STMT **stmt, uint64_t *affected);

/*
 * Bind `results` and fetch one row of an executed statement. ST_OK with a
 * row, ST_NOT_FOUND when there are no more rows, ST_INTERNAL when a column
 * did not fit its buffer, ST_UNAVAILABLE when the connection failed (lost,
 * killed, timed out, or a KILL QUERY: the connection is then closed by
 * db_done). The statement stays valid until db_done().
 */
status db_fetch(MYSQL_STMT *stmt, MYSQL_BIND *results);

/* The next row into the same `results` that db_fetch bound (no re-binding). */
status db_fetch_more(MYSQL_STMT *stmt, MYSQL_BIND *results);

/* Called by db_each once per row, the row's columns in the buffers its
 * `results` bind. Anything but ST_OK stops the rows and is db_each's answer. */
typedef status (*db_row_fn)(void *ctx);

/*
 * Execute `sql` with `params` and call fn(ctx) for each row of its result,
 * fetched into `results`; then db_done. ST_OK once every row was seen (none
 * is fine), else the first error: db_exec's, db_fetch's, or fn's. *rows (may
 * be NULL) gets the number of rows handed to fn.
 */
status db_each(const char *sql, MYSQL_BIND *params, MYSQL_BIND *results, db_row_fn fn, void *ctx,
               size_t *rows);

/*
 * Execute a SELECT of at most one row and fetch it into `results`, then
 * db_done: ST_OK with the row, ST_NOT_FOUND without one, else db_exec's or
 * db_fetch's error.
 */
status db_row(const char *sql, MYSQL_BIND *params, MYSQL_BIND *results);

/* Finish with a statement from db_exec: discard any unread rows or, when the
 * connection failed while the statement was held, close the connection now
 * (the statement with it). `stmt` must not be used afterwards. */
void db_done(MYSQL_STMT *stmt);

/*
 * Execute a CALL of a stored routine that answers exactly one row, fetch it
 * into `results`: ST_OK with the row, or the routine's error mapped as
 * db_exec's. On ST_OK the CALL's final status is left unread until the
 * connection's next statement, so the routine must send its row as its last
 * statement, after its COMMIT or ROLLBACK: nothing that follows may change
 * what the row says.
 */
status db_call_row(const char *sql, MYSQL_BIND *params, MYSQL_BIND *results);

/* Map a statement's error to a status (dropping a broken connection: at
 * once when no statement is held, else at the last db_done). A failure the
 * statement carries no number for takes the connection's (a failed row
 * fetch leaves it there), and one with no number at all counts as a lost
 * connection. */
status db_stmt_error(MYSQL_STMT *stmt);

/* MYSQL_BIND builders: each fills one element and returns nothing. */
static inline void db_bind_str(MYSQL_BIND *b, const char *s, unsigned long *len)
{
    memset(b, 0, sizeof *b);
    b->buffer_type = MYSQL_TYPE_STRING;
    b->buffer = (void *)s;
    b->buffer_length = *len;
    b->length = len;
}

static inline void db_bind_null(MYSQL_BIND *b)
{
    memset(b, 0, sizeof *b);
    b->buffer_type = MYSQL_TYPE_NULL;
}

static inline void db_bind_i64(MYSQL_BIND *b, int64_t *v)
{
    memset(b, 0, sizeof *b);
    b->buffer_type = MYSQL_TYPE_LONGLONG;
    b->buffer = v;
}

static inline void db_bind_u64(MYSQL_BIND *b, uint64_t *v)
{
    db_bind_i64(b, (int64_t *)v);
    b->is_unsigned = 1;
}

/* A result column into a char buffer of `cap` bytes (NUL-terminated by db_fetch). */
static inline void db_bind_out_str(MYSQL_BIND *b, char *buf, unsigned long cap, unsigned long *len,
                                   my_bool *is_null)
{
    memset(b, 0, sizeof *b);
    b->buffer_type = MYSQL_TYPE_STRING;
    b->buffer = buf;
    b->buffer_length = cap - 1; /* room for the NUL db_fetch adds */
    b->length = len;
    b->is_null = is_null;
}

static inline void db_bind_out_i64(MYSQL_BIND *b, int64_t *v, my_bool *is_null)
{
    memset(b, 0, sizeof *b);
    b->buffer_type = MYSQL_TYPE_LONGLONG;
    b->buffer = v;
    b->is_null = is_null;
}

static inline void db_bind_out_u64(MYSQL_BIND *b, uint64_t *v, my_bool *is_null)
{
    db_bind_out_i64(b, (int64_t *)v, is_null);
    b->is_unsigned = 1;
}

#endif
