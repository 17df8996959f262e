/*
 * strbuf.h - a growable, NUL-terminated byte buffer for texts built piece by
 * piece (JSON answers, messages). An append that cannot get memory sets
 * `oom` and leaves the content incomplete: callers append freely and check
 * once at the end. For a text of known bound on the stack, fixbuf.h.
 */
#ifndef INTEGRITY_STRBUF_H
#define INTEGRITY_STRBUF_H

#include <stdbool.h>
#include <stddef.h>

typedef struct strbuf {
    char *data; /* NUL-terminated when len > 0; owned, freed by sb_free */
    size_t len, cap;
    bool oom; /* an append failed: the content is incomplete */
} strbuf;

/* An empty buffer that owns nothing yet. */
void sb_init(strbuf *b);
/* Free the memory and make `b` empty again (sb_init). */
void sb_free(strbuf *b);
/* Empty the content, keeping the memory. */
void sb_reset(strbuf *b);
/* Make room for `extra` more bytes (and the NUL); false (and oom) on failure. */
bool sb_reserve(strbuf *b, size_t extra);
void sb_append(strbuf *b, const char *s, size_t n);
void sb_puts(strbuf *b, const char *s);
/* sb_puts of a string literal, its length known at compile time. */
#define sb_lit(b, lit) sb_append((b), "" lit, sizeof(lit) - 1)
void sb_printf(strbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Append `v` in decimal (no printf: it runs twice per product in a list). */
void sb_int(strbuf *b, long long v);

#endif
