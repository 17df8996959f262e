/*
 * utf8.h - checks on UTF-8 text: well-formedness and length in code points.
 * No decoding or conversion.
 */
#ifndef INTEGRITY_UTF8_H
#define INTEGRITY_UTF8_H

#include <stdbool.h>
#include <stddef.h>

/* True when [s, s+n) is well-formed UTF-8 (no overlongs, no surrogates, <= U+10FFFF). */
bool utf8_valid(const char *s, size_t n);

/* Code points in the valid, NUL-terminated UTF-8 string s. */
size_t utf8_length(const char *s);

#endif
