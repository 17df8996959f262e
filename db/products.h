/*
 * products.h - the products table. Prices travel as decimal strings
 * ("1200.99") in both directions so they are never rounded through a double;
 * the version column is bumped by every change in the same statement.
 */
#ifndef INTEGRITY_PRODUCTS_H
#define INTEGRITY_PRODUCTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/status.h"

#define PRODUCTS_NAME_MAX_BYTES 1020 /* 255 characters of up to 4 bytes */
#define PRODUCTS_DESC_MAX_BYTES 8000 /* 2000 characters of up to 4 bytes */
#define PRODUCTS_PRICE_MAX_BYTES 16  /* "99999999.99" */

/* The stored routine (schema.sql) products_update() calls. bench/run.sh
 * replays it for PUT's database-alone rate (bench/put_routine.c prints it). */
#define PRODUCTS_UPDATE_ROUTINE "product_update_v2"

typedef struct product {
    uint64_t id;
    char name[PRODUCTS_NAME_MAX_BYTES + 1];
    char description[PRODUCTS_DESC_MAX_BYTES + 1];
    char price[PRODUCTS_PRICE_MAX_BYTES + 1];
    int64_t quantity;
    uint64_t version;
} product;

/* The fields a write sets: NULL / has_quantity false means "leave as is". */
typedef struct product_fields {
    const char *name;
    const char *description;
    const char *price; /* a decimal string with at most 2 decimals */
    bool has_quantity;
    int64_t quantity;
} product_fields;

/* An Idempotency-Key of POST /products (SPEC 11) and the fingerprint of the
 * request it came with (what makes two requests "the same"; the caller
 * decides, see server/validate.h). */
#define PRODUCTS_IDEM_KEY_MAX 255
#define PRODUCTS_IDEM_HASH_LEN 32
typedef struct products_idem {
    const char *key; /* 1..PRODUCTS_IDEM_KEY_MAX bytes, compared byte for byte */
    size_t key_len;
    unsigned char hash[PRODUCTS_IDEM_HASH_LEN];
} products_idem;

/* Keys count for this long; older rows are replaced by a create with their
 * key, and purged PRODUCTS_IDEM_PURGE_BATCH at a time by each keyed create. */
#define PRODUCTS_IDEM_HOURS 24
#define PRODUCTS_IDEM_PURGE_BATCH 100

/*
 * Insert a product (name, price and quantity set; description may be NULL
 * for "") and its "create" audit row by `actor`, in one transaction. On ST_OK
 * *out holds the stored row and *replayed is false.
 *
 * With `idem` (NULL: none, and nothing of the above changes), the key is
 * `actor`'s (the user of that name; ignoring case, as usernames are), and
 * stored in the same transaction as the product. Two calls with one key by
 * one user within PRODUCTS_IDEM_HOURS, on any instance and any node, create
 * one product between them:
 * - ST_OK, *replayed false: created now.
 * - ST_OK, *replayed true: the key was used first with the same hash; *out
 *   is the product that call created, as it created it (version 1), even if
 *   it has changed or gone since; nothing is written.
 * - ST_CONFLICT: the key was used first with another hash; nothing is written.
 * - ST_REVOKED: no user is named `actor` (deleted since its token was checked).
 * Otherwise the errors of db_exec; ST_UNAVAILABLE may have committed, and
 * the same call again answers the first outcome.
 */
status products_create(const product_fields *f, const char *actor, const products_idem *idem,
                       product *out, bool *replayed);

/*
 * One product by id. ST_NOT_FOUND when there is none. With `epoch` (may be
 * NULL), the same statement reads the revocation epoch (revocations.h) and
 * the answer is ST_RECHECK, *out untouched, when it is not *epoch: a token
 * found good at *epoch may have been revoked since.
 */
status products_get(uint64_t id, const uint64_t *epoch, product *out);

/*
 * Update the fields set in *f of product `id`, bumping its version, only when
 * `if_version` is 0 or equals the current version, and write the "update"
 * audit row by `actor` (fields before and after) in the same transaction. On
 * ST_OK *out holds the updated row. ST_NOT_FOUND, or ST_PRECONDITION when the
 * version differs; either way nothing changed.
 */
status products_update(uint64_t id, const product_fields *f, uint64_t if_version, const char *actor,
                       product *out);

/* Delete product `id` under the same version rule as products_update, with
 * its "delete" audit row, in one transaction. */
status products_delete(uint64_t id, uint64_t if_version, const char *actor);

/* One audit entry; before/after are JSON objects as text ("null" when absent). */
typedef struct product_event {
    uint64_t seq;       /* increasing along a product's history */
    const char *action; /* "create", "update", "delete" */
    const char *username;
    const char *at; /* ISO 8601 UTC with milliseconds */
    const char *before;
    const char *after;
} product_event;

/*
 * Call `event` for each audit row of product `id` with a seq above
 * `after_seq`, oldest first, at most `limit` rows, streaming from the server.
 * ST_NOT_FOUND when the product has no history at all (it never existed); a
 * page past the end of an existing history is ST_OK with no call. Stops
 * early with the callback's status if it returns anything but ST_OK.
 */
typedef status (*products_event_fn)(const product_event *e, void *ctx);
status products_history(uint64_t id, uint64_t after_seq, uint64_t limit, products_event_fn event,
                        void *ctx);

/*
 * Call `row` for each product with id > after_id in id order, at most `limit`
 * rows (0: no limit), streaming from the server without buffering the result.
 * Stops early with the callback's status if it returns anything but ST_OK.
 * With `epoch` (may be NULL), ST_RECHECK without any call of `row` when the
 * revocation epoch the statement reads is not *epoch, or when there is no
 * row (an empty page and a moved epoch look the same), as products_get.
 */
typedef status (*products_row_fn)(const product *p, void *ctx);
status products_list(uint64_t after_id, uint64_t limit, const uint64_t *epoch, products_row_fn row,
                     void *ctx);

#endif
