/*
 * http.c - HTTP glue on CivetWeb (see http.h).
 */
#define _GNU_SOURCE /* strcasestr */
#include "server/http.h"

#include <civetweb.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "crypto/token.h"
#include "fixbuf.h"
#include "hexdigit.h"
#include "server/accesslog.h"
#include "server/validate.h"

static const config *g_cfg;
/* Requests inside dispatch() now, and whether a graceful stop has begun. */
static atomic_int g_in_flight;
static atomic_bool g_draining;

/* ---- responses ---- */

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
    case 409:
        return "Conflict";
    case 412:
        return "Precondition Failed";
    case 413:
        return "Content Too Large";
    case 415:
        return "Unsupported Media Type";
    case 422:
        return "Unprocessable Content";
    case 429:
        return "Too Many Requests";
    case 503:
        return "Service Unavailable";
    default:
        return code < 500 ? "Client Error" : "Internal Server Error";
    }
}

/* The time now, for the Date header (RFC 9110) or, when `iso`, for the log
 * (ISO 8601), formatted at most once a second: each caller keeps its own
 * thread-local cache. */
typedef struct time_cache {
    time_t at;
    char text[40];
} time_cache;

static const char *format_now(time_cache *c, bool iso)
{
    time_t now = time(NULL);
    if (now != c->at) {
        struct tm tm;
        gmtime_r(&now, &tm);
        strftime(c->text, sizeof c->text, iso ? "%Y-%m-%dT%H:%M:%SZ" : "%a, %d %b %Y %H:%M:%S GMT",
                 &tm);
        c->at = now;
    }
    return c->text;
}

