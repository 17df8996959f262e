/*
 * main.c - start-up and shut-down: configuration, the database (retried with
 * backoff until it answers, then the schema), CivetWeb with the route table,
 * and a graceful stop on SIGTERM/SIGINT (in-flight requests finish).
 */
#define _GNU_SOURCE /* SCHED_BATCH */
#include <civetweb.h>
#include <errno.h>
#include <malloc.h>
#include <openssl/ssl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "db/db.h"
#include "server/accesslog.h"
#include "server/config.h"
#include "server/http.h"
#include "server/metrics.h"
#include "server/routes.h"
#include "server/secrets.h"

static volatile sig_atomic_t g_stop;

static void on_signal(int sig)
{
    (void)sig;
    g_stop = 1;
}

/* CivetWeb worker threads each own one MySQL connection (see db.c). */
static void *on_thread_start(const struct mg_context *ctx, int type)
{
    (void)ctx;
    if (type == 1)
        db_thread_start();
    return NULL;
}

static void on_thread_stop(const struct mg_context *ctx, int type, void *user_data)
{
    (void)ctx;
    (void)user_data;
    if (type == 1)
        db_thread_end();
}

static int on_log_message(const struct mg_connection *conn, const char *msg)
{
    (void)conn;
    fprintf(stderr, "civetweb: %s\n", msg);
    return 1;
}

/* TLS_CERT and TLS_KEY are loaded here rather than through CivetWeb's
 * ssl_certificate option, which wants both in one file. TLS 1.2 at least. */
static int on_init_ssl(void *ssl_ctx, void *user_data)
{
    const config *cfg = user_data;
    SSL_CTX *ctx = ssl_ctx;
    if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1 ||
        SSL_CTX_use_certificate_chain_file(ctx, cfg->tls_cert) != 1 ||
        SSL_CTX_use_PrivateKey_file(ctx, cfg->tls_key, SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_check_private_key(ctx) != 1) {
        fprintf(stderr, "integrity-server: cannot use TLS_CERT=%s with TLS_KEY=%s\n", cfg->tls_cert,
                cfg->tls_key);
        return -1;
    }
    return 1;
}

/*
 * The router tries these in order on every request (route_find() in
 * router.c), so the routes most requests take come first. No two patterns
 * match the same path, so the order changes nothing else.
 */
static route g_routes[] = {
    {.pattern = "/products$",
     .methods = {{"GET", route_products_list, true, true}, {"POST", route_products_create, true}}},
    {.pattern = "/products/*$",
     .methods = {{"GET", route_products_get, true, true},
                 {"PUT", route_products_update, true},
                 {"PATCH", route_products_update, true},
                 {"DELETE", route_products_delete, true}}},
    {.pattern = "/products/*/history$", .methods = {{"GET", route_products_history, true}}},
    {.pattern = "/signup$", .methods = {{"POST", route_signup, false}}},
    {.pattern = "/login$", .methods = {{"POST", route_login, false}}},
    {.pattern = "/verify-2fa$", .methods = {{"POST", route_verify_2fa, false}}},
    {.pattern = "/logout$", .methods = {{"POST", route_logout, true}}},
    {.pattern = "/account$", .methods = {{"DELETE", route_account_delete, true}}},
    {.pattern = "/account/password$", .methods = {{"POST", route_account_password, true}}},
    {.pattern = "/account/recovery-codes$",
     .methods = {{"POST", route_account_recovery_codes, true}}},
    {.pattern = "/account/2fa/reset$", .methods = {{"POST", route_account_2fa_reset, true}}},
    {.pattern = "/healthz$", .methods = {{"GET", route_healthz, false}}},
    {.pattern = "/readyz$", .methods = {{"GET", route_readyz, false}}},
    {.pattern = "/openapi.yaml$", .methods = {{"GET", route_openapi, false}}},
    {.pattern = "/$", .methods = {{"GET", route_page, false}}},
    {.pattern = "/docs$", .methods = {{"GET", route_docs, false}}},
    {.pattern = "/assets/*$", .methods = {{"GET", route_asset, false}}},
    {.pattern = NULL},
};

/*
 * SCHED_POLICY=batch (the default): the calling thread, and so every thread
 * and process created after it (CivetWeb's workers, the access-log writer,
 * the bcrypt helper), runs SCHED_BATCH. The difference from the default
 * policy is one rule: a woken batch thread does not preempt the thread
 * running on its CPU, it waits for that one to block or its slice to end.
 * A request wakes a worker twice (its bytes arrive, MariaDB answers), and
 * each wake-up used to preempt MariaDB or the client mid-work: about two
 * more context switches per request, which is what this server is bound by
 * on small machines (bench/findings.md, "Runs K to N"). No privilege is
 * needed; if the kernel refuses, the server says so and runs as it is.
 */
