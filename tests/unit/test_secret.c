/*
 * test_secret.c - unit tests for crypto/secret.c: seal/open round trips, a
 * fresh nonce per seal, the "v1.<kid>.<base64url>" text form, wrong key /
 * wrong aad / tampering (ST_UNAUTHORIZED), malformed input and bad sizes
 * (ST_INVALID), the key id, and known answers made by an independent
 * implementation (Python's `cryptography` AESGCM), so the format is checked
 * against more than itself.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "crypto/secret.h"

/* The key of the known answers: bytes 0x00, 0x01, ..., 0x1f. */
static const uint8_t kat_key[SECRET_KEY_BYTES] = {
    0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f,
    0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f};

/*
 * The key id of kat_key and of 32 bytes of 0xff, computed once outside this
 * code base:
 *   printf 'integrity-api totp key id' | cat - keyfile | sha256sum   (first 8 hex)
 *   python3: hashlib.sha256(b"integrity-api totp key id" + key).hexdigest()[:8]
 * kat_key -> 7362dc2b1bf50e80..., 0xff * 32 -> 0ac82618...
 */
#define KAT_KID "7362dc2b"
#define FF_KID "0ac82618"

/* The RFC 6238 test secret: 20 bytes, the size of the secrets /signup makes. */
static const uint8_t secret20[20] = "12345678901234567890";

/*
 * Known answers, produced once with Python's `cryptography` 38.0.4:
 *   kid = hashlib.sha256(b"integrity-api totp key id" + key).hexdigest()[:8]
 *   ct  = AESGCM(key).encrypt(nonce, plain, aad)          # ciphertext || tag
 *   s   = "v1." + kid + "." + base64.urlsafe_b64encode(nonce + ct).rstrip(b"=")
 * with key = kat_key and (nonce, plain, aad) as in each row. The three plain
 * lengths (20, 3, 64) cover all three base64 tail lengths (0, 2 and 3 chars).
 */
struct kat {
    const char *sealed;
    const char *aad;
    uint8_t plain[64];
    size_t len;
};

static const struct kat kats[] = {
    /* nonce 000102030405060708090a0b */
    {"v1." KAT_KID ".AAECAwQFBgcICQoLdjDlL_DT9SO0caa5gt1NW7TuvgTnvqcMEedDuqPtdWUdp7Ff", "Hager666",
     "12345678901234567890", 20},
    /* nonce cafebabefacedbaddecaf888 */
    {"v1." KAT_KID ".yv66vvrO263eyviI68HDeHENn6IGxAJCTOPQhsUPDg", "alice", "abc", 3},
    /* nonce ffffffffffffffffffffffff, plain bytes 0x40..0x7f, empty aad */
    {"v1." KAT_KID ".________________esCtiiT-mIHDF-SaYGPtA-CCsUGjEWm2bAXllrD5QRonciaPiiodGztGrl9X"
     "AB5bpe4TpsBQcbt-hL5PVupo0jPkqV7SV_8aRkdvEVgIxcE",
     "", "@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~\x7f", 64},
};

/* A second key, all 0xff. */
static void other_key(uint8_t key[SECRET_KEY_BYTES])
{
    memset(key, 0xff, SECRET_KEY_BYTES);
}

/* True when all `n` bytes of `p` are zero. */
static int all_zero(const uint8_t *p, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (p[i] != 0)
            return 0;
    return 1;
}

/* True when `c` is in the base64url alphabet. */
static int is_b64url(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_';
}

/* secret_open must refuse `sealed` with ST_INVALID and leave plain zeroed. */
static void assert_open_invalid(const char *sealed)
{
    uint8_t plain[64];
    size_t len = 99;

    memset(plain, 0xaa, sizeof plain);
    if (secret_open(kat_key, sealed, "Hager666", plain, sizeof plain, &len) != ST_INVALID)
        fail_msg("expected ST_INVALID for \"%s\"", sealed);
    assert_int_equal(len, 0);
    assert_true(all_zero(plain, sizeof plain));
}

