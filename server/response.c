/*
 * response.c - writing answers (see http.h): the status line and headers in
 * one piece with the body, JSON errors, the one table from a status to an
 * HTTP answer, chunked streams, and CivetWeb's own error answers.
 */
#define _GNU_SOURCE /* strcasestr */
#include <civetweb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/fixbuf.h"
#include "server/http.h"
#include "server/reqid.h"
#include "server/timecache.h"

static bool is_head(const request *r)
{
    return strcmp(r->method, "HEAD") == 0;
}

/* Sent on every response: no caching of anything (tokens, codes, QR...),
 * no MIME sniffing. */
static const char COMMON_HEADERS[] =
    "Cache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\n";

/* Reason phrases of the statuses we send (CivetWeb misspells 422's). */
static const char *reason(int code)
{
    switch (code) {
    case 200:
        return "OK";
    case 201:
        return "Created";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 408:
        return "Request Timeout";
    case 409:
        return "Conflict";
    case 412:
        return "Precondition Failed";
    case 413:
        return "Content Too Large";
    case 414:
        return "URI Too Long";
    case 415:
        return "Unsupported Media Type";
    case 422:
        return "Unprocessable Content";
    case 429:
        return "Too Many Requests";
    case 431:
        return "Request Header Fields Too Large";
    case 503:
        return "Service Unavailable";
    default:
        return code < 500 ? "Client Error" : "Internal Server Error";
    }
}

/* The Date header's value. */
static const char *http_date(void)
{
    static _Thread_local time_cache c;
    return time_cache_now(&c, false);
}

/* HTTP/1.1 keeps the connection unless the client says close; HTTP/1.0 only
 * when it asks for keep-alive; a body we did not read closes it. */
static bool keep_alive(const request *r)
{
    if (r->close)
        return false;
    const char *c = mg_get_header(r->conn, "Connection");
    if (c && strcasestr(c, "close"))
        return false;
    if (c && strcasestr(c, "keep-alive"))
        return true;
    const struct mg_request_info *ri = mg_get_request_info(r->conn);
    return ri->http_version && strcmp(ri->http_version, "1.1") == 0;
}

/* A body up to this size goes out in one send() with its head (copied
 * after it); a larger one in a second send(), not copied. */
#define ONE_SEND_MAX (64 * 1024)

/*
 * Write the status line and headers (`framing` is Content-Length,
 * Transfer-Encoding or NULL: the body ends with the connection) followed by
 * up to `len` bytes of body in as few write calls as possible: CivetWeb's
 * mg_response_header_* API sends every header line in its own send() (nine
 * per response, each its own TCP segment). An answer sent with Connection:
 * close makes CivetWeb close the connection after it, too.
 */
static void send_head_and_body(request *r, int code, const char *content_type, const char *framing,
                               const char *headers, const void *body, size_t len)
{
    char one[8192];
    fixbuf h = fixbuf_on(one, 1024); /* the head; the body follows it when it fits */
    FIXBUF_LIT(&h, "HTTP/1.1 ");
    fixbuf_int(&h, code);
    FIXBUF_LIT(&h, " ");
    fixbuf_str(&h, reason(code));
    FIXBUF_LIT(&h, "\r\nContent-Type: ");
    fixbuf_str(&h, content_type);
    FIXBUF_LIT(&h, "\r\n");
    if (framing) {
        fixbuf_str(&h, framing);
        FIXBUF_LIT(&h, "\r\n");
    }
    FIXBUF_LIT(&h, COMMON_HEADERS);
    if (r->request_id[0]) {
        FIXBUF_LIT(&h, "X-Request-Id: ");
        fixbuf_str(&h, r->request_id); /* reqid_valid: no CR, LF or space */
        FIXBUF_LIT(&h, "\r\n");
    }
    FIXBUF_LIT(&h, "Date: ");
    fixbuf_str(&h, http_date());
    if (keep_alive(r)) {
        FIXBUF_LIT(&h, "\r\nConnection: keep-alive\r\n");
    } else {
        FIXBUF_LIT(&h, "\r\nConnection: close\r\n");
        mg_disable_connection_keep_alive(r->conn);
    }
    if (headers)
        fixbuf_str(&h, headers);
    FIXBUF_LIT(&h, "\r\n");
    if (h.over) { /* cannot happen with our headers */
        r->close = true;
        mg_disable_connection_keep_alive(r->conn);
        h = fixbuf_on(one, 1024);
        FIXBUF_LIT(&h, "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n"
                       "Connection: close\r\n\r\n");
        len = 0;
    }
    if (is_head(r))
        len = 0;
    char *big;
    if (h.n + len <= sizeof one) {
        if (len)
            memcpy(one + h.n, body, len);
        mg_write(r->conn, one, h.n + len);
    } else if (len <= ONE_SEND_MAX && (big = malloc(h.n + len)) != NULL) {
        /* A larger body (the product list) is copied after the head too: a
         * second send() would be a second TCP segment, and a second wake-up
         * of a client that has the head and waits for the rest. Past
         * ONE_SEND_MAX the copy would cost more memory than that saves. */
        memcpy(big, one, h.n);
        memcpy(big + h.n, body, len);
        mg_write(r->conn, big, h.n + len);
        free(big);
    } else {
        mg_write(r->conn, one, h.n);
        mg_write(r->conn, body, len);
    }
    r->code = code;
    r->sent = true;
}

