/*
 * products.c - DAO for the products table and its audit trail (see
 * products.h). Prepared statements only. Every write runs in one transaction
 * with its product_history row: the change and its audit row commit together
 * or not at all. The audit JSON is made by the database (JSON_OBJECT) from the
 * row itself, so it is exactly what was stored.
 */
#include "db/products.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/db_internal.h"

#define COLUMNS "id, name, description, price, quantity, version"
#define ROW_JSON                                                                               \
    "JSON_OBJECT('id', id, 'name', name, 'description', description, 'price', price,"          \
    " 'quantity', quantity)"

static const char SQL_INSERT[] =
    "INSERT INTO products (name, description, price, quantity) VALUES (?, ?, ?, ?)";
static const char SQL_GET[] = "SELECT " COLUMNS " FROM products WHERE id = ?";
static const char SQL_LOCK[] = "SELECT " COLUMNS " FROM products WHERE id = ? FOR UPDATE";
static const char SQL_UPDATE[] =
    "UPDATE products SET name = IFNULL(?, name), description = IFNULL(?, description),"
    " price = IFNULL(?, price), quantity = IFNULL(?, quantity), version = version + 1"
    " WHERE id = ? AND version = ?";
static const char SQL_DELETE[] = "DELETE FROM products WHERE id = ? AND version = ?";
static const char SQL_LIST[] =
    "SELECT " COLUMNS " FROM products WHERE id > ? ORDER BY id LIMIT ?";

/* Audit rows. The "before" image is taken while the row is locked FOR UPDATE
 * by this transaction, the "after" image from the row as just written. */
static const char SQL_AUDIT_CREATE[] =
    "INSERT INTO product_history (product_id, action, username, after_json)"
    " SELECT id, 'create', ?, " ROW_JSON " FROM products WHERE id = ?";
static const char SQL_AUDIT_BEFORE[] =
    "INSERT INTO product_history (product_id, action, username, before_json)"
    " SELECT id, ?, ?, " ROW_JSON " FROM products WHERE id = ?";
static const char SQL_AUDIT_AFTER[] =
    "UPDATE product_history SET after_json = (SELECT " ROW_JSON " FROM products WHERE id = ?)"
    " WHERE id = LAST_INSERT_ID()";
static const char SQL_HISTORY[] =
    "SELECT action, username,"
    " CONCAT(DATE_FORMAT(at, '%Y-%m-%dT%H:%i:%s.'), LPAD(FLOOR(MICROSECOND(at) / 1000), 3, '0'),"
    " 'Z'), IFNULL(before_json, 'null'), IFNULL(after_json, 'null')"
    " FROM product_history WHERE product_id = ? ORDER BY id";

/* Result bindings for COLUMNS into *p. */
typedef struct row_binds {
    MYSQL_BIND r[6];
    unsigned long len[6];
    my_bool null[6];
    int64_t id, version;
} row_binds;

static void bind_row(row_binds *b, product *p)
{
    memset(b, 0, sizeof *b);
    db_bind_out_i64(&b->r[0], &b->id, &b->null[0]);
    db_bind_out_str(&b->r[1], p->name, sizeof p->name, &b->len[1], &b->null[1]);
    db_bind_out_str(&b->r[2], p->description, sizeof p->description, &b->len[2], &b->null[2]);
    db_bind_out_str(&b->r[3], p->price, sizeof p->price, &b->len[3], &b->null[3]);
    db_bind_out_i64(&b->r[4], &p->quantity, &b->null[4]);
    db_bind_out_i64(&b->r[5], &b->version, &b->null[5]);
}

static void finish_row(const row_binds *b, product *p)
{
    p->id = (uint64_t)b->id;
    p->version = (uint64_t)b->version;
}

/* Bind an optional string field: NULL leaves the column as it is. */
static void bind_opt_str(MYSQL_BIND *b, const char *s, unsigned long *len)
{
    if (s) {
        *len = strlen(s);
        db_bind_str(b, s, len);
    } else {
        db_bind_null(b);
    }
}