static void test_round_trip(void **state)
{
    char sealed[SECRET_SEALED_MAX + 1];
    uint8_t plain[64];
    size_t len = 0;

    (void)state;
    assert_int_equal(
        secret_seal(kat_key, secret20, sizeof secret20, "Hager666", sealed, sizeof sealed), ST_OK);
    assert_int_equal(secret_open(kat_key, sealed, "Hager666", plain, sizeof plain, &len), ST_OK);
    assert_int_equal(len, sizeof secret20);
    assert_memory_equal(plain, secret20, sizeof secret20);
}

/* A fresh nonce per seal: the same input seals differently, and both open. */
static void test_seals_differ(void **state)
{
    char a[SECRET_SEALED_MAX + 1], b[SECRET_SEALED_MAX + 1];
    uint8_t plain[20];
    size_t len = 0;

    (void)state;
    assert_int_equal(secret_seal(kat_key, secret20, sizeof secret20, "bob", a, sizeof a), ST_OK);
    assert_int_equal(secret_seal(kat_key, secret20, sizeof secret20, "bob", b, sizeof b), ST_OK);
    assert_string_not_equal(a, b);
    /* The nonce is the first 16 base64url characters of the body (12 bytes). */
    assert_memory_not_equal(a + 12, b + 12, 16);
    assert_int_equal(secret_open(kat_key, a, "bob", plain, sizeof plain, &len), ST_OK);
    assert_int_equal(len, sizeof secret20);
    assert_memory_equal(plain, secret20, sizeof secret20);
    assert_int_equal(secret_open(kat_key, b, "bob", plain, sizeof plain, &len), ST_OK);
    assert_int_equal(len, sizeof secret20);
    assert_memory_equal(plain, secret20, sizeof secret20);
}

/* "v1." + kid + "." + unpadded base64url of 12 + n + 16 bytes, within SECRET_SEALED_MAX. */
static void test_format(void **state)
{
    static const size_t lens[] = {1, 2, 3, 20, 32, 63, 64};
    char sealed[SECRET_SEALED_MAX + 1];
    char kid[9];
    uint8_t plain[64];
    size_t k, i;

    (void)state;
    memset(plain, 0x5a, sizeof plain);
    secret_key_id(kat_key, kid);
    for (k = 0; k < sizeof lens / sizeof lens[0]; k++) {
        size_t raw = 12 + lens[k] + 16, b64 = raw / 3 * 4 + (raw % 3 == 0 ? 0 : raw % 3 + 1);
        size_t n;

        assert_int_equal(secret_seal(kat_key, plain, lens[k], "u", sealed, sizeof sealed), ST_OK);
        n = strlen(sealed);
        assert_true(n <= SECRET_SEALED_MAX);
        assert_int_equal(n, 12 + b64);
        assert_memory_equal(sealed, "v1.", 3);
        assert_memory_equal(sealed + 3, kid, 8);
        assert_int_equal(sealed[11], '.');
        for (i = 12; i < n; i++)
            assert_true(is_b64url(sealed[i]));
    }
    /* The longest value: 64 bytes -> 12 + 123 = 135 characters. */
    assert_int_equal(strlen(sealed), 135);
}

static void test_is_sealed(void **state)
{
    char sealed[SECRET_SEALED_MAX + 1];

    (void)state;
    assert_int_equal(secret_seal(kat_key, secret20, sizeof secret20, "a", sealed, sizeof sealed),
                     ST_OK);
    assert_true(secret_is_sealed(sealed));
    assert_true(secret_is_sealed(kats[0].sealed));
    assert_false(secret_is_sealed("JBSWY3DPEHPK3PXP"));
    assert_false(secret_is_sealed("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"));
    assert_false(secret_is_sealed(""));
    assert_false(secret_is_sealed("v1"));
    assert_false(secret_is_sealed("V1.abc"));
    assert_false(secret_is_sealed("v2.abc"));
    assert_false(secret_is_sealed(NULL));
}

