/*
 * reqid.c - request ids (see reqid.h).
 *
 * A new id is 128 bits from two splitmix64 generators per thread, seeded
 * once from getrandom(). splitmix64 is a bijection of its counter, so one
 * thread never repeats an id before 2^64 of them, and threads (or processes) with independent
 * random seeds collide only by chance of 2^-64 per pair of ids. It need not be unpredictable (an id
 * is a label, never an authority), only unique.
 */
#include "server/reqid.h"

#include <stdint.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

bool reqid_valid(const char *s)
{
    if (!s)
        return false;
    size_t n = 0;
    for (; s[n]; n++) {
        unsigned char c = (unsigned char)s[n];
        bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                  c == '.' || c == '_' || c == '-';
        if (!ok || n >= REQID_MAX)
            return false;
    }
    return n > 0;
}

static uint64_t splitmix64(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* Seeds from the OS; if getrandom() is refused (an old seccomp filter), the
 * time, the thread and the address of its state, which still differ per
 * thread and per start. */
static void seed(uint64_t s[2])
{
    if (getrandom(s, 2 * sizeof s[0], 0) == (ssize_t)(2 * sizeof s[0]))
        return;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    s[0] = (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
    s[1] = ((uint64_t)getpid() << 32) ^ (uint64_t)(uintptr_t)s;
}

void reqid_new(char out[REQID_NEW_LEN + 1])
{
    static _Thread_local uint64_t state[2];
    static _Thread_local bool seeded;
    if (!seeded) {
        seed(state);
        seeded = true;
    }
    /* Two hex digits a byte from one table: this runs on every request. */
    static const char pairs[] = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
                                "202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f"
                                "404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f"
                                "606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f"
                                "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f"
                                "a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf"
                                "c0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedf"
                                "e0e1e2e3e4e5e6e7e8e9eaebecedeeeff0f1f2f3f4f5f6f7f8f9fafbfcfdfeff";
    uint64_t w[2] = {splitmix64(&state[0]), splitmix64(&state[1])};
    for (int i = 0; i < 2; i++)
        for (int k = 0; k < 8; k++)
            memcpy(out + 16 * i + 2 * k, pairs + 2 * ((w[i] >> (56 - 8 * k)) & 0xff), 2);
    out[REQID_NEW_LEN] = '\0';
}

void reqid_pick(const char *client, char out[REQID_MAX + 1])
{
    if (reqid_valid(client)) {
        size_t n = strlen(client); /* at most REQID_MAX: reqid_valid checked */
        memcpy(out, client, n + 1);
        return;
    }
    reqid_new(out);
}
