/*
 * test_config.c - unit tests for server/config.c: the defaults of SPEC 1,
 * every variable read and range-checked, the JWT_SECRET_KEY rules (required,
 * at least 32 bytes, a random one in development mode), TOTP_SECRET_KEY as
 * 64 hex digits, TLS_CERT and TLS_KEY together, TOTP_ISSUER without ':';
 * and the documentation printed from the same table: --help names every
 * variable, every default it shows is the default, and README.md's table is
 * the one config_markdown_table prints (scripts/config-table.sh rewrites it).
 *
 * config_load reads through a getter; here it is backed by a small table of
 * name/value pairs instead of the environment.
 */
#define _GNU_SOURCE /* open_memstream */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "server/config.h"
#include "totp/otpauth.h"

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

/* Every variable config_load reads. */
static const char *const all_vars[] = {
    "DATABASE_URL",
    "APP_ENV",
    "JWT_SECRET_KEY",
    "HOST",
    "PORT",
    "THREADS",
    "BCRYPT_COST",
    "JWT_EXPIRES_SECONDS",
    "TOTP_ISSUER",
    "TOTP_SECRET_KEY",
    "LOGIN_MAX_FAILURES",
    "LOGIN_LOCK_SECONDS",
    "LOGIN_CHALLENGE_SECONDS",
    "LOGIN_QUEUE_SECONDS",
    "BCRYPT_NICE",
    "SCHED_POLICY",
    "TLS_CERT",
    "TLS_KEY",
    "METRICS_PORT",
    "METRICS_HOST",
    "LOG_FORMAT",
};

static const char KEY32[] = "0123456789abcdef0123456789abcdef";
static const char KEY31[] = "0123456789abcdef0123456789abcde";

/* ---- the table-backed getter ---- */

typedef struct env_var {
    const char *name;
    const char *value;
} env_var;

/* The table config_load reads, ended by {NULL, NULL}. */
static const env_var *current_env;

static const char *table_get(const char *name)
{
    for (const env_var *v = current_env; v && v->name; v++)
        if (strcmp(v->name, name) == 0)
            return v->value;
    return NULL;
}

/* config_load on `env`; why gets the message. */
static status load(config *c, const env_var *env, char *why, size_t why_cap)
{
    current_env = env;
    why[0] = '\0';
    status st = config_load(c, table_get, why, why_cap);
    current_env = NULL;
    return st;
}

/* The configuration every test starts from: defaults plus a good key. */
static void assert_defaults(const config *c)
{
    assert_string_equal(c->db.hosts[0].name, "127.0.0.1");
    assert_int_equal(c->db.hosts[0].port, 3306);
    assert_string_equal(c->db.user, "app");
    assert_string_equal(c->db.password, "app");
    assert_string_equal(c->db.database, "data_integrity_task");
    assert_string_equal(c->db.socket, "");
    assert_string_equal(c->host, "127.0.0.1");
    assert_int_equal(c->port, 5000);
    assert_true(c->threads >= 1);
    assert_int_equal(c->bcrypt_cost, 12);
    assert_int_equal(c->jwt_expires, 3600);
    assert_string_equal(c->totp_issuer, "Integrity API");
    assert_false(c->has_totp_key);
    assert_int_equal(c->login_max_failures, 5);
    assert_int_equal(c->login_lock_seconds, 900);
    assert_int_equal(c->login_challenge_seconds, 300);
    assert_int_equal(c->login_queue_seconds, 5);
    assert_int_equal(c->bcrypt_nice, 10);
    assert_true(c->sched_batch);
    assert_string_equal(c->tls_cert, "");
    assert_string_equal(c->tls_key, "");
    assert_int_equal(c->metrics_port, 0);
    assert_string_equal(c->metrics_host, "127.0.0.1");
    assert_false(c->log_json);
    assert_false(c->dev_mode);
    assert_false(c->jwt_key_generated);
    assert_int_equal(c->jwt_key_len, 32);
    assert_memory_equal(c->jwt_key, KEY32, 32);
}

static void test_defaults(void **state)
{
    static const env_var env[] = {{"JWT_SECRET_KEY", KEY32}, {NULL, NULL}};
    config c;
    char why[512];

    (void)state;
    assert_int_equal(load(&c, env, why, sizeof why), ST_OK);
    assert_defaults(&c);
    config_wipe(&c);
}

