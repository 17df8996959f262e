/*
 * test_metrics.c - server/metrics.c: the exposition text made from known
 * counters (HELP and TYPE of every series of METRICS_MAP, labels, the
 * histogram's cumulative buckets, _sum and _count, the fallbacks for an
 * unknown method, status and route, the values read from elsewhere).
 * One process: the counters add up across the tests, in their order.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/strbuf.h"
#include "server/metrics.h"

static int g_id, g_history, g_list;

/* The exposition with *ext (a fixed one when NULL); the caller frees it. */
static char *render(const metrics_external *ext)
{
    metrics_external fixed = {.in_flight = 3,
                              .db_errors = 7,
                              .db_retries = 0,
                              .lockouts = 2,
                              .has_process = true,
                              .cpu_seconds = 1.5,
                              .start_time_seconds = 1700000000.25,
                              .rss_bytes = 4096,
                              .vsize_bytes = 8192,
                              .open_fds = 9,
                              .max_fds = 1024};
    strbuf b;
    sb_init(&b);
    metrics_render(&b, ext ? ext : &fixed);
    assert_false(b.oom);
    return b.data;
}

static void assert_has(const char *text, const char *line)
{
    if (!strstr(text, line))
        fail_msg("missing: %s\n--- in ---\n%s", line, text);
}

static void assert_lacks(const char *text, const char *piece)
{
    if (strstr(text, piece))
        fail_msg("unexpected: %s", piece);
}

static int setup(void **state)
{
    (void)state;
    metrics_init("1.2.3");
    g_list = metrics_route_register("/products$");
    g_id = metrics_route_register("/products/*$");
    g_history = metrics_route_register("/products/*/history$");
    return 0;
}

static void test_every_series_has_help_and_type(void **state)
{
    (void)state;
    char *t = render(NULL);
    const char *at = t;
    for (int s = 0; s < METRICS_SERIES_COUNT; s++) {
        const char *name = metrics_name((metrics_series)s);
        const char *type = metrics_type((metrics_series)s);
        assert_true(strcmp(type, "counter") == 0 || strcmp(type, "gauge") == 0 ||
                    strcmp(type, "histogram") == 0);
        if (strcmp(type, "counter") == 0)
            assert_non_null(strstr(name, "_total"));
        char help[512], typeline[1024];
        snprintf(help, sizeof help, "# HELP %s %s\n", name, metrics_help((metrics_series)s));
        snprintf(typeline, sizeof typeline, "%s# TYPE %s %s\n", help, name, type);
        const char *p = strstr(at, typeline);
        if (!p)
            fail_msg("no HELP/TYPE for %s in order", name);
        at = p + 1; /* the series come in the list's order */
        for (int o = 0; o < s; o++)
            assert_string_not_equal(name, metrics_name((metrics_series)o));
    }
    free(t);
}

static void test_route_labels(void **state)
{
    (void)state;
    assert_string_equal(metrics_route_label(METRICS_ROUTE_OTHER), "other");
    assert_string_equal(metrics_route_label(g_list), "/products");
    assert_string_equal(metrics_route_label(g_id), "/products/{id}");
    assert_string_equal(metrics_route_label(g_history), "/products/{id}/history");
    assert_string_equal(metrics_route_label(-1), "other");
    assert_string_equal(metrics_route_label(METRICS_ROUTES_MAX + 5), "other");
}

static void test_requests_and_histogram(void **state)
{
    (void)state;
    char *t = render(NULL);
    assert_lacks(t, "http_requests_total{"); /* nothing counted: no series yet */
    assert_lacks(t, "http_request_duration_seconds_bucket{");
    free(t);

    for (int i = 0; i < 3; i++)
        metrics_request(g_id, "GET", 200, 300);  /* le 0.0005 */
    metrics_request(g_id, "GET", 404, 2000);     /* le 0.0025 */
    metrics_request(g_id, "GET", 200, 500);      /* le 0.0005: bounds are inclusive */
    metrics_request(g_id, "GET", 200, 20000000); /* +Inf */
    metrics_request(g_history, "HEAD", 200, 1);
    metrics_request(g_list, "BREW", 418, 1); /* an unknown method and status */
    metrics_request(g_list, "GETX", 599, 1);
    metrics_request(g_list, "POST", 299, 1);
    metrics_request(METRICS_ROUTES_MAX + 1, "GET", 404, 1);  /* out of range: other */
    metrics_request(METRICS_ROUTE_OTHER, "DELETE", 405, -5); /* a clock step: 0 */

    t = render(NULL);
    assert_has(t,
               "\nhttp_requests_total{method=\"GET\",route=\"/products/{id}\",status=\"200\"} 5\n");
    assert_has(t,
               "\nhttp_requests_total{method=\"GET\",route=\"/products/{id}\",status=\"404\"} 1\n");
    assert_has(t, "\nhttp_requests_total{method=\"HEAD\",route=\"/products/{id}/history\","
                  "status=\"200\"} 1\n");
    assert_has(t, "\nhttp_requests_total{method=\"other\",route=\"/products\",status=\"4xx\"} 1\n");
    assert_has(t, "\nhttp_requests_total{method=\"other\",route=\"/products\",status=\"5xx\"} 1\n");
    assert_has(t, "\nhttp_requests_total{method=\"POST\",route=\"/products\",status=\"2xx\"} 1\n");
    assert_has(t, "\nhttp_requests_total{method=\"GET\",route=\"other\",status=\"404\"} 1\n");
    assert_has(t, "\nhttp_requests_total{method=\"DELETE\",route=\"other\",status=\"405\"} 1\n");
    assert_lacks(t, "BREW");
    assert_lacks(t, "418");

    /* The histogram of GET /products/{id}: 6 requests, cumulative. */
    static const struct {
        const char *le;
        int n;
    } want[] = {{"0.0005", 4}, {"0.001", 4}, {"0.0025", 5}, {"0.005", 5}, {"0.01", 5},
                {"0.025", 5},  {"0.05", 5},  {"0.1", 5},    {"0.25", 5},  {"0.5", 5},
                {"1", 5},      {"2.5", 5},   {"5", 5},      {"10", 5},    {"+Inf", 6}};
    const char *at = t;
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        char line[200];
        snprintf(line, sizeof line,
                 "\nhttp_request_duration_seconds_bucket{method=\"GET\",route=\"/products/{id}\","
                 "le=\"%s\"} %d\n",
                 want[i].le, want[i].n);
        const char *p = strstr(at, line);
        if (!p)
            fail_msg("missing or out of order: %s", line + 1);
        at = p + 1;
    }
    /* 3 * 300 + 2000 + 500 + 20000000 microseconds */
    assert_has(t, "\nhttp_request_duration_seconds_sum{method=\"GET\",route=\"/products/{id}\"} "
                  "20.003400\n");
    assert_has(t, "\nhttp_request_duration_seconds_count{method=\"GET\",route=\"/products/{id}\"} "
                  "6\n");
    assert_has(t, "\nhttp_request_duration_seconds_count{method=\"DELETE\",route=\"other\"} 1\n");
    assert_has(t, "\nhttp_request_duration_seconds_sum{method=\"DELETE\",route=\"other\"} "
                  "0.000000\n");
    free(t);
}

