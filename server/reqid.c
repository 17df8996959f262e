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
    static const char hex[] = "0123456789abcdef";
    static _Thread_local uint64_t state[2];
    static _Thread_local bool seeded;
    if (!seeded) {
        seed(state);
        seeded = true;
    }
    uint64_t w[2] = {splitmix64(&state[0]), splitmix64(&state[1])};
    for (int i = 0; i < 2; i++)
        for (int k = 0; k < 16; k++)
            out[16 * i + k] = hex[(w[i] >> (60 - 4 * k)) & 15];
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