/* A variable set to the empty string means its default. */
static void test_empty_means_default(void **state)
{
    static const env_var env[] = {
        {"JWT_SECRET_KEY", KEY32},
        {"APP_ENV", ""},
        {"DATABASE_URL", ""},
        {"HOST", ""},
        {"PORT", ""},
        {"THREADS", ""},
        {"BCRYPT_COST", ""},
        {"JWT_EXPIRES_SECONDS", ""},
        {"TOTP_ISSUER", ""},
        {"TOTP_SECRET_KEY", ""},
        {"LOGIN_MAX_FAILURES", ""},
        {"LOGIN_LOCK_SECONDS", ""},
        {"LOGIN_CHALLENGE_SECONDS", ""},
        {"LOGIN_QUEUE_SECONDS", ""},
        {"BCRYPT_NICE", ""},
        {"SCHED_POLICY", ""},
        {"TLS_CERT", ""},
        {"TLS_KEY", ""},
        {NULL, NULL},
    };
    config c;
    char why[512];

    (void)state;
    assert_int_equal(load(&c, env, why, sizeof why), ST_OK);
    assert_defaults(&c);
    config_wipe(&c);
}

static void test_every_variable_set(void **state)
{
    static const char key40[] = "A-forty-byte-key-for-HS256-signing-0123!";
    static const env_var env[] = {
        {"JWT_SECRET_KEY", key40},
        {"DATABASE_URL", "mysql+pymysql://root:pa%40ss@db.example:3307/shop"},
        {"HOST", "0.0.0.0"},
        {"PORT", "8080"},
        {"THREADS", "3"},
        {"BCRYPT_COST", "4"},
        {"JWT_EXPIRES_SECONDS", "60"},
        {"TOTP_ISSUER", "Acme Corp"},
        {"LOGIN_MAX_FAILURES", "3"},
        {"LOGIN_LOCK_SECONDS", "60"},
        {"LOGIN_CHALLENGE_SECONDS", "120"},
        {"LOGIN_QUEUE_SECONDS", "30"},
        {"BCRYPT_NICE", "0"},
        {"SCHED_POLICY", "normal"},
        {"TLS_CERT", "/etc/ssl/server.pem"},
        {"TLS_KEY", "/etc/ssl/server.key"},
        {NULL, NULL},
    };
    config c;
    char why[512];

    (void)state;
    assert_int_equal(load(&c, env, why, sizeof why), ST_OK);
    assert_string_equal(c.db.hosts[0].name, "db.example");
    assert_int_equal(c.db.hosts[0].port, 3307);
    assert_string_equal(c.db.user, "root");
    assert_string_equal(c.db.password, "pa@ss");
    assert_string_equal(c.db.database, "shop");
    assert_int_equal(c.jwt_key_len, 40);
    assert_memory_equal(c.jwt_key, key40, 40);
    assert_false(c.jwt_key_generated);
    assert_string_equal(c.host, "0.0.0.0");
    assert_int_equal(c.port, 8080);
    assert_int_equal(c.threads, 3);
    assert_int_equal(c.bcrypt_cost, 4);
    assert_int_equal(c.jwt_expires, 60);
    assert_string_equal(c.totp_issuer, "Acme Corp");
    assert_int_equal(c.login_max_failures, 3);
    assert_int_equal(c.login_lock_seconds, 60);
    assert_int_equal(c.login_challenge_seconds, 120);
    assert_int_equal(c.login_queue_seconds, 30);
    assert_int_equal(c.bcrypt_nice, 0);
    assert_false(c.sched_batch);
    assert_string_equal(c.tls_cert, "/etc/ssl/server.pem");
    assert_string_equal(c.tls_key, "/etc/ssl/server.key");
    config_wipe(&c);
}

/* ---- JWT_SECRET_KEY ---- */

