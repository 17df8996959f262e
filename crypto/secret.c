/*
 * secret.c - TOTP secrets at rest (see secret.h): AES-256-GCM through OpenSSL
 * EVP with a fresh 96-bit nonce from random_bytes() per seal, a 128-bit tag,
 * the caller's aad string as associated data, and the text form
 *
 *     v1.<kid>.<base64url(nonce[12] || ciphertext || tag[16])>
 *
 * with unpadded, strictly parsed base64url (one accepted spelling per value).
 * Every buffer that held plaintext or key material is wiped before it goes.
 * Not for passwords (password.c), tokens (token.c) or anything longer than
 * SECRET_PLAIN_MAX bytes.
 */
#include "crypto/secret.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "crypto/b64url.h"
#include "crypto/random.h"

#define SECRET_PLAIN_MAX 64 /* the contract of secret_seal: 1..64 bytes */
#define SECRET_NONCE_LEN 12
#define SECRET_TAG_LEN 16
#define SECRET_RAW_MIN (SECRET_NONCE_LEN + 1 + SECRET_TAG_LEN)
#define SECRET_RAW_MAX (SECRET_NONCE_LEN + SECRET_PLAIN_MAX + SECRET_TAG_LEN)
#define SECRET_PREFIX "v1."
#define SECRET_PREFIX_LEN 3
#define SECRET_KID_LEN 8
#define SECRET_HEAD_LEN (SECRET_PREFIX_LEN + SECRET_KID_LEN + 1) /* "v1.<kid>." */
#define SECRET_B64_MAX ((SECRET_RAW_MAX * 4 + 2) / 3)            /* 123 chars */

/* Domain separation: the key id is a hash of this label followed by the key. */
static const char kid_label[] = "integrity-api totp key id";

/*
 * The key id of `key` into kid[SECRET_KID_LEN + 1]: the first 4 bytes of
 * SHA-256(kid_label || key) in lower-case hex. ST_INTERNAL when OpenSSL
 * fails (then kid is the empty string).
 */
static status key_id(const uint8_t key[SECRET_KEY_BYTES], char kid[SECRET_KID_LEN + 1])
{
    static const char hex[] = "0123456789abcdef";
    unsigned char buf[sizeof kid_label - 1 + SECRET_KEY_BYTES];
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    status st = ST_INTERNAL;
    size_t i;

    kid[0] = '\0';
    memcpy(buf, kid_label, sizeof kid_label - 1);
    memcpy(buf + sizeof kid_label - 1, key, SECRET_KEY_BYTES);
    if (EVP_Digest(buf, sizeof buf, md, &mdlen, EVP_sha256(), NULL) != 1 ||
        mdlen < SECRET_KID_LEN / 2)
        goto out;
    for (i = 0; i < SECRET_KID_LEN / 2; i++) {
        kid[2 * i] = hex[md[i] >> 4];
        kid[2 * i + 1] = hex[md[i] & 0x0f];
    }
    kid[SECRET_KID_LEN] = '\0';
    st = ST_OK;
out:
    OPENSSL_cleanse(buf, sizeof buf); /* holds the key */
    OPENSSL_cleanse(md, sizeof md);
    return st;
}

/* An AES-256-GCM context that seals (`enc` 1) or opens (0) with `key` and
 * the SECRET_NONCE_LEN bytes at `nonce`, `aad` already fed; NULL when
 * OpenSSL fails. The caller frees it. */
static EVP_CIPHER_CTX *gcm_begin(int enc, const uint8_t *key, const uint8_t *nonce,
                                 const char *aad, size_t aadlen)
{
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    int n = 0;
    if (ctx != NULL && EVP_CipherInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL, enc) == 1 &&
        EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, SECRET_NONCE_LEN, NULL) == 1 &&
        EVP_CipherInit_ex(ctx, NULL, NULL, key, nonce, enc) == 1 &&
        (aadlen == 0 ||
         EVP_CipherUpdate(ctx, NULL, &n, (const unsigned char *)aad, (int)aadlen) == 1))
        return ctx;
    EVP_CIPHER_CTX_free(ctx);
    return NULL;
}