/* Sealed under another key: the kid differs -> ST_UNAUTHORIZED, plain wiped. */
static void test_wrong_key(void **state)
{
    uint8_t key2[SECRET_KEY_BYTES];
    char sealed[SECRET_SEALED_MAX + 1];
    uint8_t plain[64];
    size_t len = 99;

    (void)state;
    other_key(key2);
    assert_int_equal(secret_seal(kat_key, secret20, sizeof secret20, "a", sealed, sizeof sealed),
                     ST_OK);
    memset(plain, 0xaa, sizeof plain);
    assert_int_equal(secret_open(key2, sealed, "a", plain, sizeof plain, &len), ST_UNAUTHORIZED);
    assert_int_equal(len, 0);
    assert_true(all_zero(plain, sizeof plain));
    assert_int_equal(secret_open(key2, kats[0].sealed, kats[0].aad, plain, sizeof plain, &len),
                     ST_UNAUTHORIZED);
}

/*
 * The kid is checked, not just carried: a good value relabelled with another
 * key's kid is refused even though its tag would verify under `key`.
 */
static void test_kid_checked(void **state)
{
    char sealed[SECRET_SEALED_MAX + 1];
    uint8_t plain[64];
    size_t len = 99;

    (void)state;
    assert_int_equal(snprintf(sealed, sizeof sealed, "%s", kats[0].sealed),
                     (int)strlen(kats[0].sealed));
    memcpy(sealed + 3, FF_KID, 8);
    memset(plain, 0xaa, sizeof plain);
    assert_int_equal(secret_open(kat_key, sealed, kats[0].aad, plain, sizeof plain, &len),
                     ST_UNAUTHORIZED);
    assert_int_equal(len, 0);
    assert_true(all_zero(plain, sizeof plain));
}

/* Another key's ciphertext relabelled with our kid still fails: the tag does not verify. */
static void test_relabelled_kid(void **state)
{
    uint8_t key2[SECRET_KEY_BYTES];
    char sealed[SECRET_SEALED_MAX + 1];
    uint8_t plain[64];
    size_t len = 99;

    (void)state;
    other_key(key2);
    assert_int_equal(secret_seal(key2, secret20, sizeof secret20, "a", sealed, sizeof sealed),
                     ST_OK);
    assert_memory_equal(sealed + 3, FF_KID, 8);
    memcpy(sealed + 3, KAT_KID, 8);
    memset(plain, 0xaa, sizeof plain);
    assert_int_equal(secret_open(kat_key, sealed, "a", plain, sizeof plain, &len), ST_UNAUTHORIZED);
    assert_int_equal(len, 0);
    assert_true(all_zero(plain, sizeof plain));
}

/* Bound to its row: another aad (even another case) -> ST_UNAUTHORIZED, plain wiped. */
static void test_wrong_aad(void **state)
{
    static const char *const others[] = {"hager666", "Hager66", "Hager6666", "", "alice"};
    char sealed[SECRET_SEALED_MAX + 1];
    uint8_t plain[64];
    size_t k, len = 99;

    (void)state;
    assert_int_equal(
        secret_seal(kat_key, secret20, sizeof secret20, "Hager666", sealed, sizeof sealed), ST_OK);
    for (k = 0; k < sizeof others / sizeof others[0]; k++) {
        memset(plain, 0xaa, sizeof plain);
        len = 99;
        assert_int_equal(secret_open(kat_key, sealed, others[k], plain, sizeof plain, &len),
                         ST_UNAUTHORIZED);
        assert_int_equal(len, 0);
        assert_true(all_zero(plain, sizeof plain));
    }
    /* An empty aad is an aad like any other. */
    assert_int_equal(secret_seal(kat_key, secret20, sizeof secret20, "", sealed, sizeof sealed),
                     ST_OK);
    assert_int_equal(secret_open(kat_key, sealed, "", plain, sizeof plain, &len), ST_OK);
    assert_int_equal(secret_open(kat_key, sealed, "x", plain, sizeof plain, &len), ST_UNAUTHORIZED);
}

