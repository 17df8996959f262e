/*
 * fuzz_auth_header.c - libFuzzer target for the request headers the server
 * parses by hand: Authorization (validate_bearer, then token_check with a
 * fixed 32-byte key at a fixed time, as the token guard in router.c does),
 * If-Match (validate_if_match) and Accept (validate_prefers_json), all on the
 * same NUL-terminated input.
 *
 * A fuzzer cannot forge an HMAC, so the token is also checked re-signed: its
 * "<header>.<payload>" with the right signature appended. That reaches the
 * claim checks (exp, nbf, type, sub), and such a token must never fail on
 * its signature. And the input as a subject goes through token_issue: what
 * we issue must check out with the same subject. The seeds in
 * corpus/fuzz_auth_header are made for the key and time below by
 * make_corpus.py.
 */
#include "fuzz_common.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "crypto/token.h"

/* Keep in sync with make_corpus.py. */
static const unsigned char fuzz_key[32] = "fuzz-key-0123456789abcdef-012345";
#define FUZZ_NOW ((time_t)1700000000) /* 2023-11-14T22:13:20Z */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Unpadded base64url of in[n] into out (room for 4 * n / 3 + 4 bytes). */
static void fuzz_b64url(const unsigned char *in, size_t n, char *out)
{
    static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    size_t o = 0;
    unsigned acc = 0;
    int bits = 0;
    for (size_t i = 0; i < n; i++) {
        acc = (acc << 8) | in[i];
        bits += 8;
        while (bits >= 6) {
            bits -= 6;
            out[o++] = abc[(acc >> bits) & 63];
        }
    }
    if (bits > 0)
        out[o++] = abc[(acc << (6 - bits)) & 63];
    out[o] = '\0';
}

/*
 * `token` with its signature replaced by the right one for fuzz_key (the part
 * after its last '.'; a token without a '.' is signed whole). Malloc'd; the
 * caller frees it.
 */
static char *fuzz_resign(const char *token)
{
    const char *dot = strrchr(token, '.');
    size_t n = dot ? (size_t)(dot - token) : strlen(token);
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int maclen = 0;
    FUZZ_CHECK(HMAC(EVP_sha256(), fuzz_key, sizeof fuzz_key, (const unsigned char *)token, n, mac,
                    &maclen) != NULL &&
               maclen == 32);
    char *out = malloc(n + 1 + 44 + 1);
    FUZZ_CHECK(out != NULL);
    memcpy(out, token, n);
    out[n] = '.';
    fuzz_b64url(mac, maclen, out + n + 1);
    return out;
}

/* token_check's contract on `sub` for result `e`. */
static void fuzz_check_result(token_error e, const char *sub, size_t cap)
{
    FUZZ_CHECK(e >= TOKEN_OK && e <= TOKEN_WRONG_TYPE);
    FUZZ_CHECK(token_error_message(e) != NULL);
    if (e == TOKEN_OK)
        FUZZ_CHECK(sub[0] != '\0' && strlen(sub) < cap);
    else
        FUZZ_CHECK(sub[0] == '\0');
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = fuzz_cstr(data, size);
    char *resigned = NULL;
    char sub[65]; /* the size of request.user */

    /* Authorization: the guard of router.c. Input that is not "Bearer <t>"
     * is tried as a bare token too, so raw token seeds are useful. */
    const char *token = NULL;
    if (validate_bearer(s, &token)) {
        FUZZ_CHECK(token == s + 7 && token[0] != '\0' && strchr(token, ' ') == NULL);
    } else {
        token = s;
    }
    token_error e = token_check(fuzz_key, sizeof fuzz_key, token, FUZZ_NOW, sub, sizeof sub);
    fuzz_check_result(e, sub, sizeof sub);

    resigned = fuzz_resign(token);
    token_error e2 = token_check(fuzz_key, sizeof fuzz_key, resigned, FUZZ_NOW, sub, sizeof sub);
    fuzz_check_result(e2, sub, sizeof sub);
    /* The right signature is never refused as a wrong one. */
    FUZZ_CHECK(e2 != TOKEN_BAD_SIGNATURE);
    /* A token accepted as it came has the one accepted signature spelling. */
    if (e == TOKEN_OK)
        FUZZ_CHECK(strcmp(token, resigned) == 0 && e2 == TOKEN_OK);
    /* A key that is too short verifies nothing. */
    FUZZ_CHECK(token_check(fuzz_key, TOKEN_KEY_MIN - 1, resigned, FUZZ_NOW, sub, sizeof sub) !=
               TOKEN_OK);

    /* Our own tokens check out, whatever the subject: the input as `sub`. */
    char *issued = NULL;
    if (token_issue(fuzz_key, sizeof fuzz_key, s, FUZZ_NOW, 3600, &issued) == ST_OK) {
        FUZZ_CHECK(token_check(fuzz_key, sizeof fuzz_key, issued, FUZZ_NOW, sub, sizeof sub) ==
                   TOKEN_OK);
        FUZZ_CHECK(strcmp(sub, s) == 0);
        FUZZ_CHECK(token_check(fuzz_key, sizeof fuzz_key, issued, FUZZ_NOW + 3600, sub,
                               sizeof sub) == TOKEN_EXPIRED);
        free(issued);
    }

    /* If-Match: 0 (no condition), a version 1..2^63-1, or UINT64_MAX. */
    uint64_t v = validate_if_match(s);
    FUZZ_CHECK(v == UINT64_MAX || v <= (uint64_t)INT64_MAX);
    /* Accept: any text, no crash. */
    (void)validate_prefers_json(s);

    free(resigned);
    free(s);
    return 0;
}
