/*
 * jsonio.c - see jsonio.h.
 */
#include "server/jsonio.h"

#include <openssl/crypto.h>

#include "common/utf8.h"

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The bytes JSON strings must escape: '"', '\\' and the controls (RFC 8259). */
static bool needs_escape(unsigned char ch)
{
    return ch < 0x20 || ch == '"' || ch == '\\';
}

/* Whether any of the 8 bytes of `w` needs escaping. The classic tests for "a
 * byte below n" and "a zero byte" (here after XOR with '"' and with '\\'):
 * each may mark more bytes than the first, but its yes or no is exact, and
 * no answer depends on the byte order. */
static bool word_needs_escape(uint64_t w)
{
    const uint64_t ones = 0x0101010101010101u, highs = 0x8080808080808080u;
    uint64_t below = (w - ones * 0x20) & ~w;
    uint64_t q = w ^ (ones * '"'), bs = w ^ (ones * '\\');
    uint64_t quote = (q - ones) & ~q, backslash = (bs - ones) & ~bs;
    return ((below | quote | backslash) & highs) != 0;
}

void jsonio_str(strbuf *b, const char *s)
{
    jsonio_strn(b, s, strlen(s));
}

void jsonio_strn(strbuf *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    /* One reservation for the worst case (every byte a \u00XX), then plain
     * stores: no bounds check or NUL per piece. A product list spends most
     * of its user-space time here. */
    if (n > (SIZE_MAX - 3) / 6) {
        b->oom = true;
        return;
    }
    if (!sb_reserve(b, n * 6 + 2))
        return;
    char *o = b->data + b->len;
    *o++ = '"';
    const char *run = s, *end = s + n;
    bool tail_checked = false;
    for (const char *p = s; p < end; p++) {
        /* Eight bytes at a time past what needs no escape (most text), then
         * to the byte that does among the eight. */
        while (end - p >= 8) {
            uint64_t w;
            memcpy(&w, p, sizeof w);
            if (word_needs_escape(w)) {
                while (!needs_escape((unsigned char)*p))
                    p++;
                break;
            }
            p += 8;
        }
        if (p == end)
            break;
        /* Fewer than eight left: once, the last eight bytes as one word. The
         * bytes from `run` to p need no escape, so when the word starts
         * there or later, a clean word means a clean rest. */
        if (end - p < 8 && !tail_checked && end - run >= 8) {
            uint64_t w;
            tail_checked = true;
            memcpy(&w, end - 8, sizeof w);
            if (!word_needs_escape(w))
                break;
        }
        unsigned char ch = (unsigned char)*p;
        if (!needs_escape(ch))
            continue;
        memcpy(o, run, (size_t)(p - run));
        o += p - run;
        run = p + 1;
        *o++ = '\\';
        switch (ch) {
        case '"':
        case '\\':
            *o++ = (char)ch;
            break;
        case '\n':
            *o++ = 'n';
            break;
        case '\r':
            *o++ = 'r';
            break;
        case '\t':
            *o++ = 't';
            break;
        default:
            memcpy(o, "u00", 3);
            o[3] = hex[ch >> 4];
            o[4] = hex[ch & 15];
            o += 5;
        }
    }
    memcpy(o, run, (size_t)(end - run));
    o += end - run;
    *o++ = '"';
    *o = '\0';
    b->len = (size_t)(o - b->data);
}

static bool is_hex(char ch)
{
    return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') || (ch >= 'A' && ch <= 'F');
}

#define JSON_DEPTH_MAX 32 /* our bodies are 1 deep; cJSON recurses per level */
/* Members of one object or array: our bodies have at most four. The bound
 * keeps the duplicate-key check (quadratic in one object's keys) linear in
 * the body's size, and the error answers short. */
#define JSON_MEMBERS_MAX 64

static bool is_digit(char ch)
{
    return ch >= '0' && ch <= '9';
}

/* Length of the RFC 8259 number at s[0..n), or 0 when it is not one
 * (cJSON also takes "01", "1." and "-"). */
static size_t number_len(const char *s, size_t n)
{
    size_t i = 0;
    if (i < n && s[i] == '-')
        i++;
    if (i < n && s[i] == '0')
        i++;
    else if (i < n && s[i] >= '1' && s[i] <= '9')
        while (i < n && is_digit(s[i]))
            i++;
    else
        return 0;
    if (i < n && s[i] == '.') {
        size_t start = ++i;
        while (i < n && is_digit(s[i]))
            i++;
        if (i == start)
            return 0;
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-'))
            i++;
        size_t start = i;
        while (i < n && is_digit(s[i]))
            i++;
        if (i == start)
            return 0;
    }
    if (i < n && (is_digit(s[i]) || s[i] == '.'))
        return 0; /* "01": a digit after a leading zero */
    return i;
}

/*
 * What cJSON lets through but RFC 8259 does not, or what would hurt us:
 * - a control character (U+0000..U+001F, NUL included) raw inside a string;
 * - an escape other than \" \\ \/ \b \f \n \r \t \uXXXX (cJSON reads
 *   "\uZZZZ" as U+0000 and ends the string there), or \u0000 itself;
 * - a number outside RFC 8259's grammar ("01", "1.", "-");
 * - nesting deeper than JSON_DEPTH_MAX (cJSON recurses once per level: deep
 *   input overflows a worker thread's stack long before its own limit);
 * - more than JSON_MEMBERS_MAX members in one object or array.
 * True when the text is clean; *why says what is wrong otherwise. One pass,
 * linear in n.
 */
