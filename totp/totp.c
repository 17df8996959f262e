/*
 * totp.c - RFC 6238 TOTP codes (HMAC-SHA1, RFC 4226 dynamic truncation) and
 * their verification with a one-step window and replay protection.
 * Not for HOTP counters kept by the server, nor for SHA-256/512 variants.
 */
#include "totp/totp.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

int64_t totp_step(time_t t)
{
    int64_t s = (int64_t)t;

    /* RFC 6238 uses floor(); C division truncates toward zero. */
    if (s < 0)
        return -((-(s + 1)) / TOTP_STEP_SECONDS) - 1;
    return s / TOTP_STEP_SECONDS;
}

int64_t totp_code(const uint8_t *key, size_t keylen, int64_t step, int digits)
{
    static const uint8_t empty_key[1] = {0};
    uint8_t msg[8], mac[EVP_MAX_MD_SIZE];
    unsigned int maclen = 0;
    uint64_t counter = (uint64_t)step;
    uint32_t bin;
    int64_t mod = 1, code = -1;
    unsigned off;

    if (digits < 1 || digits > 9 || keylen > (size_t)INT_MAX || (key == NULL && keylen > 0))
        return -1;
    /* HMAC() treats a NULL key as "no key given"; an empty key is a real key. */
    if (key == NULL)
        key = empty_key;

    for (int i = 7; i >= 0; i--) {
        msg[i] = (uint8_t)(counter & 0xff);
        counter >>= 8;
    }
    if (HMAC(EVP_sha1(), key, (int)keylen, msg, sizeof(msg), mac, &maclen) == NULL || maclen < 20)
        goto out;

    /* RFC 4226 5.3: the low nibble of the last byte picks 4 bytes, top bit cleared. */
    off = mac[maclen - 1] & 0x0f;
    bin = ((uint32_t)(mac[off] & 0x7f) << 24) | ((uint32_t)mac[off + 1] << 16) |
          ((uint32_t)mac[off + 2] << 8) | (uint32_t)mac[off + 3];
    for (int i = 0; i < digits; i++)
        mod *= 10;
    code = (int64_t)bin % mod;

out:
    OPENSSL_cleanse(mac, sizeof(mac));
    return code;
}

bool totp_code_well_formed(const char *code)
{
    if (code == NULL || strnlen(code, TOTP_DIGITS + 1) != TOTP_DIGITS)
        return false;
    for (int i = 0; i < TOTP_DIGITS; i++) {
        if (code[i] < '0' || code[i] > '9')
            return false;
    }
    return true;
}

bool totp_verify(const uint8_t *key, size_t keylen, const char *code, time_t now, int64_t last_step,
                 int64_t *matched)
{
    char want[TOTP_DIGITS + 1] = {0};
    int64_t base, found = 0;
    bool ok = false, failed = false;

    if (!totp_code_well_formed(code))
        return false;

    base = totp_step(now);
    /*
     * Every candidate is computed and compared, even after a match, so the time
     * taken does not tell which step matched; the first match in the order
     * now-1, now, now+1 wins.
     */
    for (int64_t d = -1; d <= 1; d++) {
        int64_t step = base + d, c;
        int n;

        if (step <= last_step)
            continue; /* already used, or older than the last accepted code */
        c = totp_code(key, keylen, step, TOTP_DIGITS);
        if (c < 0) {
            failed = true;
            goto out;
        }
        n = snprintf(want, sizeof(want), "%0*lld", TOTP_DIGITS, (long long)c);
        if (n != TOTP_DIGITS) {
            failed = true;
            goto out;
        }
        if (CRYPTO_memcmp(want, code, TOTP_DIGITS) == 0 && !ok) {
            ok = true;
            found = step;
        }
    }

out:
    OPENSSL_cleanse(want, sizeof(want));
    if (failed)
        return false; /* an HMAC failure never counts as a match */
    if (ok && matched != NULL)
        *matched = found;
    return ok;
}