void http_send(request *r, int code, const char *content_type, const void *body, size_t len,
               const char *headers)
{
    char framing[48];
    fixbuf f = fixbuf_on(framing, sizeof framing);
    FIXBUF_LIT(&f, "Content-Length: ");
    fixbuf_int(&f, (long long)len);
    send_head_and_body(r, code, content_type, fixbuf_done(&f), headers, body, len);
}

void http_send_json(request *r, int code, const strbuf *body, const char *headers)
{
    if (body->oom) {
        http_send_status(r, ST_NOMEM);
        return;
    }
    http_send(r, code, "application/json", body->data, body->len, headers);
}

void http_send_literal(request *r, int code, const char *json, const char *headers)
{
    http_send(r, code, "application/json", json, strlen(json), headers);
}

void http_send_error_h(request *r, int code, const char *error, const char *message,
                       const char *headers)
{
    strbuf b;
    sb_init(&b);
    sb_puts(&b, "{\"message\":");
    jsonio_str(&b, message);
    sb_puts(&b, ",\"error\":");
    jsonio_str(&b, error);
    sb_puts(&b, "}");
    r->error = error;
    http_send_json(r, code, &b, headers);
    sb_free(&b);
}

void http_send_error(request *r, int code, const char *error, const char *message)
{
    http_send_error_h(r, code, error, message, NULL);
}

void http_send_msg(request *r, int code, const char *msg)
{
    strbuf b;
    sb_init(&b);
    sb_puts(&b, "{\"msg\":");
    jsonio_str(&b, msg);
    sb_puts(&b, "}");
    http_send_json(r, code, &b, NULL);
    sb_free(&b);
}

/* An HTTP answer: status code, error code, text for a person, extra headers. */
typedef struct answer {
    int code;
    const char *error, *message, *headers;
} answer;

/* The one table from a status to an HTTP answer, for the statuses a route
 * does not answer in its own words. A switch, so that a status added to
 * STATUS_MAP and missing here is a compiler warning. */
static answer answer_of(status st)
{
    static const char retry[] = "Retry-After: 1\r\n";
    switch (st) {
    case ST_NOT_FOUND:
        return (answer){404, "not_found", "Not found", NULL};
    case ST_CONFLICT:
        return (answer){409, "conflict", "The resource already exists", NULL};
    case ST_INVALID:
        return (answer){400, "validation_failed", "The request is not valid", NULL};
    case ST_UNAUTHORIZED:
        return (answer){401, "unauthorized", "Not authorized", NULL};
    case ST_REVOKED: /* answered in flask-jwt-extended's words by http_send_status */
        return (answer){401, "token_revoked", "Token has been revoked", NULL};
    case ST_LOCKED:
        return (answer){429, "too_many_attempts", "Too many attempts; try again later", retry};
    case ST_PRECONDITION:
        return (answer){412, "precondition_failed",
                        "The resource has changed since it was read (If-Match)", NULL};
    case ST_UNAVAILABLE:
        return (answer){503, "database_unavailable",
                        "The database is unavailable; try again shortly", retry};
    case ST_BUSY:
        return (answer){503, "server_busy", "Too many logins at once; try again shortly", retry};
    case ST_RECHECK: /* handled by the route (routes_products.c); never an answer */
    case ST_NOMEM:
    case ST_INTERNAL:
    case ST_OK: /* a route that answers "ok" this way has a bug */
        break;
    }
    return (answer){500, "internal_error", "Internal server error", NULL};
}