/* True when `stored` is a NUL-terminated string that starts with "v1.". */
bool secret_is_sealed(const char *stored)
{
    return stored != NULL && strncmp(stored, SECRET_PREFIX, SECRET_PREFIX_LEN) == 0;
}

/*
 * The key id of `key` (8 lower-case hex characters + NUL) into kid[9]. The
 * digest cannot fail short of a broken OpenSSL; if it does, kid is the empty
 * string, which matches no sealed value. NULL arguments: kid (if any) empty.
 */
void secret_key_id(const uint8_t key[SECRET_KEY_BYTES], char kid[9])
{
    if (kid == NULL)
        return;
    kid[0] = '\0';
    if (key != NULL)
        (void)key_id(key, kid);
}

/*
 * Seal `len` (1..64) bytes of `plain` under `key`, bound to the NUL-terminated
 * `aad`, into out[cap] as "v1.<kid>.<base64url>". A 20-byte secret needs
 * cap >= 77, 64 bytes need 136; SECRET_SEALED_MAX + 1 is always enough.
 * ST_INVALID for NULL arguments, a bad length or a too small `cap`;
 * ST_INTERNAL when OpenSSL or the RNG fails. On failure out (if cap > 0) is
 * the empty string.
 */
status secret_seal(const uint8_t key[SECRET_KEY_BYTES], const uint8_t *plain, size_t len,
                   const char *aad, char *out, size_t cap)
{
    EVP_CIPHER_CTX *ctx = NULL;
    uint8_t raw[SECRET_RAW_MAX];
    char kid[SECRET_KID_LEN + 1];
    size_t rawlen, aadlen;
    int n = 0, fin = 0;
    status st = ST_INVALID;

    if (out != NULL && cap > 0)
        out[0] = '\0';
    if (key == NULL || plain == NULL || aad == NULL || out == NULL)
        return ST_INVALID;
    if (len == 0 || len > SECRET_PLAIN_MAX)
        return ST_INVALID;
    aadlen = strlen(aad);
    if (aadlen > (size_t)INT_MAX)
        return ST_INVALID;
    rawlen = SECRET_NONCE_LEN + len + SECRET_TAG_LEN;
    if (cap < SECRET_HEAD_LEN + b64url_len(rawlen) + 1)
        return ST_INVALID;

    st = key_id(key, kid);
    if (st != ST_OK)
        goto out;
    st = random_bytes(raw, SECRET_NONCE_LEN);
    if (st != ST_OK)
        goto out;

    st = ST_INTERNAL;
    ctx = gcm_begin(1, key, raw, aad, aadlen);
    if (ctx == NULL)
        goto out;
    if (EVP_EncryptUpdate(ctx, raw + SECRET_NONCE_LEN, &n, plain, (int)len) != 1 || n < 0 ||
        (size_t)n > len)
        goto out;
    if (EVP_EncryptFinal_ex(ctx, raw + SECRET_NONCE_LEN + n, &fin) != 1 ||
        (size_t)n + (size_t)fin != len)
        goto out;
    if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, SECRET_TAG_LEN,
                            raw + SECRET_NONCE_LEN + len) != 1)
        goto out;

    n = snprintf(out, cap, SECRET_PREFIX "%s.", kid);
    if (n != SECRET_HEAD_LEN)
        goto out;
    if (b64url_encode(raw, rawlen, out + SECRET_HEAD_LEN, cap - SECRET_HEAD_LEN) != 0)
        goto out;
    st = ST_OK;
out:
    if (st != ST_OK)
        out[0] = '\0';
    EVP_CIPHER_CTX_free(ctx); /* also wipes the expanded key schedule */
    OPENSSL_cleanse(raw, sizeof raw);
    OPENSSL_cleanse(kid, sizeof kid);
    return st;
}

