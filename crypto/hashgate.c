/*
 * hashgate.c - admission to bcrypt (see hashgate.h).
 */
#define _GNU_SOURCE /* sem_clockwait */
#include "crypto/hashgate.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/monotime.h"
#include "crypto/hasher.h"
#include "crypto/random.h"

/* How long one answer from the bcrypt helper is waited for: 64 times what
 * a hash took here at start-up, and never under 30 s. A helper starved by a
 * read storm at its lower priority answers in seconds (bench/findings.md:
 * 2-3 logins in 8 s at the default); one that has not answered in this long
 * is stopped or hung, and is killed so that logins go on in-process. */
#define HASH_ANSWER_MIN_MS 30000u
#define HASH_ANSWER_FACTOR 64u

/* A hash nobody's password matches, checked for unknown users. */
static char g_dummy_hash[PASSWORD_HASH_LEN + 1];
static sem_t g_slots;
static atomic_int g_places;
static int g_places_max;
static unsigned g_wait_seconds;
static void (*g_warn)(const char *message);

static unsigned hash_answer_ms(long long hash_ms)
{
    long long bound = hash_ms * HASH_ANSWER_FACTOR;
    if (bound < HASH_ANSWER_MIN_MS)
        bound = HASH_ANSWER_MIN_MS;
    return bound > HASHER_ANSWER_MS_MAX ? HASHER_ANSWER_MS_MAX : (unsigned)bound;
}

static void warn(const char *message)
{
    if (g_warn)
        g_warn(message);
}

status hashgate_start(const hashgate_config *cfg)
{
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    unsigned slots = cores < 1 ? 1 : cores > HASHER_SLOTS_MAX ? HASHER_SLOTS_MAX : (unsigned)cores;
    if (sem_init(&g_slots, 0, slots) != 0)
        return ST_INTERNAL;
    g_places_max = cfg->places > 0 ? (int)cfg->places : 1;
    g_wait_seconds = cfg->wait_seconds;
    g_warn = cfg->warn;
    /* The dummy hash of a random password, made here before the helper is
     * forked, while the process has a single thread. */
    unsigned char rnd[24];
    char pw[sizeof rnd * 2 + 1];
    long long hash_ms = 0;
    status st = random_bytes(rnd, sizeof rnd);
    if (st == ST_OK) {
        for (size_t i = 0; i < sizeof rnd; i++)
            snprintf(pw + 2 * i, 3, "%02x", rnd[i]);
        long long t0 = monotonic_ms();
        st = password_hash(pw, strlen(pw), cfg->cost, g_dummy_hash);
        hash_ms = monotonic_ms() - t0;
    }
    OPENSSL_cleanse(rnd, sizeof rnd);
    OPENSSL_cleanse(pw, sizeof pw);
    if (st != ST_OK) {
        sem_destroy(&g_slots);
        return st;
    }
    /* The hashes run in a helper with one channel per slot. Without it they
     * run in the callers' threads. */
    if (hasher_start(slots, cfg->nice, hash_answer_ms(hash_ms)) != ST_OK)
        warn("WARNING: no bcrypt helper process; hashing in the server's threads");
    return ST_OK;
}

status hashgate_stop(void)
{
    sem_destroy(&g_slots);
    return hasher_stop();
}

status hashgate_admit(hashgate_place *p)
{
    if (atomic_fetch_add(&g_places, 1) >= g_places_max) {
        atomic_fetch_sub(&g_places, 1);
        return ST_BUSY;
    }
    clock_gettime(CLOCK_MONOTONIC, &p->deadline);
    p->deadline.tv_sec += (time_t)g_wait_seconds;
    p->held = true;
    return ST_OK;
}

void hashgate_leave(hashgate_place *p)
{
    if (p->held)
        atomic_fetch_sub(&g_places, 1);
    p->held = false;
}

/* Wait for a slot until the place's deadline (a free slot is taken even
 * past it); ST_BUSY when none came. */
static status slot_take(const hashgate_place *p)
{
    while (sem_clockwait(&g_slots, CLOCK_MONOTONIC, &p->deadline) != 0)
        if (errno != EINTR)
            return ST_BUSY; /* ETIMEDOUT */
    return ST_OK;
}

/* Once, when the helper is found gone: the hashes go on in the callers'
 * threads, which an operator should know. */
static void slot_give(void)
{
    sem_post(&g_slots);
    static atomic_bool warned;
    if (hasher_pid() != 0 && !hasher_running() && !atomic_exchange(&warned, true)) {
        char msg[160];
        snprintf(msg, sizeof msg,
                 "the bcrypt helper (pid %ld) %s; hashing in the server's threads from now on",
                 (long)hasher_pid(),
                 hasher_hung() ? "did not answer in time and was killed" : "is gone");
        warn(msg);
    }
}

status hashgate_hash(const hashgate_place *p, const char *pw, size_t len, int cost,
                     char out[PASSWORD_HASH_LEN + 1])
{
    status st = slot_take(p);
    if (st != ST_OK)
        return st;
    st = hasher_hash(pw, len, cost, out);
    slot_give();
    return st;
}

status hashgate_verify(const hashgate_place *p, const char *pw, size_t len, const char *hash)
{
    status st = slot_take(p);
    if (st != ST_OK)
        return st;
    st = hasher_verify(pw, len, hash ? hash : g_dummy_hash);
    slot_give();
    if (!hash && st == ST_OK)
        st = ST_UNAUTHORIZED; /* cannot happen: nobody knows the dummy's password */
    return st;
}
