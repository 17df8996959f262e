/*
 * password.c - bcrypt password hashes through libxcrypt (crypt_gensalt_rn,
 * crypt_rn), written as "$2b$<cost>$<22 salt><31 hash>" exactly like
 * flask-bcrypt / Python bcrypt, and read in the $2a$, $2b$ and $2y$ forms.
 * Salts come from random_bytes (OpenSSL), never from libxcrypt's own source.
 * Not for anything but passwords: no other hash schemes, no key derivation.
 */
#include "crypto/password.h"

#include <crypt.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "crypto/random.h"

#define PASSWORD_SALT_BYTES 16 /* bcrypt's 128-bit salt */

/* True when `len` bytes of `pw` are something bcrypt can hash without cutting. */
static bool password_ok(const char *pw, size_t len)
{
    return pw != NULL && len >= 1 && len <= PASSWORD_MAX_BYTES && memchr(pw, '\0', len) == NULL;
}

/* True when `hash` looks like "$2a$", "$2b$" or "$2y$" followed by NN$ and is 60 chars. */
static bool password_hash_shape_ok(const char *hash)
{
    if (hash == NULL || strnlen(hash, PASSWORD_HASH_LEN + 1) != PASSWORD_HASH_LEN)
        return false;
    if (hash[0] != '$' || hash[1] != '2' || hash[3] != '$' || hash[6] != '$')
        return false;
    if (hash[2] != 'a' && hash[2] != 'b' && hash[2] != 'y')
        return false;
    return hash[4] >= '0' && hash[4] <= '9' && hash[5] >= '0' && hash[5] <= '9';
}

/*
 * Run crypt_rn over `len` bytes of `pw` (already checked by password_ok) with
 * `setting` and copy the 60-char result into out[PASSWORD_HASH_LEN + 1].
 * Returns ST_OK, ST_NOMEM, or ST_INTERNAL when libxcrypt refuses the setting
 * (NULL or a "*" failure token) or returns something that is not 60 chars.
 * Every scratch buffer that saw the password is wiped.
 */
static status password_crypt(const char *pw, size_t len, const char *setting,
                             char out[PASSWORD_HASH_LEN + 1])
{
    char phrase[PASSWORD_MAX_BYTES + 1];
    struct crypt_data *cd = NULL; /* ~32 KiB: too large for a worker thread's stack */
    const char *res;
    status st = ST_INTERNAL;

    out[0] = '\0';
    memcpy(phrase, pw, len); /* crypt_rn wants a C string */
    phrase[len] = '\0';
    cd = calloc(1, sizeof *cd);
    if (cd == NULL) {
        st = ST_NOMEM;
        goto out;
    }
    res = crypt_rn(phrase, setting, cd, (int)sizeof *cd);
    if (res == NULL || res[0] == '*' || strnlen(res, PASSWORD_HASH_LEN + 1) != PASSWORD_HASH_LEN)
        goto out;
    memcpy(out, res, PASSWORD_HASH_LEN);
    out[PASSWORD_HASH_LEN] = '\0';
    st = ST_OK;
out:
    OPENSSL_cleanse(phrase, sizeof phrase);
    if (cd != NULL) {
        OPENSSL_cleanse(cd, sizeof *cd);
        free(cd);
    }
    return st;
}

/*
 * Hash the `len` bytes of `pw` (1..72, no NUL) with a fresh random 16-byte
 * salt at bcrypt `cost` (4..31) into out[PASSWORD_HASH_LEN + 1] as a $2b$ hash.
 * ST_INVALID for a bad length, a NUL byte, a cost outside 4..31 or NULL
 * arguments; ST_NOMEM if allocation fails; ST_INTERNAL if the RNG or libxcrypt
 * fails. On any error `out` (when not NULL) holds an empty string.
 */
status password_hash(const char *pw, size_t len, int cost, char out[PASSWORD_HASH_LEN + 1])
{
    unsigned char rnd[PASSWORD_SALT_BYTES];
    char setting[CRYPT_GENSALT_OUTPUT_SIZE];
    status st;

    if (out == NULL)
        return ST_INVALID;
    out[0] = '\0';
    if (!password_ok(pw, len) || cost < PASSWORD_COST_MIN || cost > PASSWORD_COST_MAX)
        return ST_INVALID;
    st = random_bytes(rnd, sizeof rnd);
    if (st != ST_OK)
        goto out;
    if (crypt_gensalt_rn("$2b$", (unsigned long)cost, (const char *)rnd, (int)sizeof rnd, setting,
                         (int)sizeof setting) == NULL) {
        st = ST_INTERNAL;
        goto out;
    }
    st = password_crypt(pw, len, setting, out);
out:
    OPENSSL_cleanse(rnd, sizeof rnd);
    OPENSSL_cleanse(setting, sizeof setting);
    return st;
}

/*
 * True when `pw` (`len` bytes, 1..72, no NUL) matches `hash` ($2a$, $2b$ or
 * $2y$, 60 chars). The stored hash is the setting for crypt_rn and all 60
 * chars of the result are compared in constant time. False for a NULL or
 * malformed hash, a password bcrypt could not have hashed, or any failure.
 */
bool password_verify(const char *pw, size_t len, const char *hash)
{
    char computed[PASSWORD_HASH_LEN + 1];
    bool ok = false;

    if (!password_ok(pw, len) || !password_hash_shape_ok(hash))
        return false;
    if (password_crypt(pw, len, hash, computed) != ST_OK)
        goto out;
    ok = CRYPTO_memcmp(computed, hash, PASSWORD_HASH_LEN) == 0;
out:
    OPENSSL_cleanse(computed, sizeof computed);
    return ok;
}

/*
 * True when `hash` should be replaced on the next good login: anything that
 * does not start with "$2b$" followed by the two-digit `cost` and '$'
 * (another cost, $2a$ / $2y$, NULL, or not bcrypt at all).
 */
bool password_needs_rehash(const char *hash, int cost)
{
    if (hash == NULL || strncmp(hash, "$2b$", 4) != 0)
        return true;
    if (hash[4] < '0' || hash[4] > '9' || hash[5] < '0' || hash[5] > '9' || hash[6] != '$')
        return true;
    return (hash[4] - '0') * 10 + (hash[5] - '0') != cost;
}
