/*
 * test_hasher.c - crypto/hasher.c: bcrypt in the helper process. The hashes
 * must be right, run in the helper (its CPU time grows, not ours), the
 * helper must live in a session of its own at the nice value asked for, and a helper
 * that is killed, or stopped past the bound on an answer, must leave every
 * call still answered, in-process.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "crypto/hasher.h"
#include "crypto/password.h"

#define PW "correct horse battery staple"
#define ANSWER_MS 60000 /* the bound on one answer where a test does not look at it */

/* utime + stime of process `pid`, in clock ticks; -1 when unreadable. */
static long cpu_ticks(pid_t pid)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return -1;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    const char *p = strrchr(buf, ')'); /* the command name may hold spaces */
    if (p == NULL)
        return -1;
    unsigned long ut = 0, st = 0;
    /* after ") ": state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime
     */
    if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2)
        return -1;
    return (long)(ut + st);
}

static void test_start_refuses_bad_slots_a_bad_nice_and_a_second_start(void **state)
{
    (void)state;
    assert_int_equal(hasher_start(0, 10, ANSWER_MS), ST_INVALID);
    assert_int_equal(hasher_start(HASHER_SLOTS_MAX + 1, 10, ANSWER_MS), ST_INVALID);
    assert_int_equal(hasher_start(1, -1, ANSWER_MS), ST_INVALID);
    assert_int_equal(hasher_start(1, HASHER_NICE_MAX + 1, ANSWER_MS), ST_INVALID);
    assert_int_equal(hasher_start(1, 10, 0), ST_INVALID);
    assert_int_equal(hasher_start(1, 10, HASHER_ANSWER_MS_MAX + 1), ST_INVALID);
    assert_int_equal(hasher_pid(), 0);
    assert_false(hasher_running());
    assert_int_equal(hasher_start(1, 10, ANSWER_MS), ST_OK);
    assert_int_equal(hasher_start(1, 10, ANSWER_MS), ST_INVALID);
    assert_int_equal(hasher_stop(), ST_OK);
    assert_int_equal(hasher_pid(), 0);
}

static void test_hashes_in_the_helper_and_verifies(void **state)
{
    (void)state;
    char hash[PASSWORD_HASH_LEN + 1];
    assert_int_equal(hasher_start(2, 10, ANSWER_MS), ST_OK);
    pid_t pid = hasher_pid();
    assert_true(pid > 0);
    assert_int_not_equal(pid, getpid());
    assert_true(hasher_running());

    long helper_before = cpu_ticks(pid);
    assert_true(helper_before >= 0);
    assert_int_equal(hasher_hash(PW, strlen(PW), 10, hash), ST_OK);
    assert_int_equal(strlen(hash), PASSWORD_HASH_LEN);
    assert_memory_equal(hash, "$2b$10$", 7);
    assert_int_equal(hasher_verify(PW, strlen(PW), hash), ST_OK);
    /* two bcrypts at cost 10 are ~100 ms of CPU: it must show in the helper */
    assert_true(cpu_ticks(pid) - helper_before >= 2);
    /* the helper's hash is a real bcrypt hash, and a wrong password fails */
    assert_true(password_verify(PW, strlen(PW), hash));
    assert_int_equal(hasher_verify("correct horse battery stapler", 29, hash), ST_UNAUTHORIZED);
    assert_int_equal(hasher_verify(PW, strlen(PW) - 1, hash), ST_UNAUTHORIZED);
    /* and the helper checks hashes made elsewhere */
    char local[PASSWORD_HASH_LEN + 1];
    assert_int_equal(password_hash(PW, strlen(PW), 4, local), ST_OK);
    assert_int_equal(hasher_verify(PW, strlen(PW), local), ST_OK);
    assert_int_equal(hasher_stop(), ST_OK);
}

/* The helper at `nice`: its own session, its name, its nice value and, where
 * the kernel has autogroups, its session's. */
