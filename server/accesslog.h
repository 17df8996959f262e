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

/* The line of one request: time, method, path (never the query), status,
 * and the duration since `t0` (CLOCK_MONOTONIC), with control and
 * non-ASCII bytes of method and path escaped so that a client cannot forge
 * lines. Queued with accesslog_line. */
void accesslog_request(const char *method, const char *path, int code, const struct timespec *t0);

/* Write out everything queued and stop the writer thread. */
void accesslog_stop(void);

#endif
