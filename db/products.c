/*
 * products.c - DAO for the products table, its audit trail and the
 * Idempotency-Keys of its creates (idempotency_keys, SPEC 11; see
 * products.h). Prepared statements only. Every write is one CALL of a stored
 * routine (schema.sql) that runs the change and its product_history row in
 * one transaction: they commit together or not at all, in one round trip
 * (the statements in C took four or five: the benchmark's PUT was bound by
 * them). The audit JSON is made by the database (JSON_OBJECT) from the
 * locked row and from the values written, held in variables of the columns'
 * own types, so it is exactly what was stored.
 */
#include "db/products.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/db_internal.h"

#define COLUMNS "id, name, description, price, quantity, version"

static const char SQL_GET[] = "SELECT " COLUMNS " FROM products WHERE id = ?";
static const char SQL_LIST[] = "SELECT " COLUMNS " FROM products WHERE id > ? ORDER BY id LIMIT ?";
/* The same reads with the revocation epoch (revocations.h) of their own
 * snapshot: one more row lookup by a one-byte primary key, where asking about
 * the token again was a round trip of its own. The product read keeps its
 * one row when there is no product (the product's columns NULL). The list
 * does not carry the epoch in each of its rows (a column more to decode per
 * row cost the page about 3 % of the server's instructions): it compares it
 * with the caller's, and a moved epoch gives no row at all (MariaDB sees an
 * impossible WHERE once it has read the one epoch row). */
#define P_COLUMNS "p.id, p.name, p.description, p.price, p.quantity, p.version"
static const char SQL_GET_EPOCH[] = "SELECT " P_COLUMNS ", e.n FROM revocation_epoch e"
                                    " LEFT JOIN products p ON p.id = ? WHERE e.id = 1";
static const char SQL_LIST_EPOCH[] = "SELECT " P_COLUMNS " FROM revocation_epoch e"
                                     " JOIN products p ON p.id > ? WHERE e.id = 1 AND e.n = ?"
                                     " ORDER BY p.id LIMIT ?";
static const char SQL_CREATE[] = "CALL product_create_v1(?, ?, ?, ?, ?)";
static const char SQL_CREATE_IDEM[] = "CALL product_create_idem_v1(?, ?, ?, ?, ?, ?, ?)";
/* Rows of keys that no longer count. By created_at's index; its bound is the
 * routine's, so a row this deletes is one a create would replace anyway. */
static const char SQL_IDEM_PURGE[] = "DELETE FROM idempotency_keys WHERE created_at < NOW(3)"
                                     " - INTERVAL ? HOUR LIMIT ?";
static const char SQL_UPDATE[] = "CALL " PRODUCTS_UPDATE_ROUTINE "(?, ?, ?, ?, ?, ?, ?)";
static const char SQL_DELETE[] = "CALL product_delete_v1(?, ?, ?)";
static const char SQL_HISTORY[] =
    "SELECT id, action, username,"
    " CONCAT(DATE_FORMAT(at, '%Y-%m-%dT%H:%i:%s.'), LPAD(FLOOR(MICROSECOND(at) / 1000), 3, '0'),"
    " 'Z'), IFNULL(before_json, 'null'), IFNULL(after_json, 'null')"
    " FROM product_history WHERE product_id = ? AND id > ? ORDER BY id LIMIT ?";
static const char SQL_HISTORY_ANY[] = "SELECT 1 FROM product_history WHERE product_id = ? LIMIT 1";

/* A product's JSON as MySQL writes it (every character escaped at worst). */
#define PRODUCT_JSON_MAX (PRODUCTS_NAME_MAX_BYTES * 6 + PRODUCTS_DESC_MAX_BYTES * 6 + 256)

/* Result bindings for COLUMNS into *p. */
typedef struct row_binds {
    MYSQL_BIND r[7]; /* r[6]: the revocation epoch of the reads that ask for it */
    unsigned long len[7];
    my_bool null[7];
    int64_t id, version;
    uint64_t epoch;
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
    db_bind_out_u64(&b->r[6], &b->epoch, &b->null[6]);
}