static void check_helper_at(int nice)
{
    assert_int_equal(hasher_start(1, nice, ANSWER_MS), ST_OK);
    pid_t pid = hasher_pid();
    char hash[PASSWORD_HASH_LEN + 1];
    /* one exchange: the helper has set itself up by the time it answers */
    assert_int_equal(hasher_hash(PW, strlen(PW), 4, hash), ST_OK);
    assert_int_equal(getsid(pid), pid);
    assert_int_not_equal(getsid(pid), getsid(0));
    char path[64], line[64] = "";
    snprintf(path, sizeof path, "/proc/%d/comm", (int)pid);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    assert_non_null(fgets(line, sizeof line, f));
    fclose(f);
    assert_string_equal(line, HASHER_NAME "\n");
    errno = 0;
    int ours = getpriority(PRIO_PROCESS, 0);
    int theirs = getpriority(PRIO_PROCESS, (id_t)pid);
    assert_int_equal(errno, 0);
    assert_int_equal(theirs, ours > nice ? ours : nice);
    snprintf(path, sizeof path, "/proc/%d/autogroup", (int)pid);
    f = fopen(path, "r"); /* absent without CONFIG_SCHED_AUTOGROUP */
    if (f) {
        assert_non_null(fgets(line, sizeof line, f));
        fclose(f);
        char want[16];
        snprintf(want, sizeof want, " nice %d\n", nice);
        assert_non_null(strstr(line, want));
    }
    assert_int_equal(hasher_stop(), ST_OK);
}

static void test_helper_has_its_own_session_and_a_lower_priority(void **state)
{
    (void)state;
    check_helper_at(10); /* BCRYPT_NICE's default */
    check_helper_at(3);
    check_helper_at(HASHER_NICE_MAX);
}

static void test_refuses_what_password_hash_refuses(void **state)
{
    (void)state;
    char hash[PASSWORD_HASH_LEN + 1] = "x";
    char long_pw[PASSWORD_MAX_BYTES + 1];
    memset(long_pw, 'a', sizeof long_pw);
    assert_int_equal(hasher_start(1, 10, ANSWER_MS), ST_OK);
    assert_int_equal(hasher_hash("", 0, 4, hash), ST_INVALID);
    assert_string_equal(hash, "");
    assert_int_equal(hasher_hash(long_pw, sizeof long_pw, 4, hash), ST_INVALID);
    assert_int_equal(hasher_hash("a\0b", 3, 4, hash), ST_INVALID);
    assert_int_equal(hasher_hash(PW, strlen(PW), 3, hash), ST_INVALID);
    assert_int_equal(hasher_hash(PW, strlen(PW), 32, hash), ST_INVALID);
    assert_string_equal(hash, "");
    /* 72 bytes is the most bcrypt reads, and is hashed */
    assert_int_equal(hasher_hash(long_pw, PASSWORD_MAX_BYTES, 4, hash), ST_OK);
    assert_int_equal(hasher_verify(long_pw, PASSWORD_MAX_BYTES, hash), ST_OK);
    assert_int_equal(hasher_verify(PW, strlen(PW), "$2b$04$short"), ST_UNAUTHORIZED);
    assert_int_equal(hasher_verify(PW, strlen(PW), NULL), ST_UNAUTHORIZED);
    char bad[PASSWORD_HASH_LEN + 1];
    memset(bad, '$', PASSWORD_HASH_LEN);
    bad[PASSWORD_HASH_LEN] = '\0';
    assert_int_equal(hasher_verify(PW, strlen(PW), bad), ST_UNAUTHORIZED);
    assert_true(hasher_running()); /* refusals are answers, not failures */
    assert_int_equal(hasher_stop(), ST_OK);
}

#define THREADS 4
#define ROUNDS 3

static void *hash_and_verify(void *arg)
{
    long failures = 0;
    char pw[32], hash[PASSWORD_HASH_LEN + 1];
    int n = snprintf(pw, sizeof pw, "password of thread %d", (int)(intptr_t)arg);
    for (int i = 0; i < ROUNDS; i++) {
        if (hasher_hash(pw, (size_t)n, 4, hash) != ST_OK ||
            hasher_verify(pw, (size_t)n, hash) != ST_OK || !password_verify(pw, (size_t)n, hash))
            failures++;
    }
    return (void *)(intptr_t)failures;
}

/* More callers than channels: each waits for a free one, and every answer
 * goes back to the thread that asked (each checks its own password). */
static void test_more_callers_than_channels(void **state)
{
    (void)state;
    pthread_t th[THREADS];
    assert_int_equal(hasher_start(2, 10, ANSWER_MS), ST_OK);
    for (int i = 0; i < THREADS; i++)
        assert_int_equal(pthread_create(&th[i], NULL, hash_and_verify, (void *)(intptr_t)i), 0);
    for (int i = 0; i < THREADS; i++) {
        void *failures;
        assert_int_equal(pthread_join(th[i], &failures), 0);
        assert_int_equal((intptr_t)failures, 0);
    }
    assert_true(hasher_running());
    assert_int_equal(hasher_stop(), ST_OK);
}

