/*
 * http.h - the HTTP glue on CivetWeb: route registration and dispatch (405
 * with Allow, 404 for unknown paths, the token guard, one log line per
 * request), request bodies (Content-Type, size cap, strict JSON) and JSON
 * responses. The only place that maps a status to an HTTP code.
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
#include "status.h"

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
    char user[65]; /* token subject on guarded routes */
    int code;      /* the HTTP status code sent, for the log */
    bool sent;
    bool close; /* answer with Connection: close (unread body) */
} request;

typedef void (*route_fn)(request *r);

typedef struct route_method {
    const char *method;
    route_fn fn;
    bool needs_token;
} route_method;

#define ROUTE_METHODS_MAX 6
typedef struct route {
    const char *pattern; /* CivetWeb pattern ending in $; one * is a path segment */
    route_method methods[ROUTE_METHODS_MAX];
    char allow[64]; /* filled by http_register */
} route;

/* Register `routes` (an array ending with a NULL pattern, kept alive by the
 * caller) and the JSON 404 catch-all on `ctx`. */
void http_register(struct mg_context *ctx, route *routes, const config *cfg);

/*
 * Graceful stop, first half: from now on new requests are answered 503
 * (shutting_down, Retry-After) while those already inside a route finish.
 * CivetWeb's mg_stop() drops writes once it begins, so the caller waits for
 * http_in_flight() to reach 0 before calling it.
 */
void http_drain_begin(void);
int http_in_flight(void);

/* The CivetWeb http_error callback: CivetWeb's own errors (bad request line,
 * header too large...) answered with our JSON error body. */
int http_error_callback(struct mg_connection *conn, int code, const char *msg);

/*
 * Read and parse the JSON object body. On failure the error response (415,
 * 413 or 400) has been sent and false is returned. The caller frees *out.
 */
bool http_json_body(request *r, cJSON **out);

/* A request header, or NULL. */
const char *http_header(request *r, const char *name);

/* Send `body` (len bytes of JSON) with `code`; `headers` is NULL or extra
 * "Name: value\r\n" lines. Adds Content-Type, Content-Length, Cache-Control:
 * no-store and X-Content-Type-Options: nosniff. */
void http_send(request *r, int code, const char *content_type, const void *body, size_t len,
               const char *headers);
void http_send_json(request *r, int code, const strbuf *body, const char *headers);
/* A fixed JSON text (a string literal) with `code` and optional headers. */
void http_send_literal(request *r, int code, const char *json, const char *headers);

/* {"message": message, "error": error} with `code`. */
void http_send_error(request *r, int code, const char *error, const char *message);

/* The one table from a status to an HTTP answer: for statuses a route does
 * not answer itself (not found, unavailable with Retry-After, internal...). */
void http_send_status(request *r, status st);

/* 400 {"message", "error": "validation_failed", "fields": fields}; takes
 * ownership of `fields` (a cJSON object of field -> reason). */
void http_send_validation(request *r, cJSON *fields);

/* Streaming a JSON array in chunks: begin sends the headers, then chunks. */
void http_stream_begin(request *r, int code, const char *headers);
bool http_stream_chunk(request *r, const char *data, size_t len);
void http_stream_end(request *r);

#endif