/*
 * One changed character anywhere in the body (nonce, ciphertext or tag) ->
 * ST_UNAUTHORIZED. A 20-byte secret gives a 64-character body with no unused
 * bits, so every such change is still well-formed base64url.
 */
static void test_tampered(void **state)
{
    char sealed[SECRET_SEALED_MAX + 1];
    uint8_t plain[64];
    size_t i, n, len = 99;

    (void)state;
    assert_int_equal(secret_seal(kat_key, secret20, sizeof secret20, "a", sealed, sizeof sealed),
                     ST_OK);
    n = strlen(sealed);
    assert_int_equal(n, 12 + 64);
    for (i = 12; i < n; i++) {
        char saved = sealed[i];

        sealed[i] = saved == 'A' ? 'B' : 'A';
        memset(plain, 0xaa, sizeof plain);
        len = 99;
        if (secret_open(kat_key, sealed, "a", plain, sizeof plain, &len) != ST_UNAUTHORIZED)
            fail_msg("changed character %zu not refused", i);
        assert_int_equal(len, 0);
        assert_true(all_zero(plain, sizeof plain));
        sealed[i] = saved;
    }
    /* A flip in the ciphertext part proper (body chars 16.. are bytes 12..). */
    sealed[12 + 17] = sealed[12 + 17] == 'x' ? 'y' : 'x';
    assert_int_equal(secret_open(kat_key, sealed, "a", plain, sizeof plain, &len), ST_UNAUTHORIZED);
}

