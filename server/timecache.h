/*
 * timecache.h - the wall-clock time as text, formatted at most once a second
 * by each caller's own (thread-local) cache: the Date header and the access
 * log's time stamp are written on every request.
 */
#ifndef INTEGRITY_TIMECACHE_H
#define INTEGRITY_TIMECACHE_H

#include <stdbool.h>
#include <time.h>

typedef struct time_cache {
    time_t at;
    char text[40];
} time_cache;

/* The time now in UTC, ISO 8601 when `iso` (for logs), else as the Date
 * header has it (RFC 9110); from *c when it was formatted this second
 * already. One cache is for one of the two forms. */
static inline const char *time_cache_now(time_cache *c, bool iso)
{
    time_t now = time(NULL);
    if (now != c->at) {
        struct tm tm;
        gmtime_r(&now, &tm);
        if (iso)
            strftime(c->text, sizeof c->text, "%Y-%m-%dT%H:%M:%SZ", &tm);
        else
            strftime(c->text, sizeof c->text, "%a, %d %b %Y %H:%M:%S GMT", &tm);
        c->at = now;
    }
    return c->text;
}

#endif
