/*
 * accesslog.c - the access log (see accesslog.h): one line per request,
 * made on the worker's stack; workers append whole lines to a shared buffer,
 * one thread writes it out.
 *
 * Why not one write(2) per line: under load that was one system call in
 * six per request, and concurrent appends to one file serialise on its inode
 * lock (a pipe wakes its reader once per line). Here a worker holds a mutex
 * for a memcpy; the writer swaps the buffer out and writes it in one call,
 * every ACCESSLOG_FLUSH_MS or as soon as it is half full. Not for anything
 * that must reach the disk before the answer: a line may wait up to
 * ACCESSLOG_FLUSH_MS, and lines still buffered when the process is killed
 * (SIGKILL, a crash) are lost; a normal stop writes them all.
 *
 * An idle server's writer sleeps without a timeout: after a whole interval
 * with nothing to write it waits to be woken by the next line, so the server
 * does not wake up ten times a second to find nothing. Under load it never
 * gets there, and the lines cost no wake-up of their own.
 */
#include "server/accesslog.h"

#include "common/fixbuf.h"
#include "server/timecache.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define ACCESSLOG_BUF_BYTES (64 * 1024)
#define ACCESSLOG_FLUSH_MS 100

static struct {
    pthread_mutex_t lock;
    pthread_cond_t wake;
    pthread_t writer;
    int fd;
    bool running, stopping;
    bool idle; /* the writer waits for a line, with no timeout */
    size_t len;
    char buf[ACCESSLOG_BUF_BYTES];
} g_log = {.lock = PTHREAD_MUTEX_INITIALIZER, .wake = PTHREAD_COND_INITIALIZER, .fd = -1};

/* Write all of [p, p+n) to fd, retrying short writes; a log that cannot be
 * written must not fail requests, so errors are dropped. */
static void write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return;
        p += w;
        n -= (size_t)w;
    }
}

static void *writer_main(void *arg)
{
    (void)arg;
    static char out[ACCESSLOG_BUF_BYTES]; /* only this thread touches it */
    bool quiet = false;                   /* the last interval ended with nothing to write */
    pthread_mutex_lock(&g_log.lock);
    for (;;) {
        if (g_log.len == 0 && g_log.stopping)
            break;
        if (g_log.len == 0 && quiet) {
            g_log.idle = true; /* accesslog_line() wakes us */
            while (g_log.idle && !g_log.stopping)
                pthread_cond_wait(&g_log.wake, &g_log.lock);
            g_log.idle = false;
            quiet = false;
            continue; /* then the usual interval, to gather the lines behind it */
        }
        if (g_log.len == 0 || (!g_log.stopping && g_log.len < ACCESSLOG_BUF_BYTES / 2)) {
            struct timespec until;
            clock_gettime(CLOCK_REALTIME, &until);
            until.tv_nsec += ACCESSLOG_FLUSH_MS * 1000000L;
            if (until.tv_nsec >= 1000000000L) {
                until.tv_sec++;
                until.tv_nsec -= 1000000000L;
            }
            pthread_cond_timedwait(&g_log.wake, &g_log.lock, &until);
            if (g_log.len == 0) {
                quiet = true;
                continue;
            }
        }
        quiet = false;
        size_t n = g_log.len;
        memcpy(out, g_log.buf, n);
        g_log.len = 0;
        pthread_mutex_unlock(&g_log.lock);
        write_all(g_log.fd, out, n);
        pthread_mutex_lock(&g_log.lock);
    }
    pthread_mutex_unlock(&g_log.lock);
    return NULL;
}

bool accesslog_start(int fd)
{
    g_log.fd = fd;
    g_log.len = 0;
    g_log.stopping = false;
    if (pthread_create(&g_log.writer, NULL, writer_main, NULL) != 0)
        return false;
    g_log.running = true;
    return true;
}

void accesslog_line(const char *line, size_t n)
{
    pthread_mutex_lock(&g_log.lock);
    if (!g_log.running || g_log.len + n > sizeof g_log.buf) {
        /* No writer, or it is behind (a blocked pipe): write it here, so
         * the line is kept and the client feels the back-pressure. */
        pthread_mutex_unlock(&g_log.lock);
        write_all(g_log.fd < 0 ? STDOUT_FILENO : g_log.fd, line, n);
        return;
    }
    memcpy(g_log.buf + g_log.len, line, n);
    g_log.len += n;
    bool wake = g_log.idle ||
                (g_log.len >= ACCESSLOG_BUF_BYTES / 2 && g_log.len - n < ACCESSLOG_BUF_BYTES / 2);
    g_log.idle = false; /* one wake-up is enough */
    pthread_mutex_unlock(&g_log.lock);
    if (wake)
        pthread_cond_signal(&g_log.wake);
}

