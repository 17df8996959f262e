/*
 * metrics.c - the Prometheus series (see metrics.h): the counters, and the
 * text exposition format 0.0.4 made from them at each scrape.
 *
 * The request counters are plain arrays of relaxed atomics indexed by
 * [route][method][status] and [route][method][bucket]: a request adds one to
 * three of them and takes no lock; a scrape reads them all (each value
 * whole, the set not a snapshot: a request finishing during a scrape may be
 * in the counter and not yet in the histogram). The histogram's buckets are
 * kept apart (each request in one) and made cumulative while rendering, and
 * its _count is their sum, so a scrape's buckets rise to exactly _count.
 */
#include "server/metrics.h"

#include <dirent.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "db/db.h"
#include "db/users.h"

/* ======================================================================
 * The list
 * ====================================================================== */

const char *metrics_name(metrics_series s)
{
    switch (s) {
#define METRICS_NAME(id, name, type, help)                                                         \
    case METRIC_##id:                                                                              \
        return name;
        METRICS_MAP(METRICS_NAME)
#undef METRICS_NAME
    case METRICS_SERIES_COUNT:
        break;
    }
    return "unknown";
}

const char *metrics_type(metrics_series s)
{
    switch (s) {
#define METRICS_TYPE(id, name, type, help)                                                         \
    case METRIC_##id:                                                                              \
        return type;
        METRICS_MAP(METRICS_TYPE)
#undef METRICS_TYPE
    case METRICS_SERIES_COUNT:
        break;
    }
    return "untyped";
}

const char *metrics_help(metrics_series s)
{
    switch (s) {
#define METRICS_HELP(id, name, type, help)                                                         \
    case METRIC_##id:                                                                              \
        return help;
        METRICS_MAP(METRICS_HELP)
#undef METRICS_HELP
    case METRICS_SERIES_COUNT:
        break;
    }
    return "";
}

static const char *const LOGIN_LABELS[] = {
#define METRICS_LOGIN_LABEL(id, label) label,
    METRICS_LOGIN_RESULTS(METRICS_LOGIN_LABEL)
#undef METRICS_LOGIN_LABEL
};

static const char *const TOTP_LABELS[] = {
#define METRICS_TOTP_LABEL(id, label) label,
    METRICS_TOTP_RESULTS(METRICS_TOTP_LABEL)
#undef METRICS_TOTP_LABEL
};

/* ======================================================================
 * The label sets: small fixed tables, so a counter is found by index
 * ====================================================================== */

static const char *const METHODS[] = {"GET",   "HEAD",   "POST",    "PUT",
                                      "PATCH", "DELETE", "OPTIONS", "other"};
#define N_METHODS (sizeof METHODS / sizeof METHODS[0])

/* The statuses the server sends; any other is counted by its class. */
static const int STATUSES[] = {200, 201, 204, 301, 302, 304, 400, 401, 403, 404, 405, 406, 408, 409,
                               410, 412, 413, 414, 415, 422, 429, 431, 500, 501, 502, 503, 504};
#define N_STATUSES (sizeof STATUSES / sizeof STATUSES[0])
static const char *const CLASSES[] = {"other", "1xx", "2xx", "3xx", "4xx", "5xx"};
#define N_STATUS_SLOTS (N_STATUSES + sizeof CLASSES / sizeof CLASSES[0])

/* Upper bounds of the duration buckets, in microseconds, and as written in
 * the "le" label; the last bucket is +Inf. */
static const long long BUCKET_US[] = {500,    1000,   2500,   5000,    10000,   25000,   50000,
                                      100000, 250000, 500000, 1000000, 2500000, 5000000, 10000000};
static const char *const BUCKET_LE[] = {"0.0005", "0.001", "0.0025", "0.005", "0.01",
                                        "0.025",  "0.05",  "0.1",    "0.25",  "0.5",
                                        "1",      "2.5",   "5",      "10",    "+Inf"};
#define N_BUCKETS (sizeof BUCKET_LE / sizeof BUCKET_LE[0])
_Static_assert(N_BUCKETS == sizeof BUCKET_US / sizeof BUCKET_US[0] + 1, "one +Inf bucket");

typedef _Atomic unsigned long long counter;