static bool json_lint(const char *s, size_t n, const char **why)
{
    bool in_string = false;
    int depth = 0;
    unsigned commas[JSON_DEPTH_MAX + 1] = {0}; /* in the open container of each depth */
    *why = "the body is not valid JSON";
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch == 0) {
            *why = "the body contains a NUL character";
            return false;
        }
        if (!in_string) {
            if (ch == '"') {
                in_string = true;
            } else if (ch == '[' || ch == '{') {
                if (++depth > JSON_DEPTH_MAX) {
                    *why = "the body is nested too deeply";
                    return false;
                }
                commas[depth] = 0;
            } else if (ch == ']' || ch == '}') {
                if (depth == 0)
                    return false; /* closes what was never opened */
                depth--;
            } else if (ch == ',' && depth > 0 && ++commas[depth] >= JSON_MEMBERS_MAX) {
                *why = "the body has more than 64 members in one object or array";
                return false;
            } else if (ch == '-' || is_digit((char)ch)) {
                size_t len = number_len(s + i, n - i);
                if (len == 0)
                    return false;
                i += len - 1;
            }
            continue;
        }
        if (ch < 0x20) {
            *why = "the body has a raw control character inside a string";
            return false;
        }
        if (ch == '"') {
            in_string = false;
        } else if (ch == '\\') {
            if (i + 1 >= n)
                return false;
            char e = s[++i];
            if (e == 'u') {
                if (i + 4 >= n || !is_hex(s[i + 1]) || !is_hex(s[i + 2]) || !is_hex(s[i + 3]) ||
                    !is_hex(s[i + 4])) {
                    *why = "the body has a \\u escape without four hex digits";
                    return false;
                }
                if (memcmp(s + i + 1, "0000", 4) == 0) {
                    *why = "the body contains a NUL character";
                    return false;
                }
                i += 4;
            } else if (e == '\0' || !strchr("\"\\/bfnrt", e)) {
                *why = "the body has an escape JSON does not allow";
                return false;
            }
        }
    }
    return true;
}

/* A key repeated in any object of the tree (cJSON keeps both silently).
 * Quadratic in one object's keys, which json_lint bounds. */
static bool has_duplicate_keys(const cJSON *node)
{
    for (const cJSON *a = node->child; a; a = a->next) {
        if (cJSON_IsObject(node))
            for (const cJSON *b = a->next; b; b = b->next)
                if (strcmp(a->string, b->string) == 0)
                    return true;
        if ((cJSON_IsObject(a) || cJSON_IsArray(a)) && has_duplicate_keys(a))
            return true;
    }
    return false;
}

status jsonio_parse_object(const char *body, size_t len, cJSON **out, const char **why)
{
    *out = NULL;
    if (!json_lint(body, len, why))
        return ST_INVALID;
    if (!utf8_valid(body, len)) {
        *why = "the body is not valid UTF-8";
        return ST_INVALID;
    }
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(body, len, &end, 0);
    if (!root) {
        *why = "the body is not valid JSON";
        return ST_INVALID;
    }
    /* Only white space may follow the value. */
    for (const char *p = end; p && p < body + len; p++) {
        if (*p != ' ' && *p != '\t' && *p != '\r' && *p != '\n') {
            jsonio_free(root);
            *why = "the body is not valid JSON";
            return ST_INVALID;
        }
    }
    if (!cJSON_IsObject(root)) {
        jsonio_free(root);
        *why = "the body must be a JSON object";
        return ST_INVALID;
    }
    if (has_duplicate_keys(root)) {
        jsonio_free(root);
        *why = "the body repeats a key";
        return ST_INVALID;
    }
    *out = root;
    return ST_OK;
}

/* Wipe every key and string value below and at `node`. */
static void wipe_strings(cJSON *node)
{
    for (; node; node = node->next) {
        if (node->string)
            OPENSSL_cleanse(node->string, strlen(node->string));
        if (node->valuestring)
            OPENSSL_cleanse(node->valuestring, strlen(node->valuestring));
        wipe_strings(node->child); /* at most JSON_DEPTH_MAX deep (json_lint) */
    }
}

void jsonio_free(cJSON *root)
{
    if (!root)
        return;
    wipe_strings(root->child);
    cJSON_Delete(root);
}

bool jsonio_price(const cJSON *item, char out[16])
{
    if (!cJSON_IsNumber(item))
        return false;
    double v = item->valuedouble;
    if (!isfinite(v) || v < 0 || v > 99999999.99)
        return false;
    if (v == 0)
        v = 0.0; /* -0 reads as a number but must not print as "-0.00" */
    int n = snprintf(out, 16, "%.2f", v);
    if (n < 0 || n >= 16)
        return false;
    /* At most two decimals: the two-decimal text must read back as the very
     * same double (1200.99 does; 1200.999 and 1200.9900000001 do not). */
    return strtod(out, NULL) == v;
}

bool jsonio_integer(const cJSON *item, int64_t min, int64_t max, int64_t *out)
{
    if (!cJSON_IsNumber(item))
        return false;
    double v = item->valuedouble;
    if (!isfinite(v) || v != floor(v) || v < (double)min || v > (double)max)
        return false;
    *out = (int64_t)v;
    return true;
}

void jsonio_decimal(strbuf *b, const char *dec)
{
    size_t n = strlen(dec);
    const char *dot = strchr(dec, '.');
    if (dot) {
        /* Drop trailing zeros but keep one digit after the point. */
        while (n > (size_t)(dot - dec) + 2 && dec[n - 1] == '0')
            n--;
    }
    sb_append(b, dec, n);
}
