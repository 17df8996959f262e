/*
 * db.c - per-thread MySQL connections, the prepared-statement cache, error
 * mapping and schema application. DATABASE_URL is parsed in url.c.
 *
 * Why one connection per worker thread rather than a pool: CivetWeb's worker
 * threads are a fixed set, each serves one request at a time, and a request
 * never needs two connections. A thread-owned connection needs no lock, no
 * queue and no hand-off, its prepared statements stay valid for its life, and
 * the number of connections is bounded by THREADS. Connections open lazily, so
 * idle threads cost MySQL nothing.
 *
 * Several servers (SPEC 11, a Galera cluster): a connection opens to the
 * first server in DATABASE_URL's order that answers and is ready, skipping
 * those that failed in the last HOST_DOWN_MS; a connection to a later one is
 * reopened, when idle, every FAILBACK_MS, so the server comes back to the
 * first when it can. On a Galera node (wsrep_on) a connection is used only
 * while the node is Synced, and reads wait for the writes the cluster
 * committed before them (wsrep_sync_wait). A statement that fails with 1213
 * (certification failure, deadlock) is executed again as a whole, a bounded
 * number of times; one refused because the node is not ready (1047) goes to
 * another server.
 */
#define _GNU_SOURCE
#include "db/db.h"

#include <errno.h>
#include <errmsg.h>
#include <mysql.h>
#include <mysqld_error.h>
#include <openssl/crypto.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db/db_internal.h"
#include "common/monotime.h"

extern const char schema_sql[];
extern const unsigned long schema_sql_len;

#define STMT_CACHE_SIZE 32
/* After a failed connect, requests fail fast for this long instead of each
 * waiting for its own connect attempt (a stopped server must answer 503 fast). */
#define CONNECT_HOLDOFF_MS 250
/* A connection idle this long is checked for a server-side close before use
 * (one poll()); a busy one is not: under load that poll was one system call
 * in ten. A connection the server drops while busy fails its next statement,
 * which closes it (503 once), and the one after reconnects. */
#define STALE_CHECK_IDLE_MS 1000
/* With several servers: one that failed (connect, not ready, 1047) is not
 * tried again for this long, except by one thread (a probe) when it ends. */
#define HOST_DOWN_MS 1000
/* A connection to a server after the first that is usable is reopened, when
 * idle, once it is this old: the way back to the preferred server. */
#define FAILBACK_MS 5000
/*
 * wsrep_sync_wait on Galera connections: 1 (reads, and START TRANSACTION),
 * 2 (UPDATE, DELETE), 4 (INSERT, REPLACE). Every rule of SPEC 3-4 is a
 * conditional UPDATE that must see the writes another node acknowledged
 * before it (a login's challenge on node 1, its /verify-2fa on node 2), and
 * the product routines open with START TRANSACTION: all three.
 */
#define WSREP_SYNC_WAIT "7"
/* MariaDB: WSREP has not yet prepared node for application use. */
#define ER_WSREP_NOT_READY 1047

typedef struct stmt_entry {
    const char *sql; /* the cache key: a string literal's address */
    MYSQL_STMT *stmt;
} stmt_entry;

typedef struct db_conn {
    MYSQL *mysql;
    stmt_entry stmts[STMT_CACHE_SIZE];
    size_t nstmts;
    long long used_ms; /* monotonic ms of the last conn_get() */
    /* A CALL whose row was read but not its final status (db_call_row):
     * read by conn_finish(), before anything else is sent on the connection. */
    MYSQL_STMT *pending;
    /* Statements db_exec handed out and db_done has not taken back. While
     * there are any, the connection is not closed: closing it closes every
     * cached statement, and a caller would then read a freed MYSQL_STMT. */
    unsigned held;
    /* The connection failed (or answered an unknown error) while statements
     * were held: no new statement may run on it, and the last db_done (or
     * the next conn_get) closes it. */
    bool broken;
    /* Which of g_cfg.hosts it is connected to, when it was opened, and
     * whether that server is a Galera node (wsrep_on). */
    unsigned host;
    long long opened_ms;
    bool wsrep;
} db_conn;

static db_config g_cfg;
/* Set once the schema is in place: until then only the start-up thread may
 * use the database, and every request that needs it answers 503. */