/* Run a one-row SELECT of COLUMNS by id. */
static status get_one(const char *sql, uint64_t id, product *out)
{
    MYSQL_BIND p[1];
    db_bind_u64(&p[0], &id);
    MYSQL_STMT *s;
    status st = db_exec(sql, p, &s, NULL);
    if (st != ST_OK)
        return st;
    row_binds b;
    bind_row(&b, out);
    st = db_fetch(s, b.r);
    db_done(s);
    if (st == ST_OK)
        finish_row(&b, out);
    return st;
}

/* An audit row with the "before" image of locked product `id`. */
static status audit_before(uint64_t id, const char *action, const char *actor)
{
    unsigned long l_action = strlen(action), l_actor = strlen(actor);
    MYSQL_BIND p[3];
    db_bind_str(&p[0], action, &l_action);
    db_bind_str(&p[1], actor, &l_actor);
    db_bind_u64(&p[2], &id);
    uint64_t n = 0;
    status st = db_exec(SQL_AUDIT_BEFORE, p, NULL, &n);
    return st == ST_OK && n != 1 ? ST_INTERNAL : st;
}

/* Commit, or roll back when `st` (the work's status) is not ST_OK. */
static status finish(status st)
{
    if (st != ST_OK) {
        db_rollback();
        return st;
    }
    return db_commit();
}

status products_create(const product_fields *f, const char *actor, product *out)
{
    unsigned long l_name, l_desc, l_price, l_actor = strlen(actor);
    const char *desc = f->description ? f->description : "";
    int64_t qty = f->quantity;
    MYSQL_BIND p[4];
    bind_opt_str(&p[0], f->name, &l_name);
    bind_opt_str(&p[1], desc, &l_desc);
    bind_opt_str(&p[2], f->price, &l_price);
    db_bind_i64(&p[3], &qty);

    status st = db_begin();
    if (st != ST_OK)
        return st;
    MYSQL_STMT *s;
    st = db_exec(SQL_INSERT, p, &s, NULL);
    if (st == ST_OK) {
        out->id = (uint64_t)mysql_stmt_insert_id(s);
        db_done(s);
        MYSQL_BIND a[2];
        db_bind_str(&a[0], actor, &l_actor);
        db_bind_u64(&a[1], &out->id);
        st = db_exec(SQL_AUDIT_CREATE, a, NULL, NULL);
    }
    if ((st = finish(st)) != ST_OK)
        return st;
    /* The row is exactly what was bound, so no read-back: the caller passes
     * the price in DECIMAL(10,2)'s canonical form ("%.2f"). */
    snprintf(out->name, sizeof out->name, "%s", f->name);
    snprintf(out->description, sizeof out->description, "%s", desc);
    snprintf(out->price, sizeof out->price, "%s", f->price);
    out->quantity = f->quantity;
    out->version = 1;
    return ST_OK;
}

status products_get(uint64_t id, product *out)
{
    return get_one(SQL_GET, id, out);
}

/* Lock product `id` for this transaction and check the If-Match version. */
static status lock_checked(uint64_t id, uint64_t if_version, product *cur)
{
    status st = get_one(SQL_LOCK, id, cur);
    if (st == ST_OK && if_version != 0 && cur->version != if_version)
        st = ST_PRECONDITION;
    return st;
}

status products_update(uint64_t id, const product_fields *f, uint64_t if_version,
                       const char *actor, product *out)
{
    status st = db_begin();
    if (st != ST_OK)
        return st;
    st = lock_checked(id, if_version, out);
    if (st == ST_OK)
        st = audit_before(id, "update", actor);
    if (st == ST_OK) {
        unsigned long l_name, l_desc, l_price;
        int64_t qty = f->quantity;
        MYSQL_BIND p[6];
        bind_opt_str(&p[0], f->name, &l_name);
        bind_opt_str(&p[1], f->description, &l_desc);
        bind_opt_str(&p[2], f->price, &l_price);
        if (f->has_quantity)
            db_bind_i64(&p[3], &qty);
        else
            db_bind_null(&p[3]);
        db_bind_u64(&p[4], &id);
        db_bind_u64(&p[5], &out->version);
        uint64_t n = 0;
        st = db_exec(SQL_UPDATE, p, NULL, &n);
        if (st == ST_OK && n != 1) /* cannot happen under the lock; never write blind */
            st = ST_PRECONDITION;
    }
    if (st == ST_OK) {
        MYSQL_BIND a[1];
        db_bind_u64(&a[0], &id);
        st = db_exec(SQL_AUDIT_AFTER, a, NULL, NULL);
    }
    if (st == ST_OK)
        st = get_one(SQL_GET, id, out);
    return finish(st);
}

