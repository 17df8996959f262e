/*
 * qr_bench.c - micro-benchmark of totp/qr.c: N calls of qr_png() on a
 * realistic otpauth URI (the one /login encodes for a new user), timed one by
 * one with clock_gettime(CLOCK_MONOTONIC). Prints mean, median, p99 and max
 * per call in milliseconds, and the PNG size. Not a test: no assertion on time.
 *
 *   cmake --build build-release --target qr_bench    (bench/CMakeLists.txt)
 *   build-release/bench/qr_bench [N]                 (N defaults to 1000)
 *
 * Output: one line "qr_png n=<N> mean_ms=<..> p50_ms=<..> p99_ms=<..>
 * max_ms=<..> png_bytes=<..>" that bench/run.sh parses.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "totp/qr.h"

/* What otpauth_uri() writes for TOTP_ISSUER "Integrity API", a 20-character
 * username and a 160-bit secret (32 base32 characters). */
static const char URI[] = "otpauth://totp/Integrity%20API:bench.user_000042%40example?"
                          "secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=Integrity%20API";

static double ms_between(const struct timespec *a, const struct timespec *b)
{
    return (double)(b->tv_sec - a->tv_sec) * 1e3 + (double)(b->tv_nsec - a->tv_nsec) / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 1000;
    if (n < 1)
        n = 1000;
    double *t = malloc(sizeof *t * (size_t)n);
    if (!t)
        return 1;
    size_t png_bytes = 0;

    /* Warm-up: first-call costs (page faults, zlib tables) are not the steady state. */
    for (int i = 0; i < 10; i++) {
        unsigned char *png = NULL;
        size_t len = 0;
        if (qr_png(URI, &png, &len) != ST_OK) {
            fprintf(stderr, "qr_png failed\n");
            return 1;
        }
        free(png);
    }

    double sum = 0;
    for (int i = 0; i < n; i++) {
        unsigned char *png = NULL;
        size_t len = 0;
        struct timespec a, b;
        clock_gettime(CLOCK_MONOTONIC, &a);
        status st = qr_png(URI, &png, &len);
        clock_gettime(CLOCK_MONOTONIC, &b);
        if (st != ST_OK) {
            fprintf(stderr, "qr_png failed: %s\n", status_name(st));
            return 1;
        }
        png_bytes = len;
        free(png);
        t[i] = ms_between(&a, &b);
        sum += t[i];
    }
    qsort(t, (size_t)n, sizeof *t, cmp_double);
    int p99 = (int)((double)n * 0.99 + 0.5) - 1;
    if (p99 < 0)
        p99 = 0;
    printf("qr_png n=%d mean_ms=%.3f p50_ms=%.3f p99_ms=%.3f max_ms=%.3f png_bytes=%zu\n", n,
           sum / n, t[n / 2], t[p99], t[n - 1], png_bytes);
    free(t);
    return 0;
}
