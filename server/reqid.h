/*
 * reqid.h - the request id of X-Request-Id (SPEC 10): the client's own when
 * it is a safe token, else a new one. Every response carries it and the
 * JSON access log records it, so an operator can find the line of an
 * answer a person reports. Not a secret and not unguessable: a label.
 */
#ifndef INTEGRITY_REQID_H
#define INTEGRITY_REQID_H

#include <stdbool.h>
#include <stddef.h>

#define REQID_MAX 64     /* the longest id a client may choose */
#define REQID_NEW_LEN 32 /* a new id: 16 bytes in lower-case hex */

/* True when `s` (NULL: false) is 1..REQID_MAX characters of A-Z a-z 0-9 . _ -
 * and nothing else: safe in a header, a log line and a JSON string as it is. */
bool reqid_valid(const char *s);

/*
 * Write a new id (REQID_NEW_LEN lower-case hex characters and a NUL) into
 * out[REQID_NEW_LEN + 1]. From a per-thread generator seeded once from the
 * OS: cheap on every request, and two ids repeat with odds of about 2^-64
 * per pair, across threads and processes alike. Thread-safe.
 */
void reqid_new(char out[REQID_NEW_LEN + 1]);

/* The id of a request whose X-Request-Id header is `client` (NULL when it
 * has none): a copy of it when reqid_valid, else reqid_new; into
 * out[REQID_MAX + 1]. */
void reqid_pick(const char *client, char out[REQID_MAX + 1]);

#endif
