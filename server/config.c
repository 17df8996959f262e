/*
 * config.c - environment variables to struct config (see config.h).
 *
 * Every variable is one entry of `directives[]` below: its name, its kind
 * (a bounded whole number, a string of bounded length, or its own parser),
 * its default, its meaning and where it goes in struct config. The same
 * table is read by config_load, printed by config_usage (--help) and by
 * config_markdown_table (README.md's table, checked by tests/unit/test_config.c),
 * so a default or a bound is written once.
 */
#include "server/config.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crypto/hasher.h"
#include "crypto/password.h"
#include "crypto/random.h"
#include "crypto/token.h"
#include "db/url.h"
#include "server/secrets.h"
#include "server/validate.h"
#include "totp/base32.h"
#include "totp/otpauth.h"
#include "common/hexdigit.h"

/* ======================================================================
 * Readers shared by the directives
 * ====================================================================== */

/* Parse an unsigned decimal in [min, max]; false on anything else. */
static bool parse_uint(const char *s, unsigned long min, unsigned long max, unsigned long *out)
{
    if (!s || !*s || *s == '-' || *s == '+' || *s == ' ')
        return false;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end || v < min || v > max)
        return false;
    *out = (unsigned long)v;
    return true;
}

/* Copy v into dst[cap]; ST_INVALID naming `name` when it does not fit. */
static status copy_str(const char *name, const char *v, char *dst, size_t cap, char *why,
                       size_t why_cap)
{
    int n = snprintf(dst, cap, "%s", v);
    if (n < 0 || (size_t)n >= cap) {
        snprintf(why, why_cap, "%s is too long (at most %zu bytes)", name, cap - 1);
        return ST_INVALID;
    }
    return ST_OK;
}

/* ======================================================================
 * The odd ones: a parser each
 *
 * A parser gets the variable's value, or the directive's default when the
 * variable is unset or empty (NULL when there is none). It may read other
 * variables through `get` (TLS_CERT reads TLS_KEY).
 * ====================================================================== */

typedef status (*config_parser)(config *c, const char *v, config_getter get, char *why,
                                size_t why_cap);

static status parse_database_url(config *c, const char *v, config_getter get, char *why,
                                 size_t why_cap)
{
    (void)get;
    c->db.connect_timeout = 2;
    c->db.read_timeout = 5;
    c->db.write_timeout = 5;
    return db_url_parse(v, &c->db, why, why_cap);
}

static status parse_app_env(config *c, const char *v, config_getter get, char *why, size_t why_cap)
{
    (void)get;
    (void)why;
    (void)why_cap;
    c->dev_mode = v && strcmp(v, "development") == 0;
    return ST_OK;
}

/* After APP_ENV: a missing or short key is an error, or in development
 * mode a reason to make a random one. */
static status parse_jwt_key(config *c, const char *v, config_getter get, char *why, size_t why_cap)
{
    (void)get;
    size_t keylen = v ? strlen(v) : 0;
    if (keylen >= TOKEN_KEY_MIN) {
        if (keylen > sizeof c->jwt_key) {
            snprintf(why, why_cap, "JWT_SECRET_KEY is too long (at most %zu bytes)",
                     sizeof c->jwt_key);
            return ST_INVALID;
        }
        memcpy(c->jwt_key, v, keylen);
        c->jwt_key_len = keylen;
        return ST_OK;
    }
    if (c->dev_mode) {
        c->jwt_key_len = 32;
        c->jwt_key_generated = true;
        return random_bytes(c->jwt_key, c->jwt_key_len);
    }
    snprintf(why, why_cap,
             "JWT_SECRET_KEY is %s: set it to a random string of at least %d bytes "
             "(e.g. `openssl rand -hex 32`), or set APP_ENV=development to run with a "
             "throw-away key",
             keylen ? "too short" : "not set", TOKEN_KEY_MIN);
    return ST_INVALID;
}

