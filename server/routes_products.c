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

#define NAME_MAX_CHARS 255
#define DESC_MAX_CHARS 2000
#define PAGE_MAX 1000
#define STREAM_FLUSH_BYTES 16384

/* A positive decimal id with no sign, no leading zero and no overflow. */
static bool parse_id(const char *s, size_t n, uint64_t *out)
{
    if (n == 0 || n > 19 || s[0] == '0')
        return false;
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    if (v > INT64_MAX)
        return false;
    *out = v;
    return true;
}

static void render_product(strbuf *b, const product *p)
{
    sb_printf(b, "{\"id\":%llu,\"name\":", (unsigned long long)p->id);
    sb_json_str(b, p->name);
    sb_puts(b, ",\"description\":");
    sb_json_str(b, p->description);
    sb_puts(b, ",\"price\":");
    sb_json_decimal(b, p->price);
    sb_printf(b, ",\"quantity\":%lld}", (long long)p->quantity);
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
    if (r->path_arg && parse_id(r->path_arg, r->path_arg_len, id))
        return true;
    send_not_found(r);
    return false;
}

/*
 * If-Match: absent -> 0 (no condition); "*" -> 0 too (the row must exist,
 * which every write checks anyway); "<n>" or W/"<n>" -> n. Anything else can
 * never match a version: UINT64_MAX (412 once the product is known to exist).
 */
static uint64_t if_match_version(request *r)
{
    const char *h = http_header(r, "If-Match");
    if (!h)
        return 0;
    while (*h == ' ')
        h++;
    if (strcmp(h, "*") == 0)
        return 0;
    if (strncmp(h, "W/", 2) == 0)
        h += 2;
    size_t n = strlen(h);
    while (n > 0 && h[n - 1] == ' ')
        n--;
    uint64_t v;
    if (n >= 3 && h[0] == '"' && h[n - 1] == '"' && parse_id(h + 1, n - 2, &v))
        return v;
    return UINT64_MAX;
}

/* ---- body validation ---- */

static void field_error(cJSON **fields, const char *field, const char *why)
{
    if (!*fields)
        *fields = cJSON_CreateObject();
    if (*fields && !cJSON_HasObjectItem(*fields, field))
        cJSON_AddStringToObject(*fields, field, why);
}

static bool only_whitespace(const char *s)
{
    for (; *s; s++)
        if (*s != ' ' && *s != '\t' && *s != '\n' && *s != '\r' && *s != '\f' && *s != '\v')
            return false;
    return true;
}

/*
 * Validate a product body into *f (pointers into `body`; price into
 * price_buf). `partial`: PUT/PATCH, where every field is optional but at
 * least one is required. Returns the field errors or NULL.
 */
static cJSON *check_product(const cJSON *body, bool partial, product_fields *f, char price_buf[16])
{
    cJSON *fields = NULL;
    memset(f, 0, sizeof *f);
    for (const cJSON *it = body->child; it; it = it->next) {
        const char *k = it->string;
        if (strcmp(k, "name") && strcmp(k, "description") && strcmp(k, "price") &&
            strcmp(k, "quantity"))
            field_error(&fields, k, "unknown field");
    }
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(body, "name");
    const cJSON *desc = cJSON_GetObjectItemCaseSensitive(body, "description");
    const cJSON *price = cJSON_GetObjectItemCaseSensitive(body, "price");
    const cJSON *qty = cJSON_GetObjectItemCaseSensitive(body, "quantity");

    if (name) {
        if (!cJSON_IsString(name))
            field_error(&fields, "name", "must be a string");
        else if (utf8_length(name->valuestring) > NAME_MAX_CHARS ||
                 only_whitespace(name->valuestring))
            field_error(&fields, "name", "1 to 255 characters, not only white space");
        else
            f->name = name->valuestring;
    } else if (!partial) {
        field_error(&fields, "name", "required");
    }
    if (desc) {
        if (!cJSON_IsString(desc))
            field_error(&fields, "description", "must be a string");
        else if (utf8_length(desc->valuestring) > DESC_MAX_CHARS)
            field_error(&fields, "description", "at most 2000 characters");
        else
            f->description = desc->valuestring;
    }
    if (price) {
        if (!jsonio_price(price, price_buf))
            field_error(&fields, "price",
                        "a number from 0 to 99999999.99 with at most 2 decimal places");
        else
            f->price = price_buf;
    } else if (!partial) {
        field_error(&fields, "price", "required");
    }
    if (qty) {
        if (!jsonio_integer(qty, 0, 2147483647, &f->quantity))
            field_error(&fields, "quantity", "an integer from 0 to 2147483647");
        else
            f->has_quantity = true;
    } else if (!partial) {
        field_error(&fields, "quantity", "required");
    }
    if (partial && !fields && !name && !desc && !price && !qty)
        field_error(&fields, "body", "send at least one of name, description, price, quantity");
    return fields;
}

/* ---- routes ---- */