static void apply_sched_policy(const config *cfg)
{
    if (!cfg->sched_batch)
        return;
    struct sched_param p = {.sched_priority = 0};
    if (sched_setscheduler(0, SCHED_BATCH, &p) != 0)
        fprintf(stderr,
                "integrity-server: WARNING: SCHED_POLICY=batch refused (%s); running with the "
                "default policy\n",
                strerror(errno));
}

/*
 * The metrics listener (METRICS_PORT): a CivetWeb context of its own, with
 * its own port and two threads, that serves GET /metrics and nothing else,
 * so the API's port never does and a scrape never waits behind API
 * requests for a worker. Plain HTTP; NULL when it cannot listen.
 */
static struct mg_context *metrics_start(const config *cfg, char *ports, size_t ports_cap)
{
    bool v6 = strchr(cfg->metrics_host, ':') != NULL;
    snprintf(ports, ports_cap, v6 ? "[%s]:%u" : "%s:%u", cfg->metrics_host, cfg->metrics_port);
    /* clang-format off */
    const char *options[] = {
        "listening_ports", ports,
        "num_threads", "2",
        "enable_keep_alive", "yes",
        "keep_alive_timeout_ms", "5000",
        "request_timeout_ms", "5000",
        "enable_directory_listing", "no",
        "decode_url", "no",
        NULL,
    };
    /* clang-format on */
    struct mg_callbacks cb;
    memset(&cb, 0, sizeof cb);
    cb.log_message = on_log_message;
    cb.http_error = http_error_callback;
    struct mg_context *ctx = mg_start(&cb, NULL, options);
    if (ctx)
        http_register_metrics(ctx);
    return ctx;
}

