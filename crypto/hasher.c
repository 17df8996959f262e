/*
 * hasher.c - bcrypt in a helper process (see hasher.h for why).
 *
 * The parent keeps one end of each socket pair and lends a free one to each
 * call; the child serves each pair on a thread of its own. A request and its
 * answer are each one fixed-size message. Every buffer that held a password
 * is wiped on both sides. Any failed exchange (the child killed or gone, or
 * no answer within the bound) marks the helper gone for good: from then on,
 * and for the call that saw it, the hash runs in the calling thread. A child
 * that did not answer in time is killed first (it is still ours, not reaped,
 * so its pid cannot have been reused), and a channel that failed is never
 * lent again, so a late answer can never be read as another request's.
 */
#define _GNU_SOURCE /* pthread, prctl */
#include "crypto/hasher.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "common/monotime.h"

enum { HASHER_OP_HASH = 1, HASHER_OP_VERIFY = 2 };

#define HASHER_STOP_WAIT_MS 2000 /* hasher_stop: how long the helper gets to exit */

typedef struct hasher_req {
    uint8_t op;
    uint8_t cost;
    uint8_t len;
    char pw[PASSWORD_MAX_BYTES];
    char hash[PASSWORD_HASH_LEN + 1]; /* VERIFY: the stored hash */
} hasher_req;

typedef struct hasher_rep {
    int32_t st;                      /* HASH: a status; VERIFY: ST_OK or ST_UNAUTHORIZED */
    char out[PASSWORD_HASH_LEN + 1]; /* HASH: the new hash */
} hasher_rep;

static struct {
    pthread_mutex_t lock;
    pthread_cond_t freed;
    int fds[HASHER_SLOTS_MAX]; /* the parent's ends */
    int free_fds[HASHER_SLOTS_MAX];
    unsigned n, n_free;
    unsigned answer_ms;
    pid_t pid;
    atomic_bool running;
    atomic_bool hung;
} g = {.lock = PTHREAD_MUTEX_INITIALIZER, .freed = PTHREAD_COND_INITIALIZER};

/* ---- the child ---- */

/* One answer for one request; `q` was received whole. */
static void helper_answer(hasher_req *q, hasher_rep *r)
{
    q->hash[PASSWORD_HASH_LEN] = '\0';
    size_t len = q->len <= PASSWORD_MAX_BYTES ? q->len : 0; /* 0 is refused below */
    if (q->op == HASHER_OP_HASH)
        r->st = password_hash(q->pw, len, q->cost, r->out);
    else if (q->op == HASHER_OP_VERIFY)
        r->st = password_verify(q->pw, len, q->hash) ? ST_OK : ST_UNAUTHORIZED;
    else
        r->st = ST_INVALID;
}

/* Serve one channel until the parent closes it. */
static void *helper_serve(void *arg)
{
    int fd = (int)(intptr_t)arg;
    hasher_req q;
    hasher_rep r;
    for (;;) {
        ssize_t n = recv(fd, &q, sizeof q, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        memset(&r, 0, sizeof r);
        if ((size_t)n == sizeof q)
            helper_answer(&q, &r);
        else
            r.st = ST_INVALID;
        ssize_t w;
        do
            w = send(fd, &r, sizeof r, MSG_NOSIGNAL);
        while (w < 0 && errno == EINTR);
        OPENSSL_cleanse(&q, sizeof q);
        OPENSSL_cleanse(&r, sizeof r);
        if (w != (ssize_t)sizeof r)
            break;
    }
    close(fd);
    return NULL;
}

/* A lower priority for this process and, where the kernel groups by session,
 * for its new session. Best effort: either may be refused (a read-only /proc,
 * or the kernel's once-a-second limit on autogroup changes). */
static void helper_lower_priority(int nice)
{
    (void)setpriority(PRIO_PROCESS, 0, nice); /* refused below our own without privilege */
    int fd = open("/proc/self/autogroup", O_WRONLY | O_CLOEXEC);
    if (fd >= 0) {
        char v[8];
        int n = snprintf(v, sizeof v, "%d", nice);
        if (n > 0 && (size_t)n < sizeof v)
            (void)!write(fd, v, (size_t)n);
        close(fd);
    }
}

/* The child's whole life: never returns. `fds` are its ends. */
static void helper_main(pid_t parent, const int *fds, unsigned n, int nice)
{
    pthread_t th[HASHER_SLOTS_MAX];
    bool started[HASHER_SLOTS_MAX] = {false};
    int rc = 0;

    (void)prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlive the server */
    if (getppid() != parent)
        _exit(0);
    (void)setsid();
    (void)prctl(PR_SET_NAME, HASHER_NAME); /* its threads inherit the name */
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    helper_lower_priority(nice);
    for (unsigned i = 1; i < n; i++) {
        started[i] = pthread_create(&th[i], NULL, helper_serve, (void *)(intptr_t)fds[i]) == 0;
        if (!started[i]) {
            close(fds[i]); /* the parent sees this channel fail and hashes itself */
            rc = 1;
        }
    }
    helper_serve((void *)(intptr_t)fds[0]);
    for (unsigned i = 1; i < n; i++)
        if (started[i] && pthread_join(th[i], NULL) != 0)
            rc = 1;
    _exit(rc);
}

/* ---- the parent ---- */

status hasher_start(unsigned slots, int nice, unsigned answer_ms)
{
    int child_fds[HASHER_SLOTS_MAX];
    unsigned made = 0;

    if (slots == 0 || slots > HASHER_SLOTS_MAX || nice < 0 || nice > HASHER_NICE_MAX ||
        answer_ms == 0 || answer_ms > HASHER_ANSWER_MS_MAX || g.pid != 0)
        return ST_INVALID;
    for (; made < slots; made++) {
        int sv[2];
        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0)
            goto fail;
        g.fds[made] = sv[0];
        child_fds[made] = sv[1];
    }
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0)
        goto fail;
    if (pid == 0) {
        for (unsigned i = 0; i < slots; i++)
            close(g.fds[i]);
        helper_main(parent, child_fds, slots, nice);
    }
    for (unsigned i = 0; i < slots; i++) {
        close(child_fds[i]);
        g.free_fds[i] = g.fds[i];
    }
    g.n = g.n_free = slots;
    g.answer_ms = answer_ms;
    g.pid = pid;
    atomic_store(&g.hung, false);
    atomic_store(&g.running, true);
    return ST_OK;
