/*
 * accesslog.h - the access log: one line per request on the writer's fd
 * (stdout), made by accesslog_request and written by a buffering thread.
 * Thread-safe. Never holds a query string, a body or a header.
 */
#ifndef INTEGRITY_ACCESSLOG_H
#define INTEGRITY_ACCESSLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

/* Start the writer thread for `fd` (not closed here). False when the thread
 * cannot be made; lines are then written straight through. */
bool accesslog_start(int fd);

/* Queue one whole line (its '\n' included). It reaches the fd within about
 * 100 ms, whole and never interleaved with another line. Before
 * accesslog_start(), after accesslog_stop(), or when the buffer is full, the
 * line is written at once by the caller. */
void accesslog_line(const char *line, size_t n);

/* What the line of one request says. */
typedef struct accesslog_entry {
    const char *method;
    const char *path;       /* as sent, never the query */
    const char *route;      /* the route template ("/products/{id}", "other") */
    const char *request_id; /* the X-Request-Id answered (reqid_valid), or "" */
    int status;
    long long duration_us;
} accesslog_entry;

typedef enum accesslog_format {
    ACCESSLOG_TEXT, /* "<time> <method> <path> <status> <ms>ms" */
    ACCESSLOG_JSON, /* {"time","method","route","path","status","duration_ms","request_id"} */
} accesslog_format;

/* The format of the lines made from now on (start-up: before requests). */
void accesslog_set_format(accesslog_format f);

/*
 * Format the line of `e` into buf[cap] in format `f`, '\n' included, and
 * return its length (cut short to fit, never past cap - 1). Method and path
 * have their control and non-ASCII bytes escaped (\xNN in text, \u00NN in
 * JSON) so that a client cannot forge lines or break the JSON. Exposed
 * for tests; accesslog_request is what the server calls.
 */
size_t accesslog_format_line(char *buf, size_t cap, accesslog_format f, const accesslog_entry *e);

/* The line of one request, in the current format, queued with
 * accesslog_line. */
void accesslog_request(const accesslog_entry *e);

/* Write out everything queued and stop the writer thread. */
void accesslog_stop(void);

#endif