static void test_key_missing(void **state)
{
    static const env_var none[] = {{NULL, NULL}};
    static const env_var empty[] = {{"JWT_SECRET_KEY", ""}, {NULL, NULL}};
    static const env_var prod[] = {{"APP_ENV", "production"}, {NULL, NULL}};
    const env_var *const cases[] = {none, empty, prod};
    config c;
    char why[512];

    (void)state;
    for (size_t i = 0; i < N_ELEMS(cases); i++) {
        assert_int_equal(load(&c, cases[i], why, sizeof why), ST_INVALID);
        if (!strstr(why, "JWT_SECRET_KEY"))
            fail_msg("case %zu: message \"%s\" does not name JWT_SECRET_KEY", i, why);
        config_wipe(&c);
    }
}

static void test_key_short(void **state)
{
    static const env_var env[] = {{"JWT_SECRET_KEY", KEY31}, {NULL, NULL}};
    static const env_var one[] = {{"JWT_SECRET_KEY", "k"}, {NULL, NULL}};
    config c;
    char why[512];

    (void)state;
    assert_int_equal(sizeof KEY31 - 1, 31);
    assert_int_equal(load(&c, env, why, sizeof why), ST_INVALID);
    assert_non_null(strstr(why, "JWT_SECRET_KEY"));
    config_wipe(&c);
    assert_int_equal(load(&c, one, why, sizeof why), ST_INVALID);
    assert_non_null(strstr(why, "JWT_SECRET_KEY"));
    config_wipe(&c);
}

static void test_key_too_long(void **state)
{
    char key[CONFIG_JWT_KEY_MAX + 2];
    env_var env[] = {{"JWT_SECRET_KEY", key}, {NULL, NULL}};
    config c;
    char why[512];

    (void)state;
    /* exactly the maximum is kept whole */
    memset(key, 'k', CONFIG_JWT_KEY_MAX);
    key[CONFIG_JWT_KEY_MAX] = '\0';
    assert_int_equal(load(&c, env, why, sizeof why), ST_OK);
    assert_int_equal(c.jwt_key_len, CONFIG_JWT_KEY_MAX);
    assert_memory_equal(c.jwt_key, key, CONFIG_JWT_KEY_MAX);
    config_wipe(&c);
    /* one more byte is refused, not cut */
    memset(key, 'k', CONFIG_JWT_KEY_MAX + 1);
    key[CONFIG_JWT_KEY_MAX + 1] = '\0';
    assert_int_equal(load(&c, env, why, sizeof why), ST_INVALID);
    assert_non_null(strstr(why, "JWT_SECRET_KEY"));
    config_wipe(&c);
}

static int all_zero(const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i])
            return 0;
    return 1;
}

static void test_dev_mode_generates_key(void **state)
{
    static const env_var env[] = {{"APP_ENV", "development"}, {NULL, NULL}};
    config a, b;
    char why[512];

    (void)state;
    assert_int_equal(load(&a, env, why, sizeof why), ST_OK);
    assert_true(a.dev_mode);
    assert_true(a.jwt_key_generated);
    assert_int_equal(a.jwt_key_len, 32);
    assert_false(all_zero(a.jwt_key, 32));
    assert_int_equal(a.port, 5000); /* the rest still has its defaults */

    assert_int_equal(load(&b, env, why, sizeof why), ST_OK);
    assert_true(b.jwt_key_generated);
    assert_int_equal(b.jwt_key_len, 32);
    assert_true(memcmp(a.jwt_key, b.jwt_key, 32) != 0);

    config_wipe(&a);
    config_wipe(&b);
}

/* In development a given good key is used as is; a short one is replaced. */
static void test_dev_mode_with_key(void **state)
{
    static const env_var good[] = {
        {"APP_ENV", "development"}, {"JWT_SECRET_KEY", KEY32}, {NULL, NULL}};
    static const env_var shortk[] = {
        {"APP_ENV", "development"}, {"JWT_SECRET_KEY", KEY31}, {NULL, NULL}};
    config c;
    char why[512];

    (void)state;
    assert_int_equal(load(&c, good, why, sizeof why), ST_OK);
    assert_true(c.dev_mode);
    assert_false(c.jwt_key_generated);
    assert_int_equal(c.jwt_key_len, 32);
    assert_memory_equal(c.jwt_key, KEY32, 32);
    config_wipe(&c);

    assert_int_equal(load(&c, shortk, why, sizeof why), ST_OK);
    assert_true(c.jwt_key_generated);
    assert_int_equal(c.jwt_key_len, 32);
    assert_true(memcmp(c.jwt_key, KEY31, 31) != 0);
    config_wipe(&c);
}

