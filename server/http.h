/*
 * http.h - the HTTP glue on CivetWeb, in three files:
 *   router.c    route registration and dispatch (405 with Allow, 404 for
 *               unknown paths, the token guard, the graceful stop, one
 *               access-log line per request);
 *   request.c   headers, request bodies (Content-Type, size cap, strict JSON,
 *               the route's validation) and the path rules;
 *   response.c  JSON answers and streams, and the one table from a status
 *               to an HTTP answer.
 * Route callbacks (routes_*.c) use only this interface, never CivetWeb.
 */
#ifndef INTEGRITY_HTTP_H
#define INTEGRITY_HTTP_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "server/config.h"
#include "server/jsonio.h"
#include "common/status.h"
#include "db/revocations.h"

#define HTTP_BODY_MAX (64 * 1024)

struct mg_connection;
struct mg_context;

typedef struct request {
    struct mg_connection *conn;
    const config *cfg;
    const char *method;
    const char *path;     /* decoded path, no query string */
    const char *query;    /* raw query string or NULL */
    const char *path_arg; /* the '*' segment of the route's pattern, or NULL */
    size_t path_arg_len;
    char user[65];       /* token subject on guarded routes */
    char jti[65];        /* its jti ("" for none) */
    int64_t iat;         /* its iat, whole seconds (INT64_MIN for none) */
    int64_t exp;         /* its exp, whole seconds */
    char request_id[65]; /* X-Request-Id of the answer (server/reqid.h); empty: none */
    int route;           /* the route's index for metrics (server/metrics.h) */
    int code;            /* the HTTP status code sent, for the log */
    const char *error;   /* the "error" code of an error answer sent, or NULL */
    bool sent;
    bool close;                /* answer with Connection: close (unread body, HTTP/1.0 stream) */
    bool chunked;              /* a stream begun with chunked encoding */
    bool revocation_deferred;  /* the route's read checks the revocation epoch ... */
    uint64_t revocation_epoch; /* ... against this one (http_revocation_epoch) */
} request;

/*
 * A route's path pattern: literal text, at most one '*' standing for one
 * non-empty segment, and a final '$'. Paths are case sensitive (/Login is
 * not /login). http_pattern_compile() splits it once at the '*', so that
 * matching a request is a length check and two memcmp()s.
 */
typedef struct path_pattern {
    const char *prefix; /* the pattern up to its '*' (or its '$') */
    size_t prefix_len;
    const char *suffix; /* after the '*', without the '$'; "" when none */
    size_t suffix_len;
    bool has_arg; /* the pattern has a '*' */
} path_pattern;

void http_pattern_compile(const char *pattern, path_pattern *out);

/* True when `path` (`len` bytes) matches `p` exactly. On a match with a
 * '*', *arg and *arg_len are that segment of `path`. */
bool http_pattern_match(const path_pattern *p, const char *path, size_t len, const char **arg,
                        size_t *arg_len);

typedef void (*route_fn)(request *r);

typedef struct route_method {
    const char *method;
    route_fn fn;
    bool needs_token;
    /* The route's one read reads the revocation epoch in its own statement
     * (http_revocation_epoch), so the guard need not ask MySQL first. */
    bool revocation_in_read;
} route_method;

#define ROUTE_METHODS_MAX 6
typedef struct route {
    const char *pattern; /* ends in $; one * is a path segment (path_pattern) */
    route_method methods[ROUTE_METHODS_MAX];
    char allow[64];     /* filled by http_register */
    int metrics_index;  /* filled by http_register (metrics_route_register) */
    path_pattern match; /* filled by http_register */
} route;

/* Route `routes` (an array ending with a NULL pattern, kept alive by the
 * caller; tried in order, so the busiest first) on `ctx`, with the JSON 404
 * for every other path. */
void http_register(struct mg_context *ctx, route *routes, const config *cfg);

/* Register GET /metrics (server/metrics.h) and a 404 for every other path on
 * `ctx`, the metrics listener's own CivetWeb context: the API's context
 * never serves it. Those requests are neither logged nor counted. */
void http_register_metrics(struct mg_context *ctx);

/*
 * Graceful stop, first half: from now on new requests are answered 503
 * (shutting_down, Retry-After) while those already inside a route finish.
 * CivetWeb's mg_stop() drops writes once it begins, so the caller waits for
 * http_in_flight() to reach 0 before calling it.
 */