/* Malformed text -> ST_INVALID (before any key is tried: the kids here are right). */
static void test_malformed(void **state)
{
    static const char *const fixed[] = {
        "",
        "v",
        "v1",
        "v1.",
        "v1." KAT_KID,
        "v1." KAT_KID ".",
        "JBSWY3DPEHPK3PXP",
        "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ",
        /* unknown versions */
        "v2." KAT_KID ".AAECAwQFBgcICQoLdjDlL_DT9SO0caa5gt1NW7TuvgTnvqcMEedDuqPtdWUdp7Ff",
        "V1." KAT_KID ".AAECAwQFBgcICQoLdjDlL_DT9SO0caa5gt1NW7TuvgTnvqcMEedDuqPtdWUdp7Ff",
        "v10." KAT_KID ".AAECAwQFBgcICQoLdjDlL_DT9SO0caa5gt1NW7TuvgTnvqcMEedDuqPtdWUdp7Ff",
        /* missing dots */
        "v1" KAT_KID ".AAECAwQFBgcICQoLdjDlL_DT9SO0caa5gt1NW7TuvgTnvqcMEedDuqPtdWUdp7Ff",
        "v1." KAT_KID "AAECAwQFBgcICQoLdjDlL_DT9SO0caa5gt1NW7TuvgTnvqcMEedDuqPtdWUdp7Ff",
        "v1" KAT_KID "AAECAwQFBgcICQoLdjDlL_DT9SO0caa5gt1NW7TuvgTnvqcMEedDuqPtdWUdp7Ff",
        /* kid not 8 lower-case hex */
        "v1.7362DC2B.AAECAwQFBgcICQoLdjDlL_DT9SO0caa5gt1NW7TuvgTnvqcMEedDuqPtdWUdp7Ff",
        "v1.7362dc2.AAECAwQFBgcICQoLdjDlL_DT9SO0caa5gt1NW7TuvgTnvqcMEedDuqPtdWUdp7Ff",
        "v1.7362dc2bb.AAECAwQFBgcICQoLdjDlL_DT9SO0caa5gt1NW7TuvgTnvqcMEedDuqPtdWUdp7Ff",
        "v1.7362dcxb.AAECAwQFBgcICQoLdjDlL_DT9SO0caa5gt1NW7TuvgTnvqcMEedDuqPtdWUdp7Ff",
        /* an extra dot, padding, characters outside base64url */
        "v1." KAT_KID "..AAECAwQFBgcICQoLdjDlL_DT9SO0caa5gt1NW7TuvgTnvqcMEedDuqPtdWUdp7Ff",
        "v1." KAT_KID ".AAECAwQFBgcICQoLdjDlL_DT9SO0caa5gt1NW7TuvgTnvqcMEedDuqPtdWUdp7Ff.",
        "v1." KAT_KID ".AAECAwQFBgcICQoLdjDlL_DT9SO0caa5gt1NW7TuvgTnvqcMEedDuqPtdWUdp7Ff==",
        "v1." KAT_KID ".AAECAwQFBgcICQoLdjDlL/DT9SO0caa5gt1NW7TuvgTnvqcMEedDuqPtdWUdp7Ff",
        "v1." KAT_KID ".AAECAwQFBgcICQoLdjDlL_DT9SO0caa5gt1NW7TuvgTnvqcMEedDuqPtdWUdp7F+",
        "v1." KAT_KID ".AAECAwQFBgcICQoLdjDlL_DT9SO0caa5gt1NW7TuvgTnvqcMEedDuqPtdWUdp7F!",
        "v1." KAT_KID ".AAECAwQFBgcICQoLdjDlL_DT9SO0caa5 gt1NW7TuvgTnvqcMEedDuqPtdWUdp7Ff",
        "v1." KAT_KID ".AAECAwQFBgcICQoLdjDlL_DT9SO0caa5gt1NW7TuvgTnvqcMEedDuqPtdWUdp7Ff\n",
        " v1." KAT_KID ".AAECAwQFBgcICQoLdjDlL_DT9SO0caa5gt1NW7TuvgTnvqcMEedDuqPtdWUdp7Ff",
        /* a length that is 1 mod 4 */
        "v1." KAT_KID ".AAECAwQFBgcICQoLdjDlL_DT9SO0caa5gt1NW7TuvgTnvqcMEedDuqPtdWUdp7FfA",
        /* non-zero unused bits in the last character (kats[1] ends in 'g') */
        "v1." KAT_KID ".yv66vvrO263eyviI68HDeHENn6IGxAJCTOPQhsUPDh",
        /*
         * Authentic GCM values (Python's AESGCM, kat_key, nonce 000102...0b,
         * aad "Hager666") of plaintexts outside 1..64: empty (nonce + tag,
         * 28 bytes) and 65 zero bytes (109 bytes, 146 characters).
         */
        "v1." KAT_KID ".AAECAwQFBgcICQoLHRyDSQEnBfbHHYZbRY-GOA",
        "v1." KAT_KID
        ".AAECAwQFBgcICQoLRwLWG8XlwhuNQZeLsel4bYPWhzTwe198OGflhR1pALIBEK78r8ESmHSkf-2Ihyg"
        "47llgjVrWo9o_lyoZGOP17vCeyJiCqQE0OpoP6XtbP6Ly",
        /* too short to hold nonce + 1 byte + tag: 28 bytes, 38 characters */
        "v1." KAT_KID ".AAECAwQFBgcICQoLdjDlL_DT9SO0caa5gt1NW7",
        "v1." KAT_KID ".AAECAwQFBgcICQoL",
    };
    char buf[512];
    size_t k, n;

    (void)state;
    for (k = 0; k < sizeof fixed / sizeof fixed[0]; k++)
        assert_open_invalid(fixed[k]);

    /* Every cut inside "v1.<kid>." */
    n = strlen(kats[0].sealed);
    for (k = 0; k <= 12; k++) {
        assert_true(k < sizeof buf);
        memcpy(buf, kats[0].sealed, k);
        buf[k] = '\0';
        assert_open_invalid(buf);
    }
    /*
     * Cuts inside the body: too short or 1 mod 4 -> ST_INVALID. Other cuts can
     * still be well-formed base64url of >= 29 bytes; the format carries no
     * length, so those are told apart only by the tag (ST_UNAUTHORIZED). No
     * cut ever opens.
     */
    for (k = 13; k < n; k++) {
        uint8_t plain[64];
        size_t len = 99, body = k - 12;
        status st;

        memcpy(buf, kats[0].sealed, k);
        buf[k] = '\0';
        if (body < 39 || body % 4 == 1) {
            assert_open_invalid(buf);
            continue;
        }
        st = secret_open(kat_key, buf, kats[0].aad, plain, sizeof plain, &len);
        assert_true(st == ST_INVALID || st == ST_UNAUTHORIZED);
        assert_int_equal(len, 0);
    }

    /* Longer than SECRET_SEALED_MAX, and a body longer than 64 bytes of plaintext allow. */
    memset(buf, 'A', sizeof buf);
    memcpy(buf, "v1." KAT_KID ".", 12);
    buf[SECRET_SEALED_MAX + 1] = '\0';
    assert_open_invalid(buf);
    buf[12 + 124] = '\0'; /* 124 chars = 93 bytes > 12 + 64 + 16 */
    assert_open_invalid(buf);
}

