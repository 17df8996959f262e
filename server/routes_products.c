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

/* 200/201 with one product, its ETag and, for 201, its Location. */
static void send_product(request *r, int code, const product *p)
{
    strbuf b;
    sb_init(&b);
    render_product(&b, p);
    char headers[128];
    if (code == 201)
        snprintf(headers, sizeof headers, "ETag: \"%llu\"\r\nLocation: /products/%llu\r\n",
                 (unsigned long long)p->version, (unsigned long long)p->id);
    else
        snprintf(headers, sizeof headers, "ETag: \"%llu\"\r\n", (unsigned long long)p->version);
    http_send_json(r, code, &b, headers);
    sb_free(&b);
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

void route_products_create(request *r)
{
    cJSON *body = NULL;
    product_input in = {.partial = false};
    product p; /* about 9 KiB: worker threads have the default 8 MiB stack */
    if (http_read_body(r, validate_product, &in, &body)) {
        send_result(r, products_create(&in.f, r->user, &p), 201, &p);
    }
    jsonio_free(body);
}

void route_products_get(request *r)
{
    uint64_t id;
    product p;
    if (!path_id(r, &id))
        return;
    send_result(r, products_get(id, &p), 200, &p);
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

/* ---- GET /products/<id>/history ---- */

static status history_event(const product_event *e, void *arg)
{
    strbuf *b = arg;
    sb_puts(b, b->len ? ",{\"action\":" : "[{\"action\":");
    jsonio_str(b, e->action);
    sb_puts(b, ",\"username\":");
    jsonio_str(b, e->username);
    sb_puts(b, ",\"at\":");
    jsonio_str(b, e->at);
    /* before/after are JSON the database wrote with JSON_OBJECT. */
    sb_puts(b, ",\"before\":");
    sb_puts(b, e->before);
    sb_puts(b, ",\"after\":");
    sb_puts(b, e->after);
    sb_puts(b, "}");
    return b->oom ? ST_NOMEM : ST_OK;
}

void route_products_history(request *r)
{
    uint64_t id;
    if (!path_id(r, &id))
        return;
    strbuf b;
    sb_init(&b);
    status st = products_history(id, history_event, &b);
    if (st == ST_OK) {
        sb_puts(&b, "]");
        http_send_json(r, 200, &b, NULL);
    } else if (st == ST_NOT_FOUND) {
        send_not_found(r);
    } else {
        http_send_status(r, st);
    }
    sb_free(&b);
}

/* ---- GET /products ---- */

typedef struct list_ctx {
    request *r;
    strbuf buf;
    size_t rows;
    uint64_t last_id;
    uint64_t keep;  /* paged: render only this many rows (one more was fetched) */
    bool streaming; /* unpaged: chunks go out as the buffer fills */
} list_ctx;

static status list_row(const product *p, void *arg)
{
    list_ctx *c = arg;
    if (c->keep && c->rows == c->keep) {
        c->rows++; /* the extra row: more remain */
        return ST_OK;
    }
    sb_puts(&c->buf, c->rows ? "," : "[");
    render_product(&c->buf, p);
    c->rows++;
    c->last_id = p->id;
    if (c->buf.oom)
        return ST_NOMEM;
    if (c->streaming && c->buf.len >= STREAM_FLUSH_BYTES) {
        if (c->rows == 1 || !c->r->sent)
            http_stream_begin(c->r, 200, NULL);
        if (!http_stream_chunk(c->r, c->buf.data, c->buf.len))
            return ST_INTERNAL; /* the client went away */
        sb_reset(&c->buf);
    }
    return ST_OK;
}

void route_products_list(request *r)
{
    page pg;
    if (!validate_page(r->query, &pg)) {
        cJSON *fields = cJSON_CreateObject();
        cJSON_AddStringToObject(fields, "query",
                                "limit must be 1..1000 and after_id a non-negative integer");
        http_send_validation(r, fields);
        return;
    }
    list_ctx c = {.r = r, .keep = pg.paged ? pg.limit : 0, .streaming = !pg.paged};
    sb_init(&c.buf);
    sb_reserve(&c.buf, STREAM_FLUSH_BYTES + 4096); /* no regrowth up to a flush */
    status st = products_list(pg.after_id, pg.paged ? pg.limit + 1 : 0, list_row, &c);
    if (st != ST_OK) {
        if (!r->sent)
            http_send_status(r, st);
        else
            r->code = 500; /* headers are out: the aborted chunked body tells the client */
        goto out;
    }
    if (c.rows == 0)
        sb_puts(&c.buf, "[");
    sb_puts(&c.buf, "]");
    if (r->sent) { /* streaming already began */
        http_stream_chunk(r, c.buf.data, c.buf.len);
        http_stream_end(r);
        goto out;
    }
    char link[160] = "";
    if (pg.paged && c.rows > pg.limit)
        snprintf(link, sizeof link, "Link: </products?limit=%llu&after_id=%llu>; rel=\"next\"\r\n",
                 (unsigned long long)pg.limit, (unsigned long long)c.last_id);
    http_send_json(r, 200, &c.buf, link[0] ? link : NULL);
out:
    sb_free(&c.buf);
}