fail:
    for (unsigned i = 0; i < made; i++) {
        close(g.fds[i]);
        close(child_fds[i]);
    }
    return ST_INTERNAL;
}

bool hasher_running(void)
{
    return atomic_load(&g.running);
}

bool hasher_hung(void)
{
    return atomic_load(&g.hung);
}

pid_t hasher_pid(void)
{
    return g.pid;
}

/* A free channel, or -1 once the helper is gone (a caller waiting for one
 * is woken then: see helper_gone). */
static int channel_take(void)
{
    pthread_mutex_lock(&g.lock);
    while (g.n_free == 0 && atomic_load(&g.running))
        pthread_cond_wait(&g.freed, &g.lock);
    int fd = g.n_free > 0 && atomic_load(&g.running) ? g.free_fds[--g.n_free] : -1;
    pthread_mutex_unlock(&g.lock);
    return fd;
}

static void channel_give(int fd)
{
    pthread_mutex_lock(&g.lock);
    g.free_fds[g.n_free++] = fd;
    pthread_cond_signal(&g.freed);
    pthread_mutex_unlock(&g.lock);
}

/* waitpid(pid) for up to `ms`: its result, 0 when the child is still running. */
static pid_t wait_child(pid_t pid, int *ws, int ms)
{
    for (int waited = 0;; waited += 10) {
        pid_t w = waitpid(pid, ws, WNOHANG);
        if (w < 0 && errno == EINTR)
            continue;
        if (w != 0 || waited >= ms)
            return w;
        struct timespec ts = {0, 10 * 1000000L};
        nanosleep(&ts, NULL);
    }
}

/* The helper is gone for good; `late`: it left an answer past the bound. A
 * failed channel is never given back (a late answer could still arrive on
 * it), so callers waiting for one are woken to hash in-process. */
static void helper_gone(bool late)
{
    /* Set before it is marked gone: whoever sees it gone sees why. */
    if (late && atomic_load(&g.running))
        atomic_store(&g.hung, true);
    if (atomic_exchange(&g.running, false)) { /* the first call to see it */
        int ws;
        if (late) {
            (void)kill(g.pid, SIGKILL); /* not reaped yet: still our child's pid */
            (void)wait_child(g.pid, &ws, HASHER_STOP_WAIT_MS); /* reap it as it dies */
        } else {
            (void)waitpid(g.pid, NULL, WNOHANG); /* reap it now if it is already dead */
        }
    }
    pthread_mutex_lock(&g.lock);
    pthread_cond_broadcast(&g.freed);
    pthread_mutex_unlock(&g.lock);
}

/* recv() of one answer, waiting until `deadline_ms` (monotonic_ms()) at
 * most: -1 with errno ETIMEDOUT when none came by then. */