/* ---- numbers ---- */

static const char *const numeric_vars[] = {
    "PORT",
    "THREADS",
    "BCRYPT_COST",
    "JWT_EXPIRES_SECONDS",
    "LOGIN_MAX_FAILURES",
    "LOGIN_LOCK_SECONDS",
    "LOGIN_CHALLENGE_SECONDS",
    "LOGIN_QUEUE_SECONDS",
    "BCRYPT_NICE",
};

/* Not a whole number in any variable. */
static const char *const malformed_numbers[] = {
    "abc", "-1", "12x", "x12", " 12", "12 ", "+5", "1.5", "1e3", "0x10", "99999999999999999999999",
    "-0",
};

static void check_invalid(const char *var, const char *value)
{
    env_var env[] = {{"JWT_SECRET_KEY", KEY32}, {var, value}, {NULL, NULL}};
    config c;
    char why[512];
    status st = load(&c, env, why, sizeof why);

    config_wipe(&c);
    if (st != ST_INVALID)
        fail_msg("%s=\"%s\": got status %d, want ST_INVALID", var, value, (int)st);
    if (!strstr(why, var))
        fail_msg("%s=\"%s\": message \"%s\" does not name the variable", var, value, why);
}

static void test_malformed_numbers(void **state)
{
    (void)state;
    for (size_t v = 0; v < N_ELEMS(numeric_vars); v++)
        for (size_t i = 0; i < N_ELEMS(malformed_numbers); i++)
            check_invalid(numeric_vars[v], malformed_numbers[i]);
}

static const struct {
    const char *var;
    const char *value;
} out_of_range[] = {
    {"PORT", "0"},
    {"PORT", "65536"},
    {"PORT", "70000"},
    {"THREADS", "0"},
    {"THREADS", "100000"},
    {"BCRYPT_COST", "3"},
    {"BCRYPT_COST", "32"},
    {"BCRYPT_COST", "0"},
    {"JWT_EXPIRES_SECONDS", "0"},
    {"LOGIN_MAX_FAILURES", "0"},
    {"LOGIN_LOCK_SECONDS", "0"},
    {"LOGIN_CHALLENGE_SECONDS", "0"},
    {"LOGIN_QUEUE_SECONDS", "0"},
    {"LOGIN_QUEUE_SECONDS", "301"},
    {"BCRYPT_NICE", "20"},
    {"BCRYPT_NICE", "-1"},
};

static void test_out_of_range(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_ELEMS(out_of_range); i++)
        check_invalid(out_of_range[i].var, out_of_range[i].value);
}

static void test_range_edges(void **state)
{
    static const struct {
        const char *port, *cost;
        unsigned want_port;
        int want_cost;
    } edges[] = {
        {"1", "4", 1, 4},
        {"65535", "31", 65535, 31},
        {"5000", "12", 5000, 12},
        {"007", "010", 7, 10}, /* leading zeros are decimal, not octal */
    };
    config c;
    char why[512];

    (void)state;
    for (size_t i = 0; i < N_ELEMS(edges); i++) {
        env_var env[] = {{"JWT_SECRET_KEY", KEY32},
                         {"PORT", edges[i].port},
                         {"BCRYPT_COST", edges[i].cost},
                         {"THREADS", "1"},
                         {NULL, NULL}};
        status st = load(&c, env, why, sizeof why);
        if (st != ST_OK)
            fail_msg("PORT=%s BCRYPT_COST=%s: %s", edges[i].port, edges[i].cost, why);
        assert_int_equal(c.port, edges[i].want_port);
        assert_int_equal(c.bcrypt_cost, edges[i].want_cost);
        assert_int_equal(c.threads, 1);
        config_wipe(&c);
    }
}

/* ---- SCHED_POLICY ---- */