static atomic_bool g_ready;
static _Thread_local bool t_startup;
/* db_error_count (db.h). */
static atomic_ullong g_errors;
static atomic_llong g_connect_failed_ms; /* monotonic ms of the last failure, 0 if none */
static _Thread_local db_conn t_conn;
/* Per server, monotonic ms until which it is skipped (0: usable). */
static atomic_llong g_host_down_until[DB_MAX_HOSTS];
static _Thread_local unsigned t_last_host; /* the host of this thread's previous connection */
static atomic_ullong g_retries, g_retries_exhausted, g_failovers;

unsigned long long db_retry_count(void)
{
    return atomic_load(&g_retries);
}

unsigned long long db_retry_exhausted_count(void)
{
    return atomic_load(&g_retries_exhausted);
}

unsigned long long db_failover_count(void)
{
    return atomic_load(&g_failovers);
}

/* Skip server i for HOST_DOWN_MS (one server alone is never skipped: the
 * connect hold-off below does that job). */
static void host_mark_down(unsigned i)
{
    if (g_cfg.nhosts > 1)
        atomic_store(&g_host_down_until[i], monotonic_ms() + HOST_DOWN_MS);
}

/* May this thread try server i now? Yes when it is not marked down; when its
 * mark has passed, only the one thread that moves the mark on (the probe). */
static bool host_claim(unsigned i, long long now)
{
    long long until = atomic_load(&g_host_down_until[i]);
    if (until == 0)
        return true;
    if (until > now)
        return false;
    return atomic_compare_exchange_strong(&g_host_down_until[i], &until, now + HOST_DOWN_MS);
}

/* Close the connection and every cached statement: only when no caller holds
 * one (c->held == 0), or at thread end. */
static void conn_close(db_conn *c)
{
    c->pending = NULL;
    c->held = 0;
    c->broken = false;
    for (size_t i = 0; i < c->nstmts; i++)
        mysql_stmt_close(c->stmts[i].stmt);
    c->nstmts = 0;
    if (c->mysql)
        mysql_close(c->mysql);
    c->mysql = NULL;
}

/* The connection cannot be used any more: close it now if no statement of it
 * is held, else mark it so that the last db_done() closes it. */
static void conn_drop(db_conn *c)
{
    c->broken = true;
    if (c->held == 0)
        conn_close(c);
}

/* True when the open connection's socket shows EOF or data nobody asked for:
 * the server closed it (restart, wait_timeout, kill). Costs one poll(). */
static bool conn_is_stale(db_conn *c)
{
    struct pollfd p = {.fd = (int)mysql_get_socket(c->mysql), .events = POLLIN};
    if (p.fd < 0)
        return true;
    int r = poll(&p, 1, 0);
    return r != 0; /* readable, hung up, or poll failed */
}

/* One row of SHOW GLOBAL STATUS / SELECT: its second column if `want` is
 * NULL, else the second column of the row whose first is `want`. Returns
 * false when the query failed (the error stays on m). */
static bool query_value(MYSQL *m, const char *sql, char *out, size_t cap)
{
    out[0] = '\0';
    if (mysql_real_query(m, sql, (unsigned long)strlen(sql)))
        return false;
    MYSQL_RES *res = mysql_store_result(m);
    if (!res)
        return mysql_errno(m) == 0;
    MYSQL_ROW row = mysql_fetch_row(res);
    unsigned nf = mysql_num_fields(res);
    if (row && row[nf - 1])
        snprintf(out, cap, "%s", row[nf - 1]);
    mysql_free_result(res);
    return true;
}

/* On a Galera node: is it Synced (wsrep_local_state 4) and ready? SHOW is
 * answered even by a node that refuses every other statement with 1047. */
static bool wsrep_node_ready(MYSQL *m)
{
    char v[32];
    if (!query_value(m, "SHOW GLOBAL STATUS LIKE 'wsrep_ready'", v, sizeof v) ||
        strcmp(v, "ON") != 0)
        return false;
    return query_value(m, "SHOW GLOBAL STATUS LIKE 'wsrep_local_state'", v, sizeof v) &&
           strcmp(v, "4") == 0;
}

/*
 * After connecting: find out whether the server is a Galera node and, if it
 * is, that it is ready, and make its reads causal. False (reason in why)
 * when the server cannot be used now.
 */
