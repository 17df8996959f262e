/*
 * test_hasher.c - crypto/hasher.c: bcrypt in the helper process. The hashes
 * must be right, run in the helper (its CPU time grows, not ours), the
 * helper must live in a session of its own at the nice value asked for, and a helper
 * that is killed must leave every call still answered, in-process.
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
    assert_int_equal(hasher_start(0, 10), ST_INVALID);
    assert_int_equal(hasher_start(HASHER_SLOTS_MAX + 1, 10), ST_INVALID);
    assert_int_equal(hasher_start(1, -1), ST_INVALID);
    assert_int_equal(hasher_start(1, HASHER_NICE_MAX + 1), ST_INVALID);
    assert_int_equal(hasher_pid(), 0);
    assert_false(hasher_running());
    assert_int_equal(hasher_start(1, 10), ST_OK);
    assert_int_equal(hasher_start(1, 10), ST_INVALID);
    assert_int_equal(hasher_stop(), ST_OK);
    assert_int_equal(hasher_pid(), 0);
}

static void test_hashes_in_the_helper_and_verifies(void **state)
{
    (void)state;
    char hash[PASSWORD_HASH_LEN + 1];
    assert_int_equal(hasher_start(2, 10), ST_OK);
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
    assert_int_equal(hasher_start(1, nice), ST_OK);
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
    assert_int_equal(hasher_start(1, 10), ST_OK);
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
    assert_int_equal(hasher_start(2, 10), ST_OK);
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

static void test_a_killed_helper_leaves_the_calls_answered_in_process(void **state)
{
    (void)state;
    char hash[PASSWORD_HASH_LEN + 1];
    assert_int_equal(hasher_start(2, 10), ST_OK);
    pid_t pid = hasher_pid();
    assert_int_equal(kill(pid, SIGKILL), 0);
    for (int i = 0; i < 50 && kill(pid, 0) == 0; i++) { /* until it is a zombie or gone */
        char path[64], st = '?';
        snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
        FILE *f = fopen(path, "r");
        if (f != NULL) {
            if (fscanf(f, "%*d %*s %c", &st) != 1)
                st = '?';
            fclose(f);
        }
        if (st == 'Z')
            break;
        struct timespec ts = {0, 20 * 1000000L};
        nanosleep(&ts, NULL);
    }
    assert_int_equal(hasher_hash(PW, strlen(PW), 4, hash), ST_OK);
    assert_false(hasher_running());
    assert_int_equal(hasher_verify(PW, strlen(PW), hash), ST_OK);
    assert_int_equal(hasher_verify("wrong", 5, hash), ST_UNAUTHORIZED);
    assert_true(password_verify(PW, strlen(PW), hash));
    assert_int_equal(hasher_stop(), ST_INTERNAL); /* it did not exit cleanly */
    assert_int_equal(hasher_pid(), 0);
    errno = 0;
    assert_int_equal(waitpid(pid, NULL, WNOHANG), -1); /* reaped: no zombie left */
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
        cmocka_unit_test(test_without_a_helper_calls_hash_in_process),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