static void test_sched_policy(void **state)
{
    static const char *const bad[] = {"BATCH",  "Batch",  "other", "idle", "fifo",
                                      "batch ", " batch", "0",     "1",    "true"};
    env_var env[] = {{"JWT_SECRET_KEY", KEY32}, {"SCHED_POLICY", "batch"}, {NULL, NULL}};
    config c;
    char why[512];

    (void)state;
    assert_int_equal(load(&c, env, why, sizeof why), ST_OK);
    assert_true(c.sched_batch);
    config_wipe(&c);
    env[1].value = "normal";
    assert_int_equal(load(&c, env, why, sizeof why), ST_OK);
    assert_false(c.sched_batch);
    config_wipe(&c);
    for (size_t i = 0; i < N_ELEMS(bad); i++)
        check_invalid("SCHED_POLICY", bad[i]);
}

/* ---- METRICS_PORT, METRICS_HOST, LOG_FORMAT ---- */

static void test_metrics_and_log_format(void **state)
{
    static const char *const bad_ports[] = {"0", "65536", "-1", "x", "80 ", " 80", "+80", "1e3"};
    static const char *const bad_formats[] = {"JSON", "Text", "xml", "json ", "1", "logfmt"};
    env_var env[] = {{"JWT_SECRET_KEY", KEY32},
                     {"METRICS_PORT", "9100"},
                     {"METRICS_HOST", "0.0.0.0"},
                     {"LOG_FORMAT", "json"},
                     {NULL, NULL}};
    config c;
    char why[512];

    (void)state;
    assert_int_equal(load(&c, env, why, sizeof why), ST_OK);
    assert_int_equal(c.metrics_port, 9100);
    assert_string_equal(c.metrics_host, "0.0.0.0");
    assert_true(c.log_json);
    config_wipe(&c);
    env[1].value = "65535";
    env[2].value = "";
    env[3].value = "text";
    assert_int_equal(load(&c, env, why, sizeof why), ST_OK);
    assert_int_equal(c.metrics_port, 65535);
    assert_string_equal(c.metrics_host, "127.0.0.1");
    assert_false(c.log_json);
    config_wipe(&c);
    env[1].value = ""; /* empty: no listener, as unset */
    assert_int_equal(load(&c, env, why, sizeof why), ST_OK);
    assert_int_equal(c.metrics_port, 0);
    config_wipe(&c);
    for (size_t i = 0; i < N_ELEMS(bad_ports); i++)
        check_invalid("METRICS_PORT", bad_ports[i]);
    for (size_t i = 0; i < N_ELEMS(bad_formats); i++)
        check_invalid("LOG_FORMAT", bad_formats[i]);
}

/* ---- TOTP_SECRET_KEY ---- */

static void test_totp_key(void **state)
{
    static const char lower[] = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
    static const char upper[] = "F0E1D2C3B4A5968778695A4B3C2D1E0FFFEEDDCCBBAA99887766554433221100";
    static const unsigned char upper_bytes[32] = {
        0xF0, 0xE1, 0xD2, 0xC3, 0xB4, 0xA5, 0x96, 0x87, 0x78, 0x69, 0x5A,
        0x4B, 0x3C, 0x2D, 0x1E, 0x0F, 0xFF, 0xEE, 0xDD, 0xCC, 0xBB, 0xAA,
        0x99, 0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11, 0x00,
    };
    config c;
    char why[512];

    (void)state;
    env_var env[] = {{"JWT_SECRET_KEY", KEY32}, {"TOTP_SECRET_KEY", lower}, {NULL, NULL}};
    assert_int_equal(load(&c, env, why, sizeof why), ST_OK);
    assert_true(c.has_totp_key);
    for (int i = 0; i < 32; i++)
        assert_int_equal(c.totp_key[i], i);
    config_wipe(&c);

    env[1].value = upper;
    assert_int_equal(load(&c, env, why, sizeof why), ST_OK);
    assert_true(c.has_totp_key);
    assert_memory_equal(c.totp_key, upper_bytes, 32);
    config_wipe(&c);
}

static void test_totp_key_bad(void **state)
{
    static const char *const bad[] = {
        /* 63 characters */
        "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1",
        /* 65 characters */
        "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f0",
        /* 64 characters, one not hex */
        "g00102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
        "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1z",
        "000102030405060708090a0b0c0d0e0f 01112131415161718191a1b1c1d1e1f",
        /* base32 or text, not hex */
        "JBSWY3DPEHPK3PXP",
        "secret",
    };

    (void)state;
    assert_int_equal(strlen(bad[0]), 63);
    assert_int_equal(strlen(bad[2]), 64);
    assert_int_equal(strlen(bad[4]), 64);
    for (size_t i = 0; i < N_ELEMS(bad); i++)
        check_invalid("TOTP_SECRET_KEY", bad[i]);
}