static bool conn_setup(MYSQL *m, bool *wsrep, char *why, size_t why_cap)
{
    char v[32];
    *wsrep = false;
    if (!query_value(m, "SELECT @@wsrep_on", v, sizeof v)) {
        unsigned err = mysql_errno(m);
        if (err == ER_UNKNOWN_SYSTEM_VARIABLE)
            return true; /* MySQL: no Galera */
        if (why)
            snprintf(why, why_cap, "%u %s", err, mysql_error(m));
        return false;
    }
    if (strcmp(v, "1") != 0)
        return true;
    *wsrep = true;
    if (!wsrep_node_ready(m)) {
        if (why)
            snprintf(why, why_cap, "Galera node not Synced");
        return false;
    }
    static const char sync_wait[] = "SET SESSION wsrep_sync_wait = " WSREP_SYNC_WAIT;
    if (mysql_real_query(m, sync_wait, sizeof sync_wait - 1)) {
        if (why)
            snprintf(why, why_cap, "%u %s", mysql_errno(m), mysql_error(m));
        return false;
    }
    return true;
}

/* Connect to server i; ST_UNAVAILABLE with the reason in why. */
static status host_open(unsigned i, db_conn *c, char *why, size_t why_cap)
{
    MYSQL *m = mysql_init(NULL);
    if (!m)
        return ST_NOMEM;
    unsigned ct = g_cfg.connect_timeout, rt = g_cfg.read_timeout, wt = g_cfg.write_timeout;
    mysql_options(m, MYSQL_OPT_CONNECT_TIMEOUT, &ct);
    mysql_options(m, MYSQL_OPT_READ_TIMEOUT, &rt);
    mysql_options(m, MYSQL_OPT_WRITE_TIMEOUT, &wt);
    mysql_options(m, MYSQL_SET_CHARSET_NAME, "utf8mb4");
    /* A row lock is waited for less long than a reply: a write that cannot
     * get its lock fails in the database (ER_LOCK_WAIT_TIMEOUT, rolled back,
     * 503) rather than going on there after this client gave up on it. */
    char init[320];
    int n = snprintf(init, sizeof init,
                     "SET SESSION sql_mode = 'STRICT_ALL_TABLES,NO_ZERO_DATE,NO_ZERO_IN_DATE,"
                     "ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION', time_zone = '+00:00',"
                     " innodb_lock_wait_timeout = %u",
                     rt > 2 ? rt - 2 : 1);
    if (n < 0 || (size_t)n >= sizeof init) { /* cannot happen: a constant and one number */
        mysql_close(m);
        return ST_INTERNAL;
    }
    mysql_options(m, MYSQL_INIT_COMMAND, init);
    const char *sock = g_cfg.socket[0] ? g_cfg.socket : NULL;
    const db_host *h = &g_cfg.hosts[i];
    bool wsrep = false;
    if (!mysql_real_connect(m, h->name, g_cfg.user, g_cfg.password, g_cfg.database, h->port, sock,
                            CLIENT_FOUND_ROWS | CLIENT_MULTI_RESULTS)) {
        if (why)
            snprintf(why, why_cap, "%s:%u: %u %s", h->name, h->port, mysql_errno(m),
                     mysql_error(m));
        mysql_close(m);
        atomic_fetch_add_explicit(&g_errors, 1, memory_order_relaxed);
        return ST_UNAVAILABLE;
    }
    char reason[256] = "";
    if (!conn_setup(m, &wsrep, reason, sizeof reason)) {
        if (why)
            snprintf(why, why_cap, "%s:%u: %s", h->name, h->port, reason);
        mysql_close(m);
        atomic_fetch_add_explicit(&g_errors, 1, memory_order_relaxed);
        return ST_UNAVAILABLE;
    }
    c->mysql = m;
    c->nstmts = 0;
    c->host = i;
    c->wsrep = wsrep;
    c->opened_ms = monotonic_ms();
    return ST_OK;
}

/*
 * Open a connection to the first usable server in DATABASE_URL's order,
 * skipping those marked down (unless `all`: every one is tried). The
 * reasons of the failures go to why[why_cap], the last one kept.
 */
