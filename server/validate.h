/*
 * validate.h - the input rules of SPEC 2, 3 and 6 as pure functions: request
 * bodies (already parsed JSON objects), the product id in the path, the page
 * query, If-Match, Authorization, Accept and Idempotency-Key headers, and
 * the fingerprint that tells two product bodies apart. No I/O, no HTTP: the
 * route files call these and render the answer, and the fuzz targets call
 * them directly. Field errors come back as a cJSON object of
 * field -> reason (the caller frees it), NULL when the input is valid.
 * The body checks share one shape, (body, out), so that one helper reads
 * and checks every route's body (http_read_body); `out` is the struct
 * named beside each.
 */
#ifndef INTEGRITY_VALIDATE_H
#define INTEGRITY_VALIDATE_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/status.h"
#include "crypto/recovery.h"
#include "db/products.h"

#define VALIDATE_USERNAME_MIN 3
#define VALIDATE_USERNAME_MAX 64
#define VALIDATE_PASSWORD_MIN 8
#define VALIDATE_PAGE_MAX 1000

/* {"username", "password"} of /signup and /login; pointers into `body`. */
typedef struct credentials {
    const char *username;
    const char *password;
    size_t password_len;
} credentials;
cJSON *validate_credentials(const cJSON *body, void *out /* credentials */);

/* A second factor: a TOTP code (`code`, 6 digits, points into the body) or
 * a recovery code (`recovery_code`, its canonical 12 characters). */
typedef struct second_factor {
    const char *code; /* NULL when a recovery code was sent */
    bool is_recovery;
    char recovery_code[RECOVERY_CODE_LEN + 1];
} second_factor;

/* {"username", "code"} or {"username", "recovery_code"} of /verify-2fa,
 * exactly one of the two: code a string of exactly 6 digits, recovery_code
 * 12 characters of a-z2-7 ignoring case and dashes (at most 64 in all). */
typedef struct code_request {
    const char *username;
    const char *code; /* = factor.code */
    second_factor factor;
} code_request;
cJSON *validate_code_request(const cJSON *body, void *out /* code_request */);

/* {"password"} of POST /account/recovery-codes and /account/2fa/reset. */
typedef struct password_request {
    const char *password;
    size_t password_len;
} password_request;
cJSON *validate_password_request(const cJSON *body, void *out /* password_request */);

/* {"old_password", "new_password"} of POST /account/password: both obey the
 * sign-up rule (8..72 bytes). */
typedef struct password_change {
    const char *old_password, *new_password;
    size_t old_len, new_len;
} password_change;
cJSON *validate_password_change(const cJSON *body, void *out /* password_change */);

/* {"password", "code"} of DELETE /account: code a TOTP code or a recovery
 * code. */
typedef struct account_delete {
    const char *password;
    size_t password_len;
    second_factor factor;
} account_delete;
cJSON *validate_account_delete(const cJSON *body, void *out /* account_delete */);

/*
 * A product body: `partial` (set by the caller: PUT/PATCH) makes every field
 * optional, at least one; `f` gets pointers into `body` and into `price`,
 * which holds the price's canonical text.
 */
typedef struct product_input {
    bool partial;
    product_fields f;
    char price[16];
} product_input;
cJSON *validate_product(const cJSON *body, void *in_out /* product_input */);

/* A product id: 1..2^63-1 in plain decimal (no sign, no leading zero). */
bool validate_id(const char *s, size_t n, uint64_t *out);

/* A page query (GET /products, GET /products/<id>/history): limit 1..1000
 * and `cursor` (after_id, after_seq) >= 0, each at most once; other keys
 * are ignored. `paged` when either is given (limit defaults to 1000 then).
 * False on a bad value. */
typedef struct page {
    uint64_t limit;
    uint64_t after;
    bool paged;
} page;
bool validate_page(const char *query, const char *cursor, page *out);

/* If-Match: NULL -> 0 (no condition), "*" -> 0, "<n>" -> n; anything else
 * UINT64_MAX, a version that never matches: W/"<n>" among them, since
 * If-Match compares strongly and a weak tag never matches (RFC 9110 13.1.1). */
uint64_t validate_if_match(const char *header);

/* Idempotency-Key (SPEC 11): 1..PRODUCTS_IDEM_KEY_MAX characters, each
 * printable ASCII (0x20..0x7E), once the white space (SP, HTAB) around the
 * value is dropped, which is not part of it (RFC 9110 5.5). True with *key
 * (into `header`) and *len set when `header` is one; false for NULL, "",
 * blanks only and anything else. */
bool validate_idempotency_key(const char *header, const char **key, size_t *len);

/*
 * The fingerprint an Idempotency-Key compares requests by: SHA-256 over the
 * validated, canonical fields of a whole product body (`f` from
 * validate_product, partial false), so two bodies are "the same" exactly
 * when they would store the same product: key order, white space, number
 * spellings (1.5, 1.50, 15e-1) and an absent description against "" do not
 * matter, every value does. Framing: a label, then name, description,
 * price (its "%.2f" text) and quantity (decimal), each preceded by its
 * length as 8 bytes big-endian, so no two field lists share an input.
 * ST_INTERNAL when OpenSSL fails (out is then zeroed).
 */
#define VALIDATE_DIGEST_LABEL "integrity-api/product-create/v1"
status validate_product_digest(const product_fields *f, unsigned char out[PRODUCTS_IDEM_HASH_LEN]);

/* "Bearer <token>" with exactly one space and a non-empty token without
 * spaces: *token points into `header`. */
bool validate_bearer(const char *header, const char **token);

/* True when an Accept header prefers application/json to image/png (q-values,
 * most specific range wins; no header prefers neither: the PNG). */
bool validate_prefers_json(const char *accept);

#endif
