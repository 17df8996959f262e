/*
 * fixbuf.h - appending into a caller's fixed-size buffer, for the texts built
 * piece by piece (the otpauth URI, the HTTP response head and access-log
 * line): memcpy() and a digit loop, no snprintf(). Room for a terminating NUL
 * is always kept (fixbuf_done writes it). Once a piece does not fit, `over`
 * is set and nothing more is added.
 */
#ifndef INTEGRITY_FIXBUF_H
#define INTEGRITY_FIXBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

typedef struct fixbuf {
    char *p;
    size_t n, cap;
    bool over;
} fixbuf;

static inline fixbuf fixbuf_on(char *p, size_t cap)
{
    return (fixbuf){.p = p, .cap = cap, .over = p == NULL || cap == 0};
}

static inline void fixbuf_mem(fixbuf *f, const char *s, size_t len)
{
    if (f->over || len >= f->cap - f->n) {
        f->over = true;
        return;
    }
    memcpy(f->p + f->n, s, len);
    f->n += len;
}

/* A string literal, without strlen(). */
#define FIXBUF_LIT(f, lit) fixbuf_mem((f), (lit), sizeof(lit) - 1)

static inline void fixbuf_putc(fixbuf *f, char c)
{
    fixbuf_mem(f, &c, 1);
}

static inline void fixbuf_str(fixbuf *f, const char *s)
{
    fixbuf_mem(f, s, strlen(s));
}

static inline void fixbuf_int(fixbuf *f, long long v)
{
    char d[24];
    size_t k = sizeof d;
    unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
    do {
        d[--k] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        d[--k] = '-';
    fixbuf_mem(f, d + k, sizeof d - k);
}

/* NUL-terminate what fits and return the buffer (NULL when there is none). */
static inline const char *fixbuf_done(fixbuf *f)
{
    if (f->p == NULL || f->cap == 0)
        return NULL;
    f->p[f->n] = '\0';
    return f->p;
}

#endif
