/*
 * secrets.c - the TOTP secrets at rest (see secrets.h): sealed with
 * TOTP_SECRET_KEY when it is set (crypto/secret.h), base32 in rows written
 * before it was, and the start-up check that the key is the one the stored
 * secrets were sealed with.
 */
#include "server/secrets.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>

#include "crypto/secret.h"
#include "totp/base32.h"

int secrets_open(const config *cfg, const user *u, uint8_t *key, size_t cap)
{
    if (!secret_is_sealed(u->totp_secret))
        return b32_decode(u->totp_secret, strlen(u->totp_secret), key, cap);
    if (!cfg->has_totp_key) {
        fprintf(stderr,
                "auth: user %llu has an encrypted TOTP secret but TOTP_SECRET_KEY "
                "is not set\n",
                (unsigned long long)u->id);
        return -1;
    }
    size_t len = 0;
    status st = secret_open(cfg->totp_key, u->totp_secret, u->username, key, cap, &len);
    if (st != ST_OK) {
        fprintf(stderr,
                "auth: the TOTP secret of user %llu does not open with "
                "TOTP_SECRET_KEY (%s): wrong key, or a damaged row\n",
                (unsigned long long)u->id, status_name(st));
        return -1;
    }
    return (int)len;
}

status secrets_store_text(const config *cfg, const char *username, const uint8_t *secret,
                          size_t len, char *out, size_t cap)
{
    if (cfg->has_totp_key)
        return secret_seal(cfg->totp_key, secret, len, username, out, cap);
    return b32_encode(secret, len, out, cap) < 0 ? ST_INTERNAL : ST_OK;
}

void secrets_seal_legacy(const config *cfg, const user *u)
{
    if (!cfg->has_totp_key || secret_is_sealed(u->totp_secret))
        return;
    uint8_t key[SECRETS_KEY_MAX];
    char sealed[SECRET_SEALED_MAX + 1];
    int len = b32_decode(u->totp_secret, strlen(u->totp_secret), key, sizeof key);
    if (len > 0 &&
        secret_seal(cfg->totp_key, key, (size_t)len, u->username, sealed, sizeof sealed) == ST_OK)
        (void)users_set_secret(u->id, sealed);
    OPENSSL_cleanse(key, sizeof key);
    OPENSSL_cleanse(sealed, sizeof sealed);
}

status secrets_check_key(const config *cfg, char *why, size_t why_cap)
{
    char sample[USERS_SECRET_MAX + 1];
    status st = users_any_sealed_secret(sample, sizeof sample);
    if (st == ST_NOT_FOUND)
        return ST_OK;
    if (st != ST_OK) {
        snprintf(why, why_cap, "could not read the users table (%s)", status_name(st));
        return st;
    }
    if (!cfg->has_totp_key) {
        snprintf(why, why_cap,
                 "TOTP secrets in the database are encrypted, but "
                 "TOTP_SECRET_KEY is not set");
        return ST_INVALID;
    }
    char kid[9];
    secret_key_id(cfg->totp_key, kid);
    /* "v1.<kid>." : the key id is public, so a plain compare is fine. */
    if (strncmp(sample + 3, kid, 8) != 0) {
        snprintf(why, why_cap,
                 "TOTP_SECRET_KEY (key id %s) is not the key that encrypted "
                 "the stored TOTP secrets (key id %.8s)",
                 kid, sample + 3);
        return ST_INVALID;
    }
    return ST_OK;
}
