/*
 * routes.h - the route callbacks, one file per resource: routes_auth.c
 * (/signup, /login, /verify-2fa), routes_products.c (/products...) and
 * routes_ops.c (/healthz, /readyz, /openapi.yaml) and routes_web.c (/, /docs,
 * /assets/<name>). main.c puts them in the route table.
 */
#ifndef INTEGRITY_ROUTES_H
#define INTEGRITY_ROUTES_H

#include "crypto/recovery.h"
#include "server/config.h"
#include "server/http.h"
#include "common/status.h"

/* Start-up work for the auth routes: the bcrypt gate and its helper process
 * (crypto/hashgate.h; call it while the process has a single thread). On
 * failure it has undone itself. routes_auth_free() stops the helper. */
status routes_auth_init(const config *cfg);
void routes_auth_free(void);

void route_signup(request *r);
void route_login(request *r);
void route_verify_2fa(request *r);

/* SPEC 9 (routes_account.c). */
void route_logout(request *r);
void route_account_recovery_codes(request *r);
void route_account_2fa_reset(request *r);
void route_account_password(request *r);
void route_account_delete(request *r);

/* A new set of RECOVERY_CODES codes for user `user_id` into codes[] (shown
 * form), their hashes stored in place of the old set. On failure codes[] is
 * wiped. The caller wipes codes[] once answered. */
status routes_recovery_new_set(const config *cfg, uint64_t user_id,
                               char codes[RECOVERY_CODES][RECOVERY_SHOWN_LEN + 1]);

/* Whether canonical recovery `code` is one of user `user_id`'s unused codes:
 * ST_OK with its hash in hash[] (for the UPDATE that uses it), else
 * ST_UNAUTHORIZED; *unused is the number of unused codes it was looked for
 * among. */
status routes_recovery_find(const config *cfg, uint64_t user_id, const char *code,
                            unsigned char hash[RECOVERY_HASH_LEN], size_t *unused);

/* "recovery_codes":[...] (no braces) into b. */
void routes_render_codes(strbuf *b, const char codes[RECOVERY_CODES][RECOVERY_SHOWN_LEN + 1]);

void route_products_list(request *r);
void route_products_create(request *r);
void route_products_get(request *r);
void route_products_update(request *r);
void route_products_delete(request *r);
void route_products_history(request *r);

void route_healthz(request *r);
void route_readyz(request *r);
void route_openapi(request *r);

/* The page for people, the API docs and their embedded scripts and styles. */
void route_page(request *r);
void route_docs(request *r);
void route_asset(request *r);

#endif
