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
/* A product's JSON as MySQL writes it (every character escaped at worst). */
#define PRODUCT_JSON_MAX (PRODUCTS_NAME_MAX_BYTES * 6 + PRODUCTS_DESC_MAX_BYTES * 6 + 256)
#define ROW_JSON                                                                                   \
    "JSON_OBJECT('id', id, 'name', name, 'description', description, 'price', price,"              \
    " 'quantity', quantity)"

static const char SQL_INSERT[] =
    "INSERT INTO products (name, description, price, quantity) VALUES (?, ?, ?, ?)";
static const char SQL_GET[] = "SELECT " COLUMNS " FROM products WHERE id = ?";
static const char SQL_LOCK[] =
    "SELECT " COLUMNS ", " ROW_JSON " FROM products WHERE id = ? FOR UPDATE";
static const char SQL_UPDATE[] =
    "UPDATE products SET name = IFNULL(?, name), description = IFNULL(?, description),"
    " price = IFNULL(?, price), quantity = IFNULL(?, quantity), version = version + 1"
    " WHERE id = ? AND version = ?";
static const char SQL_DELETE[] = "DELETE FROM products WHERE id = ? AND version = ?";
static const char SQL_LIST[] = "SELECT " COLUMNS " FROM products WHERE id > ? ORDER BY id LIMIT ?";

/* Audit rows. The "before" image is read with the row lock (SQL_LOCK), the
 * "after" image made by the database from the row as just written: one
 * INSERT per change, in the change's transaction. */
static const char SQL_AUDIT_CREATE[] =
    "INSERT INTO product_history (product_id, action, username, after_json)"
    " SELECT id, 'create', ?, " ROW_JSON " FROM products WHERE id = ?";
static const char SQL_AUDIT_UPDATE[] =
    "INSERT INTO product_history (product_id, action, username, before_json, after_json)"
    " SELECT id, 'update', ?, ?, " ROW_JSON " FROM products WHERE id = ?";
static const char SQL_AUDIT_DELETE[] =
    "INSERT INTO product_history (product_id, action, username, before_json)"
    " VALUES (?, 'delete', ?, ?)";
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

/*
 * Lock product `id` FOR UPDATE in the open transaction, read it into *cur and
 * its JSON image into before[PRODUCT_JSON_MAX], and check the If-Match
 * version (0: any). ST_NOT_FOUND, ST_PRECONDITION or a database error.
 */
static status lock_checked(uint64_t id, uint64_t if_version, product *cur, char *before)
{
    MYSQL_BIND p[1];
    db_bind_u64(&p[0], &id);
    MYSQL_STMT *s;
    status st = db_exec(SQL_LOCK, p, &s, NULL);
    if (st != ST_OK)
        return st;
    row_binds b;
    bind_row(&b, cur);
    MYSQL_BIND r[7];
    memcpy(r, b.r, sizeof b.r);
    unsigned long len;
    my_bool null = 0;
    db_bind_out_str(&r[6], before, PRODUCT_JSON_MAX, &len, &null);
    st = db_fetch(s, r);
    db_done(s);
    if (st != ST_OK)
        return st;
    finish_row(&b, cur);
    if (if_version != 0 && cur->version != if_version)
        return ST_PRECONDITION;
    return ST_OK;
}

/* Apply the fields set in *f to *p, as the UPDATE does in the database. */
static void merge_fields(product *p, const product_fields *f)
{
    if (f->name)
        snprintf(p->name, sizeof p->name, "%s", f->name);
    if (f->description)
        snprintf(p->description, sizeof p->description, "%s", f->description);
    if (f->price)
        snprintf(p->price, sizeof p->price, "%s", f->price);
    if (f->has_quantity)
        p->quantity = f->quantity;
    p->version++;
}

status products_update(uint64_t id, const product_fields *f, uint64_t if_version, const char *actor,
                       product *out)
{
    char *before = malloc(PRODUCT_JSON_MAX);
    if (!before)
        return ST_NOMEM;
    status st = db_begin();
    if (st != ST_OK)
        goto out;
    st = lock_checked(id, if_version, out, before);
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
        unsigned long l_actor = strlen(actor), l_before = strlen(before);
        MYSQL_BIND a[3];
        db_bind_str(&a[0], actor, &l_actor);
        db_bind_str(&a[1], before, &l_before);
        db_bind_u64(&a[2], &id);
        st = db_exec(SQL_AUDIT_UPDATE, a, NULL, NULL);
    }
    st = finish(st);
    /* The stored row is the locked one with the sent fields applied: the
     * price text is already DECIMAL(10,2)'s canonical form. */
    if (st == ST_OK)
        merge_fields(out, f);
out:
    free(before);
    return st;
}

status products_delete(uint64_t id, uint64_t if_version, const char *actor)
{
    product *cur = malloc(sizeof *cur);
    char *before = malloc(PRODUCT_JSON_MAX);
    status st = cur && before ? db_begin() : ST_NOMEM;
    if (st != ST_OK)
        goto out;
    st = lock_checked(id, if_version, cur, before);
    if (st == ST_OK) {
        MYSQL_BIND p[2];
        db_bind_u64(&p[0], &id);
        db_bind_u64(&p[1], &cur->version);
        uint64_t n = 0;
        st = db_exec(SQL_DELETE, p, NULL, &n);
        if (st == ST_OK && n != 1)
            st = ST_PRECONDITION;
    }
    if (st == ST_OK) {
        unsigned long l_actor = strlen(actor), l_before = strlen(before);
        MYSQL_BIND a[3];
        db_bind_u64(&a[0], &id);
        db_bind_str(&a[1], actor, &l_actor);
        db_bind_str(&a[2], before, &l_before);
        st = db_exec(SQL_AUDIT_DELETE, a, NULL, NULL);
    }
    st = finish(st);
out:
    free(cur);
    free(before);
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

typedef struct event_buf {
    char action[8];
    char username[65];
    char at[32];
    char before[PRODUCT_JSON_MAX];
    char after[PRODUCT_JSON_MAX];
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
