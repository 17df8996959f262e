/*
 * jsonio.h - JSON in and out for the HTTP layer: a growable string buffer with
 * a JSON string escaper, strict request-body parsing (UTF-8, no NUL, one
 * object, no duplicate keys) on top of cJSON, and the number rules of SPEC 6.
 */
#ifndef INTEGRITY_JSONIO_H
#define INTEGRITY_JSONIO_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "status.h"

typedef struct strbuf {
    char *data; /* NUL-terminated when len > 0; owned, freed by sb_free */
    size_t len, cap;
    bool oom; /* an append failed: the content is incomplete */
} strbuf;

void sb_init(strbuf *b);
void sb_free(strbuf *b);
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
/* Append `s` (or the n bytes at s) as a quoted, escaped JSON string. */
void sb_json_str(strbuf *b, const char *s);
void sb_json_strn(strbuf *b, const char *s, size_t n);

/* True when [s, s+n) is well-formed UTF-8 (no overlongs, no surrogates, <= U+10FFFF). */
bool utf8_valid(const char *s, size_t n);

/* Code points in the valid UTF-8 string s. */
size_t utf8_length(const char *s);

/*
 * Parse a request body into a JSON object. ST_INVALID with a short reason in
 * *why (a static string) when the body is not UTF-8, holds a NUL (raw or
 * \u0000), is not JSON, is not an object, or repeats a key. The caller frees
 * *out with cJSON_Delete.
 */
status jsonio_parse_object(const char *body, size_t len, cJSON **out, const char **why);

/*
 * A price per SPEC 6: a finite JSON number 0..99999999.99 with at most two
 * decimals (checked on the shortest text that reads back as the same
 * double). On true, out[16] holds its canonical "%.2f" form for DECIMAL(10,2).
 */
bool jsonio_price(const cJSON *item, char out[16]);

/* An integral JSON number in [min, max] (10 and 10.0 are; 1.5 and "10" are not). */
bool jsonio_integer(const cJSON *item, int64_t min, int64_t max, int64_t *out);

/* Append a DECIMAL string ("1200.00") as a JSON number the way Python prints
 * the float ("1200.0", "1200.5", "1200.99"). */
void sb_json_decimal(strbuf *b, const char *dec);

#endif