static ssize_t recv_until(int fd, hasher_rep *r, long long deadline_ms)
{
    for (;;) {
        long long left = deadline_ms - monotonic_ms();
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int k = poll(&p, 1, left <= 0 ? 0 : left > INT32_MAX ? INT32_MAX : (int)left);
        if (k == 0) {
            errno = ETIMEDOUT;
            return -1;
        }
        if (k < 0 && errno != EINTR)
            return -1;
        if (k < 0)
            continue;
        ssize_t n = recv(fd, r, sizeof *r, MSG_DONTWAIT);
        if (n >= 0 || (errno != EINTR && errno != EAGAIN))
            return n;
    }
}

/* One exchange with the helper; false (and the helper marked gone) when it
 * did not answer in full, or not within g.answer_ms. */
static bool exchange(const hasher_req *q, hasher_rep *r)
{
    if (!atomic_load(&g.running))
        return false;
    int fd = channel_take();
    if (fd < 0)
        return false;
    long long deadline_ms = monotonic_ms() + g.answer_ms;
    ssize_t n;
    do
        n = send(fd, q, sizeof *q, MSG_NOSIGNAL);
    while (n < 0 && errno == EINTR);
    bool late = false;
    if (n == (ssize_t)sizeof *q) {
        n = recv_until(fd, r, deadline_ms);
        late = n < 0 && errno == ETIMEDOUT;
    }
    if (n == (ssize_t)sizeof *r) {
        channel_give(fd);
        return true;
    }
    OPENSSL_cleanse(r, sizeof *r);
    helper_gone(late);
    return false;
}

status hasher_hash(const char *pw, size_t len, int cost, char out[PASSWORD_HASH_LEN + 1])
{
    hasher_req q;
    hasher_rep r;
    status st;

    if (out == NULL || pw == NULL || len == 0 || len > PASSWORD_MAX_BYTES || cost < 0 ||
        cost > PASSWORD_COST_MAX) /* what password_hash refuses, refused the same way */
        return password_hash(pw, len, cost, out);
    memset(&q, 0, sizeof q);
    q.op = HASHER_OP_HASH;
    q.cost = (uint8_t)cost;
    q.len = (uint8_t)len;
    memcpy(q.pw, pw, len);
    if (exchange(&q, &r)) {
        st = (status)r.st;
        memcpy(out, r.out, sizeof r.out);
        out[PASSWORD_HASH_LEN] = '\0';
        if (st != ST_OK)
            out[0] = '\0';
    } else {
        st = password_hash(pw, len, cost, out);
    }
    OPENSSL_cleanse(&q, sizeof q);
    OPENSSL_cleanse(&r, sizeof r);
    return st;
}

status hasher_verify(const char *pw, size_t len, const char *hash)
{
    hasher_req q;
    hasher_rep r;
    status st;

    if (pw == NULL || len == 0 || len > PASSWORD_MAX_BYTES || hash == NULL ||
        strnlen(hash, PASSWORD_HASH_LEN + 1) != PASSWORD_HASH_LEN)
        return ST_UNAUTHORIZED; /* password_verify refuses all of these */
    memset(&q, 0, sizeof q);
    q.op = HASHER_OP_VERIFY;
    q.len = (uint8_t)len;
    memcpy(q.pw, pw, len);
    memcpy(q.hash, hash, PASSWORD_HASH_LEN);
    if (exchange(&q, &r))
        st = r.st == ST_OK ? ST_OK : ST_UNAUTHORIZED;
    else
        st = password_verify(pw, len, hash) ? ST_OK : ST_UNAUTHORIZED;
    OPENSSL_cleanse(&q, sizeof q);
    OPENSSL_cleanse(&r, sizeof r);
    return st;
}

status hasher_stop(void)
{
    status st = ST_OK;
    if (g.pid == 0)
        return ST_OK;
    atomic_store(&g.running, false);
    for (unsigned i = 0; i < g.n; i++)
        close(g.fds[i]);
    /* With no call in flight its threads are all waiting for a request and
     * see the channels close at once; one that does not exit (stopped,
     * hung) is killed rather than waited for. */
    int ws = 0;
    pid_t w = wait_child(g.pid, &ws, HASHER_STOP_WAIT_MS);
    if (w == 0) {
        (void)kill(g.pid, SIGKILL);
        do
            w = waitpid(g.pid, &ws, 0);
        while (w < 0 && errno == EINTR);
        st = ST_INTERNAL;
    }
    if (w != g.pid || !WIFEXITED(ws) || WEXITSTATUS(ws) != 0)
        st = ST_INTERNAL; /* it died, was killed, or was reaped when it was found gone */
    g.pid = 0;
    g.n = g.n_free = 0;
    return st;
}