static struct {
    const char *version;
    int routes; /* registered, "other" included */
    char route_label[METRICS_ROUTES_MAX][64];
    counter requests[METRICS_ROUTES_MAX][N_METHODS][N_STATUS_SLOTS];
    counter buckets[METRICS_ROUTES_MAX][N_METHODS][N_BUCKETS];
    counter sum_us[METRICS_ROUTES_MAX][N_METHODS];
    counter logins[METRICS_LOGIN_RESULT_COUNT];
    counter totp[METRICS_TOTP_RESULT_COUNT];
    counter tokens;
} g_m = {.version = "unknown", .routes = 1, .route_label = {"other"}};

static void bump(counter *c)
{
    atomic_fetch_add_explicit(c, 1, memory_order_relaxed);
}

static unsigned long long peek(counter *c)
{
    return atomic_load_explicit(c, memory_order_relaxed);
}

void metrics_init(const char *version)
{
    g_m.version = version;
}

int metrics_route_register(const char *pattern)
{
    if (g_m.routes >= METRICS_ROUTES_MAX)
        return METRICS_ROUTE_OTHER;
    char *label = g_m.route_label[g_m.routes];
    size_t cap = sizeof g_m.route_label[0], n = 0;
    for (const char *p = pattern; *p && *p != '$'; p++) {
        const char *piece = *p == '*' ? "{id}" : NULL;
        size_t len = piece ? strlen(piece) : 1;
        if (n + len >= cap)
            return METRICS_ROUTE_OTHER; /* cannot happen with our patterns */
        memcpy(label + n, piece ? piece : p, len);
        n += len;
    }
    label[n] = '\0';
    return g_m.routes++;
}

const char *metrics_route_label(int rt)
{
    return g_m.route_label[rt > 0 && rt < g_m.routes ? rt : METRICS_ROUTE_OTHER];
}

static size_t method_index(const char *m)
{
    /* By the first letter, then one comparison: this runs per request. */
    size_t i;
    switch (m[0]) {
    case 'G':
        i = 0;
        break;
    case 'H':
        i = 1;
        break;
    case 'P':
        i = m[1] == 'O' ? 2 : m[1] == 'U' ? 3 : 4;
        break;
    case 'D':
        i = 5;
        break;
    case 'O':
        i = 6;
        break;
    default:
        return N_METHODS - 1;
    }
    return strcmp(m, METHODS[i]) == 0 ? i : N_METHODS - 1;
}

static size_t status_index(int code)
{
    size_t lo = 0, hi = N_STATUSES;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (STATUSES[mid] == code)
            return mid;
        if (STATUSES[mid] < code)
            lo = mid + 1;
        else
            hi = mid;
    }
    return N_STATUSES + (code >= 100 && code <= 599 ? (size_t)(code / 100) : 0);
}

/* The label of status slot i, into buf[8]. */
static const char *status_label(size_t i, char buf[8])
{
    if (i >= N_STATUSES)
        return CLASSES[i - N_STATUSES];
    snprintf(buf, 8, "%d", STATUSES[i]);
    return buf;
}

static size_t bucket_index(long long us)
{
    size_t i = 0;
    while (i < N_BUCKETS - 1 && us > BUCKET_US[i])
        i++;
    return i;
}

void metrics_request(int route_index, const char *method, int code, long long us)
{
    size_t rt =
        route_index > 0 && route_index < g_m.routes ? (size_t)route_index : METRICS_ROUTE_OTHER;
    size_t m = method_index(method ? method : "");
    if (us < 0)
        us = 0;
    bump(&g_m.requests[rt][m][status_index(code)]);
    bump(&g_m.buckets[rt][m][bucket_index(us)]);
    atomic_fetch_add_explicit(&g_m.sum_us[rt][m], (unsigned long long)us, memory_order_relaxed);
}

void metrics_login(metrics_login_result result)
{
    if ((unsigned)result < METRICS_LOGIN_RESULT_COUNT)
        bump(&g_m.logins[result]);
}

void metrics_totp(metrics_totp_result result)
{
    if ((unsigned)result < METRICS_TOTP_RESULT_COUNT)
        bump(&g_m.totp[result]);
}

void metrics_token_issued(void)
{
    bump(&g_m.tokens);
}

/* ======================================================================
 * The process, from /proc
 * ====================================================================== */