/*
 * Open `sealed` (a NUL-terminated "v1.<kid>.<base64url>" of at most
 * SECRET_SEALED_MAX chars) with `key` and the `aad` it was sealed with into
 * plain[cap]; *len gets the plaintext length (1..64). ST_INVALID for NULL
 * arguments, a malformed value, an unknown version, or a `cap` smaller than
 * the plaintext; ST_UNAUTHORIZED when the kid is not `key`'s or the tag does
 * not verify (wrong aad, tampering); ST_INTERNAL when OpenSSL fails outside
 * the tag check. On any failure plain[cap] is zeroed and *len is 0.
 */
status secret_open(const uint8_t key[SECRET_KEY_BYTES], const char *sealed, const char *aad,
                   uint8_t *plain, size_t cap, size_t *len)
{
    EVP_CIPHER_CTX *ctx = NULL;
    uint8_t raw[SECRET_RAW_MAX];
    char kid[SECRET_KID_LEN + 1];
    const char *body;
    size_t i, total, bodylen, rawlen = 0, ctlen, aadlen;
    int n = 0, fin = 0;
    status st = ST_INVALID;

    if (len != NULL)
        *len = 0;
    if (plain == NULL)
        return ST_INVALID;
    if (key == NULL || sealed == NULL || aad == NULL || len == NULL) {
        OPENSSL_cleanse(plain, cap);
        return ST_INVALID;
    }
    aadlen = strlen(aad);
    if (aadlen > (size_t)INT_MAX)
        goto out;

    /* Parse "v1." + 8 lower-case hex + "." + base64url, nothing else. */
    total = strnlen(sealed, SECRET_SEALED_MAX + 1);
    if (total > SECRET_SEALED_MAX || total < SECRET_HEAD_LEN)
        goto out;
    if (memcmp(sealed, SECRET_PREFIX, SECRET_PREFIX_LEN) != 0)
        goto out;
    for (i = SECRET_PREFIX_LEN; i < SECRET_PREFIX_LEN + SECRET_KID_LEN; i++) {
        char c = sealed[i];

        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
            goto out;
    }
    if (sealed[SECRET_HEAD_LEN - 1] != '.')
        goto out;
    body = sealed + SECRET_HEAD_LEN;
    bodylen = total - SECRET_HEAD_LEN;
    if (bodylen > SECRET_B64_MAX || b64url_decode(body, bodylen, raw, sizeof raw, &rawlen) != 0 ||
        rawlen < SECRET_RAW_MIN)
        goto out;
    ctlen = rawlen - SECRET_NONCE_LEN - SECRET_TAG_LEN;
    if (cap < ctlen)
        goto out;

    /* Another key's value is told apart from a damaged one by its kid. */
    st = key_id(key, kid);
    if (st != ST_OK)
        goto out;
    if (CRYPTO_memcmp(kid, sealed + SECRET_PREFIX_LEN, SECRET_KID_LEN) != 0) {
        st = ST_UNAUTHORIZED;
        goto out;
    }

    st = ST_INTERNAL;
    ctx = gcm_begin(0, key, raw, aad, aadlen);
    if (ctx == NULL)
        goto out;
    /* GCM writes unverified plaintext here; it is wiped below unless the tag verifies. */
    if (EVP_DecryptUpdate(ctx, plain, &n, raw + SECRET_NONCE_LEN, (int)ctlen) != 1 || n < 0 ||
        (size_t)n > ctlen)
        goto out;
    if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, SECRET_TAG_LEN,
                            raw + SECRET_NONCE_LEN + ctlen) != 1)
        goto out;
    if (EVP_DecryptFinal_ex(ctx, plain + n, &fin) != 1 || (size_t)n + (size_t)fin != ctlen) {
        st = ST_UNAUTHORIZED; /* the tag did not verify: wrong aad or tampered */
        goto out;
    }
    *len = ctlen;
    st = ST_OK;
out:
    if (st != ST_OK)
        OPENSSL_cleanse(plain, cap);
    EVP_CIPHER_CTX_free(ctx); /* also wipes the expanded key schedule */
    OPENSSL_cleanse(raw, sizeof raw);
    OPENSSL_cleanse(kid, sizeof kid);
    return st;
}