/* ---- TLS, TOTP_ISSUER, HOST, DATABASE_URL ---- */

static void test_tls_pair(void **state)
{
    static const env_var cert_only[] = {
        {"JWT_SECRET_KEY", KEY32}, {"TLS_CERT", "/etc/ssl/c.pem"}, {NULL, NULL}};
    static const env_var key_only[] = {
        {"JWT_SECRET_KEY", KEY32}, {"TLS_KEY", "/etc/ssl/k.pem"}, {NULL, NULL}};
    static const env_var key_empty[] = {
        {"JWT_SECRET_KEY", KEY32}, {"TLS_CERT", "/etc/ssl/c.pem"}, {"TLS_KEY", ""}, {NULL, NULL}};
    const env_var *const cases[] = {cert_only, key_only, key_empty};
    config c;
    char why[512];

    (void)state;
    for (size_t i = 0; i < N_ELEMS(cases); i++) {
        assert_int_equal(load(&c, cases[i], why, sizeof why), ST_INVALID);
        if (!strstr(why, "TLS_CERT") || !strstr(why, "TLS_KEY"))
            fail_msg("case %zu: message \"%s\" does not name TLS_CERT and TLS_KEY", i, why);
        config_wipe(&c);
    }
}

static void test_issuer(void **state)
{
    static const char *const bad[] = {"Acme:Corp", ":", "Integrity API:"};
    config c;
    char why[512];

    (void)state;
    for (size_t i = 0; i < N_ELEMS(bad); i++)
        check_invalid("TOTP_ISSUER", bad[i]);

    /* other punctuation is fine (percent-encoded later in the otpauth URI) */
    env_var env[] = {{"JWT_SECRET_KEY", KEY32}, {"TOTP_ISSUER", "Acme & Co. (EU)"}, {NULL, NULL}};
    assert_int_equal(load(&c, env, why, sizeof why), ST_OK);
    assert_string_equal(c.totp_issuer, "Acme & Co. (EU)");
    config_wipe(&c);

    /* too long for the buffer: refused, not cut */
    char longname[200];
    memset(longname, 'i', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    check_invalid("TOTP_ISSUER", longname);

    /* Fits the variable but not an otpauth URI of the longest username:
     * 40 CJK characters are 120 bytes, 360 once percent-encoded, twice in
     * the URI. Refused at start, not with a 500 at every enrollment. */
    char cjk[3 * 40 + 1];
    for (int k = 0; k < 40; k++)
        memcpy(cjk + 3 * k, "\xe6\xbc\xa2", 3); /* U+6F22 */
    cjk[3 * 40] = '\0';
    check_invalid("TOTP_ISSUER", cjk);
    env[1].value = cjk;
    assert_int_equal(load(&c, env, why, sizeof why), ST_INVALID);
    assert_non_null(strstr(why, "otpauth URI"));
    config_wipe(&c);
    /* the longest that fits is taken, and its URI fits the enrollment's
     * buffer with the longest username */
    char ascii[128];
    size_t n = 0;
    for (; n < sizeof ascii - 1; n++) {
        ascii[n] = 'a';
        ascii[n + 1] = '\0';
        env[1].value = ascii;
        status st = load(&c, env, why, sizeof why);
        config_wipe(&c);
        if (st != ST_OK)
            break;
    }
    assert_true(n > 20 && n < 127); /* unreserved bytes: about (512 - 32 - 192 - 104) / 2 */
    ascii[n] = '\0';
    env[1].value = ascii;
    assert_int_equal(load(&c, env, why, sizeof why), ST_OK);
    char account[65], uri[OTPAUTH_URI_MAX];
    memset(account, '@', 64);
    account[64] = '\0';
    assert_true(otpauth_uri(c.totp_issuer, account, "JBSWY3DPEHPK3PXP", uri, sizeof uri) > 0);
    config_wipe(&c);
}

static void test_host_too_long(void **state)
{
    char host[300];

    (void)state;
    memset(host, 'h', sizeof host - 1);
    host[sizeof host - 1] = '\0';
    check_invalid("HOST", host);
}

static void test_database_url(void **state)
{
    static const char *const bad[] = {
        "postgres://u:p@h/d",
        "mysql://u:p@h:0/d",
        "mysql://u:p@h/",
        "mysql://u:p@h/d?ssl=1",
    };
    static const env_var sock[] = {
        {"JWT_SECRET_KEY", KEY32},
        {"DATABASE_URL", "mysql://u:p@localhost/d?socket=/run/mysqld/mysqld.sock"},
        {NULL, NULL}};
    config c;
    char why[512];

    (void)state;
    for (size_t i = 0; i < N_ELEMS(bad); i++)
        check_invalid("DATABASE_URL", bad[i]);

    assert_int_equal(load(&c, sock, why, sizeof why), ST_OK);
    assert_string_equal(c.db.hosts[0].name, "localhost");
    assert_string_equal(c.db.socket, "/run/mysqld/mysqld.sock");
    assert_string_equal(c.db.user, "u");
    assert_string_equal(c.db.password, "p");
    assert_string_equal(c.db.database, "d");
    assert_int_equal(c.db.hosts[0].port, 3306);
    config_wipe(&c);
}

/* config_wipe leaves no secret behind. */
static void test_wipe(void **state)
{
    static const env_var env[] = {
        {"JWT_SECRET_KEY", KEY32},
        {"TOTP_SECRET_KEY", "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"},
        {NULL, NULL}};
    config c;
    char why[512];

    (void)state;
    assert_int_equal(load(&c, env, why, sizeof why), ST_OK);
    assert_true(c.has_totp_key);
    config_wipe(&c);
    assert_true(all_zero(c.jwt_key, sizeof c.jwt_key));
    assert_true(all_zero(c.totp_key, sizeof c.totp_key));
    assert_true(all_zero((const unsigned char *)c.db.password, sizeof c.db.password));
    assert_int_equal(c.jwt_key_len, 0);
}

/* ---- the documentation: --help and README.md's table ---- */

/* What print(out) writes, as a string the caller frees. */
static char *capture(void (*print)(FILE *out))
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    print(f);
    assert_int_equal(fclose(f), 0);
    assert_non_null(buf);
    return buf;
}