static status conn_open(db_conn *c, bool all, char *why, size_t why_cap)
{
    long long now = monotonic_ms();
    status st = ST_UNAVAILABLE;
    for (unsigned i = 0; i < g_cfg.nhosts; i++) {
        if (!all && !host_claim(i, now))
            continue;
        st = host_open(i, c, why, why_cap);
        if (st == ST_OK) {
            atomic_store(&g_host_down_until[i], 0);
            atomic_store(&g_connect_failed_ms, 0);
            if (i != t_last_host)
                atomic_fetch_add(&g_failovers, 1);
            t_last_host = i;
            return ST_OK;
        }
        if (st != ST_UNAVAILABLE)
            return st;
        host_mark_down(i);
    }
    atomic_store(&g_connect_failed_ms, monotonic_ms());
    return ST_UNAVAILABLE;
}

/* Read what a CALL sends after its row: further results and its final
 * status. The connection is unusable until all are read. */
static status finish_call(MYSQL_STMT *s)
{
    int more;
    while ((more = mysql_stmt_next_result(s)) == 0)
        mysql_stmt_free_result(s);
    return more > 0 ? db_stmt_error(s) : ST_OK;
}

/* Read the final status a CALL left unread (db_call_row), before anything
 * else is sent on the connection; by then it has usually arrived. The answer
 * is out: an error here can only be logged (map_error does for the
 * unexpected ones) and close the connection, as it does. */
static void conn_finish(db_conn *c)
{
    MYSQL_STMT *s = c->pending;
    if (!s)
        return;
    c->pending = NULL;
    (void)finish_call(s);
}

/* This thread's live connection, connecting if needed. */
static status conn_get(db_conn **out)
{
    db_conn *c = &t_conn;
    if (!t_startup && !atomic_load(&g_ready))
        return ST_UNAVAILABLE;
    if (c->broken) {
        if (c->held)
            return ST_UNAVAILABLE; /* a statement of the failed connection is still out */
        conn_close(c);
    }
    conn_finish(c); /* before the stale check: an unread final status is data on the socket */
    long long now = monotonic_ms();
    if (c->mysql && c->held == 0 && now - c->used_ms >= STALE_CHECK_IDLE_MS && conn_is_stale(c))
        conn_close(c);
    /* Back to an earlier server when one may answer again. */
    if (c->mysql && c->held == 0 && c->host > 0 && now - c->opened_ms >= FAILBACK_MS) {
        for (unsigned i = 0; i < c->host; i++) {
            if (atomic_load(&g_host_down_until[i]) <= now) {
                conn_close(c);
                break;
            }
        }
        if (c->mysql)
            c->opened_ms = now; /* all earlier ones down: look again in FAILBACK_MS */
    }
    c->used_ms = now;
    if (!c->mysql) {
        long long failed = atomic_load(&g_connect_failed_ms);
        if (failed && now - failed < CONNECT_HOLDOFF_MS)
            return ST_UNAVAILABLE;
        status st = conn_open(c, false, NULL, 0);
        if (st != ST_OK)
            return st;
    }
    *out = c;
    return ST_OK;
}

/* Client-side errors (2000..2999) mean the connection is unusable. */
static bool is_connection_error(unsigned err)
{
    return (err >= 2000 && err < 3000) || err == ER_SERVER_SHUTDOWN ||
           err == ER_CONNECTION_KILLED || err == ER_QUERY_INTERRUPTED;
}

static status map_error(db_conn *c, unsigned err, const char *msg)
{
    switch (err) {
    case ER_DUP_ENTRY:
        return ST_CONFLICT;
    case 4025: /* MariaDB ER_CONSTRAINT_FAILED */
    case 3819: /* MySQL ER_CHECK_CONSTRAINT_VIOLATED */
    case ER_WARN_DATA_OUT_OF_RANGE:
    case ER_DATA_TOO_LONG:
    case ER_TRUNCATED_WRONG_VALUE_FOR_FIELD:
        return ST_INVALID;
    case ER_LOCK_WAIT_TIMEOUT:
    case ER_LOCK_DEADLOCK:
        atomic_fetch_add_explicit(&g_errors, 1, memory_order_relaxed);
        return ST_UNAVAILABLE;
    case ER_WSREP_NOT_READY:
        /* A Galera node that left the primary component or is not yet
         * Synced: database unavailable (SPEC 11), and another server, if
         * there is one, for the next statement. */
        host_mark_down(c->host);
        conn_drop(c);
        return ST_UNAVAILABLE;
    default:
        break;
    }
    atomic_fetch_add_explicit(&g_errors, 1, memory_order_relaxed);
    if (is_connection_error(err)) {
        conn_drop(c);
        return ST_UNAVAILABLE;
    }
    /* Unknown server error: log it (SQL errors carry no client data here:
     * everything a client sends is a bound parameter) and start afresh. */
    fprintf(stderr, "db: error %u: %s\n", err, msg);
    conn_drop(c);
    return ST_INTERNAL;
}