/* The issuer is the label's prefix in the otpauth URI, cut at ':'. */
static status parse_totp_issuer(config *c, const char *v, config_getter get, char *why,
                                size_t why_cap)
{
    (void)get;
    status st = copy_str("TOTP_ISSUER", v, c->totp_issuer, sizeof c->totp_issuer, why, why_cap);
    if (st)
        return st;
    if (strchr(c->totp_issuer, ':')) {
        snprintf(why, why_cap, "TOTP_ISSUER must not contain ':'");
        return ST_INVALID;
    }
    /* The longest URI enrollment may write, checked now rather than at the
     * first enrollment: the longest username, every character of it
     * percent-encoded, and the longest secret a row may hold. */
    char account[VALIDATE_USERNAME_MAX + 1], secret[B32_ENCODED_LEN(SECRETS_KEY_MAX) + 1];
    char uri[OTPAUTH_URI_MAX];
    memset(account, '@', VALIDATE_USERNAME_MAX);
    account[VALIDATE_USERNAME_MAX] = '\0';
    memset(secret, 'A', sizeof secret - 1);
    secret[sizeof secret - 1] = '\0';
    if (otpauth_uri(c->totp_issuer, account, secret, uri, sizeof uri) < 0) {
        snprintf(why, why_cap,
                 "TOTP_ISSUER is too long: the otpauth URI of a %d-character username must fit "
                 "in %d bytes, with the issuer written twice and each byte outside "
                 "A-Z a-z 0-9 - . _ ~ taking three",
                 VALIDATE_USERNAME_MAX, OTPAUTH_URI_MAX);
        return ST_INVALID;
    }
    return ST_OK;
}

static status parse_totp_key(config *c, const char *v, config_getter get, char *why, size_t why_cap)
{
    (void)get;
    if (!v || !*v)
        return ST_OK;
    if (strlen(v) != 2 * sizeof c->totp_key)
        goto bad;
    for (size_t i = 0; i < sizeof c->totp_key; i++) {
        int hi = hexdigit_value(v[2 * i]), lo = hexdigit_value(v[2 * i + 1]);
        if (hi < 0 || lo < 0)
            goto bad;
        c->totp_key[i] = (unsigned char)(hi * 16 + lo);
    }
    c->has_totp_key = true;
    return ST_OK;
bad:
    snprintf(why, why_cap, "TOTP_SECRET_KEY must be 64 hex characters (32 bytes)");
    return ST_INVALID;
}

static status parse_sched_policy(config *c, const char *v, config_getter get, char *why,
                                 size_t why_cap)
{
    (void)get;
    if (strcmp(v, "batch") == 0) {
        c->sched_batch = true;
    } else if (strcmp(v, "normal") == 0) {
        c->sched_batch = false;
    } else {
        snprintf(why, why_cap, "SCHED_POLICY must be 'batch' or 'normal'");
        return ST_INVALID;
    }
    return ST_OK;
}

/* TLS_CERT and TLS_KEY are one setting: the pair is checked before either
 * is copied, so one set alone says so whatever its length. */
static status parse_tls(config *c, const char *cert, config_getter get, char *why, size_t why_cap)
{
    const char *key = get("TLS_KEY");
    bool has_cert = cert && *cert, has_key = key && *key;
    status st;
    if (has_cert != has_key) {
        snprintf(why, why_cap, "TLS_CERT and TLS_KEY must be set together");
        return ST_INVALID;
    }
    if (has_cert) {
        if ((st = copy_str("TLS_CERT", cert, c->tls_cert, sizeof c->tls_cert, why, why_cap)) ||
            (st = copy_str("TLS_KEY", key, c->tls_key, sizeof c->tls_key, why, why_cap)))
            return st;
    }
    return ST_OK;
}

/* METRICS_PORT: unset or empty is no listener at all. */
static status parse_metrics_port(config *c, const char *v, config_getter get, char *why,
                                 size_t why_cap)
{
    (void)get;
    unsigned long port = 0;
    if (v && !parse_uint(v, 1, 65535, &port)) {
        snprintf(why, why_cap, "METRICS_PORT must be a whole number from 1 to 65535");
        return ST_INVALID;
    }
    c->metrics_port = (unsigned)port;
    return ST_OK;
}

static status parse_log_format(config *c, const char *v, config_getter get, char *why,
                               size_t why_cap)
{
    (void)get;
    if (strcmp(v, "text") == 0) {
        c->log_json = false;
    } else if (strcmp(v, "json") == 0) {
        c->log_json = true;
    } else {
        snprintf(why, why_cap, "LOG_FORMAT must be 'text' or 'json'");
        return ST_INVALID;
    }
    return ST_OK;
}

