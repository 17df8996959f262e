/*
 * router.c - routing on CivetWeb (see http.h): the route table's handlers,
 * 404 and 405 with Allow, the token guard of protected routes, the graceful
 * stop's gate, and one access-log line per request.
 */
#include <civetweb.h>
#include <openssl/crypto.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common/monotime.h"
#include "crypto/token.h"
#include "db/revocations.h"
#include "server/accesslog.h"
#include "server/http.h"
#include "server/metrics.h"
#include "server/reqid.h"
#include "server/validate.h"

static const config *g_cfg;
static const route *g_routes; /* http_register's table */
/* Requests inside dispatch() now, and whether a graceful stop has begun. */
static atomic_int g_in_flight;
static atomic_bool g_draining;

/*
 * Revocation (SPEC 9) is MySQL's: a logout, a password change, a 2FA reset
 * or a deletion on any instance refuses the token on all, at once. Asking
 * MySQL on every request is a second round trip; it cost GET /products/<id>
 * about 40 % of its rate. So each worker thread remembers the last token it
 * found good and the revocation epoch that check read (db/revocations.h:
 * raised by the database with every revocation, in the same transaction).
 * The hot reads (GET /products, GET /products/<id>: revocation_in_read) read
 * the epoch in their own statement: the same epoch means no revocation since
 * the check, and the token stands without asking; another one (any
 * revocation anywhere), and the route asks, then reads again. Every other
 * guarded route reads the epoch alone first (one row by a one-byte key, a
 * round trip) and asks in full only when it moved. Reading the epoch costs the point read about a
 * tenth of its rate (docs/benchmarks.md). REVOCATION_RECHECK_MS > 0 is the
 * operator's other trade: every route trusts the remembered token for that
 * long without asking or reading the epoch, unless this process revoked
 * anything since (g_revoke_epoch): exact on this instance, within that bound
 * on the others. (token.c's memo is another thing: it saves the signature
 * work only.)
 */
typedef struct revoke_memo {
    char sub[sizeof((request *)NULL)->user];
    char jti[sizeof((request *)NULL)->jti];
    int64_t iat;
    bool good;            /* the last check found this token good */
    uint64_t db_epoch;    /* the revocation epoch that check read */
    long long checked_ms; /* monotonic ms of the check */
    unsigned epoch;       /* g_revoke_epoch read before that check */
} revoke_memo;

static atomic_uint g_revoke_epoch;
static _Thread_local revoke_memo t_revoke;

void http_tokens_revoked(void)
{
    atomic_fetch_add(&g_revoke_epoch, 1);
}

/* The last check of this thread found r's token good. */
static bool memo_holds(const request *r)
{
    const revoke_memo *m = &t_revoke;
    return m->good && m->iat == r->iat && strcmp(m->jti, r->jti) == 0 &&
           strcmp(m->sub, r->user) == 0;
}

/* Ask MySQL whether r's token is revoked (ST_OK: not; ST_REVOKED; or the
 * database's error), and remember a good answer. */
static status ask_revocation(const request *r)
{
    revoke_memo *m = &t_revoke;
    unsigned epoch = atomic_load(&g_revoke_epoch);
    revocation_key rk = {.sub = r->user, .jti = r->jti, .iat = r->iat};
    uint64_t db_epoch = REVOCATION_EPOCH_NONE;
    status st = revocations_check(&rk, &db_epoch);
    m->good = false;
    if (st == ST_OK) {
        memcpy(m->sub, r->user, sizeof m->sub);
        memcpy(m->jti, r->jti, sizeof m->jti);
        m->iat = r->iat;
        m->db_epoch = db_epoch;
        m->epoch = epoch;
        long long now = monotonic_ms();
        m->checked_ms = now > 0 ? now : 1;
        m->good = true;
    }
    return st;
}

/* The guard's revocation decision for route method `rm`: ST_OK (the request
 * may go on, maybe with its read checking the epoch), ST_REVOKED, or the
 * database's error. */
static status check_revocation(request *r, const route_method *rm)
{
    const revoke_memo *m = &t_revoke;
    if (memo_holds(r)) {
        unsigned bound = r->cfg->revocation_recheck_ms;
        if (bound && monotonic_ms() - m->checked_ms < (long long)bound &&
            m->epoch == atomic_load(&g_revoke_epoch))
            return ST_OK; /* the operator's window: no question, no epoch */
        if (m->db_epoch != REVOCATION_EPOCH_NONE) {
            if (rm->revocation_in_read) {
                r->revocation_deferred = true;
                r->revocation_epoch = m->db_epoch;
                return ST_OK;
            }
            /* the epoch alone: the same as the check's, nothing was revoked since */
            uint64_t now_epoch;
            status st = revocations_epoch(&now_epoch);
            if (st != ST_OK || now_epoch == m->db_epoch)
                return st;
        }
    }
    return ask_revocation(r);
}

const uint64_t *http_revocation_epoch(const request *r)
{
    return r->revocation_deferred ? &r->revocation_epoch : NULL;
}

status http_revocation_recheck(request *r)
{
    r->revocation_deferred = false;
    return ask_revocation(r);
}

/* flask-jwt-extended's answers (SPEC 5), then revocation (SPEC 9). True when
 * the request may go on. */