/* The error number db_stmt_error() maps for stmt. */
static unsigned stmt_errno(MYSQL_STMT *stmt)
{
    unsigned err = mysql_stmt_errno(stmt);
    if (err == 0 && t_conn.mysql)
        err = mysql_errno(t_conn.mysql);
    return err;
}

status db_stmt_error(MYSQL_STMT *stmt)
{
    db_conn *c = &t_conn;
    unsigned err = mysql_stmt_errno(stmt);
    const char *msg = mysql_stmt_error(stmt);
    /* A row fetch that fails on the wire (the server gone, a KILL's error
     * packet, a timeout) leaves its error on the connection, not on the
     * statement. */
    if (err == 0 && c->mysql) {
        err = mysql_errno(c->mysql);
        msg = mysql_error(c->mysql);
    }
    /* A call that failed without saying why: nothing read on this connection
     * can be trusted any more. */
    if (err == 0) {
        err = CR_SERVER_LOST;
        msg = "lost connection";
    }
    return map_error(c, err, msg);
}

static MYSQL_STMT *stmt_cached(db_conn *c, const char *sql, status *st)
{
    for (size_t i = 0; i < c->nstmts; i++)
        if (c->stmts[i].sql == sql)
            return c->stmts[i].stmt;
    MYSQL_STMT *s = mysql_stmt_init(c->mysql);
    if (!s) {
        *st = ST_NOMEM;
        return NULL;
    }
    if (mysql_stmt_prepare(s, sql, strlen(sql))) {
        unsigned err = mysql_stmt_errno(s);
        char msg[256];
        snprintf(msg, sizeof msg, "%s", mysql_stmt_error(s));
        mysql_stmt_close(s);
        *st = map_error(c, err, msg);
        return NULL;
    }
    if (c->nstmts == STMT_CACHE_SIZE) { /* more distinct statements than expected */
        mysql_stmt_close(c->stmts[0].stmt);
        memmove(&c->stmts[0], &c->stmts[1], sizeof c->stmts[0] * (STMT_CACHE_SIZE - 1));
        c->nstmts--;
    }
    c->stmts[c->nstmts++] = (stmt_entry){.sql = sql, .stmt = s};
    return s;
}

/*
 * Every statement db/ runs is a transaction of its own (an autocommit
 * statement, or a CALL whose routine commits or rolls back), so a statement
 * that failed with 1213 was rolled back whole and runs again as a whole:
 * Galera's certification failure at commit (another node's write to the
 * same row was ordered first) or an InnoDB deadlock, up to DB_DEADLOCK_TRIES
 * executions. One refused with 1047 was not run at all: it goes to the next
 * server once, when no statement of this connection is held (the refusing
 * connection is then closed).
 */
status db_exec(const char *sql, MYSQL_BIND *params, MYSQL_STMT **out, uint64_t *affected)
{
    unsigned tries = 0, moves = 0;
    for (;;) {
        db_conn *c;
        status st = conn_get(&c);
        if (st != ST_OK)
            return st;
        MYSQL_STMT *s = stmt_cached(c, sql, &st);
        if (!s) {
            if (st == ST_UNAVAILABLE && !c->mysql && g_cfg.nhosts > 1 && moves++ == 0)
                continue; /* the server refused it (1047) and was left */
            return st;
        }
        if (params && mysql_stmt_bind_param(s, params))
            return db_stmt_error(s);
        if (mysql_stmt_execute(s)) {
            unsigned err = stmt_errno(s);
            if (err == ER_LOCK_DEADLOCK) {
                if (++tries < DB_DEADLOCK_TRIES) {
                    atomic_fetch_add(&g_retries, 1);
                    continue;
                }
                atomic_fetch_add(&g_retries_exhausted, 1);
            }
            st = db_stmt_error(s);
            if (err == ER_WSREP_NOT_READY && !c->mysql && g_cfg.nhosts > 1 && moves++ == 0)
                continue;
            return st;
        }
        if (affected) {
            my_ulonglong n = mysql_stmt_affected_rows(s);
            *affected = n == (my_ulonglong)-1 ? 0 : (uint64_t)n;
        }
        if (out) {
            *out = s;
            c->held++; /* until db_done(s) */
        } else {
            mysql_stmt_free_result(s);
        }
        return ST_OK;
    }
}