/* plain[cap] must hold the plaintext; too small -> ST_INVALID and nothing written. */
static void test_open_cap(void **state)
{
    uint8_t plain[64];
    size_t len = 99;

    (void)state;
    memset(plain, 0xaa, sizeof plain);
    assert_int_equal(secret_open(kat_key, kats[0].sealed, kats[0].aad, plain, 19, &len),
                     ST_INVALID);
    assert_int_equal(len, 0);
    assert_true(all_zero(plain, 19));
    assert_int_equal(plain[19], 0xaa); /* nothing past cap */
    assert_int_equal(secret_open(kat_key, kats[0].sealed, kats[0].aad, plain, 0, &len), ST_INVALID);
    assert_int_equal(secret_open(kat_key, kats[0].sealed, kats[0].aad, plain, 20, &len), ST_OK);
    assert_int_equal(len, 20);
    assert_memory_equal(plain, secret20, 20);
}

/* out[cap] must hold the text and its NUL: 20 bytes need 77. */
static void test_seal_cap(void **state)
{
    char out[SECRET_SEALED_MAX + 1];

    (void)state;
    memset(out, 'x', sizeof out);
    assert_int_equal(secret_seal(kat_key, secret20, sizeof secret20, "a", out, 76), ST_INVALID);
    assert_int_equal(out[0], '\0');
    assert_int_equal(out[76], 'x'); /* nothing past cap */
    assert_int_equal(secret_seal(kat_key, secret20, sizeof secret20, "a", out, 1), ST_INVALID);
    assert_int_equal(out[0], '\0');
    assert_int_equal(secret_seal(kat_key, secret20, sizeof secret20, "a", out, 0), ST_INVALID);
    assert_int_equal(secret_seal(kat_key, secret20, sizeof secret20, "a", out, 77), ST_OK);
    assert_int_equal(strlen(out), 76);
}

/* Plaintext lengths: 1..64 seal and open; 0 and 65 -> ST_INVALID. */
static void test_plain_lengths(void **state)
{
    uint8_t in[65], back[65];
    char out[SECRET_SEALED_MAX + 1];
    size_t len = 0, n;

    (void)state;
    for (n = 0; n < sizeof in; n++)
        in[n] = (uint8_t)(n * 7 + 1);
    assert_int_equal(secret_seal(kat_key, in, 0, "a", out, sizeof out), ST_INVALID);
    assert_int_equal(out[0], '\0');
    assert_int_equal(secret_seal(kat_key, in, 65, "a", out, sizeof out), ST_INVALID);
    assert_int_equal(out[0], '\0');
    for (n = 1; n <= 64; n++) {
        assert_int_equal(secret_seal(kat_key, in, n, "a", out, sizeof out), ST_OK);
        assert_int_equal(secret_open(kat_key, out, "a", back, sizeof back, &len), ST_OK);
        assert_int_equal(len, n);
        assert_memory_equal(back, in, n);
    }
}

