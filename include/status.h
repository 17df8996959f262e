/*
 * status.h - the one status code of the whole program.
 *
 * Lower layers (db/, crypto/, totp/) return a status and never print or talk
 * HTTP; server/http.c maps each value to an HTTP status in exactly one table.
 */
#ifndef INTEGRITY_STATUS_H
#define INTEGRITY_STATUS_H

typedef enum status {
    ST_OK = 0,
    ST_NOT_FOUND,    /* no such row */
    ST_CONFLICT,     /* unique key taken */
    ST_INVALID,      /* input fails validation */
    ST_UNAUTHORIZED, /* bad credentials, bad code */
    ST_LOCKED,       /* throttled */
    ST_PRECONDITION, /* version / If-Match mismatch */
    ST_UNAVAILABLE,  /* database unreachable or timed out */
    ST_BUSY,         /* too much CPU-bound work queued (bcrypt): try again */
    ST_NOMEM,        /* allocation failed */
    ST_INTERNAL      /* a bug or an unexpected library failure */
} status;

/* A static, human-readable name for `s` (for logs, never for clients). */
const char *status_name(status s);

#endif