/* The Date header's value. */
static const char *http_date(void)
{
    static _Thread_local time_cache c;
    return format_now(&c, false);
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

/*
 * Write the status line and headers (`framing` is Content-Length or
 * Transfer-Encoding) followed by up to `len` bytes of body in as few write
 * calls as possible: CivetWeb's mg_response_header_* API sends every header
 * line in its own send() (nine per response, each its own TCP segment).
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
    fixbuf_str(&h, framing);
    FIXBUF_LIT(&h, "\r\n");
    FIXBUF_LIT(&h, COMMON_HEADERS);
    FIXBUF_LIT(&h, "Date: ");
    fixbuf_str(&h, http_date());
    if (keep_alive(r))
        FIXBUF_LIT(&h, "\r\nConnection: keep-alive\r\n");
    else
        FIXBUF_LIT(&h, "\r\nConnection: close\r\n");
    if (headers)
        fixbuf_str(&h, headers);
    FIXBUF_LIT(&h, "\r\n");
    if (h.over) { /* cannot happen with our headers */
        r->close = true;
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
    } else if ((big = malloc(h.n + len)) != NULL) {
        /* A larger body (the product list) is copied after the head too: a
         * second send() would be a second TCP segment, and a second wake-up
         * of a client that has the head and waits for the rest. */
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

static void render_error(strbuf *b, const char *error, const char *message)
{
    sb_puts(b, "{\"message\":");
    sb_json_str(b, message);
    sb_puts(b, ",\"error\":");
    sb_json_str(b, error);
    sb_puts(b, "}");
}

static void send_error_h(request *r, int code, const char *error, const char *message,
                         const char *headers)
{
    strbuf b;
    sb_init(&b);
    render_error(&b, error, message);
    http_send_json(r, code, &b, headers);
    sb_free(&b);
}

void http_send_error(request *r, int code, const char *error, const char *message)
{
    send_error_h(r, code, error, message, NULL);
}

void http_send_status(request *r, status st)
{
    switch (st) {
    case ST_NOT_FOUND:
        http_send_error(r, 404, "not_found", "Not found");
        return;
    case ST_CONFLICT:
        http_send_error(r, 409, "conflict", "The resource already exists");
        return;
    case ST_INVALID:
        http_send_error(r, 400, "validation_failed", "The request is not valid");
        return;
    case ST_UNAUTHORIZED:
        http_send_error(r, 401, "unauthorized", "Not authorized");
        return;
    case ST_LOCKED:
        send_error_h(r, 429, "too_many_attempts", "Too many attempts; try again later",
                     "Retry-After: 1\r\n");
        return;
    case ST_PRECONDITION:
        http_send_error(r, 412, "precondition_failed",
                        "The resource has changed since it was read (If-Match)");
        return;
    case ST_UNAVAILABLE:
        send_error_h(r, 503, "database_unavailable",
                     "The database is unavailable; try again shortly", "Retry-After: 1\r\n");
        return;
    case ST_BUSY:
        send_error_h(r, 503, "server_busy", "Too many logins at once; try again shortly",
                     "Retry-After: 1\r\n");
        return;
    case ST_NOMEM:
    case ST_INTERNAL:
    case ST_OK:
        break;
    }
    http_send_error(r, 500, "internal_error", "Internal server error");
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

void http_stream_begin(request *r, int code, const char *headers)
{
    send_head_and_body(r, code, "application/json", "Transfer-Encoding: chunked", headers, NULL, 0);
}

bool http_stream_chunk(request *r, const char *data, size_t len)
{
    if (len == 0 || is_head(r))
        return true;
    return mg_send_chunk(r->conn, data, (unsigned)len) > 0;
}

void http_stream_end(request *r)
{
    if (!is_head(r))
        mg_send_chunk(r->conn, "", 0);
}

/* ---- requests ---- */

const char *http_header(request *r, const char *name)
{
    return mg_get_header(r->conn, name);
}

/* True when the media type of `ct` (before any ';' parameters) is application/json. */
static bool is_json_type(const char *ct)
{
    if (!ct)
        return false;
    while (*ct == ' ' || *ct == '\t')
        ct++;
    static const char want[] = "application/json";
    size_t n = sizeof want - 1;
    if (strncasecmp(ct, want, n) != 0)
        return false;
    const char *rest = ct + n;
    while (*rest == ' ' || *rest == '\t')
        rest++;
    return *rest == '\0' || *rest == ';';
}

bool http_json_body(request *r, cJSON **out)
{
    *out = NULL;
    if (!is_json_type(http_header(r, "Content-Type"))) {
        http_send_error(r, 415, "unsupported_media_type",
                        "Send the body as JSON with Content-Type: application/json");
        return false;
    }
    const struct mg_request_info *ri = mg_get_request_info(r->conn);
    if (ri->content_length > HTTP_BODY_MAX) {
        r->close = true; /* the body stays unread */
        http_send_error(r, 413, "payload_too_large", "The body is larger than 64 KiB");
        return false;
    }
    char *buf = malloc(HTTP_BODY_MAX + 1);
    if (!buf) {
        http_send_status(r, ST_NOMEM);
        return false;
    }
    size_t len = 0;
    for (;;) {
        int n = mg_read(r->conn, buf + len, HTTP_BODY_MAX + 1 - len);
        if (n <= 0)
            break;
        len += (size_t)n;
        if (len > HTTP_BODY_MAX) {
            free(buf);
            r->close = true; /* the rest of the body stays unread */
            http_send_error(r, 413, "payload_too_large", "The body is larger than 64 KiB");
            return false;
        }
    }
    const char *why = NULL;
    status st = jsonio_parse_object(buf, len, out, &why);
    free(buf);
    if (st != ST_OK) {
        http_send_error(r, 400, "invalid_json", why);
        return false;
    }
    return true;
}

/* ---- the token guard ---- */

static void send_msg(request *r, int code, const char *msg)
{
    strbuf b;
    sb_init(&b);
    sb_puts(&b, "{\"msg\":");
    sb_json_str(&b, msg);
    sb_puts(&b, "}");
    http_send_json(r, code, &b, NULL);
    sb_free(&b);
}

/* flask-jwt-extended's answers (SPEC 5). True when the request may go on. */
static bool guard(request *r)
{
    const char *h = http_header(r, "Authorization");
    if (!h) {
        send_msg(r, 401, "Missing Authorization Header");
        return false;
    }
    const char *token;
    if (!validate_bearer(h, &token)) {
        send_msg(r, 422, "Bad Authorization header. Expected 'Authorization: Bearer <JWT>'");
        return false;
    }
    token_error e = token_check(r->cfg->jwt_key, r->cfg->jwt_key_len, token, token_clock(), r->user,
                                sizeof r->user);
    if (e != TOKEN_OK) {
        send_msg(r, e == TOKEN_EXPIRED ? 401 : 422, token_error_message(e));
        return false;
    }
    return true;
}

/* ---- dispatch and the access log ---- */

/* Append `s` with control and non-ASCII bytes escaped, so a client cannot
 * forge log lines: at most 200 input bytes, and `keep` bytes left free for
 * the rest of the line. */
static void log_sanitized(fixbuf *f, size_t keep, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; s[i] && i < 200 && f->n + 4 + keep < f->cap; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch < 0x20 || ch >= 0x7f || ch == '\\') {
            char esc[4] = {'\\', 'x', hex[ch >> 4], hex[ch & 15]};
            fixbuf_mem(f, esc, sizeof esc);
        } else {
            fixbuf_putc(f, (char)ch);
        }
    }
}