status db_fetch(MYSQL_STMT *stmt, MYSQL_BIND *results)
{
    if (mysql_stmt_bind_result(stmt, results))
        return db_stmt_error(stmt);
    return db_fetch_more(stmt, results);
}

status db_fetch_more(MYSQL_STMT *stmt, MYSQL_BIND *results)
{
    int r = mysql_stmt_fetch(stmt);
    if (r == MYSQL_NO_DATA)
        return ST_NOT_FOUND;
    if (r == MYSQL_DATA_TRUNCATED)
        return ST_INTERNAL;
    if (r != 0)
        return db_stmt_error(stmt);
    unsigned n = mysql_stmt_field_count(stmt);
    for (unsigned i = 0; i < n; i++) {
        MYSQL_BIND *b = &results[i];
        if (b->buffer_type == MYSQL_TYPE_STRING && b->length) {
            bool null = b->is_null && *b->is_null;
            ((char *)b->buffer)[null ? 0 : *b->length] = '\0';
        }
    }
    return ST_OK;
}

status db_each(const char *sql, MYSQL_BIND *params, MYSQL_BIND *results, db_row_fn fn, void *ctx,
               size_t *rows)
{
    size_t n = 0;
    if (rows)
        *rows = 0;
    MYSQL_STMT *s;
    status st = db_exec(sql, params, &s, NULL);
    if (st != ST_OK)
        return st;
    for (bool first = true;; first = false) {
        st = first ? db_fetch(s, results) : db_fetch_more(s, results);
        if (st == ST_NOT_FOUND) {
            st = ST_OK;
            break;
        }
        if (st != ST_OK)
            break;
        n++;
        st = fn(ctx);
        if (st != ST_OK)
            break;
    }
    db_done(s);
    if (rows)
        *rows = n;
    return st;
}

void db_done(MYSQL_STMT *stmt)
{
    db_conn *c = &t_conn;
    if (c->held)
        c->held--;
    if (!c->broken)
        mysql_stmt_free_result(stmt);
    else if (c->held == 0)
        conn_close(c); /* the failure was deferred to here: stmt goes with it */
}

status db_row(const char *sql, MYSQL_BIND *params, MYSQL_BIND *results)
{
    MYSQL_STMT *s;
    status st = db_exec(sql, params, &s, NULL);
    if (st != ST_OK)
        return st;
    st = db_fetch(s, results);
    db_done(s);
    return st;
}

status db_call_row(const char *sql, MYSQL_BIND *params, MYSQL_BIND *results)
{
    MYSQL_STMT *s = NULL;
    status st = db_exec(sql, params, &s, NULL);
    if (st != ST_OK)
        return st;
    st = mysql_stmt_field_count(s) ? db_fetch(s, results) : ST_INTERNAL;
    if (st == ST_NOT_FOUND)
        st = ST_INTERNAL; /* the routine always answers one row */
    /* Discards the rest of the row's result, or closes a connection that
     * failed meanwhile (and the statement with it). */
    db_done(s);
    if (!t_conn.mysql || t_conn.broken)
        return st;
    /* The rest of this result came with the row. The CALL's final status
     * comes in a write of its own after the routine returns: under load,
     * waiting for it here cost one more sleep and wake-up per write request,
     * with the answer already known. Every routine sends its row as its last
     * statement, after its COMMIT or ROLLBACK (schema.sql), so the status
     * cannot undo the row: conn_finish() reads it before the connection's
     * next statement. */
    if (st == ST_OK) {
        t_conn.pending = s;
        return ST_OK;
    }
    status fin = finish_call(s);
    return fin != ST_OK ? fin : st;
}

status db_init(const db_config *cfg)
{
    if (mysql_library_init(0, NULL, NULL))
        return ST_INTERNAL;
    g_cfg = *cfg;
    return ST_OK;
}

void db_shutdown(void)
{
    conn_close(&t_conn);
    mysql_library_end();
    OPENSSL_cleanse(&g_cfg, sizeof g_cfg);
}