/* The line of text that starts with prefix, or NULL. */
static const char *line_starting(const char *text, const char *prefix)
{
    size_t n = strlen(prefix);
    for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
        if (strncmp(p, prefix, n) == 0)
            return p;
    return NULL;
}

static void test_usage_lists_every_variable(void **state)
{
    char *usage = capture(config_usage);
    char *table = capture(config_markdown_table);
    char want[64];

    (void)state;
    for (size_t i = 0; i < N_ELEMS(all_vars); i++) {
        snprintf(want, sizeof want, "  %s ", all_vars[i]);
        if (!line_starting(usage, want))
            fail_msg("--help has no line for %s", all_vars[i]);
        snprintf(want, sizeof want, "| `%s` | ", all_vars[i]);
        if (!line_starting(table, want))
            fail_msg("the Markdown table has no row for %s", all_vars[i]);
    }
    assert_non_null(strstr(usage, "Usage: integrity-server"));
    free(usage);
    free(table);
}

/*
 * The default a row of the table shows is the default: the configuration
 * with that variable set to it is the configuration with nothing set. (So
 * every default shown is also a value within its bounds.) A default that is
 * not one value (THREADS: "32 per core, at least 64") or none is skipped.
 */
static void test_documented_defaults_are_the_defaults(void **state)
{
    static const env_var none[] = {{"JWT_SECRET_KEY", KEY32}, {NULL, NULL}};
    char *table = capture(config_markdown_table);
    config want, got;
    char why[512];
    int checked = 0;

    (void)state;
    assert_int_equal(load(&want, none, why, sizeof why), ST_OK);
    for (char *line = table; line && *line;) {
        char *next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        char name[64], def[128];
        /* | `NAME` | `DEFAULT` | meaning | */
        if (sscanf(line, "| `%63[^`]` | `%127[^`]` |", name, def) == 2) {
            env_var env[] = {{"JWT_SECRET_KEY", KEY32}, {name, def}, {NULL, NULL}};
            if (load(&got, env, why, sizeof why) != ST_OK)
                fail_msg("%s=%s, its default, is refused: %s", name, def, why);
            if (memcmp(&got, &want, sizeof got) != 0)
                fail_msg("%s=%s, its documented default, is not what an unset %s gives", name, def,
                         name);
            config_wipe(&got);
            checked++;
        }
        line = next;
    }
    config_wipe(&want);
    free(table);
    assert_int_equal(checked, 15); /* all but THREADS and the six without one */
}