void route_products_create(request *r)
{
    cJSON *body = NULL;
    product *p = NULL;
    if (!http_json_body(r, &body))
        goto out;
    product_fields f;
    char price[16];
    cJSON *fields = check_product(body, false, &f, price);
    if (fields) {
        http_send_validation(r, fields);
        goto out;
    }
    p = malloc(sizeof *p);
    if (!p) {
        http_send_status(r, ST_NOMEM);
        goto out;
    }
    status st = products_create(&f, r->user, p);
    if (st == ST_OK)
        send_product(r, 201, p);
    else
        http_send_status(r, st);
out:
    free(p);
    cJSON_Delete(body);
}

void route_products_get(request *r)
{
    uint64_t id;
    if (!path_id(r, &id))
        return;
    product *p = malloc(sizeof *p);
    if (!p) {
        http_send_status(r, ST_NOMEM);
        return;
    }
    status st = products_get(id, p);
    if (st == ST_OK)
        send_product(r, 200, p);
    else if (st == ST_NOT_FOUND)
        send_not_found(r);
    else
        http_send_status(r, st);
    free(p);
}

void route_products_update(request *r)
{
    cJSON *body = NULL;
    product *p = NULL;
    uint64_t id;
    if (!path_id(r, &id))
        goto out;
    if (!http_json_body(r, &body))
        goto out;
    product_fields f;
    char price[16];
    cJSON *fields = check_product(body, true, &f, price);
    if (fields) {
        http_send_validation(r, fields);
        goto out;
    }
    p = malloc(sizeof *p);
    if (!p) {
        http_send_status(r, ST_NOMEM);
        goto out;
    }
    status st = products_update(id, &f, if_match_version(r), r->user, p);
    if (st == ST_OK)
        send_product(r, 200, p);
    else if (st == ST_NOT_FOUND)
        send_not_found(r);
    else
        http_send_status(r, st);
out:
    free(p);
    cJSON_Delete(body);
}

void route_products_delete(request *r)
{
    uint64_t id;
    if (!path_id(r, &id))
        return;
    status st = products_delete(id, if_match_version(r), r->user);
    if (st == ST_OK) {
        strbuf b;
        sb_init(&b);
        sb_puts(&b, "{\"message\":\"Product deleted successfully\"}");
        http_send_json(r, 200, &b, NULL);
        sb_free(&b);
    } else if (st == ST_NOT_FOUND) {
        send_not_found(r);
    } else {
        http_send_status(r, st);
    }
}

/* ---- GET /products/<id>/history ---- */

static status history_event(const product_event *e, void *arg)
{
    strbuf *b = arg;
    sb_puts(b, b->len ? ",{\"action\":" : "[{\"action\":");
    sb_json_str(b, e->action);
    sb_puts(b, ",\"username\":");
    sb_json_str(b, e->username);
    sb_puts(b, ",\"at\":");
    sb_json_str(b, e->at);
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

/* Query parameters limit (1..1000) and after_id (>= 0); false on a bad value. */
static bool parse_page(const char *q, uint64_t *limit, uint64_t *after_id, bool *paged)
{
    *limit = 0;
    *after_id = 0;
    *paged = false;
    bool seen_limit = false, seen_after = false;
    while (q && *q) {
        const char *amp = strchr(q, '&');
        size_t n = amp ? (size_t)(amp - q) : strlen(q);
        const char *eq = memchr(q, '=', n);
        if (eq) {
            size_t klen = (size_t)(eq - q), vlen = n - klen - 1;
            uint64_t v;
            bool zero = vlen == 1 && eq[1] == '0';
            if (klen == 5 && strncmp(q, "limit", 5) == 0) {
                if (seen_limit || !parse_id(eq + 1, vlen, &v) || v > PAGE_MAX)
                    return false;
                *limit = v;
                seen_limit = *paged = true;
            } else if (klen == 8 && strncmp(q, "after_id", 8) == 0) {
                if (seen_after || !(zero || parse_id(eq + 1, vlen, &v)))
                    return false;
                *after_id = zero ? 0 : v;
                seen_after = *paged = true;
            }
        }
        q = amp ? amp + 1 : NULL;
    }
    if (*paged && !seen_limit)
        *limit = PAGE_MAX;
    return true;
}

typedef struct list_ctx {
    request *r;
    strbuf buf;
    size_t rows;
    uint64_t last_id;
    uint64_t keep;     /* paged: render only this many rows (one more was fetched) */
    bool streaming;    /* unpaged: chunks go out as the buffer fills */
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
    uint64_t limit, after_id;
    bool paged;
    if (!parse_page(r->query, &limit, &after_id, &paged)) {
        cJSON *fields = cJSON_CreateObject();
        cJSON_AddStringToObject(fields, "query",
                                "limit must be 1..1000 and after_id a non-negative integer");
        http_send_validation(r, fields);
        return;
    }
    list_ctx c = {.r = r, .keep = paged ? limit : 0, .streaming = !paged};
    sb_init(&c.buf);
    status st = products_list(after_id, paged ? limit + 1 : 0, list_row, &c);
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
    if (paged && c.rows > limit)
        snprintf(link, sizeof link,
                 "Link: </products?limit=%llu&after_id=%llu>; rel=\"next\"\r\n",
                 (unsigned long long)limit, (unsigned long long)c.last_id);
    http_send_json(r, 200, &c.buf, link[0] ? link : NULL);
out:
    sb_free(&c.buf);
}