void http_drain_begin(void);
int http_in_flight(void);

/*
 * A route revoked tokens (SPEC 9: logout, password change, 2FA reset,
 * deletion) and the change is committed: every worker of this process asks
 * MySQL again on its next guarded request, so this instance refuses them at
 * once; other instances within REVOCATION_RECHECK_MS (see router.c).
 */
void http_tokens_revoked(void);

/*
 * For a route with revocation_in_read: the revocation epoch its read must
 * see (db/revocations.h), or NULL when the guard has asked MySQL already.
 * A read that sees another epoch answers ST_RECHECK; the route then calls
 * http_revocation_recheck, which asks MySQL about the token (ST_OK: read
 * again without an epoch; ST_REVOKED; or the database's error).
 */
const uint64_t *http_revocation_epoch(const request *r);
status http_revocation_recheck(request *r);

/* The CivetWeb http_error callback: CivetWeb's own errors (bad request line,
 * header too large...) answered with our JSON error body. */
int http_error_callback(struct mg_connection *conn, int code, const char *msg);

/* ---- requests (request.c) ---- */

/* A request header, or NULL. */
const char *http_header(request *r, const char *name);

/* Checks a parsed body into *out (the route's own struct); NULL when it is
 * valid, else a cJSON object of field -> reason (validate.h). */
typedef cJSON *(*http_body_check)(const cJSON *body, void *out);

/*
 * Read the body as one JSON object (Content-Type application/json, at most
 * HTTP_BODY_MAX bytes, strict JSON: jsonio.h) and check it with `check`.
 * False when the answer (415, 413, 400 invalid_json or 400
 * validation_failed) has been sent. *body is NULL or the parsed tree, into
 * which *out may point: the caller frees it with jsonio_free either way.
 */
bool http_read_body(request *r, http_body_check check, void *out, cJSON **body);

/* True when the media type of `ct` (before any ';' parameters) is
 * application/json, any case; false for NULL. */
bool http_is_json_type(const char *ct);

/*
 * CivetWeb runs with decode_url=no, so a path is matched as sent: a %00 can
 * no longer cut it short (/products/1%00 was product 1). False when a
 * %-escape is malformed or stands for a control character (answered 400);
 * any other escape simply matches no route (our paths never need one).
 */
bool http_path_clean(const char *path);

/* ---- responses (response.c) ---- */

/* Send `body` (len bytes of JSON) with `code`; `headers` is NULL or extra
 * "Name: value\r\n" lines. Adds Content-Type, Content-Length, Cache-Control:
 * no-store, X-Content-Type-Options: nosniff and the request's X-Request-Id. */
void http_send(request *r, int code, const char *content_type, const void *body, size_t len,
               const char *headers);
void http_send_json(request *r, int code, const strbuf *body, const char *headers);
/* A fixed JSON text (a string literal) with `code` and optional headers. */
void http_send_literal(request *r, int code, const char *json, const char *headers);

/* {"message": message, "error": error} with `code` (and extra `headers`, as
 * for http_send). */
void http_send_error(request *r, int code, const char *error, const char *message);
void http_send_error_h(request *r, int code, const char *error, const char *message,
                       const char *headers);

/* {"msg": msg}: flask-jwt-extended's token errors (SPEC 5). */
void http_send_msg(request *r, int code, const char *msg);

/* The one table from a status to an HTTP answer: for statuses a route does
 * not answer itself (not found, unavailable with Retry-After, internal...). */
void http_send_status(request *r, status st);

/* 400 {"message", "error": "validation_failed", "fields": fields}; takes
 * ownership of `fields` (a cJSON object of field -> reason). */
void http_send_validation(request *r, cJSON *fields);

/*
 * Streaming a JSON answer of unknown length: begin sends the head, then the
 * chunks, then end. HTTP/1.1 clients get chunked encoding; HTTP/1.0 clients
 * a body that ends when the connection closes. A chunk that cannot be sent
 * (the client went away) returns false. A stream that fails after begin is
 * cut off with http_stream_abort instead of end: the connection closes
 * without the final chunk, so the client sees a failed transfer, never a
 * complete answer nor one left hanging on a kept-alive connection.
 */
void http_stream_begin(request *r, int code, const char *headers);
bool http_stream_chunk(request *r, const char *data, size_t len);
void http_stream_end(request *r);
void http_stream_abort(request *r);

#endif
