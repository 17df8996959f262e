/*
 * config.c - environment variables to struct config (see config.h).
 */
#include "server/config.h"

#include <errno.h>
#include <limits.h>
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crypto/hasher.h"
#include "crypto/password.h"
#include "crypto/random.h"
#include "crypto/token.h"
#include "hexdigit.h"

#define DEFAULT_DATABASE_URL "mysql://app:app@127.0.0.1:3306/data_integrity_task"

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

/* Read variable `name` as an integer in [min, max] with default `def`. */
static status get_uint(config_getter get, const char *name, unsigned long def, unsigned long min,
                       unsigned long max, unsigned long *out, char *why, size_t why_cap)
{
    const char *v = get(name);
    if (!v || !*v) {
        *out = def;
        return ST_OK;
    }
    if (!parse_uint(v, min, max, out)) {
        snprintf(why, why_cap, "%s must be a whole number from %lu to %lu", name, min, max);
        return ST_INVALID;
    }
    return ST_OK;
}

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

status config_load(config *c, config_getter get, char *why, size_t why_cap)
{
    status st;
    unsigned long v;
    memset(c, 0, sizeof *c);

    const char *env = get("APP_ENV");
    c->dev_mode = env && strcmp(env, "development") == 0;

    const char *url = get("DATABASE_URL");
    c->db.connect_timeout = 2;
    c->db.read_timeout = 5;
    c->db.write_timeout = 5;
    if ((st = db_url_parse(url && *url ? url : DEFAULT_DATABASE_URL, &c->db, why, why_cap)))
        return st;

    const char *key = get("JWT_SECRET_KEY");
    size_t keylen = key ? strlen(key) : 0;
    if (keylen >= TOKEN_KEY_MIN) {
        if (keylen > sizeof c->jwt_key) {
            snprintf(why, why_cap, "JWT_SECRET_KEY is too long (at most %zu bytes)",
                     sizeof c->jwt_key);
            return ST_INVALID;
        }
        memcpy(c->jwt_key, key, keylen);
        c->jwt_key_len = keylen;
    } else if (c->dev_mode) {
        c->jwt_key_len = 32;
        c->jwt_key_generated = true;
        if ((st = random_bytes(c->jwt_key, c->jwt_key_len)))
            return st;
    } else {
        snprintf(why, why_cap,
                 "JWT_SECRET_KEY is %s: set it to a random string of at least %d bytes "
                 "(e.g. `openssl rand -hex 32`), or set APP_ENV=development to run with a "
                 "throw-away key",
                 keylen ? "too short" : "not set", TOKEN_KEY_MIN);
        return ST_INVALID;
    }

    const char *host = get("HOST");
    if ((st = copy_str("HOST", host && *host ? host : "127.0.0.1", c->host, sizeof c->host, why,
                       why_cap)))
        return st;
    if ((st = get_uint(get, "PORT", 5000, 1, 65535, &v, why, why_cap)))
        return st;
    c->port = (unsigned)v;

    /* CivetWeb gives each connection a worker for as long as it is kept
     * alive, so the pool must outnumber the clients' connections; an idle
     * worker costs little (its MySQL connection opens on first use). */
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    unsigned long def_threads = (unsigned long)(cores > 0 ? cores : 1) * 32;
    if (def_threads < 64)
        def_threads = 64;
    if ((st = get_uint(get, "THREADS", def_threads, 1, 1024, &v, why, why_cap)))
        return st;
    c->threads = (unsigned)v;

    if ((st = get_uint(get, "BCRYPT_COST", 12, PASSWORD_COST_MIN, PASSWORD_COST_MAX, &v, why,
                       why_cap)))
        return st;
    c->bcrypt_cost = (int)v;
    if ((st = get_uint(get, "JWT_EXPIRES_SECONDS", 3600, 1, 31L * 24 * 3600, &v, why, why_cap)))
        return st;
    c->jwt_expires = (long)v;

    const char *issuer = get("TOTP_ISSUER");
    if ((st = copy_str("TOTP_ISSUER", issuer && *issuer ? issuer : "Integrity API", c->totp_issuer,
                       sizeof c->totp_issuer, why, why_cap)))
        return st;
    if (strchr(c->totp_issuer, ':')) {
        snprintf(why, why_cap, "TOTP_ISSUER must not contain ':'");
        return ST_INVALID;
    }

    const char *tkey = get("TOTP_SECRET_KEY");
    if (tkey && *tkey) {
        if (strlen(tkey) != 64) {
            snprintf(why, why_cap, "TOTP_SECRET_KEY must be 64 hex characters (32 bytes)");
            return ST_INVALID;
        }
        for (int i = 0; i < 32; i++) {
            int hi = hexdigit_value(tkey[2 * i]), lo = hexdigit_value(tkey[2 * i + 1]);
            if (hi < 0 || lo < 0) {
                snprintf(why, why_cap, "TOTP_SECRET_KEY must be 64 hex characters (32 bytes)");
                return ST_INVALID;
            }
            c->totp_key[i] = (unsigned char)(hi * 16 + lo);
        }
        c->has_totp_key = true;
    }

    if ((st = get_uint(get, "LOGIN_MAX_FAILURES", 5, 1, 1000, &v, why, why_cap)))
        return st;
    c->login_max_failures = (unsigned)v;
    if ((st = get_uint(get, "LOGIN_LOCK_SECONDS", 900, 1, 7L * 24 * 3600, &v, why, why_cap)))
        return st;
    c->login_lock_seconds = (unsigned)v;
    if ((st = get_uint(get, "LOGIN_CHALLENGE_SECONDS", 300, 1, 24L * 3600, &v, why, why_cap)))
        return st;
    c->login_challenge_seconds = (unsigned)v;
    if ((st = get_uint(get, "LOGIN_QUEUE_SECONDS", 5, 1, 300, &v, why, why_cap)))
        return st;
    c->login_queue_seconds = (unsigned)v;
    if ((st = get_uint(get, "BCRYPT_NICE", 10, 0, HASHER_NICE_MAX, &v, why, why_cap)))
        return st;
    c->bcrypt_nice = (unsigned)v;
    const char *policy = get("SCHED_POLICY");
    if (!policy || !*policy || strcmp(policy, "batch") == 0) {
        c->sched_batch = true;
    } else if (strcmp(policy, "normal") == 0) {
        c->sched_batch = false;
    } else {
        snprintf(why, why_cap, "SCHED_POLICY must be 'batch' or 'normal'");
        return ST_INVALID;
    }

    const char *cert = get("TLS_CERT"), *tlskey = get("TLS_KEY");
    bool has_cert = cert && *cert, has_key = tlskey && *tlskey;
    if (has_cert != has_key) {
        snprintf(why, why_cap, "TLS_CERT and TLS_KEY must be set together");
        return ST_INVALID;
    }
    if (has_cert) {
        if ((st = copy_str("TLS_CERT", cert, c->tls_cert, sizeof c->tls_cert, why, why_cap)) ||
            (st = copy_str("TLS_KEY", tlskey, c->tls_key, sizeof c->tls_key, why, why_cap)))
            return st;
    }
    return ST_OK;
}