static void test_auth_counters(void **state)
{
    (void)state;
    char *t = render(NULL);
    assert_has(t, "\nintegrity_logins_total{result=\"success\"} 0\n");
    assert_has(t, "\nintegrity_logins_total{result=\"error\"} 0\n");
    assert_has(t, "\nintegrity_totp_verifications_total{result=\"login_required\"} 0\n");
    assert_has(t, "\nintegrity_tokens_issued_total 0\n");
    free(t);
    metrics_login(METRICS_LOGIN_SUCCESS);
    metrics_login(METRICS_LOGIN_INVALID_CREDENTIALS);
    metrics_login(METRICS_LOGIN_INVALID_CREDENTIALS);
    metrics_login(METRICS_LOGIN_BUSY);
    metrics_login((metrics_login_result)99); /* ignored */
    metrics_totp(METRICS_TOTP_INVALID_CODE);
    metrics_totp(METRICS_TOTP_LOCKED);
    metrics_token_issued();
    t = render(NULL);
    assert_has(t, "\nintegrity_logins_total{result=\"success\"} 1\n");
    assert_has(t, "\nintegrity_logins_total{result=\"invalid_credentials\"} 2\n");
    assert_has(t, "\nintegrity_logins_total{result=\"busy\"} 1\n");
    assert_has(t, "\nintegrity_logins_total{result=\"locked\"} 0\n");
    assert_has(t, "\nintegrity_totp_verifications_total{result=\"invalid_code\"} 1\n");
    assert_has(t, "\nintegrity_totp_verifications_total{result=\"locked\"} 1\n");
    assert_has(t, "\nintegrity_tokens_issued_total 1\n");
    free(t);
}

static void test_external_values(void **state)
{
    (void)state;
    char *t = render(NULL);
    assert_has(t, "\nhttp_requests_in_flight 3\n");
    assert_has(t, "\nintegrity_db_errors_total 7\n");
    assert_has(t, "\nintegrity_db_retries_total 0\n");
    assert_has(t, "\nintegrity_lockouts_total 2\n");
    assert_has(t, "\nintegrity_build_info{version=\"1.2.3\"} 1\n");
    assert_has(t, "\nprocess_cpu_seconds_total 1.500000\n");
    assert_has(t, "\nprocess_resident_memory_bytes 4096\n");
    assert_has(t, "\nprocess_virtual_memory_bytes 8192\n");
    assert_has(t, "\nprocess_open_fds 9\n");
    assert_has(t, "\nprocess_max_fds 1024\n");
    assert_has(t, "\nprocess_start_time_seconds 1700000000.25\n");
    free(t);

    /* Without /proc, no process_* series at all (rather than zeros). */
    metrics_external none = {.in_flight = 0};
    t = render(&none);
    assert_lacks(t, "process_");
    assert_has(t, "\nhttp_requests_in_flight 0\n");
    free(t);

    /* The live process. */
    metrics_external live;
    metrics_collect(&live);
    assert_true(live.has_process);
    assert_true(live.rss_bytes > 0);
    assert_true(live.open_fds >= 3);
    assert_true(live.start_time_seconds > 1e9);
    assert_int_equal(live.in_flight, 0);
}

static void test_label_escaping(void **state)
{
    (void)state;
    metrics_init("1.0\"x\\y\nz");
    char *t = render(NULL);
    assert_has(t, "\nintegrity_build_info{version=\"1.0\\\"x\\\\y\\nz\"} 1\n");
    free(t);
    metrics_init("1.2.3");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_series_has_help_and_type),
        cmocka_unit_test(test_route_labels),
        cmocka_unit_test(test_requests_and_histogram),
        cmocka_unit_test(test_auth_counters),
        cmocka_unit_test(test_external_values),
        cmocka_unit_test(test_label_escaping),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