void http_send_status(request *r, status st)
{
    if (st == ST_REVOKED) { /* a token error: {"msg"} as flask-jwt-extended's blocklist */
        http_send_msg(r, 401, "Token has been revoked");
        return;
    }
    answer a = answer_of(st);
    http_send_error_h(r, a.code, a.error, a.message, a.headers);
}

void http_send_validation(request *r, cJSON *fields)
{
    strbuf b;
    sb_init(&b);
    sb_puts(&b, "{\"message\":\"Validation failed\",\"error\":\"validation_failed\",\"fields\":");
    char *f = cJSON_PrintUnformatted(fields);
    if (f)
        sb_puts(&b, f);
    else
        b.oom = true;
    sb_puts(&b, "}");
    free(f);
    cJSON_Delete(fields);
    http_send_json(r, 400, &b, NULL);
    sb_free(&b);
}

static bool is_http11(const request *r)
{
    const struct mg_request_info *ri = mg_get_request_info(r->conn);
    return ri->http_version && strcmp(ri->http_version, "1.1") == 0;
}

void http_stream_begin(request *r, int code, const char *headers)
{
    /* HTTP/1.0 has no chunked encoding: the body ends with the connection. */
    r->chunked = is_http11(r);
    if (!r->chunked)
        r->close = true;
    send_head_and_body(r, code, "application/json",
                       r->chunked ? "Transfer-Encoding: chunked" : NULL, headers, NULL, 0);
}

bool http_stream_chunk(request *r, const char *data, size_t len)
{
    if (len == 0 || is_head(r))
        return true;
    if (r->chunked)
        return mg_send_chunk(r->conn, data, (unsigned)len) > 0;
    return mg_write(r->conn, data, len) == (int)len;
}

void http_stream_end(request *r)
{
    if (r->chunked && !is_head(r))
        mg_send_chunk(r->conn, "", 0);
}

void http_stream_abort(request *r)
{
    r->close = true;
    r->code = 500; /* for the log: the client got a 200 cut short */
    mg_disable_connection_keep_alive(r->conn);
}

int http_error_callback(struct mg_connection *conn, int code, const char *msg)
{
    (void)msg; /* may echo client bytes; we answer with fixed texts */
    const char *error = "bad_request", *message = "Bad request";
    switch (code) {
    case 404:
        error = "not_found";
        message = "No such path";
        break;
    case 405:
        error = "method_not_allowed";
        message = "Method not allowed";
        break;
    case 408:
        error = "request_timeout";
        message = "Request timeout";
        break;
    case 413:
        error = "payload_too_large";
        message = "Request too large";
        break;
    case 414:
        error = "uri_too_long";
        message = "URI too long";
        break;
    case 431:
        error = "headers_too_large";
        message = "Request headers too large";
        break;
    case 505: /* "HTTP/1.1x" is malformed, not a server fault: a 4xx */
        code = 400;
        message = "Malformed or unsupported HTTP version";
        break;
    default:
        if (code >= 500) {
            error = "internal_error";
            message = "Internal server error";
        }
    }
    /* CivetWeb has not parsed the request (or not all of it): answer as for
     * any request, with the connection closed after it. */
    request r;
    memset(&r, 0, sizeof r);
    r.conn = conn;
    r.method = "";
    r.path = "";
    r.close = true;
    reqid_new(r.request_id); /* the client's own cannot be trusted to be parsed */
    http_send_error(&r, code, error, message);
    return 0;
}