/* CivetWeb gives each connection a worker for as long as it is kept alive,
 * so the pool must outnumber the clients' connections; an idle worker costs
 * little (its MySQL connection opens on first use). */
static unsigned long default_threads(void)
{
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    unsigned long n = (unsigned long)(cores > 0 ? cores : 1) * 32;
    return n < 64 ? 64 : n;
}

/* ======================================================================
 * The table
 * ====================================================================== */

typedef enum directive_kind {
    DIRECTIVE_UINT,   /* a whole number in [min, max] */
    DIRECTIVE_STRING, /* text of fewer than `size` bytes */
    DIRECTIVE_PARSER, /* its own parser; NULL: read by the entry before it */
} directive_kind;

typedef struct directive {
    const char *name;
    directive_kind kind;
    /* The value used when the variable is unset or empty, as it is written
     * in --help and README.md; NULL when there is none. */
    const char *def;
    /* For a person, when the default is not a value (THREADS); else NULL. */
    const char *def_doc;
    unsigned long (*def_fn)(void); /* DIRECTIVE_UINT: the default computed */
    unsigned long min, max;        /* DIRECTIVE_UINT */
    /* DIRECTIVE_UINT, DIRECTIVE_STRING: the field. A number's field is
     * `unsigned`, `int`, `unsigned long` or `long`: stored by its size,
     * max fits in each signed one. */
    size_t offset, size;
    config_parser parse; /* DIRECTIVE_PARSER */
    /* The meaning, in Markdown (one line, no '|'): README.md's table and
     * --help. A number's bounds are printed before it. */
    const char *help;
} directive;

#define FIELD(f) .offset = offsetof(config, f), .size = sizeof(((config *)0)->f)
#define UINT(n, d, lo, hi, f, h)                                                                   \
    {                                                                                              \
        .name = (n), .kind = DIRECTIVE_UINT, .def = (d), .min = (lo), .max = (hi), FIELD(f),       \
        .help = (h)                                                                                \
    }
#define STRING(n, d, f, h)                                                                         \
    {                                                                                              \
        .name = (n), .kind = DIRECTIVE_STRING, .def = (d), FIELD(f), .help = (h)                   \
    }
#define PARSER(n, d, p, h)                                                                         \
    {                                                                                              \
        .name = (n), .kind = DIRECTIVE_PARSER, .def = (d), .parse = (p), .help = (h)               \
    }

/* In the order they are read, which is the order of the messages when more
 * than one is wrong; APP_ENV before JWT_SECRET_KEY, which depends on it. */