/* The state letter of process `pid` (R, S, T, Z...), '-' when it is gone. */
static char proc_state(pid_t pid)
{
    char path[64], st = '-';
    snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
    FILE *f = fopen(path, "r");
    if (f != NULL) {
        if (fscanf(f, "%*d %*s %c", &st) != 1)
            st = '?';
        fclose(f);
    }
    return st;
}

/* Wait up to 2 s for `pid` to be in one of the states in `want`. */
static bool wait_state(pid_t pid, const char *want)
{
    for (int i = 0; i < 100; i++) {
        if (strchr(want, proc_state(pid)) != NULL)
            return true;
        struct timespec ts = {0, 20 * 1000000L};
        nanosleep(&ts, NULL);
    }
    return false;
}

static double seconds_since(const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

static void test_a_killed_helper_leaves_the_calls_answered_in_process(void **state)
{
    (void)state;
    char hash[PASSWORD_HASH_LEN + 1];
    assert_int_equal(hasher_start(2, 10, ANSWER_MS), ST_OK);
    pid_t pid = hasher_pid();
    assert_int_equal(kill(pid, SIGKILL), 0);
    assert_true(wait_state(pid, "Z-")); /* a zombie (or gone) */
    assert_int_equal(hasher_hash(PW, strlen(PW), 4, hash), ST_OK);
    assert_false(hasher_running());
    assert_int_equal(hasher_verify(PW, strlen(PW), hash), ST_OK);
    assert_int_equal(hasher_verify("wrong", 5, hash), ST_UNAUTHORIZED);
    assert_true(password_verify(PW, strlen(PW), hash));
    assert_false(hasher_hung());                  /* it died: nobody killed it for being late */
    assert_int_equal(hasher_stop(), ST_INTERNAL); /* it did not exit cleanly */
    assert_int_equal(hasher_pid(), 0);
    errno = 0;
    assert_int_equal(waitpid(pid, NULL, WNOHANG), -1); /* reaped: no zombie left */
    assert_int_equal(errno, ECHILD);
}

#define STOPPED_CALLERS 3

typedef struct verify_job {
    char pw[32];
    char hash[PASSWORD_HASH_LEN + 1];
    status got_right, got_wrong;
} verify_job;

static void *verify_both(void *arg)
{
    verify_job *j = arg;
    j->got_right = hasher_verify(j->pw, strlen(j->pw), j->hash);
    j->got_wrong = hasher_verify("not the password", 16, j->hash);
    return NULL;
}

/* A stopped helper (SIGSTOP) leaves a request unanswered: past the bound it
 * is killed, the call that waited hashes in-process, and so do the callers
 * that were waiting for its only channel meanwhile. Each gets its own
 * answer: none may read another's. */
static void test_a_stopped_helper_is_killed_after_the_bound(void **state)
{
    (void)state;
    verify_job jobs[STOPPED_CALLERS];
    for (int i = 0; i < STOPPED_CALLERS; i++) {
        snprintf(jobs[i].pw, sizeof jobs[i].pw, "password number %d", i);
        assert_int_equal(password_hash(jobs[i].pw, strlen(jobs[i].pw), 4, jobs[i].hash), ST_OK);
    }
    assert_int_equal(hasher_start(1, 10, 400), ST_OK);
    pid_t pid = hasher_pid();
    char hash[PASSWORD_HASH_LEN + 1];
    assert_int_equal(hasher_hash(PW, strlen(PW), 4, hash), ST_OK); /* it is up */
    assert_int_equal(kill(pid, SIGSTOP), 0);
    assert_true(wait_state(pid, "T"));

    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    pthread_t th[STOPPED_CALLERS];
    for (int i = 0; i < STOPPED_CALLERS; i++)
        assert_int_equal(pthread_create(&th[i], NULL, verify_both, &jobs[i]), 0);
    for (int i = 0; i < STOPPED_CALLERS; i++)
        assert_int_equal(pthread_join(th[i], NULL), 0);
    double took = seconds_since(&t0);
    for (int i = 0; i < STOPPED_CALLERS; i++) {
        assert_int_equal(jobs[i].got_right, ST_OK);
        assert_int_equal(jobs[i].got_wrong, ST_UNAUTHORIZED);
    }
    assert_true(took >= 0.4); /* the bound was waited for ... */
    assert_true(took < 10.0); /* ... and not much more */
    assert_false(hasher_running());
    assert_true(hasher_hung());
    assert_true(wait_state(pid, "Z-")); /* killed: a zombie or reaped, no longer stopped */
    assert_int_equal(hasher_verify(PW, strlen(PW), hash), ST_OK); /* in-process now */
    assert_int_equal(hasher_stop(), ST_INTERNAL);
    errno = 0;
    assert_int_equal(waitpid(pid, NULL, WNOHANG), -1);
    assert_int_equal(errno, ECHILD);
}

static void *continue_later(void *arg)
{
    struct timespec ts = {0, 300 * 1000000L};
    nanosleep(&ts, NULL);
    kill(*(pid_t *)arg, SIGCONT);
    return NULL;
}

/* An answer that comes late but within the bound is taken, and the helper
 * kept: the bound is for a helper that never answers, not a slow one. */
static void test_a_late_answer_within_the_bound_keeps_the_helper(void **state)
{
    (void)state;
    assert_int_equal(hasher_start(1, 10, 5000), ST_OK);
    assert_false(hasher_hung()); /* cleared by a new start */
    pid_t pid = hasher_pid();
    char hash[PASSWORD_HASH_LEN + 1];
    assert_int_equal(hasher_hash(PW, strlen(PW), 4, hash), ST_OK);
    assert_int_equal(kill(pid, SIGSTOP), 0);
    assert_true(wait_state(pid, "T"));
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, continue_later, &pid), 0);
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    long before = cpu_ticks(pid);
    assert_int_equal(hasher_verify(PW, strlen(PW), hash), ST_OK);
    assert_int_equal(hasher_verify("wrong", 5, hash), ST_UNAUTHORIZED);
    assert_true(seconds_since(&t0) >= 0.25); /* it did wait for the stopped helper */
    assert_int_equal(pthread_join(th, NULL), 0);
    assert_true(hasher_running());
    assert_false(hasher_hung());
    assert_int_equal(hasher_pid(), pid);
    assert_true(cpu_ticks(pid) >= before);
    assert_int_equal(hasher_stop(), ST_OK);
}

