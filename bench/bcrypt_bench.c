/*
 * bcrypt_bench.c - how long one bcrypt takes on this machine, through the
 * project's crypto/password.c (libxcrypt crypt_rn, $2b$): N password_verify()
 * calls at the given cost against a hash made at that cost. /login costs one
 * of these, so cores / this time is the ceiling for POST /login.
 *
 *   cmake --build build-release --target bcrypt_bench    (bench/CMakeLists.txt)
 *   build-release/bench/bcrypt_bench [cost] [N]          (defaults 12 and 5)
 *
 * Output: "bcrypt cost=<c> n=<N> mean_ms=<..> min_ms=<..>".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crypto/password.h"

static double ms_between(const struct timespec *a, const struct timespec *b)
{
    return (double)(b->tv_sec - a->tv_sec) * 1e3 + (double)(b->tv_nsec - a->tv_nsec) / 1e6;
}

int main(int argc, char **argv)
{
    int cost = argc > 1 ? atoi(argv[1]) : 12;
    int n = argc > 2 ? atoi(argv[2]) : 5;
    if (n < 1)
        n = 5;
    const char pw[] = "bench-password-1";
    char hash[PASSWORD_HASH_LEN + 1];
    if (password_hash(pw, strlen(pw), cost, hash) != ST_OK) {
        fprintf(stderr, "password_hash failed (cost %d)\n", cost);
        return 1;
    }
    double sum = 0, min = 1e9;
    for (int i = 0; i < n; i++) {
        struct timespec a, b;
        clock_gettime(CLOCK_MONOTONIC, &a);
        bool ok = password_verify(pw, strlen(pw), hash);
        clock_gettime(CLOCK_MONOTONIC, &b);
        if (!ok) {
            fprintf(stderr, "password_verify failed\n");
            return 1;
        }
        double ms = ms_between(&a, &b);
        sum += ms;
        if (ms < min)
            min = ms;
    }
    printf("bcrypt cost=%d n=%d mean_ms=%.1f min_ms=%.1f\n", cost, n, sum / n, min);
    return 0;
}