/* Fields 22 (starttime, ticks after boot), 23 (vsize, bytes) and 24 (rss,
 * pages) of /proc/self/stat, and the boot time of /proc/stat. */
static bool read_proc(metrics_external *ext)
{
    char buf[1024];
    FILE *f = fopen("/proc/self/stat", "r");
    if (!f)
        return false;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    const char *p = strrchr(buf, ')'); /* the command name may hold spaces */
    unsigned long long start, vsize, rss;
    if (!p || sscanf(p + 2,
                     "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %*d "
                     "%*d %llu %llu %llu",
                     &start, &vsize, &rss) != 3)
        return false;
    long tick = sysconf(_SC_CLK_TCK), page = sysconf(_SC_PAGESIZE);
    if (tick <= 0 || page <= 0)
        return false;
    unsigned long long btime = 0;
    char line[256];
    if ((f = fopen("/proc/stat", "r")) != NULL) {
        while (fgets(line, sizeof line, f))
            if (sscanf(line, "btime %llu", &btime) == 1)
                break;
        fclose(f);
    }
    ext->start_time_seconds = (double)btime + (double)start / (double)tick;
    ext->vsize_bytes = vsize;
    ext->rss_bytes = rss * (unsigned long long)page;
    return true;
}

/* The entries of /proc/self/fd, less the one that reads it. */
static unsigned long long count_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        return 0;
    unsigned long long n = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;)
        if (e->d_name[0] != '.')
            n++;
    closedir(d);
    return n > 0 ? n - 1 : 0;
}

void metrics_collect(metrics_external *ext)
{
    memset(ext, 0, sizeof *ext);
    ext->db_errors = db_error_count();
    ext->db_retries = db_retry_count();
    ext->lockouts = users_lockout_count();
    ext->has_process = read_proc(ext);
    /* CPU time from getrusage: microseconds, where /proc counts 10 ms ticks. */
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) == 0)
        ext->cpu_seconds = (double)ru.ru_utime.tv_sec + (double)ru.ru_stime.tv_sec +
                           ((double)ru.ru_utime.tv_usec + (double)ru.ru_stime.tv_usec) / 1e6;
    if (ext->has_process) {
        ext->open_fds = count_fds();
        struct rlimit rl;
        if (getrlimit(RLIMIT_NOFILE, &rl) == 0)
            ext->max_fds = rl.rlim_cur == RLIM_INFINITY ? 0 : (unsigned long long)rl.rlim_cur;
    }
}

/* ======================================================================
 * The exposition
 * ====================================================================== */

static void head(strbuf *out, metrics_series s)
{
    sb_printf(out, "# HELP %s %s\n# TYPE %s %s\n", metrics_name(s), metrics_help(s),
              metrics_name(s), metrics_type(s));
}

/* A label value: \, " and newline escaped (format 0.0.4). */
static void label_value(strbuf *out, const char *v)
{
    for (; *v; v++) {
        if (*v == '\\' || *v == '"')
            sb_printf(out, "\\%c", *v);
        else if (*v == '\n')
            sb_lit(out, "\\n");
        else
            sb_append(out, v, 1);
    }
}

static void sample_u(strbuf *out, const char *name, unsigned long long v)
{
    sb_printf(out, "%s %llu\n", name, v);
}

/* Seconds from microseconds, exactly: 1234567 -> "1.234567". */
static void seconds_us(strbuf *out, unsigned long long us)
{
    sb_printf(out, "%llu.%06llu", us / 1000000, us % 1000000);
}

static void render_requests(strbuf *out)
{
    char code[8];
    for (int rt = 0; rt < g_m.routes; rt++)
        for (size_t m = 0; m < N_METHODS; m++)
            for (size_t s = 0; s < N_STATUS_SLOTS; s++) {
                unsigned long long v = peek(&g_m.requests[rt][m][s]);
                if (!v)
                    continue;
                sb_printf(out, "http_requests_total{method=\"%s\",route=\"", METHODS[m]);
                label_value(out, g_m.route_label[rt]);
                sb_printf(out, "\",status=\"%s\"} %llu\n", status_label(s, code), v);
            }
}