status products_delete(uint64_t id, uint64_t if_version, const char *actor)
{
    product *cur = malloc(sizeof *cur);
    if (!cur)
        return ST_NOMEM;
    status st = db_begin();
    if (st == ST_OK) {
        st = lock_checked(id, if_version, cur);
        if (st == ST_OK)
            st = audit_before(id, "delete", actor);
        if (st == ST_OK) {
            MYSQL_BIND p[2];
            db_bind_u64(&p[0], &id);
            db_bind_u64(&p[1], &cur->version);
            uint64_t n = 0;
            st = db_exec(SQL_DELETE, p, NULL, &n);
            if (st == ST_OK && n != 1)
                st = ST_PRECONDITION;
        }
        st = finish(st);
    }
    free(cur);
    return st;
}

status products_list(uint64_t after_id, uint64_t limit, products_row_fn row, void *ctx)
{
    uint64_t lim = limit ? limit : UINT64_MAX / 2;
    MYSQL_BIND p[2];
    db_bind_u64(&p[0], &after_id);
    db_bind_u64(&p[1], &lim);
    MYSQL_STMT *s;
    status st = db_exec(SQL_LIST, p, &s, NULL);
    if (st != ST_OK)
        return st;
    product *prod = malloc(sizeof *prod);
    if (!prod) {
        db_done(s);
        return ST_NOMEM;
    }
    row_binds b;
    bind_row(&b, prod);
    for (bool first = true;; first = false) {
        st = first ? db_fetch(s, b.r) : db_fetch_more(s, b.r);
        if (st == ST_NOT_FOUND) {
            st = ST_OK;
            break;
        }
        if (st != ST_OK)
            break;
        finish_row(&b, prod);
        st = row(prod, ctx);
        if (st != ST_OK)
            break;
    }
    db_done(s);
    free(prod);
    return st;
}

/* Column sizes for the history: before/after are a product's JSON at most. */
#define EVENT_JSON_MAX (PRODUCTS_NAME_MAX_BYTES * 6 + PRODUCTS_DESC_MAX_BYTES * 6 + 256)

typedef struct event_buf {
    char action[8];
    char username[65];
    char at[32];
    char before[EVENT_JSON_MAX];
    char after[EVENT_JSON_MAX];
} event_buf;

status products_history(uint64_t id, products_event_fn event, void *ctx)
{
    MYSQL_BIND p[1];
    db_bind_u64(&p[0], &id);
    MYSQL_STMT *s;
    status st = db_exec(SQL_HISTORY, p, &s, NULL);
    if (st != ST_OK)
        return st;
    event_buf *e = malloc(sizeof *e);
    if (!e) {
        db_done(s);
        return ST_NOMEM;
    }
    unsigned long len[5];
    my_bool null[5] = {0};
    MYSQL_BIND r[5];
    db_bind_out_str(&r[0], e->action, sizeof e->action, &len[0], &null[0]);
    db_bind_out_str(&r[1], e->username, sizeof e->username, &len[1], &null[1]);
    db_bind_out_str(&r[2], e->at, sizeof e->at, &len[2], &null[2]);
    db_bind_out_str(&r[3], e->before, sizeof e->before, &len[3], &null[3]);
    db_bind_out_str(&r[4], e->after, sizeof e->after, &len[4], &null[4]);
    size_t rows = 0;
    for (bool first = true;; first = false) {
        st = first ? db_fetch(s, r) : db_fetch_more(s, r);
        if (st == ST_NOT_FOUND) {
            st = rows ? ST_OK : ST_NOT_FOUND;
            break;
        }
        if (st != ST_OK)
            break;
        rows++;
        product_event ev = {e->action, e->username, e->at, e->before, e->after};
        st = event(&ev, ctx);
        if (st != ST_OK)
            break;
    }
    db_done(s);
    free(e);
    return st;
}
