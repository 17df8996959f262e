/*
 * accesslog.h - the buffered writer behind the one-line-per-request access
 * log (the lines are made in http.c). Thread-safe.
 */
#ifndef INTEGRITY_ACCESSLOG_H
#define INTEGRITY_ACCESSLOG_H

#include <stdbool.h>
#include <stddef.h>

/* Start the writer thread for `fd` (not closed here). False when the thread
 * cannot be made; lines are then written straight through. */
bool accesslog_start(int fd);

/* Queue one whole line (its '\n' included). It reaches the fd within about
 * 100 ms, whole and never interleaved with another line. Before
 * accesslog_start(), after accesslog_stop(), or when the buffer is full, the
 * line is written at once by the caller. */
void accesslog_line(const char *line, size_t n);

/* Write out everything queued and stop the writer thread. */
void accesslog_stop(void);

#endif
