/*
 * jsonio.h - JSON in and out for the HTTP layer: JSON strings and numbers
 * written into a strbuf (common/strbuf.h), strict request-body parsing
 * (UTF-8, no NUL, one object, no duplicate keys) on top of cJSON, and the
 * number rules of SPEC 6.
 */
#ifndef INTEGRITY_JSONIO_H
#define INTEGRITY_JSONIO_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/status.h"
#include "common/strbuf.h"

/* Append `s` (or the n bytes at s) as a quoted, escaped JSON string. */
void jsonio_str(strbuf *b, const char *s);
void jsonio_strn(strbuf *b, const char *s, size_t n);

/*
 * Parse a request body into a JSON object. ST_INVALID with a short reason in
 * *why (a static string) when the body is not UTF-8, holds a NUL (raw or
 * \u0000), is not JSON, is not an object, or repeats a key. The caller frees
 * *out with jsonio_free.
 */
status jsonio_parse_object(const char *body, size_t len, cJSON **out, const char **why);

/* Free a tree from jsonio_parse_object (NULL: nothing) with its keys and
 * strings wiped first: bodies carry passwords and codes. */
void jsonio_free(cJSON *root);

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
void jsonio_decimal(strbuf *b, const char *dec);

#endif