/*
 * One line per request on stdout: time, method, path (never the query),
 * status, duration. Formatted on the stack and handed whole to the buffered
 * writer (accesslog.c), which writes many lines per write(2).
 */
static void log_request(const request *r, const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    /* tenths of a millisecond, rounded, in integers (no floating-point printf per line) */
    long long us =
        (long long)(t1.tv_sec - t0->tv_sec) * 1000000 + (t1.tv_nsec - t0->tv_nsec) / 1000;
    long long tenths = us < 0 ? 0 : (us + 50) / 100;
    static _Thread_local time_cache c;
    const char *ts = format_now(&c, true);
    char line[1024];
    fixbuf f = fixbuf_on(line, sizeof line);
    fixbuf_str(&f, ts);
    FIXBUF_LIT(&f, " ");
    log_sanitized(&f, 48, r->method);
    FIXBUF_LIT(&f, " ");
    log_sanitized(&f, 48, r->path);
    FIXBUF_LIT(&f, " ");
    fixbuf_int(&f, r->code);
    FIXBUF_LIT(&f, " ");
    fixbuf_int(&f, tenths / 10);
    FIXBUF_LIT(&f, ".");
    fixbuf_int(&f, tenths % 10);
    FIXBUF_LIT(&f, "ms\n");
    accesslog_line(line, f.n);
}

static void request_init(request *r, struct mg_connection *conn)
{
    const struct mg_request_info *ri = mg_get_request_info(conn);
    memset(r, 0, sizeof *r);
    r->conn = conn;
    r->cfg = g_cfg;
    r->method = ri->request_method ? ri->request_method : "";
    r->path = ri->local_uri ? ri->local_uri : "";
    r->query = ri->query_string;
}

/*
 * CivetWeb matches handler patterns ignoring case; the API's paths are case
 * sensitive (/Login is not /login). True when `path` matches `pattern`
 * exactly: literal text, at most one '*' standing for one non-empty segment,
 * and a final '$'. Sets the '*' segment in *r.
 */
static bool path_matches(const char *pattern, request *r)
{
    const char *path = r->path;
    const char *star = strchr(pattern, '*');
    size_t plen = strlen(pattern) - 1; /* without the '$' */
    if (!star)
        return strlen(path) == plen && strncmp(path, pattern, plen) == 0;
    size_t prefix = (size_t)(star - pattern), suffix = plen - prefix - 1;
    if (strncmp(path, pattern, prefix) != 0)
        return false;
    const char *seg = path + prefix;
    size_t seglen = strcspn(seg, "/");
    if (seglen == 0 || strlen(seg + seglen) != suffix || strncmp(seg + seglen, star + 1, suffix))
        return false;
    r->path_arg = seg;
    r->path_arg_len = seglen;
    return true;
}

/*
 * CivetWeb runs with decode_url=no, so r->path is the path as sent: a %00
 * can no longer cut it short (/products/1%00 was product 1). A path whose
 * escapes are malformed or stand for a control character is refused; any
 * other escape simply matches no route (our paths never need one).
 */
static bool path_is_clean(const char *p)
{
    for (; *p; p++) {
        if (*p != '%')
            continue;
        int hi = hexdigit_value(p[1]), lo = hi < 0 ? -1 : hexdigit_value(p[2]);
        if (lo < 0)
            return false;
        int v = hi * 16 + lo;
        if (v < 0x20 || v == 0x7f)
            return false;
        p += 2;
    }
    return true;
}

