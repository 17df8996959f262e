/*
 * routes_products.c - /products and /products/<id> (SPEC 6): validation,
 * If-Match and pagination, JSON rendering. All routes sit behind the token
 * guard (see main.c's route table).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/products.h"
#include "server/routes.h"
#include "server/validate.h"

#define STREAM_FLUSH_BYTES 16384

static void render_product(strbuf *b, const product *p)
{
    sb_lit(b, "{\"id\":");
    sb_int(b, (long long)p->id);
    sb_lit(b, ",\"name\":");
    jsonio_str(b, p->name);
    sb_lit(b, ",\"description\":");
    jsonio_str(b, p->description);
    sb_lit(b, ",\"price\":");
    jsonio_decimal(b, p->price);
    sb_lit(b, ",\"quantity\":");
    sb_int(b, p->quantity);
    sb_lit(b, "}");
}

/* 200/201 with one product, its ETag and, for 201, its Location, and
 * `extra` header lines (NULL: none). */
static void send_product_h(request *r, int code, const product *p, const char *extra)
{
    strbuf b;
    sb_init(&b);
    render_product(&b, p);
    char headers[160];
    if (code == 201)
        snprintf(headers, sizeof headers, "ETag: \"%llu\"\r\nLocation: /products/%llu\r\n%s",
                 (unsigned long long)p->version, (unsigned long long)p->id, extra ? extra : "");
    else
        snprintf(headers, sizeof headers, "ETag: \"%llu\"\r\n%s", (unsigned long long)p->version,
                 extra ? extra : "");
    http_send_json(r, code, &b, headers);
    sb_free(&b);
}

static void send_product(request *r, int code, const product *p)
{
    send_product_h(r, code, p, NULL);
}

static void send_not_found(request *r)
{
    http_send_error(r, 404, "not_found", "No such product");
}

/* The id of /products/<id>; answers 404 and returns false when it is not one. */
static bool path_id(request *r, uint64_t *id)
{
    if (r->path_arg && validate_id(r->path_arg, r->path_arg_len, id))
        return true;
    send_not_found(r);
    return false;
}

/* ---- routes ---- */

/* A status other than ST_OK: 404 names the product, the rest per http_send_status. */
static void send_failure(request *r, status st)
{
    if (st == ST_NOT_FOUND)
        send_not_found(r);
    else
        http_send_status(r, st);
}

/* The product with `code` on ST_OK, else the failure. */
static void send_result(request *r, status st, int code, const product *p)
{
    if (st == ST_OK)
        send_product(r, code, p);
    else
        send_failure(r, st);
}

/*
 * POST /products. With an Idempotency-Key (SPEC 11) the key and the body's
 * fingerprint go into the create's transaction: a repeat of the request
 * gets the first answer again (201, the same body, Location and ETag) with
 * Idempotent-Replayed: true, and creates nothing; the key with another
 * body is 422. The header is checked before the body is read.
 */
void route_products_create(request *r)
{
    cJSON *body = NULL;
    product_input in = {.partial = false};
    product p; /* about 9 KiB: worker threads have the default 8 MiB stack */
    products_idem idem, *key = NULL;
    const char *h = http_header(r, "Idempotency-Key");
    if (h) {
        if (!validate_idempotency_key(h, &idem.key, &idem.key_len)) {
            http_send_error(r, 400, "invalid_idempotency_key",
                            "Idempotency-Key must be 1 to 255 printable ASCII characters");
            return;
        }
        key = &idem;
    }
    if (http_read_body(r, validate_product, &in, &body)) {
        status st = key ? validate_product_digest(&in.f, idem.hash) : ST_OK;
        bool replayed = false;
        if (st == ST_OK)
            st = products_create(&in.f, r->user, key, &p, &replayed);
        if (st == ST_OK)
            send_product_h(r, 201, &p, replayed ? "Idempotent-Replayed: true\r\n" : NULL);
        else if (st == ST_CONFLICT && key)
            http_send_error(r, 422, "idempotency_key_reused",
                            "This Idempotency-Key was used with a different request body");
        else
            send_failure(r, st);
    }
    jsonio_free(body);
}

