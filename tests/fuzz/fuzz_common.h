/*
 * fuzz_common.h - what the libFuzzer targets of tests/fuzz share: a checked
 * abort for broken invariants, a NUL-terminated copy of the input, the strict
 * body parse every JSON route does first, and the rendering of a validation
 * error the way http_send_validation renders it. Header-only (static
 * functions) so each target stays one .c file; not for the unit tests.
 */
#ifndef INTEGRITY_FUZZ_COMMON_H
#define INTEGRITY_FUZZ_COMMON_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/utf8.h"
#include "crypto/password.h"
#include "server/jsonio.h"
#include "server/validate.h"

/* Abort (a libFuzzer finding) with the failed condition when `cond` is false. */
#define FUZZ_CHECK(cond)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "fuzz: invariant failed at %s:%d: %s\n", __FILE__, __LINE__, #cond);   \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

/* A malloc'd NUL-terminated copy of data[size] (the caller frees it). An
 * embedded NUL ends the string early, as it would in a C header value. */
static inline char *fuzz_cstr(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    FUZZ_CHECK(s != NULL);
    if (size > 0)
        memcpy(s, data, size);
    s[size] = '\0';
    return s;
}

/*
 * True when every backslash escape inside a JSON string of s[n] is one RFC
 * 8259 allows (\" \\ \/ \b \f \n \r \t, or \u and four hex digits). An
 * independent check of what jsonio_parse_object accepts: cJSON decodes a bad
 * \u escape such as \u00zz to U+0000, which would cut the string short.
 */
static inline bool fuzz_escapes_valid(const char *s, size_t n)
{
    bool in_string = false;
    for (size_t i = 0; i < n; i++) {
        if (!in_string) {
            in_string = s[i] == '"';
        } else if (s[i] == '"') {
            in_string = false;
        } else if (s[i] == '\\') {
            if (i + 1 >= n)
                return false;
            char e = s[++i];
            if (e == 'u') {
                for (int k = 0; k < 4; k++, i++)
                    if (i + 1 >= n || !strchr("0123456789abcdefABCDEF", s[i + 1]) ||
                        s[i + 1] == '\0')
                        return false;
            } else if (!strchr("\"\\/bfnrt", e) || e == '\0') {
                return false;
            }
        }
    }
    return true;
}

/*
 * The body parse of http_json_body: jsonio_parse_object on the raw bytes, with
 * its contract checked (an object and no reason on ST_OK; NULL and a reason
 * otherwise; an accepted body is UTF-8 without NUL and without a malformed
 * escape). Returns the object (the
 * caller frees it with cJSON_Delete) or NULL when the route would answer 400.
 * The bytes are copied to an exact-size buffer so ASan sees any over-read.
 */
static inline cJSON *fuzz_parse_body(const uint8_t *data, size_t size)
{
    char *buf = malloc(size ? size : 1);
    FUZZ_CHECK(buf != NULL);
    if (size > 0)
        memcpy(buf, data, size);
    cJSON *json = NULL;
    const char *why = NULL;
    status st = jsonio_parse_object(buf, size, &json, &why);
    if (st == ST_OK) {
        FUZZ_CHECK(cJSON_IsObject(json));
        FUZZ_CHECK(memchr(buf, '\0', size) == NULL);
        FUZZ_CHECK(utf8_valid(buf, size));
        FUZZ_CHECK(fuzz_escapes_valid(buf, size));
    } else {
        FUZZ_CHECK(st == ST_INVALID);
        FUZZ_CHECK(json == NULL);
        FUZZ_CHECK(why != NULL && why[0] != '\0');
    }
    free(buf);
    return json;
}

/*
 * What http_send_validation does with a validator's `fields` (then freed
 * here): print it with cJSON. Checks that it is a non-empty object of string
 * reasons and that the printed text passes our own strict body parser (a
 * client echoing it back must not be refused).
 */
static inline void fuzz_render_fields(cJSON *fields)
{
    FUZZ_CHECK(cJSON_IsObject(fields) && fields->child != NULL);
    for (const cJSON *it = fields->child; it; it = it->next)
        FUZZ_CHECK(it->string != NULL && cJSON_IsString(it) && it->valuestring[0] != '\0');
    char *text = cJSON_PrintUnformatted(fields);
    FUZZ_CHECK(text != NULL);
    cJSON *back = NULL;
    const char *why = NULL;
    FUZZ_CHECK(jsonio_parse_object(text, strlen(text), &back, &why) == ST_OK);
    cJSON_Delete(back);
    free(text);
    cJSON_Delete(fields);
}

/* A username validate_credentials or validate_code_request accepted. */
static inline void fuzz_check_username(const cJSON *body, const char *username)
{
    const cJSON *u = cJSON_GetObjectItemCaseSensitive(body, "username");
    FUZZ_CHECK(username != NULL && cJSON_IsString(u) && username == u->valuestring);
    size_t n = strlen(username);
    FUZZ_CHECK(n >= VALIDATE_USERNAME_MIN && n <= VALIDATE_USERNAME_MAX);
    for (size_t i = 0; i < n; i++)
        FUZZ_CHECK(strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.@-",
                          username[i]) != NULL);
}

/*
 * POST /signup and POST /login share their body: parse, validate_credentials,
 * free. On success the username and the password (8..72 bytes) point into
 * the body; on failure the fields go through fuzz_render_fields.
 */
static inline void fuzz_credentials(const uint8_t *data, size_t size)
{
    cJSON *body = fuzz_parse_body(data, size);
    if (!body)
        return;
    credentials c;
    cJSON *fields = validate_credentials(body, &c);
    if (fields) {
        fuzz_render_fields(fields);
    } else {
        fuzz_check_username(body, c.username);
        const cJSON *p = cJSON_GetObjectItemCaseSensitive(body, "password");
        FUZZ_CHECK(cJSON_IsString(p) && c.password == p->valuestring);
        FUZZ_CHECK(c.password_len == strlen(c.password));
        FUZZ_CHECK(c.password_len >= VALIDATE_PASSWORD_MIN && c.password_len <= PASSWORD_MAX_BYTES);
        /* Only the two known keys: nothing unknown slipped through. */
        FUZZ_CHECK(cJSON_GetArraySize(body) == 2);
    }
    cJSON_Delete(body);
}

#endif