/* hasher_stop with the helper stopped: it is killed after a short wait
 * rather than waited for, and reaped. */
static void test_stop_kills_a_stopped_helper(void **state)
{
    (void)state;
    assert_int_equal(hasher_start(1, 10, ANSWER_MS), ST_OK);
    pid_t pid = hasher_pid();
    char hash[PASSWORD_HASH_LEN + 1];
    assert_int_equal(hasher_hash(PW, strlen(PW), 4, hash), ST_OK);
    assert_int_equal(kill(pid, SIGSTOP), 0);
    assert_true(wait_state(pid, "T"));
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_int_equal(hasher_stop(), ST_INTERNAL);
    assert_true(seconds_since(&t0) < 10.0);
    assert_int_equal(hasher_pid(), 0);
    errno = 0;
    assert_int_equal(waitpid(pid, NULL, WNOHANG), -1);
    assert_int_equal(errno, ECHILD);
}

static void test_without_a_helper_calls_hash_in_process(void **state)
{
    (void)state;
    char hash[PASSWORD_HASH_LEN + 1];
    assert_int_equal(hasher_pid(), 0);
    assert_int_equal(hasher_hash(PW, strlen(PW), 4, hash), ST_OK);
    assert_int_equal(hasher_verify(PW, strlen(PW), hash), ST_OK);
    assert_int_equal(hasher_hash("", 0, 4, hash), ST_INVALID);
    assert_int_equal(hasher_stop(), ST_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_start_refuses_bad_slots_a_bad_nice_and_a_second_start),
        cmocka_unit_test(test_hashes_in_the_helper_and_verifies),
        cmocka_unit_test(test_helper_has_its_own_session_and_a_lower_priority),
        cmocka_unit_test(test_refuses_what_password_hash_refuses),
        cmocka_unit_test(test_more_callers_than_channels),
        cmocka_unit_test(test_a_killed_helper_leaves_the_calls_answered_in_process),
        cmocka_unit_test(test_a_stopped_helper_is_killed_after_the_bound),
        cmocka_unit_test(test_a_late_answer_within_the_bound_keeps_the_helper),
        cmocka_unit_test(test_stop_kills_a_stopped_helper),
        cmocka_unit_test(test_without_a_helper_calls_hash_in_process),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
