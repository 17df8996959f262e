/*
 * recovery.c - recovery codes: generation, normalisation and the keyed hash
 * (see recovery.h).
 */
#include "crypto/recovery.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <string.h>

#include "crypto/random.h"

static const char ALPHABET[] = "abcdefghijklmnopqrstuvwxyz234567"; /* 32: 5 bits each */

status recovery_generate(char out[RECOVERY_SHOWN_LEN + 1])
{
    unsigned char raw[8];
    status st = random_bytes(raw, sizeof raw);
    if (st != ST_OK)
        return st;
    uint64_t bits = 0;
    for (size_t i = 0; i < sizeof raw; i++)
        bits = bits << 8 | raw[i];
    OPENSSL_cleanse(raw, sizeof raw);
    /* 12 groups of 5 bits: 60 uniform bits of the 64 drawn. */
    size_t o = 0;
    for (size_t i = 0; i < RECOVERY_CODE_LEN; i++) {
        if (i && i % 4 == 0)
            out[o++] = '-';
        out[o++] = ALPHABET[bits & 31u];
        bits >>= 5;
    }
    out[o] = '\0';
    OPENSSL_cleanse(&bits, sizeof bits);
    return ST_OK;
}

bool recovery_normalize(const char *in, char out[RECOVERY_CODE_LEN + 1])
{
    size_t n = 0;
    if (!in)
        return false;
    for (const char *p = in; *p; p++) {
        char c = *p;
        if (c == '-')
            continue;
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if (!((c >= 'a' && c <= 'z') || (c >= '2' && c <= '7')) || n == RECOVERY_CODE_LEN)
            return false;
        out[n++] = c;
    }
    out[n] = '\0';
    return n == RECOVERY_CODE_LEN;
}

status recovery_hash(const unsigned char *secret, size_t secret_len, uint64_t user_id,
                     const char *code, unsigned char out[RECOVERY_HASH_LEN])
{
    unsigned char key[EVP_MAX_MD_SIZE];
    unsigned int key_len = 0, out_len = 0;
    char msg[24 + RECOVERY_CODE_LEN];
    char canon[RECOVERY_CODE_LEN + 1];
    status st = ST_INVALID;

    if (!secret || secret_len == 0 || secret_len > 4096 || !code ||
        !recovery_normalize(code, canon) || strcmp(canon, code) != 0)
        goto out;
    /* The key: HMAC-SHA256 keyed by the server secret over a fixed label, a
     * key for this one use (the tokens' HS256 MACs sign JWT text, which never
     * equals the label). Derived per call: two HMACs cost microseconds. */
    st = ST_INTERNAL;
    if (!HMAC(EVP_sha256(), secret, (int)secret_len, (const unsigned char *)RECOVERY_KEY_LABEL,
              sizeof RECOVERY_KEY_LABEL - 1, key, &key_len))
        goto out;
    int n = snprintf(msg, sizeof msg, "%llu:%s", (unsigned long long)user_id, code);
    if (n < 0 || (size_t)n >= sizeof msg)
        goto out;
    if (!HMAC(EVP_sha256(), key, (int)key_len, (const unsigned char *)msg, (size_t)n, out,
              &out_len) ||
        out_len != RECOVERY_HASH_LEN)
        goto out;
    st = ST_OK;
out:
    OPENSSL_cleanse(key, sizeof key);
    OPENSSL_cleanse(msg, sizeof msg);
    OPENSSL_cleanse(canon, sizeof canon);
    return st;
}

bool recovery_match(const unsigned char *h, const unsigned char *set, size_t n, size_t *index)
{
    unsigned found = 0;
    size_t at = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned eq = CRYPTO_memcmp(h, set + i * RECOVERY_HASH_LEN, RECOVERY_HASH_LEN) == 0;
        at = eq && !found ? i : at;
        found |= eq;
    }
    *index = at;
    return found != 0;
}
