/*
 * secrets.h - the policy for TOTP secrets at rest (SPEC 1, TOTP_SECRET_KEY):
 * how a user's stored secret is read and written, the sealing of rows from
 * before the key was set, and the key check at start-up. The cipher itself
 * is crypto/secret.h; the rows are db/users.h.
 */
#ifndef INTEGRITY_SECRETS_H
#define INTEGRITY_SECRETS_H

#include <stddef.h>
#include <stdint.h>

#include "common/status.h"
#include "db/users.h"
#include "server/config.h"

/* The longest raw TOTP secret a row may hold (160 bits are written; rows
 * from elsewhere may carry longer ones). */
#define SECRETS_KEY_MAX 64

/*
 * The raw secret of `u` into key[cap]: sealed with TOTP_SECRET_KEY (bound to
 * the username), or base32 from before the key was set. Returns its length,
 * or -1 with the reason logged (never the secret) when it cannot be read.
 */
int secrets_open(const config *cfg, const user *u, uint8_t *key, size_t cap);

/* The text to store in out[cap] for a new secret of `username`: sealed when
 * TOTP_SECRET_KEY is set, else base32. */
status secrets_store_text(const config *cfg, const char *username, const uint8_t *secret,
                          size_t len, char *out, size_t cap);

/* A plaintext secret from before TOTP_SECRET_KEY was set is sealed at the
 * user's next good password. Failure leaves the old row working. */
void secrets_seal_legacy(const config *cfg, const user *u);

/* At start-up, with the database up: refuse a TOTP_SECRET_KEY that is not
 * the one the stored secrets were sealed with, or a missing one when some
 * are sealed. ST_INVALID with a message for a person in why[why_cap]. */
status secrets_check_key(const config *cfg, char *why, size_t why_cap);

#endif