void route_products_get(request *r)
{
    uint64_t id;
    product p;
    if (!path_id(r, &id))
        return;
    status st = products_get(id, http_revocation_epoch(r), &p);
    if (st == ST_RECHECK && (st = http_revocation_recheck(r)) == ST_OK)
        st = products_get(id, NULL, &p);
    send_result(r, st, 200, &p);
}

void route_products_update(request *r)
{
    cJSON *body = NULL;
    product_input in = {.partial = true};
    product p;
    uint64_t id;
    if (path_id(r, &id) && http_read_body(r, validate_product, &in, &body)) {
        uint64_t if_version = validate_if_match(http_header(r, "If-Match"));
        send_result(r, products_update(id, &in.f, if_version, r->user, &p), 200, &p);
    }
    jsonio_free(body);
}

void route_products_delete(request *r)
{
    uint64_t id;
    if (!path_id(r, &id))
        return;
    status st = products_delete(id, validate_if_match(http_header(r, "If-Match")), r->user);
    if (st == ST_OK)
        http_send_literal(r, 200, "{\"message\":\"Product deleted successfully\"}", NULL);
    else
        send_failure(r, st);
}

/* ---- JSON arrays: the list and the history ---- */

/*
 * An array answer built row by row. A page (`keep` rows at most) goes out
 * whole with Content-Length and, when rows remain after it, a Link to the
 * next page; it also ends early, with that Link, once its text passes
 * PAGE_BYTES_MAX (SPEC 8: about 1 MiB held per answer), so a page of long
 * rows is shorter, never larger. The unpaged list streams instead, in
 * chunks of STREAM_FLUSH_BYTES.
 */
#define PAGE_BYTES_MAX (1024 * 1024)

typedef struct array_out {
    request *r;
    strbuf buf;
    size_t rows;        /* rendered */
    uint64_t last;      /* the cursor (id, seq) of the last row rendered */
    uint64_t keep;      /* paged: rows to render at most (one more is fetched) */
    bool more;          /* paged: rows remain after this page */
    bool streaming;     /* unpaged: chunks go out as the buffer fills */
    const char *cursor; /* the query key of the next page: after_id, after_seq */
} array_out;

static void array_init(array_out *o, request *r, const page *pg, const char *cursor)
{
    *o = (array_out){
        .r = r, .keep = pg->paged ? pg->limit : 0, .streaming = !pg->paged, .cursor = cursor};
    sb_init(&o->buf);
    sb_reserve(&o->buf, STREAM_FLUSH_BYTES + 4096); /* no regrowth up to a flush */
}

/* Before a row: false when the page is full (the row is not rendered, and
 * tells that more remain). */
static bool array_open_row(array_out *o)
{
    if (o->keep && (o->rows == o->keep || o->buf.len >= PAGE_BYTES_MAX)) {
        o->more = true;
        return false;
    }
    sb_puts(&o->buf, o->rows ? "," : "[");
    return true;
}

/* After a row rendered into o->buf: ST_NOMEM, or ST_INTERNAL when a chunk
 * could not be sent (the client went away), else ST_OK. */
static status array_close_row(array_out *o, uint64_t cursor)
{
    o->rows++;
    o->last = cursor;
    if (o->buf.oom)
        return ST_NOMEM;
    if (o->streaming && o->buf.len >= STREAM_FLUSH_BYTES) {
        if (!o->r->sent)
            http_stream_begin(o->r, 200, NULL);
        if (!http_stream_chunk(o->r, o->buf.data, o->buf.len))
            return ST_INTERNAL;
        sb_reset(&o->buf);
    }
    return ST_OK;
}

/* The answer once the rows are read with status `st`: the array, a failure
 * (send_fail) before anything went out, or a stream cut off after. `path`
 * is the Link's path. Frees the buffer. */