/* This file's path is <root>/tests/unit/test_config.c (CMake compiles it by
 * its absolute path); README.md is at <root>. */
static void readme_path(char *out, size_t cap)
{
    static const char self[] = "tests/unit/test_config.c";
    size_t n = strlen(__FILE__), k = strlen(self);
    if (n < k || strcmp(__FILE__ + n - k, self) != 0)
        fail_msg("cannot find README.md from __FILE__ \"%s\"", __FILE__);
    int w = snprintf(out, cap, "%.*sREADME.md", (int)(n - k), __FILE__);
    assert_true(w > 0 && (size_t)w < cap);
}

/* README.md whole, as a string the caller frees. */
static char *read_readme(void)
{
    char path[4096];
    readme_path(path, sizeof path);
    FILE *f = fopen(path, "rb");
    if (!f)
        fail_msg("cannot open %s", path);
    char *buf = NULL;
    size_t len = 0, cap = 0, got;
    do {
        if (len + 4096 + 1 > cap) {
            cap = 2 * cap + 4096 + 1;
            buf = realloc(buf, cap);
            assert_non_null(buf);
        }
        got = fread(buf + len, 1, cap - len - 1, f);
        len += got;
    } while (got > 0);
    fclose(f);
    buf[len] = '\0';
    return buf;
}

/* README.md's lines between the markers are config_markdown_table's. */
static void test_readme_table_is_generated(void **state)
{
    static const char begin[] = "<!-- config-table:begin -->\n";
    static const char end[] = "<!-- config-table:end -->\n";
    char *readme = read_readme();
    char *table = capture(config_markdown_table);

    (void)state;
    const char *b = strstr(readme, begin);
    const char *e = b ? strstr(b, end) : NULL;
    if (!b || !e)
        fail_msg("README.md has no %.*s ... %.*s around its configuration table",
                 (int)sizeof begin - 2, begin, (int)sizeof end - 2, end);
    b += sizeof begin - 1;
    size_t n = (size_t)(e - b);
    if (n != strlen(table) || memcmp(b, table, n) != 0) {
        size_t i = 0, line = 1;
        while (i < n && table[i] && b[i] == table[i])
            if (b[i++] == '\n')
                line++;
        fail_msg("README.md's configuration table differs from config_markdown_table() "
                 "from its line %zu: run scripts/config-table.sh",
                 line);
    }
    free(readme);
    free(table);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_empty_means_default),
        cmocka_unit_test(test_every_variable_set),
        cmocka_unit_test(test_key_missing),
        cmocka_unit_test(test_key_short),
        cmocka_unit_test(test_key_too_long),
        cmocka_unit_test(test_dev_mode_generates_key),
        cmocka_unit_test(test_dev_mode_with_key),
        cmocka_unit_test(test_malformed_numbers),
        cmocka_unit_test(test_out_of_range),
        cmocka_unit_test(test_range_edges),
        cmocka_unit_test(test_sched_policy),
        cmocka_unit_test(test_metrics_and_log_format),
        cmocka_unit_test(test_totp_key),
        cmocka_unit_test(test_totp_key_bad),
        cmocka_unit_test(test_tls_pair),
        cmocka_unit_test(test_issuer),
        cmocka_unit_test(test_host_too_long),
        cmocka_unit_test(test_database_url),
        cmocka_unit_test(test_wipe),
        cmocka_unit_test(test_usage_lists_every_variable),
        cmocka_unit_test(test_documented_defaults_are_the_defaults),
        cmocka_unit_test(test_readme_table_is_generated),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