static void render_durations(strbuf *out)
{
    for (int rt = 0; rt < g_m.routes; rt++)
        for (size_t m = 0; m < N_METHODS; m++) {
            unsigned long long b[N_BUCKETS], total = 0;
            for (size_t i = 0; i < N_BUCKETS; i++)
                total += b[i] = peek(&g_m.buckets[rt][m][i]);
            if (!total)
                continue;
            unsigned long long cum = 0;
            for (size_t i = 0; i < N_BUCKETS; i++) {
                cum += b[i];
                sb_printf(out, "http_request_duration_seconds_bucket{method=\"%s\",route=\"",
                          METHODS[m]);
                label_value(out, g_m.route_label[rt]);
                sb_printf(out, "\",le=\"%s\"} %llu\n", BUCKET_LE[i], cum);
            }
            sb_printf(out, "http_request_duration_seconds_sum{method=\"%s\",route=\"", METHODS[m]);
            label_value(out, g_m.route_label[rt]);
            sb_lit(out, "\"} ");
            seconds_us(out, peek(&g_m.sum_us[rt][m]));
            sb_printf(out, "\nhttp_request_duration_seconds_count{method=\"%s\",route=\"",
                      METHODS[m]);
            label_value(out, g_m.route_label[rt]);
            sb_printf(out, "\"} %llu\n", total);
        }
}

static void render_one(strbuf *out, metrics_series s, const metrics_external *ext)
{
    switch (s) {
    case METRIC_HTTP_REQUESTS:
        render_requests(out);
        return;
    case METRIC_HTTP_DURATION:
        render_durations(out);
        return;
    case METRIC_HTTP_IN_FLIGHT:
        sb_printf(out, "http_requests_in_flight %ld\n", ext->in_flight);
        return;
    case METRIC_LOGINS:
        for (size_t i = 0; i < METRICS_LOGIN_RESULT_COUNT; i++)
            sb_printf(out, "integrity_logins_total{result=\"%s\"} %llu\n", LOGIN_LABELS[i],
                      peek(&g_m.logins[i]));
        return;
    case METRIC_TOTP:
        for (size_t i = 0; i < METRICS_TOTP_RESULT_COUNT; i++)
            sb_printf(out, "integrity_totp_verifications_total{result=\"%s\"} %llu\n",
                      TOTP_LABELS[i], peek(&g_m.totp[i]));
        return;
    case METRIC_LOCKOUTS:
        sample_u(out, "integrity_lockouts_total", ext->lockouts);
        return;
    case METRIC_TOKENS:
        sample_u(out, "integrity_tokens_issued_total", peek(&g_m.tokens));
        return;
    case METRIC_DB_ERRORS:
        sample_u(out, "integrity_db_errors_total", ext->db_errors);
        return;
    case METRIC_DB_RETRIES:
        sample_u(out, "integrity_db_retries_total", ext->db_retries);
        return;
    case METRIC_BUILD_INFO:
        sb_lit(out, "integrity_build_info{version=\"");
        label_value(out, g_m.version);
        sb_lit(out, "\"} 1\n");
        return;
    case METRIC_CPU:
        sb_printf(out, "process_cpu_seconds_total %.6f\n", ext->cpu_seconds);
        return;
    case METRIC_RSS:
        sample_u(out, "process_resident_memory_bytes", ext->rss_bytes);
        return;
    case METRIC_VSIZE:
        sample_u(out, "process_virtual_memory_bytes", ext->vsize_bytes);
        return;
    case METRIC_OPEN_FDS:
        sample_u(out, "process_open_fds", ext->open_fds);
        return;
    case METRIC_MAX_FDS:
        sample_u(out, "process_max_fds", ext->max_fds);
        return;
    case METRIC_START_TIME:
        sb_printf(out, "process_start_time_seconds %.2f\n", ext->start_time_seconds);
        return;
    case METRICS_SERIES_COUNT:
        return;
    }
}

static bool is_process_series(metrics_series s)
{
    return strncmp(metrics_name(s), "process_", 8) == 0;
}

void metrics_render(strbuf *out, const metrics_external *ext)
{
    for (int s = 0; s < METRICS_SERIES_COUNT; s++) {
        if (is_process_series((metrics_series)s) && !ext->has_process)
            continue;
        head(out, (metrics_series)s);
        render_one(out, (metrics_series)s, ext);
    }
}