void accesslog_stop(void)
{
    /* Not running from here on: a line that comes while the writer drains
     * the buffer is written by its caller, so none is left behind. */
    pthread_mutex_lock(&g_log.lock);
    bool running = g_log.running;
    g_log.running = false;
    g_log.stopping = true;
    pthread_cond_signal(&g_log.wake);
    pthread_mutex_unlock(&g_log.lock);
    if (running)
        pthread_join(g_log.writer, NULL);
}

/* ---- the line ---- */

static accesslog_format g_format = ACCESSLOG_TEXT;

void accesslog_set_format(accesslog_format f)
{
    g_format = f;
}

/* Append `s` with control and non-ASCII bytes escaped, so a client cannot
 * forge log lines: at most 200 input bytes, and `keep` bytes left free for
 * the rest of the line. In JSON, a quote and a backslash are escaped too
 * and bytes outside printable ASCII become \u00NN (valid JSON whatever the
 * bytes; the path's bytes are not necessarily UTF-8). */
static void log_sanitized(fixbuf *f, size_t keep, const char *s, bool json)
{
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; s[i] && i < 200 && f->n + 6 + keep < f->cap; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch < 0x20 || ch >= 0x7f || ch == '\\' || (json && ch == '"')) {
            if (!json) {
                char esc[4] = {'\\', 'x', hex[ch >> 4], hex[ch & 15]};
                fixbuf_mem(f, esc, sizeof esc);
            } else if (ch == '\\' || ch == '"') {
                char esc[2] = {'\\', (char)ch};
                fixbuf_mem(f, esc, sizeof esc);
            } else {
                char esc[6] = {'\\', 'u', '0', '0', hex[ch >> 4], hex[ch & 15]};
                fixbuf_mem(f, esc, sizeof esc);
            }
        } else {
            fixbuf_putc(f, (char)ch);
        }
    }
}

/* The duration in milliseconds with one decimal, rounded, in integers (no
 * floating-point printf per line). */
static void log_ms(fixbuf *f, long long us)
{
    long long tenths = us < 0 ? 0 : (us + 50) / 100;
    fixbuf_int(f, tenths / 10);
    FIXBUF_LIT(f, ".");
    fixbuf_int(f, tenths % 10);
}

size_t accesslog_format_line(char *buf, size_t cap, accesslog_format fmt, const accesslog_entry *e)
{
    static _Thread_local time_cache c;
    const char *ts = time_cache_now(&c, true);
    /* The line's end is kept free while the client's bytes go in, and is
     * written whole: the line always ends with its '\n'. */
    fixbuf f = fixbuf_on(buf, cap);
    if (fmt == ACCESSLOG_JSON) {
        FIXBUF_LIT(&f, "{\"time\":\"");
        fixbuf_str(&f, ts);
        FIXBUF_LIT(&f, "\",\"method\":\"");
        log_sanitized(&f, 240, e->method, true);
        FIXBUF_LIT(&f, "\",\"route\":\"");
        log_sanitized(&f, 240, e->route ? e->route : "other", true);
        FIXBUF_LIT(&f, "\",\"path\":\"");
        log_sanitized(&f, 160, e->path, true);
        FIXBUF_LIT(&f, "\",\"status\":");
        fixbuf_int(&f, e->status);
        FIXBUF_LIT(&f, ",\"duration_ms\":");
        log_ms(&f, e->duration_us);
        FIXBUF_LIT(&f, ",\"request_id\":\"");
        log_sanitized(&f, 4, e->request_id ? e->request_id : "", true);
        FIXBUF_LIT(&f, "\"}\n");
    } else {
        fixbuf_str(&f, ts);
        FIXBUF_LIT(&f, " ");
        log_sanitized(&f, 48, e->method, false);
        FIXBUF_LIT(&f, " ");
        log_sanitized(&f, 48, e->path, false);
        FIXBUF_LIT(&f, " ");
        fixbuf_int(&f, e->status);
        FIXBUF_LIT(&f, " ");
        log_ms(&f, e->duration_us);
        FIXBUF_LIT(&f, "ms\n");
    }
    return f.over ? 0 : f.n;
}

/* Formatted on the stack and handed whole to the buffered writer, which
 * writes many lines per write(2). */
void accesslog_request(const accesslog_entry *e)
{
    char line[1024];
    size_t n = accesslog_format_line(line, sizeof line, g_format, e);
    if (n)
        accesslog_line(line, n);
}