static void test_null_arguments(void **state)
{
    char out[SECRET_SEALED_MAX + 1];
    uint8_t plain[64];
    size_t len = 0;

    (void)state;
    assert_int_equal(secret_seal(NULL, secret20, 20, "a", out, sizeof out), ST_INVALID);
    assert_int_equal(secret_seal(kat_key, NULL, 20, "a", out, sizeof out), ST_INVALID);
    assert_int_equal(secret_seal(kat_key, secret20, 20, NULL, out, sizeof out), ST_INVALID);
    assert_int_equal(secret_seal(kat_key, secret20, 20, "a", NULL, sizeof out), ST_INVALID);
    assert_int_equal(secret_open(NULL, kats[0].sealed, "a", plain, sizeof plain, &len), ST_INVALID);
    assert_int_equal(secret_open(kat_key, NULL, "a", plain, sizeof plain, &len), ST_INVALID);
    assert_int_equal(secret_open(kat_key, kats[0].sealed, NULL, plain, sizeof plain, &len),
                     ST_INVALID);
    assert_int_equal(secret_open(kat_key, kats[0].sealed, "a", NULL, sizeof plain, &len),
                     ST_INVALID);
    assert_int_equal(secret_open(kat_key, kats[0].sealed, "a", plain, sizeof plain, NULL),
                     ST_INVALID);
}

/* 8 lower-case hex characters, stable for a key, different for another. */
static void test_key_id(void **state)
{
    uint8_t key2[SECRET_KEY_BYTES];
    char kid[9], again[9], kid2[9];
    size_t i;

    (void)state;
    other_key(key2);
    memset(kid, 'x', sizeof kid);
    secret_key_id(kat_key, kid);
    assert_int_equal(strlen(kid), 8);
    for (i = 0; i < 8; i++)
        assert_true((kid[i] >= '0' && kid[i] <= '9') || (kid[i] >= 'a' && kid[i] <= 'f'));
    assert_string_equal(kid, KAT_KID);
    secret_key_id(kat_key, again);
    assert_string_equal(again, kid);
    secret_key_id(key2, kid2);
    assert_string_equal(kid2, FF_KID);
    assert_string_not_equal(kid2, kid);
}

/* Values sealed by Python's `cryptography` open here, and only with their aad. */
static void test_known_answers(void **state)
{
    size_t k;

    (void)state;
    for (k = 0; k < sizeof kats / sizeof kats[0]; k++) {
        uint8_t plain[64];
        size_t len = 0;

        assert_true(secret_is_sealed(kats[k].sealed));
        assert_int_equal(
            secret_open(kat_key, kats[k].sealed, kats[k].aad, plain, sizeof plain, &len), ST_OK);
        assert_int_equal(len, kats[k].len);
        assert_memory_equal(plain, kats[k].plain, kats[k].len);
        assert_int_equal(
            secret_open(kat_key, kats[k].sealed, "someone-else", plain, sizeof plain, &len),
            ST_UNAUTHORIZED);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),    cmocka_unit_test(test_seals_differ),
        cmocka_unit_test(test_format),        cmocka_unit_test(test_is_sealed),
        cmocka_unit_test(test_wrong_key),     cmocka_unit_test(test_relabelled_kid),
        cmocka_unit_test(test_kid_checked),   cmocka_unit_test(test_wrong_aad),
        cmocka_unit_test(test_tampered),      cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_open_cap),      cmocka_unit_test(test_seal_cap),
        cmocka_unit_test(test_plain_lengths), cmocka_unit_test(test_null_arguments),
        cmocka_unit_test(test_key_id),        cmocka_unit_test(test_known_answers),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
