/*
 * metrics.h - the Prometheus series (SPEC 10): counters kept by the request
 * path and the auth routes, and their text exposition (format 0.0.4) for
 * GET /metrics on the metrics listener (router.c serves it).
 *
 * Every series is one line of METRICS_MAP; its name, type and help text are
 * written there once, and the renderer is a switch over the ids made from
 * it, so a series added to the list and not rendered is a compiler warning.
 * The request path pays three relaxed atomic additions, indexed by small
 * integers (route, method, status, bucket), and takes no lock.
 * Counters never go down while the process lives.
 */
#ifndef INTEGRITY_METRICS_H
#define INTEGRITY_METRICS_H

#include <stdbool.h>
#include <stddef.h>

#include "common/strbuf.h"

/* XX(id, name, type, help) */
#define METRICS_MAP(XX)                                                                            \
    XX(HTTP_REQUESTS, "http_requests_total", "counter",                                            \
       "HTTP requests answered, by method, route template and status")                             \
    XX(HTTP_DURATION, "http_request_duration_seconds", "histogram",                                \
       "Time from routing a request to the end of its answer, by method and route template")       \
    XX(HTTP_IN_FLIGHT, "http_requests_in_flight", "gauge", "Requests being answered now")          \
    XX(LOGINS, "integrity_logins_total", "counter", "Answers of POST /login, by result")           \
    XX(TOTP, "integrity_totp_verifications_total", "counter",                                      \
       "Answers of POST /verify-2fa, by result")                                                   \
    XX(LOCKOUTS, "integrity_lockouts_total", "counter",                                            \
       "Account locks set by this process (throttling, SPEC 4)")                                   \
    XX(TOKENS, "integrity_tokens_issued_total", "counter", "Access tokens issued")                 \
    XX(DB_ERRORS, "integrity_db_errors_total", "counter",                                          \
       "Database errors: failed connects, lost connections, timeouts, deadlocks, unexpected "      \
       "server errors (not duplicate keys or failed constraints)")                                 \
    XX(DB_RETRIES, "integrity_db_retries_total", "counter",                                        \
       "Database statements or transactions retried after a transient error")                      \
    XX(BUILD_INFO, "integrity_build_info", "gauge", "The running build; the value is always 1")    \
    XX(CPU, "process_cpu_seconds_total", "counter", "User and system CPU time spent, in seconds")  \
    XX(RSS, "process_resident_memory_bytes", "gauge", "Resident memory size in bytes")             \
    XX(VSIZE, "process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes")             \
    XX(OPEN_FDS, "process_open_fds", "gauge", "Open file descriptors")                             \
    XX(MAX_FDS, "process_max_fds", "gauge", "The limit on open file descriptors")                  \
    XX(START_TIME, "process_start_time_seconds", "gauge",                                          \
       "Start time of the process since the Unix epoch, in seconds")

typedef enum metrics_series {
#define METRICS_ENUM(id, name, type, help) METRIC_##id,
    METRICS_MAP(METRICS_ENUM)
#undef METRICS_ENUM
        METRICS_SERIES_COUNT
} metrics_series;

/* The results of POST /login: XX(id, label). */
#define METRICS_LOGIN_RESULTS(XX)                                                                  \
    XX(SUCCESS, "success") /* right password: a challenge is open */                               \
    XX(INVALID_CREDENTIALS, "invalid_credentials")                                                 \
    XX(LOCKED, "locked")                   /* 429 */                                               \
    XX(BUSY, "busy")                       /* 503 server_busy */                                   \
    XX(INVALID_REQUEST, "invalid_request") /* a body refused: 400, 413, 415 */                     \
    XX(ERROR, "error")                     /* the database, a bug */

/* The results of POST /verify-2fa: XX(id, label). */
#define METRICS_TOTP_RESULTS(XX)                                                                   \
    XX(SUCCESS, "success") /* a token issued */                                                    \
    XX(INVALID_CODE, "invalid_code")                                                               \
    XX(LOGIN_REQUIRED, "login_required")                                                           \
    XX(LOCKED, "locked")                                                                           \
    XX(INVALID_REQUEST, "invalid_request")                                                         \
    XX(ERROR, "error")

typedef enum metrics_login_result {
#define METRICS_LOGIN_ENUM(id, label) METRICS_LOGIN_##id,
    METRICS_LOGIN_RESULTS(METRICS_LOGIN_ENUM)
#undef METRICS_LOGIN_ENUM
        METRICS_LOGIN_RESULT_COUNT
} metrics_login_result;

typedef enum metrics_totp_result {
#define METRICS_TOTP_ENUM(id, label) METRICS_TOTP_##id,
    METRICS_TOTP_RESULTS(METRICS_TOTP_ENUM)
#undef METRICS_TOTP_ENUM
        METRICS_TOTP_RESULT_COUNT
} metrics_totp_result;

/* The route index of requests that matched no route (label "other"). */
#define METRICS_ROUTE_OTHER 0
#define METRICS_ROUTES_MAX 32

/* The name, type and help text of a series. */
const char *metrics_name(metrics_series s);
const char *metrics_type(metrics_series s);
const char *metrics_help(metrics_series s);

/* Start-up, before any request: the version of integrity_build_info (a
 * static string, kept). */
void metrics_init(const char *version);

/*
 * Give a route of the table an index for metrics_request: its label is the
 * template made from the CivetWeb `pattern` ("/products/{id}/history" for
 * "/products/ * /history$": each '*' is "{id}", the '$' dropped). Start-up
 * only, one thread. Past METRICS_ROUTES_MAX - 1 routes: METRICS_ROUTE_OTHER.
 */
int metrics_route_register(const char *pattern);

/* The label of a route index ("other" for one out of range). */
const char *metrics_route_label(int route_index);

/*
 * One request answered: `route_index` from metrics_route_register (or
 * METRICS_ROUTE_OTHER), `method` as sent (any other than the usual eight
 * counts as "other"), `code` the status sent, `us` its duration in
 * microseconds. Thread-safe, lock-free.
 */
void metrics_request(int route_index, const char *method, int code, long long us);

/* A login or /verify-2fa answered with `result`; a token issued. Thread-safe. */
void metrics_login(metrics_login_result result);
void metrics_totp(metrics_totp_result result);
void metrics_token_issued(void);

/* What the renderer reads from elsewhere: the other layers' counters and
 * the process, gathered by metrics_collect or set by a test. */
typedef struct metrics_external {
    long in_flight;
    unsigned long long db_errors, db_retries, lockouts;
    bool has_process; /* /proc could be read: the process_* series are sent */
    double cpu_seconds, start_time_seconds;
    unsigned long long rss_bytes, vsize_bytes, open_fds, max_fds;
} metrics_external;

/* Fill *ext from the live process: db/'s counters and /proc/self. The
 * in-flight gauge is the router's (http_in_flight), which sets it: metrics
 * know nothing of the router that calls them. */
void metrics_collect(metrics_external *ext);

/* Append the whole exposition to `out`: every series of METRICS_MAP with
 * its HELP and TYPE lines, from this process's counters and *ext. */
void metrics_render(strbuf *out, const metrics_external *ext);

#endif