static const directive directives[] = {
    PARSER("DATABASE_URL", "mysql://app:app@127.0.0.1:3306/data_integrity_task", parse_database_url,
           "also the Flask app's `mysql+pymysql://user:pass@host:port/db`; `?socket=/path` "
           "selects a Unix socket; `?charset=` is accepted and ignored (always utf8mb4); "
           "several servers, `mysql://u:p@h1:3311,h2:3312,h3:3313/db` (at most 8): the first "
           "that answers and is ready is used, another when it fails"),
    PARSER("APP_ENV", NULL, parse_app_env, "`development` allows running without `JWT_SECRET_KEY`"),
    PARSER("JWT_SECRET_KEY", NULL, parse_jwt_key,
           "HS256 key, at least 32 bytes. Missing or short: the server refuses to start, unless "
           "`APP_ENV=development`, where a random key is generated and a warning printed"),
    STRING("HOST", "127.0.0.1", host, "listen address"),
    UINT("PORT", "5000", 1, 65535, port, "listen port"),
    {.name = "THREADS",
     .kind = DIRECTIVE_UINT,
     .def_doc = "32 per core, at least 64",
     .def_fn = default_threads,
     .min = 1,
     .max = 1024,
     FIELD(threads),
     .help = "HTTP worker threads. CivetWeb gives each kept-alive connection a worker, so the "
             "pool should outnumber the clients' connections; each owns at most one MySQL "
             "connection, opened on first use"},
    UINT("BCRYPT_COST", "12", PASSWORD_COST_MIN, PASSWORD_COST_MAX, bcrypt_cost,
         "bcrypt cost; 12 is flask-bcrypt's default"),
    UINT("JWT_EXPIRES_SECONDS", "3600", 1, 31L * 24 * 3600, jwt_expires, "access-token lifetime"),
    PARSER("TOTP_ISSUER", "Integrity API", parse_totp_issuer,
           "issuer shown in the authenticator app (no `:`)"),
    PARSER("TOTP_SECRET_KEY", NULL, parse_totp_key,
           "64 hex characters (32 bytes): TOTP secrets are stored AES-256-GCM encrypted; rows "
           "written before it was set still work and are encrypted at the user's next good "
           "password"),
    UINT("LOGIN_MAX_FAILURES", "5", 1, 1000, login_max_failures,
         "account throttling: failed logins before an account is locked"),
    UINT("LOGIN_LOCK_SECONDS", "900", 1, 7L * 24 * 3600, login_lock_seconds,
         "account throttling: how long the first lock lasts; each further one before a "
         "completed login lasts twice as long, at most 24 h"),
    UINT("LOGIN_CHALLENGE_SECONDS", "300", 1, 24L * 3600, login_challenge_seconds,
         "how long a password login stays good for `/verify-2fa`"),
    UINT("LOGIN_QUEUE_SECONDS", "5", 1, 300, login_queue_seconds,
         "the longest a login or signup waits for a bcrypt slot before 503 `server_busy`"),
    UINT("REVOCATION_RECHECK_MS", "0", 0, 1000, revocation_recheck_ms,
         "`0`: every guarded request sees a revocation made on any instance at once (GET "
         "/products and GET /products/<id> read the revocation epoch inside their own "
         "statement; other routes ask MySQL first). Above 0: a worker thread trusts the token "
         "it last found not revoked for that many ms without asking (a token revoked on "
         "another instance is refused there within this bound, on the same instance at "
         "once); buys back the reads' epoch (about a tenth of GET /products/<id>) and the "
         "writes' round trip (see Design notes)"),
    UINT("BCRYPT_NICE", "10", 0, HASHER_NICE_MAX, bcrypt_nice,
         "the nice value of the bcrypt helper process and of its session's autogroup. While "
         "reads keep every core busy, a higher value gives the reads a shorter tail and the "
         "logins less CPU (see Design notes)"),
    PARSER("SCHED_POLICY", "batch", parse_sched_policy,
           "`batch`: every thread of the server and of its bcrypt helper runs Linux's "
           "`SCHED_BATCH`, so a thread woken by a request or by MariaDB's answer waits for the "
           "running one to block instead of preempting it (fewer context switches per request; "
           "see Design notes). `normal`: the kernel's default policy"),
    PARSER("TLS_CERT", NULL, parse_tls,
           "PEM certificate file; with `TLS_KEY`: serve HTTPS only, TLS 1.2 or later"),
    PARSER("TLS_KEY", NULL, NULL, "PEM private key file; set together with `TLS_CERT`"),
    PARSER("METRICS_PORT", NULL, parse_metrics_port,
           "port of a second, plain-HTTP listener that serves Prometheus metrics at "
           "`GET /metrics` (and nothing else); unset: no metrics listener. `/metrics` is never "
           "served on `PORT`"),
    STRING("METRICS_HOST", "127.0.0.1", metrics_host,
           "listen address of the metrics listener; keep it private (the metrics carry no "
           "secret but tell request rates and login failures)"),
    PARSER("LOG_FORMAT", "text", parse_log_format,
           "`text`: one line per request, `<time> <method> <path> <status> <ms>ms`. `json`: one "
           "JSON object per line with `time`, `method`, `route`, `path`, `status`, `duration_ms` "
           "and `request_id`"),
};

#define N_DIRECTIVES (sizeof directives / sizeof directives[0])

/* Store v in the number field at p of `size` bytes (see directive.size). */
static void store_uint(void *p, size_t size, unsigned long v)
{
    if (size == sizeof(unsigned long))
        *(unsigned long *)p = v;
    else
        *(unsigned *)p = (unsigned)v;
}

