/*
 * routes.h - the route callbacks, one file per resource: routes_auth.c
 * (/signup, /login, /verify-2fa), routes_products.c (/products...) and
 * routes_ops.c (/healthz, /readyz). main.c puts them in the route table.
 */
#ifndef INTEGRITY_ROUTES_H
#define INTEGRITY_ROUTES_H

#include "server/config.h"
#include "server/http.h"
#include "status.h"

/* Start-up work for the auth routes (the dummy hash that makes unknown users
 * cost one bcrypt, the bound on bcrypt hashes in flight, and the helper
 * process that runs them: call it while the process has a single thread).
 * On failure it has undone itself. routes_auth_free() stops the helper. */
status routes_auth_init(const config *cfg);
void routes_auth_free(void);

/* At start-up, with the database up: refuse a TOTP_SECRET_KEY that is not
 * the one the stored secrets were sealed with, or a missing one when some
 * are sealed. ST_INVALID with a message for a person in why[why_cap]. */
status routes_auth_check_secrets(const config *cfg, char *why, size_t why_cap);

void route_signup(request *r);
void route_login(request *r);
void route_verify_2fa(request *r);

void route_products_list(request *r);
void route_products_create(request *r);
void route_products_get(request *r);
void route_products_update(request *r);
void route_products_delete(request *r);
void route_products_history(request *r);

void route_healthz(request *r);
void route_readyz(request *r);
void route_openapi(request *r);

#endif