static bool guard(request *r, const route_method *m)
{
    const char *h = http_header(r, "Authorization");
    if (!h) {
        http_send_msg(r, 401, "Missing Authorization Header");
        return false;
    }
    const char *token;
    if (!validate_bearer(h, &token)) {
        http_send_msg(r, 422, "Bad Authorization header. Expected 'Authorization: Bearer <JWT>'");
        return false;
    }
    token_claims tc;
    token_error e = token_verify(r->cfg->jwt_key, r->cfg->jwt_key_len, token, token_clock(), &tc);
    if (e != TOKEN_OK) {
        http_send_msg(r, e == TOKEN_EXPIRED ? 401 : 422, token_error_message(e));
        return false;
    }
    _Static_assert(sizeof r->user == sizeof tc.sub && sizeof r->jti == sizeof tc.jti, "sizes");
    memcpy(r->user, tc.sub, sizeof r->user);
    memcpy(r->jti, tc.jti, sizeof r->jti);
    r->iat = tc.iat;
    r->exp = tc.exp;
    OPENSSL_cleanse(&tc, sizeof tc);
    status st = check_revocation(r, m);
    if (st != ST_OK) { /* ST_REVOKED: 401 "Token has been revoked" */
        http_send_status(r, st);
        return false;
    }
    return true;
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
    r->route = METRICS_ROUTE_OTHER;
    reqid_pick(mg_get_header(conn, "X-Request-Id"), r->request_id);
}

/* The request is answered: its access-log line and its metrics. */
static void request_done(const request *r, const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    long long us =
        (long long)(t1.tv_sec - t0->tv_sec) * 1000000 + (t1.tv_nsec - t0->tv_nsec) / 1000;
    accesslog_entry e = {.method = r->method,
                         .path = r->path,
                         .route = metrics_route_label(r->route),
                         .request_id = r->request_id,
                         .status = r->code,
                         .duration_us = us};
    accesslog_request(&e);
    metrics_request(r->route, r->method, r->code, us);
}

static void send_bad_path(request *r)
{
    http_send_error(r, 400, "bad_request", "The path has a malformed or control-character escape");
}

/* The route `path` takes, or NULL; on a match with a '*', the segment. */
static const route *route_find(const char *path, const char **arg, size_t *arg_len)
{
    size_t len = strlen(path);
    for (const route *rt = g_routes; rt->pattern; rt++)
        if (http_pattern_match(&rt->match, path, len, arg, arg_len))
            return rt;
    return NULL;
}

/*
 * Every request of the API's listener comes here: CivetWeb has one handler,
 * "**", and the route table is walked by route_find(). (With one CivetWeb
 * handler per route, CivetWeb walked its whole list three times per request,
 * an exact pass, a prefix pass, then a case-blind pattern pass in
 * registration order: a tenth of the 401's instructions.)
 */
static int dispatch(struct mg_connection *conn, void *cbdata)
{
    (void)cbdata;
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    atomic_fetch_add(&g_in_flight, 1);
    request r;
    request_init(&r, conn);
    const route *rt = route_find(r.path, &r.path_arg, &r.path_arg_len);
    const route_method *m = NULL;
    if (rt) {
        r.route = rt->metrics_index;
        /* HEAD is GET without the body (http_send and the stream skip it). */
        const char *want = strcmp(r.method, "HEAD") == 0 ? "GET" : r.method;
        for (size_t i = 0; i < ROUTE_METHODS_MAX && rt->methods[i].method; i++)
            if (strcmp(rt->methods[i].method, want) == 0)
                m = &rt->methods[i];
    }
    if (rt && atomic_load(&g_draining)) {
        http_send_error_h(&r, 503, "shutting_down", "The server is stopping; try again",
                          "Retry-After: 1\r\n");
    } else if (!http_path_clean(r.path)) {
        send_bad_path(&r);
    } else if (!rt) {
        http_send_error(&r, 404, "not_found", "No such path");
    } else if (!m) {
        char allow[96];
        snprintf(allow, sizeof allow, "Allow: %s\r\n", rt->allow);
        http_send_error_h(&r, 405, "method_not_allowed", "Method not allowed on this path", allow);
    } else if (!m->needs_token || guard(&r, m)) {
        m->fn(&r);
        if (!r.sent) /* a route that forgot to answer is a bug; never hang the client */
            http_send_status(&r, ST_INTERNAL);
    }
    request_done(&r, &t0);
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
    g_routes = routes;
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
        rt->metrics_index = metrics_route_register(rt->pattern);
        http_pattern_compile(rt->pattern, &rt->match);
    }
    mg_set_request_handler(ctx, "**", dispatch, NULL);
    mg_set_auth_handler(ctx, "**", authorize_all, NULL);
}

/* ---- the metrics listener ---- */

static int serve_metrics(struct mg_connection *conn, void *cbdata)
{
    (void)cbdata;
    request r;
    request_init(&r, conn);
    r.request_id[0] = '\0'; /* not an API answer */
    if (strcmp(r.path, "/metrics") != 0) {
        http_send_error(&r, 404, "not_found", "No such path");
    } else if (strcmp(r.method, "GET") != 0 && strcmp(r.method, "HEAD") != 0) {
        http_send_error_h(&r, 405, "method_not_allowed", "Method not allowed on this path",
                          "Allow: GET, HEAD\r\n");
    } else {
        metrics_external ext;
        metrics_collect(&ext);
        ext.in_flight = http_in_flight();
        strbuf b;
        sb_init(&b);
        metrics_render(&b, &ext);
        if (b.oom)
            http_send_status(&r, ST_NOMEM);
        else
            http_send(&r, 200, "text/plain; version=0.0.4; charset=utf-8", b.data, b.len, NULL);
        sb_free(&b);
    }
    return r.code;
}

void http_register_metrics(struct mg_context *ctx)
{
    mg_set_request_handler(ctx, "**", serve_metrics, NULL);
    mg_set_auth_handler(ctx, "**", authorize_all, NULL);
}
