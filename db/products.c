/*
 * products.c - DAO for the products table (see products.h). Prepared
 * statements only.
 */
#include "db/products.h"

#include <stdio.h>
#include <string.h>

#include "db/db_internal.h"

#define COLUMNS "id, name, description, price, quantity, version"

static const char SQL_INSERT[] =
    "INSERT INTO products (name, description, price, quantity) VALUES (?, ?, ?, ?)";
static const char SQL_GET[] = "SELECT " COLUMNS " FROM products WHERE id = ?";
static const char SQL_GET_LOCKED[] = "SELECT " COLUMNS " FROM products WHERE id = ? FOR UPDATE";
static const char SQL_UPDATE[] =
    "UPDATE products SET name = IFNULL(?, name), description = IFNULL(?, description),"
    " price = IFNULL(?, price), quantity = IFNULL(?, quantity), version = version + 1"
    " WHERE id = ? AND (? = 0 OR version = ?)";
static const char SQL_DELETE[] = "DELETE FROM products WHERE id = ? AND (? = 0 OR version = ?)";
static const char SQL_EXISTS[] = "SELECT version FROM products WHERE id = ?";
static const char SQL_LIST[] =
    "SELECT " COLUMNS " FROM products WHERE id > ? ORDER BY id LIMIT ?";

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

status products_create(const product_fields *f, product *out)
{
    unsigned long l_name, l_desc, l_price;
    const char *desc = f->description ? f->description : "";
    MYSQL_BIND p[4];
    bind_opt_str(&p[0], f->name, &l_name);
    bind_opt_str(&p[1], desc, &l_desc);
    bind_opt_str(&p[2], f->price, &l_price);
    int64_t qty = f->quantity;
    db_bind_i64(&p[3], &qty);
    MYSQL_STMT *s;
    status st = db_exec(SQL_INSERT, p, &s, NULL);
    if (st != ST_OK)
        return st;
    out->id = (uint64_t)mysql_stmt_insert_id(s);
    db_done(s);
    /* The row is exactly what was bound, so no second round trip: the caller
     * passes the price in DECIMAL(10,2)'s canonical form ("%.2f"). */
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

/* Why a conditional write matched no row: gone (404) or another version (412). */
static status explain_miss(uint64_t id)
{
    MYSQL_BIND p[1];
    db_bind_u64(&p[0], &id);
    MYSQL_STMT *s;
    status st = db_exec(SQL_EXISTS, p, &s, NULL);
    if (st != ST_OK)
        return st;
    int64_t v;
    my_bool null = 0;
    MYSQL_BIND r[1];
    db_bind_out_i64(&r[0], &v, &null);
    st = db_fetch(s, r);
    db_done(s);
    return st == ST_OK ? ST_PRECONDITION : st;
}

status products_update(uint64_t id, const product_fields *f, uint64_t if_version, product *out)
{
    unsigned long l_name, l_desc, l_price;
    int64_t qty = f->quantity, ifv = (int64_t)if_version;
    MYSQL_BIND p[7];
    bind_opt_str(&p[0], f->name, &l_name);
    bind_opt_str(&p[1], f->description, &l_desc);
    bind_opt_str(&p[2], f->price, &l_price);
    if (f->has_quantity)
        db_bind_i64(&p[3], &qty);
    else
        db_bind_null(&p[3]);
    db_bind_u64(&p[4], &id);
    db_bind_i64(&p[5], &ifv);
    db_bind_i64(&p[6], &ifv);

    /* UPDATE then SELECT in one transaction: the row lock taken by the
     * UPDATE makes the SELECT return exactly the version this write made. */
    status st = db_begin();
    if (st != ST_OK)
        return st;
    uint64_t n = 0;
    st = db_exec(SQL_UPDATE, p, NULL, &n);
    if (st == ST_OK && n == 0)
        st = explain_miss(id);
    if (st == ST_OK)
        st = get_one(SQL_GET_LOCKED, id, out);
    if (st != ST_OK) {
        db_rollback();
        return st;
    }
    return db_commit();
}

status products_delete(uint64_t id, uint64_t if_version)
{
    int64_t ifv = (int64_t)if_version;
    MYSQL_BIND p[3];
    db_bind_u64(&p[0], &id);
    db_bind_i64(&p[1], &ifv);
    db_bind_i64(&p[2], &ifv);
    uint64_t n = 0;
    status st = db_exec(SQL_DELETE, p, NULL, &n);
    if (st != ST_OK)
        return st;
    return n == 1 ? ST_OK : explain_miss(id);
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
    product prod;
    row_binds b;
    bind_row(&b, &prod);
    for (bool first = true;; first = false) {
        st = first ? db_fetch(s, b.r) : db_fetch_more(s, b.r);
        if (st == ST_NOT_FOUND) {
            st = ST_OK;
            break;
        }
        if (st != ST_OK)
            break;
        finish_row(&b, &prod);
        st = row(&prod, ctx);
        if (st != ST_OK)
            break;
    }
    db_done(s);
    return st;
}