void db_thread_start(void)
{
    mysql_thread_init();
}

void db_thread_end(void)
{
    conn_close(&t_conn);
    mysql_thread_end();
}

void db_set_ready(void)
{
    t_startup = false;
    atomic_store(&g_ready, true);
}

status db_wait_ready(volatile sig_atomic_t *stop)
{
    unsigned delay_ms = 250;
    t_startup = true;
    for (unsigned attempt = 1;; attempt++) {
        char why[512] = "";
        if (t_conn.broken)
            conn_close(&t_conn);
        if (t_conn.mysql)
            return ST_OK;
        status st = conn_open(&t_conn, true, why, sizeof why);
        if (st == ST_OK)
            return ST_OK;
        fprintf(stderr, "db: connect attempt %u failed (%s); retrying in %u ms\n", attempt, why,
                delay_ms);
        for (unsigned waited = 0; waited < delay_ms; waited += 50) {
            if (*stop)
                return ST_UNAVAILABLE;
            struct timespec ts = {0, 50 * 1000000L};
            nanosleep(&ts, NULL);
        }
        delay_ms = delay_ms * 2 > 5000 ? 5000 : delay_ms * 2;
    }
}

/* True when [p, e) holds only blanks and "--" comments. */
static bool sql_is_blank(const char *p, const char *e)
{
    for (; p < e; p++) {
        if (*p == '-' && p + 1 < e && p[1] == '-') {
            while (p < e && *p != '\n')
                p++;
        } else if (*p != ' ' && *p != '\n' && *p != '\t' && *p != '\r') {
            return false;
        }
    }
    return true;
}

status db_apply_schema(void)
{
    db_conn *c;
    status st = conn_get(&c);
    if (st != ST_OK)
        return st;
    /*
     * Read as the mysql client reads a script, so the file also runs as
     * `mariadb < schema.sql`: a statement ends with the delimiter at the end
     * of a line, ';' unless a "DELIMITER x" line changed it (routine bodies
     * hold ';'). Comments are left to the server. No client input is involved.
     */
    const char *p = schema_sql, *end = schema_sql + schema_sql_len;
    const char *stmt = p;
    char delim[8] = ";";
    while (p < end) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        if (!eol)
            eol = end;
        size_t dl = strlen(delim), n = (size_t)(eol - p);
        if (p == stmt || sql_is_blank(stmt, p)) {
            static const char kw[] = "DELIMITER ";
            if (n > sizeof kw - 1 && strncmp(p, kw, sizeof kw - 1) == 0) {
                size_t k = n - (sizeof kw - 1);
                if (k >= sizeof delim)
                    return ST_INTERNAL;
                memcpy(delim, p + sizeof kw - 1, k);
                delim[k] = '\0';
                p = stmt = eol + (eol < end);
                continue;
            }
        }
        if (n >= dl && memcmp(eol - dl, delim, dl) == 0) {
            const char *last = eol - dl;
            if (!sql_is_blank(stmt, last) &&
                mysql_real_query(c->mysql, stmt, (unsigned long)(last - stmt))) {
                fprintf(stderr, "db: applying schema.sql failed: %u %s\n", mysql_errno(c->mysql),
                        mysql_error(c->mysql));
                return map_error(c, mysql_errno(c->mysql), mysql_error(c->mysql));
            }
            stmt = eol + (eol < end);
        }
        p = eol + (eol < end);
    }
    return sql_is_blank(stmt, end) ? ST_OK : ST_INTERNAL; /* a statement without its end */
}

status db_ping(void)
{
    for (unsigned attempt = 0;; attempt++) {
        db_conn *c;
        status st = conn_get(&c);
        if (st != ST_OK)
            return st;
        if (mysql_ping(c->mysql)) {
            conn_drop(c);
            return ST_UNAVAILABLE;
        }
        if (!c->wsrep || wsrep_node_ready(c->mysql))
            return ST_OK;
        /* A Galera node no longer ready (SPEC 11): leave it, and try the
         * next server once. */
        host_mark_down(c->host);
        conn_drop(c);
        if (attempt > 0 || g_cfg.nhosts == 1 || c->mysql)
            return ST_UNAVAILABLE;
    }
}

unsigned long long db_error_count(void)
{
    return atomic_load_explicit(&g_errors, memory_order_relaxed);
}