static void send_bad_path(request *r)
{
    http_send_error(r, 400, "bad_request", "The path has a malformed or control-character escape");
}

static int dispatch(struct mg_connection *conn, void *cbdata)
{
    route *rt = cbdata;
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    atomic_fetch_add(&g_in_flight, 1);
    request r;
    request_init(&r, conn);

    /* HEAD is GET without the body (http_send and the stream skip it). */
    const char *want = strcmp(r.method, "HEAD") == 0 ? "GET" : r.method;
    const route_method *m = NULL;
    for (size_t i = 0; i < ROUTE_METHODS_MAX && rt->methods[i].method; i++)
        if (strcmp(rt->methods[i].method, want) == 0)
            m = &rt->methods[i];
    if (atomic_load(&g_draining)) {
        send_error_h(&r, 503, "shutting_down", "The server is stopping; try again",
                     "Retry-After: 1\r\n");
    } else if (!path_is_clean(r.path)) {
        send_bad_path(&r);
    } else if (!path_matches(rt->pattern, &r)) {
        http_send_error(&r, 404, "not_found", "No such path");
    } else if (!m) {
        char allow[96];
        snprintf(allow, sizeof allow, "Allow: %s\r\n", rt->allow);
        send_error_h(&r, 405, "method_not_allowed", "Method not allowed on this path", allow);
    } else if (!m->needs_token || guard(&r)) {
        m->fn(&r);
        if (!r.sent) /* a route that forgot to answer is a bug; never hang the client */
            http_send_status(&r, ST_INTERNAL);
    }
    log_request(&r, &t0);
    atomic_fetch_sub(&g_in_flight, 1);
    return r.code;
}

void http_drain_begin(void)
{
    atomic_store(&g_draining, true);
}

int http_in_flight(void)
{
    return atomic_load(&g_in_flight);
}

static int not_found(struct mg_connection *conn, void *cbdata)
{
    (void)cbdata;
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    request r;
    request_init(&r, conn);
    if (!path_is_clean(r.path))
        send_bad_path(&r);
    else
        http_send_error(&r, 404, "not_found", "No such path");
    log_request(&r, &t0);
    return r.code;
}

/*
 * Authorization is ours (the token guard in dispatch()). Without a handler of
 * its own CivetWeb looks for a password file on every request: one
 * stat("/.htpasswd") each, always ENOENT here.
 */
static int authorize_all(struct mg_connection *conn, void *cbdata)
{
    (void)conn;
    (void)cbdata;
    return 1;
}

void http_register(struct mg_context *ctx, route *routes, const config *cfg)
{
    g_cfg = cfg;
    for (route *rt = routes; rt->pattern; rt++) {
        size_t off = 0;
        rt->allow[0] = '\0';
        for (size_t i = 0; i < ROUTE_METHODS_MAX && rt->methods[i].method; i++) {
            const char *name = rt->methods[i].method;
            int n = snprintf(rt->allow + off, sizeof rt->allow - off, "%s%s%s", i ? ", " : "", name,
                             strcmp(name, "GET") == 0 ? ", HEAD" : "");
            if (n > 0 && (size_t)n < sizeof rt->allow - off)
                off += (size_t)n;
        }
        mg_set_request_handler(ctx, rt->pattern, dispatch, rt);
    }
    mg_set_request_handler(ctx, "**", not_found, NULL); /* last: the catch-all */
    mg_set_auth_handler(ctx, "**", authorize_all, NULL);
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
    strbuf b;
    sb_init(&b);
    render_error(&b, error, message);
    char head[256];
    int n = snprintf(head, sizeof head,
                     "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\n"
                     "Content-Length: %zu\r\n%sConnection: close\r\n\r\n",
                     code, mg_get_response_code_text(conn, code), b.len, COMMON_HEADERS);
    if (n > 0 && (size_t)n < sizeof head && !b.oom) {
        mg_write(conn, head, (size_t)n);
        mg_write(conn, b.data, b.len);
    }
    sb_free(&b);
    return 0;
}
