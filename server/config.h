/*
 * config.h - the server's configuration, read once from the environment at
 * start-up (SPEC 1) into a struct that is passed down. Nothing else reads the
 * environment.
 */
#ifndef INTEGRITY_CONFIG_H
#define INTEGRITY_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "db/db.h"
#include "common/status.h"

#define CONFIG_JWT_KEY_MAX 512

typedef struct config {
    db_config db;
    unsigned char jwt_key[CONFIG_JWT_KEY_MAX];
    size_t jwt_key_len;
    bool dev_mode;          /* APP_ENV=development */
    bool jwt_key_generated; /* dev mode without JWT_SECRET_KEY */
    char host[256];
    unsigned port;
    unsigned threads;
    int bcrypt_cost;
    long jwt_expires;
    char totp_issuer[128];
    unsigned char totp_key[32];
    bool has_totp_key;
    unsigned login_max_failures;
    unsigned login_lock_seconds;
    unsigned login_challenge_seconds;
    unsigned login_queue_seconds;   /* the longest wait for a bcrypt slot */
    unsigned revocation_recheck_ms; /* how long a worker trusts a token it found not revoked */
    unsigned bcrypt_nice;           /* the bcrypt helper's nice value (crypto/hasher.h) */
    bool sched_batch;               /* SCHED_POLICY=batch: every thread runs SCHED_BATCH */
    char tls_cert[1024];
    char tls_key[1024];
    unsigned metrics_port; /* 0: no metrics listener */
    char metrics_host[256];
    bool log_json; /* LOG_FORMAT=json */
} config;

/* How config_load reads a variable: getenv, or a table in tests. */
typedef const char *(*config_getter)(const char *name);

/*
 * Fill *c from the variables `get` returns. ST_INVALID with a message for a
 * person in why[why_cap] when a value is malformed or out of range, or when
 * JWT_SECRET_KEY is missing or short outside development mode. In
 * development mode a missing key is replaced by a random one
 * (c->jwt_key_generated says so, for the caller to warn).
 */
status config_load(config *c, config_getter get, char *why, size_t why_cap);

/* Print the --help text (every variable, its default and meaning). */
void config_usage(FILE *out);

/*
 * Print README.md's configuration table: a Markdown table, its header and
 * one row per variable (name, default, meaning), from the same list as
 * config_load and config_usage. scripts/config-table.sh puts it in README.md;
 * tests/unit/test_config.c checks that README.md has it.
 */
void config_markdown_table(FILE *out);

/* Wipe the secrets in *c. */
void config_wipe(config *c);

#endif
