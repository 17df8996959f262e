/*
 * test_accesslog.c - unit tests for server/accesslog.c, the buffered writer
 * of the access log: before it starts a line goes straight to stdout; once
 * started, lines reach the fd whole and in order within a bounded time (also
 * after the writer has gone idle), every queued line is out when
 * accesslog_stop() returns, lines from many threads are never cut or mixed
 * (also when the buffer overflows and callers write for themselves), and
 * after the stop a line is written at once by its caller.
 *
 * The writer is one process-wide object, so the tests run in this order and
 * each starts and stops it itself.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "server/accesslog.h"

/* ---- helpers ---- */

static double now_s(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void line(const char *s)
{
    accesslog_line(s, strlen(s));
}

/* A temporary file, already unlinked: *rd reads it from the start, the
 * returned fd appends to it (what the writer gets). */
static int temp_log(int *rd)
{
    char path[] = "/tmp/test_accesslog.XXXXXX";
    int fd = mkstemp(path);
    int wr;

    assert_true(fd >= 0);
    wr = open(path, O_WRONLY | O_APPEND);
    assert_true(wr >= 0);
    assert_int_equal(unlink(path), 0);
    *rd = fd;
    return wr;
}

/* Everything in the file behind `rd`, NUL-terminated; the caller frees. */
static char *slurp(int rd, size_t *len)
{
    off_t size = lseek(rd, 0, SEEK_END);
    char *buf;

    assert_true(size >= 0);
    buf = malloc((size_t)size + 1);
    assert_non_null(buf);
    assert_int_equal(pread(rd, buf, (size_t)size, 0), size);
    buf[size] = '\0';
    *len = (size_t)size;
    return buf;
}

/* Read from the pipe `rd` until `want` bytes came or `timeout_s` passed;
 * the bytes into buf (NUL-terminated). Returns the count. */
static size_t read_pipe(int rd, char *buf, size_t cap, size_t want, double timeout_s)
{
    size_t got = 0;
    double end = now_s() + timeout_s;

    while (got < want && got + 1 < cap) {
        struct pollfd p = {.fd = rd, .events = POLLIN};
        int ms = (int)((end - now_s()) * 1000);

        if (ms <= 0 || poll(&p, 1, ms) <= 0)
            break;
        ssize_t n = read(rd, buf + got, cap - 1 - got);
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    buf[got] = '\0';
    return got;
}

/* Bytes waiting in the pipe right now (no waiting), NUL-terminated. */
static size_t read_pipe_now(int rd, char *buf, size_t cap)
{
    int flags = fcntl(rd, F_GETFL);
    ssize_t n;

    assert_int_equal(fcntl(rd, F_SETFL, flags | O_NONBLOCK), 0);
    n = read(rd, buf, cap - 1);
    assert_int_equal(fcntl(rd, F_SETFL, flags), 0);
    if (n < 0) {
        assert_int_equal(errno, EAGAIN);
        n = 0;
    }
    buf[n] = '\0';
    return (size_t)n;
}

/* ---- before the start: stdout ---- */

/* Must run first: no accesslog_start() has been made in this process yet. */
static void test_before_start_writes_stdout(void **state)
{
    int p[2], saved;
    char buf[64];

    (void)state;
    assert_int_equal(pipe(p), 0);
    fflush(stdout);
    saved = dup(STDOUT_FILENO);
    assert_true(saved >= 0);
    assert_int_equal(dup2(p[1], STDOUT_FILENO), STDOUT_FILENO);
    line("GET / 200\n");
    assert_int_equal(dup2(saved, STDOUT_FILENO), STDOUT_FILENO);
    close(saved);
    close(p[1]);
    /* written by the call itself: in the pipe before it returned */
    assert_int_equal(read_pipe_now(p[0], buf, sizeof buf), 10);
    assert_string_equal(buf, "GET / 200\n");
    close(p[0]);
}

/* ---- started ---- */

/* A line reaches the fd without a stop, within about 100 ms (1 s allowed
 * here for slow runs under valgrind), the first one and one that comes after
 * the writer has gone idle (no timeout of its own: woken by the line). */
static void test_line_arrives_while_running(void **state)
{
    int p[2];
    char buf[256];
    double t0;

    (void)state;
    assert_int_equal(pipe(p), 0);
    assert_true(accesslog_start(p[1]));

    t0 = now_s();
    line("first line\n");
    assert_int_equal(read_pipe(p[0], buf, sizeof buf, 11, 1.0), 11);
    assert_string_equal(buf, "first line\n");
    assert_true(now_s() - t0 < 1.0);

    usleep(400 * 1000); /* a few intervals with nothing to write: the writer sleeps */
    t0 = now_s();
    line("after a pause\n");
    line("and one more\n");
    assert_int_equal(read_pipe(p[0], buf, sizeof buf, 27, 1.0), 27);
    assert_string_equal(buf, "after a pause\nand one more\n");
    assert_true(now_s() - t0 < 1.0);

    accesslog_stop();
    assert_int_equal(read_pipe_now(p[0], buf, sizeof buf), 0); /* nothing else */
    close(p[0]);
    close(p[1]);
}

/* What is queued is out when accesslog_stop() returns, in the order given;
 * the writer never closes the fd. */
static void test_stop_flushes_in_order(void **state)
{
    int rd, wr;
    char want[16384], l[64];
    size_t wlen = 0, len;
    char *got;

    (void)state;
    wr = temp_log(&rd);
    assert_true(accesslog_start(wr));
    for (int i = 0; i < 300; i++) {
        int n = snprintf(l, sizeof l, "line %03d GET /products/%d 200\n", i, i * 7);

        assert_true(n > 0 && (size_t)n < sizeof l);
        accesslog_line(l, (size_t)n);
        memcpy(want + wlen, l, (size_t)n);
        wlen += (size_t)n;
    }
    accesslog_stop();
    got = slurp(rd, &len);
    assert_int_equal(len, wlen);
    assert_memory_equal(got, want, wlen);
    free(got);
    assert_int_not_equal(fcntl(wr, F_GETFD), -1); /* still open */
    close(wr);
    close(rd);
}

/* A stop with nothing queued writes nothing; start and stop again work. */
static void test_stop_empty_restart(void **state)
{
    int rd, wr;
    size_t len;
    char *got;

    (void)state;
    wr = temp_log(&rd);
    assert_true(accesslog_start(wr));
    accesslog_stop();
    got = slurp(rd, &len);
    assert_int_equal(len, 0);
    free(got);
    assert_true(accesslog_start(wr));
    line("again\n");
    accesslog_stop();
    got = slurp(rd, &len);
    assert_string_equal(got, "again\n");
    free(got);
    close(wr);
    close(rd);
}

/* ---- many threads ---- */

#define N_THREADS 6
#define LINES_PER_THREAD 2000

struct worker {
    int id;
    size_t pad; /* line length varies with the thread */
};

/* "t<id> <seq> <pad x 'a'+id>\n" */
static void *worker_main(void *arg)
{
    const struct worker *w = arg;
    char l[512];

    for (int seq = 0; seq < LINES_PER_THREAD; seq++) {
        int n = snprintf(l, sizeof l, "t%d %05d ", w->id, seq);

        memset(l + n, 'a' + w->id, w->pad);
        l[(size_t)n + w->pad] = '\n';
        accesslog_line(l, (size_t)n + w->pad + 1);
    }
    return NULL;
}

/* Every line comes out once and whole, never cut or mixed with another, in
 * the amount (about 3.5 MB) that overflows the 64 KiB buffer many times over,
 * so callers also write for themselves. */
static void test_threads_whole_lines(void **state)
{
    pthread_t th[N_THREADS];
    struct worker w[N_THREADS];
    static unsigned char seen[N_THREADS][LINES_PER_THREAD];
    int rd, wr;
    size_t len, lines = 0;
    char *got, *p;

    (void)state;
    memset(seen, 0, sizeof seen);
    wr = temp_log(&rd);
    assert_true(accesslog_start(wr));
    for (int i = 0; i < N_THREADS; i++) {
        w[i].id = i;
        w[i].pad = 40 + (size_t)i * 70;
        assert_int_equal(pthread_create(&th[i], NULL, worker_main, &w[i]), 0);
    }
    for (int i = 0; i < N_THREADS; i++)
        assert_int_equal(pthread_join(th[i], NULL), 0);
    accesslog_stop();

    got = slurp(rd, &len);
    p = got;
    while (p < got + len) {
        char *nl = strchr(p, '\n');
        int id, seq, off = 0;

        assert_non_null(nl);
        *nl = '\0';
        if (sscanf(p, "t%d %d %n", &id, &seq, &off) != 2 || off == 0 || id < 0 || id >= N_THREADS ||
            seq < 0 || seq >= LINES_PER_THREAD)
            fail_msg("malformed line %zu: %.80s", lines, p);
        const char *pad = p + off;
        size_t k = 0;
        while (pad[k] == 'a' + id)
            k++;
        if (k != w[id].pad || pad[k] != '\0')
            fail_msg("line %zu cut or mixed: %.80s", lines, p);
        if (seen[id][seq]++)
            fail_msg("line t%d %d twice", id, seq);
        lines++;
        p = nl + 1;
    }
    assert_int_equal(lines, N_THREADS * LINES_PER_THREAD);
    free(got);
    close(wr);
    close(rd);
}

/* ---- after the stop ---- */

/* The writer is gone: the caller writes the line to the same fd at once. */
static void test_after_stop_written_at_once(void **state)
{
    int p[2];
    char buf[64];

    (void)state;
    assert_int_equal(pipe(p), 0);
    assert_true(accesslog_start(p[1]));
    accesslog_stop();
    line("late line\n");
    assert_int_equal(read_pipe_now(p[0], buf, sizeof buf), 10);
    assert_string_equal(buf, "late line\n");
    close(p[0]);
    close(p[1]);
}

/* ---- the line's formats ---- */

static void test_text_line(void **state)
{
    (void)state;
    char buf[1024];
    accesslog_entry e = {.method = "GET",
                         .path = "/products/1\n2\\",
                         .route = "/products/{id}",
                         .request_id = "abc",
                         .status = 404,
                         .duration_us = 1249};
    size_t n = accesslog_format_line(buf, sizeof buf, ACCESSLOG_TEXT, &e);
    assert_true(n > 0 && buf[n - 1] == '\n');
    buf[n] = '\0';
    /* "<time> GET /products/1\x0a2\x5c 404 1.2ms": unchanged by LOG_FORMAT */
    const char *sp = strchr(buf, ' ');
    assert_non_null(sp);
    assert_string_equal(sp, " GET /products/1\\x0a2\\x5c 404 1.2ms\n");
}

static void test_json_line(void **state)
{
    (void)state;
    char buf[1024];
    accesslog_entry e = {.method = "G\"T",
                         .path = "/a\"b\\c\x01\x7f\xff",
                         .route = "other",
                         .request_id = "0123456789abcdef0123456789abcdef",
                         .status = 200,
                         .duration_us = 25};
    size_t n = accesslog_format_line(buf, sizeof buf, ACCESSLOG_JSON, &e);
    assert_true(n > 0 && buf[n - 1] == '\n');
    buf[n] = '\0';
    assert_string_equal(
        buf + 30, /* after {"time":"YYYY-MM-DDTHH:MM:SSZ" */
        ",\"method\":\"G\\\"T\",\"route\":\"other\","
        "\"path\":\"/a\\\"b\\\\c\\u0001\\u007f\\u00ff\",\"status\":200,"
        "\"duration_ms\":0.0,\"request_id\":\"0123456789abcdef0123456789abcdef\"}\n");
    assert_memory_equal(buf, "{\"time\":\"", 9);
}

/* The longest method and path a client can send still give one whole line,
 * ending with its request id, '}' and '\n'. */
static void test_json_line_long_input(void **state)
{
    (void)state;
    char method[300], path[3000], buf[1024];
    memset(method, 'M', sizeof method - 1);
    method[sizeof method - 1] = '\0';
    memset(path, '\x01', sizeof path - 1); /* each byte grows sixfold */
    path[sizeof path - 1] = '\0';
    char rid[65];
    memset(rid, 'r', 64);
    rid[64] = '\0';
    accesslog_entry e = {.method = method,
                         .path = path,
                         .route = "other",
                         .request_id = rid,
                         .status = 400,
                         .duration_us = 1};
    for (int f = 0; f < 2; f++) {
        size_t n = accesslog_format_line(buf, sizeof buf, f ? ACCESSLOG_JSON : ACCESSLOG_TEXT, &e);
        assert_true(n > 0 && n < sizeof buf);
        buf[n] = '\0';
        if (f) {
            char tail[100];
            snprintf(tail, sizeof tail, "\"request_id\":\"%s\"}\n", rid);
            assert_non_null(strstr(buf, tail));
        } else {
            assert_non_null(strstr(buf, " 400 0.0ms\n"));
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_before_start_writes_stdout),
        cmocka_unit_test(test_line_arrives_while_running),
        cmocka_unit_test(test_stop_flushes_in_order),
        cmocka_unit_test(test_stop_empty_restart),
        cmocka_unit_test(test_threads_whole_lines),
        cmocka_unit_test(test_after_stop_written_at_once),
        cmocka_unit_test(test_text_line),
        cmocka_unit_test(test_json_line),
        cmocka_unit_test(test_json_line_long_input),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