void config_usage(FILE *out)
{
    fputs("Usage: integrity-server [--help] [--version]\n"
          "\n"
          "Integrity API: accounts, TOTP two-factor login, JWT and products on MySQL.\n"
          "Configuration comes from the environment:\n"
          "\n"
          "  DATABASE_URL             mysql://app:app@127.0.0.1:3306/data_integrity_task\n"
          "                           (also mysql+pymysql://...; ?socket=/path for a Unix socket)\n"
          "  JWT_SECRET_KEY           HS256 key, at least 32 bytes (required unless\n"
          "                           APP_ENV=development, which makes a random one)\n"
          "  APP_ENV                  'development' allows running without JWT_SECRET_KEY\n"
          "  HOST, PORT               listen address, default 127.0.0.1 and 5000\n"
          "  THREADS                  HTTP worker threads, default 32 per core (at least 64)\n"
          "  BCRYPT_COST              bcrypt cost, default 12\n"
          "  JWT_EXPIRES_SECONDS      access-token lifetime, default 3600\n"
          "  TOTP_ISSUER              issuer shown in the authenticator app, default\n"
          "                           'Integrity API'\n"
          "  TOTP_SECRET_KEY          64 hex characters: store TOTP secrets AES-256-GCM encrypted\n"
          "  LOGIN_MAX_FAILURES       failures before an account is locked, default 5\n"
          "  LOGIN_LOCK_SECONDS       how long the first lock lasts (each further one since\n"
          "                           the last completed login doubles, at most 24 h),\n"
          "                           default 900\n"
          "  LOGIN_CHALLENGE_SECONDS  how long a password login stays good for /verify-2fa,\n"
          "                           default 300\n"
          "  LOGIN_QUEUE_SECONDS      how long a login or signup may wait for a bcrypt slot\n"
          "                           before 503 server_busy, default 5\n"
          "  BCRYPT_NICE              0..19: the bcrypt helper's priority; higher leaves the\n"
          "                           reads more of a busy CPU and logins less, default 10\n"
          "  SCHED_POLICY             'batch' (default): the server's threads run Linux's\n"
          "                           SCHED_BATCH and do not preempt the CPU when woken;\n"
          "                           'normal': the kernel's default policy\n"
          "  TLS_CERT, TLS_KEY        PEM certificate and key: serve HTTPS only\n",
          out);
}

void config_wipe(config *c)
{
    OPENSSL_cleanse(c, sizeof *c);
}