static void array_finish(array_out *o, status st, const char *path,
                         void (*send_fail)(request *r, status st))
{
    request *r = o->r;
    if (st != ST_OK) {
        if (r->sent)
            http_stream_abort(r); /* the client must not take a part for the whole */
        else
            send_fail(r, st);
        goto out;
    }
    if (o->rows == 0)
        sb_lit(&o->buf, "[");
    sb_lit(&o->buf, "]");
    if (r->sent) { /* streaming already began */
        if (http_stream_chunk(r, o->buf.data, o->buf.len))
            http_stream_end(r);
        else
            http_stream_abort(r);
        goto out;
    }
    char link[192] = "";
    if (o->more)
        snprintf(link, sizeof link, "Link: <%s?limit=%llu&%s=%llu>; rel=\"next\"\r\n", path,
                 (unsigned long long)o->keep, o->cursor, (unsigned long long)o->last);
    http_send_json(r, 200, &o->buf, link[0] ? link : NULL);
out:
    sb_free(&o->buf);
}

static void send_bad_page(request *r, const char *cursor)
{
    char why[96];
    snprintf(why, sizeof why, "limit must be 1..1000 and %s a non-negative integer", cursor);
    cJSON *fields = cJSON_CreateObject();
    cJSON_AddStringToObject(fields, "query", why);
    http_send_validation(r, fields);
}

/* ---- GET /products/<id>/history ---- */

static status history_event(const product_event *e, void *arg)
{
    array_out *o = arg;
    if (!array_open_row(o))
        return ST_OK;
    strbuf *b = &o->buf;
    sb_lit(b, "{\"seq\":");
    sb_int(b, (long long)e->seq);
    sb_lit(b, ",\"action\":");
    jsonio_str(b, e->action);
    sb_lit(b, ",\"username\":");
    jsonio_str(b, e->username);
    sb_lit(b, ",\"at\":");
    jsonio_str(b, e->at);
    /* before/after are JSON the database wrote with JSON_OBJECT. */
    sb_lit(b, ",\"before\":");
    sb_puts(b, e->before);
    sb_lit(b, ",\"after\":");
    sb_puts(b, e->after);
    sb_lit(b, "}");
    return array_close_row(o, e->seq);
}

void route_products_history(request *r)
{
    uint64_t id;
    page pg;
    if (!path_id(r, &id))
        return;
    if (!validate_page(r->query, "after_seq", &pg)) {
        send_bad_page(r, "after_seq");
        return;
    }
    pg.paged = true; /* without limit, the first VALIDATE_PAGE_MAX entries */
    if (!pg.limit)
        pg.limit = VALIDATE_PAGE_MAX;
    array_out o;
    array_init(&o, r, &pg, "after_seq");
    status st = products_history(id, pg.after, pg.limit + 1, history_event, &o);
    char path[64];
    snprintf(path, sizeof path, "/products/%llu/history", (unsigned long long)id);
    array_finish(&o, st, path, send_failure);
}

/* ---- GET /products ---- */

static status list_row(const product *p, void *arg)
{
    array_out *o = arg;
    if (!array_open_row(o))
        return ST_OK;
    render_product(&o->buf, p);
    return array_close_row(o, p->id);
}

void route_products_list(request *r)
{
    page pg;
    if (!validate_page(r->query, "after_id", &pg)) {
        send_bad_page(r, "after_id");
        return;
    }
    array_out o;
    array_init(&o, r, &pg, "after_id");
    uint64_t limit = pg.paged ? pg.limit + 1 : 0;
    status st = products_list(pg.after, limit, http_revocation_epoch(r), list_row, &o);
    if (st == ST_RECHECK && (st = http_revocation_recheck(r)) == ST_OK)
        st = products_list(pg.after, limit, NULL, list_row, &o); /* nothing was sent */
    array_finish(&o, st, "/products", http_send_status);
}