/* Read one directive into *c. */
static status load_one(config *c, const directive *d, config_getter get, char *why, size_t why_cap)
{
    const char *v = get(d->name);
    bool unset = !v || !*v;
    if (unset)
        v = d->def;
    char *field = (char *)c + d->offset;
    unsigned long n;

    switch (d->kind) {
    case DIRECTIVE_UINT:
        if (unset && d->def_fn) {
            n = d->def_fn();
        } else if (!parse_uint(v, d->min, d->max, &n)) {
            snprintf(why, why_cap, "%s must be a whole number from %lu to %lu", d->name, d->min,
                     d->max);
            return ST_INVALID;
        }
        store_uint(field, d->size, n);
        return ST_OK;
    case DIRECTIVE_STRING:
        return copy_str(d->name, v ? v : "", field, d->size, why, why_cap);
    case DIRECTIVE_PARSER:
        return d->parse ? d->parse(c, v, get, why, why_cap) : ST_OK;
    }
    return ST_OK;
}

status config_load(config *c, config_getter get, char *why, size_t why_cap)
{
    memset(c, 0, sizeof *c);
    for (size_t i = 0; i < N_DIRECTIVES; i++) {
        status st = load_one(c, &directives[i], get, why, why_cap);
        if (st)
            return st;
    }
    return ST_OK;
}

/* ======================================================================
 * Documentation from the table
 * ====================================================================== */

#define USAGE_INDENT 27 /* the column the meanings start at */
#define USAGE_WIDTH 79

/* Print s word by word from column *col, wrapping at USAGE_WIDTH to
 * USAGE_INDENT. */
static void usage_words(FILE *out, const char *s, int *col)
{
    while (*s) {
        while (*s == ' ')
            s++;
        int len = (int)strcspn(s, " ");
        if (!len)
            break;
        if (*col > USAGE_INDENT && *col + 1 + len > USAGE_WIDTH) {
            fprintf(out, "\n%*s", USAGE_INDENT, "");
            *col = USAGE_INDENT;
        }
        if (*col > USAGE_INDENT) {
            fputc(' ', out);
            (*col)++;
        }
        fwrite(s, 1, (size_t)len, out);
        *col += len;
        s += len;
    }
}

void config_usage(FILE *out)
{
    fputs("Usage: integrity-server [--help] [--version] [--config-table]\n"
          "\n"
          "Integrity API: accounts, TOTP two-factor login, JWT and products on MySQL.\n"
          "--config-table prints the table below in Markdown (README.md's).\n"
          "Configuration comes from the environment:\n"
          "\n",
          out);
    for (size_t i = 0; i < N_DIRECTIVES; i++) {
        const directive *d = &directives[i];
        char bounds[64] = "";
        if (d->kind == DIRECTIVE_UINT)
            snprintf(bounds, sizeof bounds, "%lu..%lu:", d->min, d->max);
        int col = fprintf(out, "  %-*s", USAGE_INDENT - 3, d->name);
        if (col < USAGE_INDENT) {
            fputc(' ', out);
            col++;
        } else {
            fprintf(out, "\n%*s", USAGE_INDENT, "");
            col = USAGE_INDENT;
        }
        usage_words(out, bounds, &col);
        usage_words(out, d->help, &col);
        fprintf(out, "\n%*sdefault: %s\n", USAGE_INDENT, "",
                d->def_doc ? d->def_doc
                : d->def   ? d->def
                           : "none");
    }
}

void config_markdown_table(FILE *out)
{
    fputs("| variable | default | meaning |\n"
          "|---|---|---|\n",
          out);
    for (size_t i = 0; i < N_DIRECTIVES; i++) {
        const directive *d = &directives[i];
        fprintf(out, "| `%s` | ", d->name);
        if (d->def_doc)
            fputs(d->def_doc, out);
        else if (d->def)
            fprintf(out, "`%s`", d->def);
        else
            fputs("none", out);
        fputs(" | ", out);
        if (d->kind == DIRECTIVE_UINT)
            fprintf(out, "%lu..%lu: ", d->min, d->max);
        fprintf(out, "%s |\n", d->help);
    }
}

void config_wipe(config *c)
{
    OPENSSL_cleanse(c, sizeof *c);
}