/* A read with the epoch saw `b`'s: ST_OK when it is *epoch, else
 * ST_RECHECK. */
static status epoch_check(const row_binds *b, const uint64_t *epoch)
{
    return !b->null[6] && b->epoch == *epoch ? ST_OK : ST_RECHECK;
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

/* Run a one-row SELECT of COLUMNS by id: SQL_GET, or with `epoch`
 * SQL_GET_EPOCH (ST_RECHECK when its epoch is not *epoch). */
static status get_one(uint64_t id, const uint64_t *epoch, product *out)
{
    MYSQL_BIND p[1];
    db_bind_u64(&p[0], &id);
    row_binds b;
    bind_row(&b, out);
    status st = db_row(epoch ? SQL_GET_EPOCH : SQL_GET, p, b.r);
    if (st == ST_OK && epoch)
        st = epoch_check(&b, epoch) != ST_OK ? ST_RECHECK : b.null[0] ? ST_NOT_FOUND : ST_OK;
    else if (st == ST_NOT_FOUND && epoch)
        st = ST_RECHECK; /* no epoch row */
    if (st == ST_OK)
        finish_row(&b, out);
    return st;
}

/* The outcome column of the update and delete routines. */
static status outcome_status(int64_t outcome)
{
    switch (outcome) {
    case 0:
        return ST_OK;
    case 1:
        return ST_NOT_FOUND;
    case 2:
        return ST_PRECONDITION;
    default:
        return ST_INTERNAL;
    }
}

/* The outcome column of product_create_idem_v1. */
enum { IDEM_CREATED = 0, IDEM_REPLAY = 1, IDEM_REUSED = 2, IDEM_NO_USER = 3 };

/* Delete a bounded batch of expired key rows. It rides on the keyed creates,
 * bounded, instead of a cron job (as revocations_add's purge); a failure
 * loses nothing (the next create purges), so it is not the caller's error. */
static void idem_purge(void)
{
    int64_t hours = PRODUCTS_IDEM_HOURS, batch = PRODUCTS_IDEM_PURGE_BATCH;
    MYSQL_BIND q[2];
    db_bind_i64(&q[0], &hours);
    db_bind_i64(&q[1], &batch);
    (void)db_exec(SQL_IDEM_PURGE, q, NULL, NULL);
}

/* The routine's answer other than "created": for a replay, the product as
 * first created, already fetched into *out (null[] flags its columns). */
static status idem_answer(int64_t outcome, int64_t id, const my_bool *null, product *out,
                          bool *replayed)
{
    switch (outcome) {
    case IDEM_REPLAY:
        if (id <= 0 || null[2] || null[3] || null[4] || null[5])
            return ST_INTERNAL;
        out->id = (uint64_t)id;
        out->version = 1; /* the first answer's ETag */
        *replayed = true;
        return ST_OK;
    case IDEM_REUSED:
        return ST_CONFLICT;
    case IDEM_NO_USER:
        return ST_REVOKED;
    default:
        return ST_INTERNAL;
    }
}

status products_create(const product_fields *f, const char *actor, const products_idem *idem,
                       product *out, bool *replayed)
{
    unsigned long l_name, l_desc, l_price, l_actor = strlen(actor);
    const char *desc = f->description ? f->description : "";
    int64_t qty = f->quantity;
    MYSQL_BIND p[7];
    *replayed = false;
    bind_opt_str(&p[0], f->name, &l_name);
    bind_opt_str(&p[1], desc, &l_desc);
    bind_opt_str(&p[2], f->price, &l_price);
    db_bind_i64(&p[3], &qty);
    db_bind_str(&p[4], actor, &l_actor);

    int64_t outcome = IDEM_CREATED, id = 0;
    my_bool null[6] = {0};
    unsigned long len[6];
    MYSQL_BIND r[6];
    status st;
    if (!idem) {
        db_bind_out_i64(&r[0], &id, &null[0]);
        st = db_call_row(SQL_CREATE, p, r);
    } else {
        unsigned long l_hash = sizeof idem->hash, l_key = (unsigned long)idem->key_len;
        db_bind_str(&p[5], idem->key, &l_key);
        p[5].buffer_type = MYSQL_TYPE_BLOB; /* bytes, never converted */
        db_bind_str(&p[6], (const char *)idem->hash, &l_hash);
        p[6].buffer_type = MYSQL_TYPE_BLOB;
        db_bind_out_i64(&r[0], &outcome, &null[0]);
        db_bind_out_i64(&r[1], &id, &null[1]);
        db_bind_out_str(&r[2], out->name, sizeof out->name, &len[2], &null[2]);
        db_bind_out_str(&r[3], out->description, sizeof out->description, &len[3], &null[3]);
        db_bind_out_str(&r[4], out->price, sizeof out->price, &len[4], &null[4]);
        db_bind_out_i64(&r[5], &out->quantity, &null[5]);
        st = db_call_row(SQL_CREATE_IDEM, p, r);
        if (st == ST_OK && (null[0] || null[1]) && outcome != IDEM_NO_USER)
            st = ST_INTERNAL;
        if (st == ST_OK && outcome != IDEM_CREATED)
            return idem_answer(outcome, id, null, out, replayed);
    }
    if (st != ST_OK)
        return st;
    if (null[idem ? 1 : 0] || id <= 0)
        return ST_INTERNAL;
    /* The row is exactly what was bound, so no read-back: the caller passes
     * the price in DECIMAL(10,2)'s canonical form ("%.2f"). */
    out->id = (uint64_t)id;
    snprintf(out->name, sizeof out->name, "%s", f->name);
    snprintf(out->description, sizeof out->description, "%s", desc);
    snprintf(out->price, sizeof out->price, "%s", f->price);
    out->quantity = f->quantity;
    out->version = 1;
    if (idem)
        idem_purge();
    return ST_OK;
}

status products_get(uint64_t id, const uint64_t *epoch, product *out)
{
    return get_one(id, epoch, out);
}

status products_update(uint64_t id, const product_fields *f, uint64_t if_version, const char *actor,
                       product *out)
{
    /* One round trip: the routine locks, checks, updates, writes the audit
     * row and answers the stored row in its own transaction (schema.sql). */
    unsigned long l_name, l_desc, l_price, l_actor = strlen(actor);
    int64_t qty = f->quantity;
    MYSQL_BIND p[7];
    db_bind_u64(&p[0], &id);
    db_bind_u64(&p[1], &if_version);
    bind_opt_str(&p[2], f->name, &l_name);
    bind_opt_str(&p[3], f->description, &l_desc);
    bind_opt_str(&p[4], f->price, &l_price);
    if (f->has_quantity)
        db_bind_i64(&p[5], &qty);
    else
        db_bind_null(&p[5]);
    db_bind_str(&p[6], actor, &l_actor);

    int64_t outcome = -1;
    my_bool outcome_null = 0;
    row_binds b;
    bind_row(&b, out);
    MYSQL_BIND r[7];
    db_bind_out_i64(&r[0], &outcome, &outcome_null);
    memcpy(&r[1], b.r, 6 * sizeof b.r[0]); /* the product's columns, not the epoch */
    status st = db_call_row(SQL_UPDATE, p, r);
    if (st == ST_OK && (st = outcome_status(outcome)) == ST_OK)
        finish_row(&b, out);
    return st;
}

status products_delete(uint64_t id, uint64_t if_version, const char *actor)
{
    unsigned long l_actor = strlen(actor);
    MYSQL_BIND p[3];
    db_bind_u64(&p[0], &id);
    db_bind_u64(&p[1], &if_version);
    db_bind_str(&p[2], actor, &l_actor);
    int64_t outcome = -1;
    my_bool outcome_null = 0;
    MYSQL_BIND r[1];
    db_bind_out_i64(&r[0], &outcome, &outcome_null);
    status st = db_call_row(SQL_DELETE, p, r);
    return st != ST_OK ? st : outcome_status(outcome);
}

/* One row of a list: the product its buffers hold, and where it goes. */
typedef struct list_rows {
    row_binds b;
    product *prod;
    products_row_fn row;
    void *ctx;
} list_rows;

static status list_row(void *arg)
{
    list_rows *w = arg;
    finish_row(&w->b, w->prod);
    return w->row(w->prod, w->ctx);
}

status products_list(uint64_t after_id, uint64_t limit, const uint64_t *epoch, products_row_fn row,
                     void *ctx)
{
    uint64_t lim = limit ? limit : UINT64_MAX / 2;
    uint64_t want = epoch ? *epoch : 0;
    MYSQL_BIND p[3];
    size_t np = 0;
    db_bind_u64(&p[np++], &after_id);
    if (epoch)
        db_bind_u64(&p[np++], &want);
    db_bind_u64(&p[np++], &lim);
    list_rows w = {.prod = malloc(sizeof(product)), .row = row, .ctx = ctx};
    if (!w.prod)
        return ST_NOMEM;
    bind_row(&w.b, w.prod); /* the list's six columns: r[6] stays unused */
    size_t rows = 0;
    status st = db_each(epoch ? SQL_LIST_EPOCH : SQL_LIST, p, w.b.r, list_row, &w, &rows);
    free(w.prod);
    /* No row: the epoch moved, or there is nothing after `after_id`. */
    return st == ST_OK && rows == 0 && epoch ? ST_RECHECK : st;
}

typedef struct event_buf {
    char action[8];
    char username[65];
    char at[32];
    char before[PRODUCT_JSON_MAX];
    char after[PRODUCT_JSON_MAX];
} event_buf;

/* ST_OK when product `id` has any history row, ST_NOT_FOUND when none. */
static status history_exists(uint64_t id)
{
    MYSQL_BIND p[1];
    db_bind_u64(&p[0], &id);
    int64_t one = 0;
    MYSQL_BIND r[1];
    db_bind_i64(&r[0], &one);
    return db_row(SQL_HISTORY_ANY, p, r);
}

/* One history row: the event its buffers hold, and where it goes. */
typedef struct history_rows {
    event_buf *e;
    uint64_t seq;
    products_event_fn event;
    void *ctx;
} history_rows;

static status history_row(void *arg)
{
    history_rows *w = arg;
    event_buf *e = w->e;
    product_event ev = {w->seq, e->action, e->username, e->at, e->before, e->after};
    return w->event(&ev, w->ctx);
}

status products_history(uint64_t id, uint64_t after_seq, uint64_t limit, products_event_fn event,
                        void *ctx)
{
    MYSQL_BIND p[3];
    db_bind_u64(&p[0], &id);
    db_bind_u64(&p[1], &after_seq);
    db_bind_u64(&p[2], &limit);
    history_rows w = {.e = malloc(sizeof(event_buf)), .event = event, .ctx = ctx};
    if (!w.e)
        return ST_NOMEM;
    event_buf *e = w.e;
    unsigned long len[6];
    my_bool null[6] = {0};
    MYSQL_BIND r[6];
    db_bind_u64(&r[0], &w.seq);
    db_bind_out_str(&r[1], e->action, sizeof e->action, &len[1], &null[1]);
    db_bind_out_str(&r[2], e->username, sizeof e->username, &len[2], &null[2]);
    db_bind_out_str(&r[3], e->at, sizeof e->at, &len[3], &null[3]);
    db_bind_out_str(&r[4], e->before, sizeof e->before, &len[4], &null[4]);
    db_bind_out_str(&r[5], e->after, sizeof e->after, &len[5], &null[5]);
    size_t rows = 0;
    status st = db_each(SQL_HISTORY, p, r, history_row, &w, &rows);
    free(e);
    /* No row: a product that never existed, or a page past the end of one
     * that did (then an empty page). */
    if (st == ST_OK && rows == 0)
        st = after_seq == 0 ? ST_NOT_FOUND : history_exists(id);
    return st;
}