static const char *env_get(const char *name)
{
    return getenv(name);
}

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            config_usage(stdout);
            return 0;
        }
        if (strcmp(argv[i], "--version") == 0) {
            printf("integrity-server %s\n", INTEGRITY_VERSION);
            return 0;
        }
        if (strcmp(argv[i], "--config-table") == 0) {
            config_markdown_table(stdout);
            return 0;
        }
        fprintf(stderr, "integrity-server: unknown argument '%s' (try --help)\n", argv[i]);
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    /* glibc makes up to 8 malloc arenas per core, one per busy thread: with a
     * pool of 64+ workers that is memory for nothing; two are plenty here. */
    mallopt(M_ARENA_MAX, 2);

    static config cfg;
    char why[512];
    if (config_load(&cfg, env_get, why, sizeof why) != ST_OK) {
        fprintf(stderr, "integrity-server: %s\n", why);
        return 1;
    }
    if (cfg.jwt_key_generated)
        fprintf(stderr, "integrity-server: WARNING: development mode: JWT_SECRET_KEY is not "
                        "set, using a random key; tokens die with this process\n");

    struct sigaction sa = {.sa_handler = on_signal};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    int rc = 1;
    struct mg_context *ctx = NULL, *metrics_ctx = NULL;
    bool db_ready = false, auth_ready = false;
    if (db_init(&cfg.db) != ST_OK) {
        fprintf(stderr, "integrity-server: MySQL client library failed to start\n");
        goto out;
    }
    db_ready = true;
    apply_sched_policy(&cfg); /* before any thread or the helper exists: they inherit it */
    /* Before any thread exists: it forks the bcrypt helper (crypto/hasher.h). */
    if (routes_auth_init(&cfg) != ST_OK) {
        fprintf(stderr, "integrity-server: start-up of the auth routes failed\n");
        goto out;
    }
    auth_ready = true;

    char ports[300], threads[16];
    bool tls = cfg.tls_cert[0] != '\0';
    bool v6 = strchr(cfg.host, ':') != NULL;
    snprintf(ports, sizeof ports, v6 ? "[%s]:%u%s" : "%s:%u%s", cfg.host, cfg.port, tls ? "s" : "");
    snprintf(threads, sizeof threads, "%u", cfg.threads);
    /* clang-format off */
    const char *options[] = {
        "listening_ports", ports,
        "num_threads", threads,
        "enable_keep_alive", "yes",
        "keep_alive_timeout_ms", "5000",
        "request_timeout_ms", "5000", /* a stalled body read gives up after 2 of these */
        "max_request_size", "16384",
        "enable_directory_listing", "no",
        "tcp_nodelay", "1",
        "decode_url", "no", /* see http_path_clean() in http.h */
        NULL,
    };
    /* clang-format on */
    struct mg_callbacks cb;
    memset(&cb, 0, sizeof cb);
    cb.init_thread = on_thread_start;
    cb.exit_thread = on_thread_stop;
    cb.log_message = on_log_message;
    cb.http_error = http_error_callback;
    if (tls)
        cb.init_ssl = on_init_ssl;

    /* The threads started here inherit a mask that blocks SIGTERM and SIGINT,
     * so the main thread alone takes them, and waits for them in sigsuspend()
     * rather than waking up to look (see the end of main). */
    sigset_t stop_sigs, main_mask;
    sigemptyset(&stop_sigs);
    sigaddset(&stop_sigs, SIGTERM);
    sigaddset(&stop_sigs, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop_sigs, &main_mask);
    sigdelset(&main_mask, SIGTERM);
    sigdelset(&main_mask, SIGINT);
    accesslog_set_format(cfg.log_json ? ACCESSLOG_JSON : ACCESSLOG_TEXT);
    metrics_init(INTEGRITY_VERSION);
    if (!accesslog_start(STDOUT_FILENO))
        fprintf(stderr, "integrity-server: no access-log thread; writing each line directly\n");
    mg_init_library(tls ? MG_FEATURES_TLS : 0);
    ctx = mg_start(&cb, &cfg, options);
    char metrics_ports[300] = "";
    if (ctx && cfg.metrics_port)
        metrics_ctx = metrics_start(&cfg, metrics_ports, sizeof metrics_ports);
    pthread_sigmask(SIG_SETMASK, &main_mask, NULL);
    if (!ctx) {
        fprintf(stderr, "integrity-server: cannot listen on %s\n", ports);
        goto out;
    }
    if (cfg.metrics_port && !metrics_ctx) {
        fprintf(stderr, "integrity-server: cannot listen on %s (METRICS_PORT)\n", metrics_ports);
        goto out;
    }
    http_register(ctx, g_routes, &cfg);
    if (metrics_ctx)
        fprintf(stderr, "integrity-server: metrics on http://%s/metrics\n", metrics_ports);
    fprintf(stderr, "integrity-server %s listening on %s://%s:%u (%u threads)\n", INTEGRITY_VERSION,
            tls ? "https" : "http", cfg.host, cfg.port, cfg.threads);

    /* Listening comes first: /healthz answers while the database is still
     * being waited for, and every route that needs it answers 503 until the
     * schema is in place. */
    db_thread_start();
    if (db_wait_ready(&g_stop) != ST_OK) {
        rc = g_stop ? 0 : 1;
        goto out;
    }
    if (db_apply_schema() != ST_OK) {
        fprintf(stderr, "integrity-server: could not create the tables\n");
        goto out;
    }
    if (secrets_check_key(&cfg, why, sizeof why) != ST_OK) {
        fprintf(stderr, "integrity-server: %s\n", why);
        goto out;
    }
    db_set_ready();
    fprintf(stderr, "integrity-server: database ready\n");

    /* Asleep until SIGTERM or SIGINT. They are blocked while g_stop is
     * tested and unblocked by sigsuspend() in the same step, so one that
     * comes in between is not lost; no other thread takes them (above). */
    pthread_sigmask(SIG_BLOCK, &stop_sigs, NULL);
    while (!g_stop)
        sigsuspend(&main_mask);
    pthread_sigmask(SIG_SETMASK, &main_mask, NULL);
    /* Graceful stop: new requests get 503 while the ones in flight finish
     * (bounded), then CivetWeb stops. */
    fprintf(stderr, "integrity-server: stopping; finishing requests in flight\n");
    http_drain_begin();
    for (int waited_ms = 0; http_in_flight() > 0 && waited_ms < 30000; waited_ms += 10) {
        struct timespec ts = {0, 10 * 1000000L};
        nanosleep(&ts, NULL);
    }
    rc = 0;
out:
    if (metrics_ctx)
        mg_stop(metrics_ctx);
    if (ctx)
        mg_stop(ctx); /* closes the listeners and connections, joins the workers */
    mg_exit_library();
    accesslog_stop(); /* after the workers: their last lines are written too */
    if (auth_ready)
        routes_auth_free();
    if (db_ready) {
        db_thread_end();
        db_shutdown();
    }
    config_wipe(&cfg);
    return rc;
}
