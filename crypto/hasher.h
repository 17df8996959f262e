/*
 * hasher.h - bcrypt in a helper process.
 *
 * The server's password hashes run in a child forked at start-up, before any
 * thread exists. The child starts a session of its own, so where the kernel
 * shares the CPUs between sessions (autogroup) or between programs, a storm
 * of logins is one more program beside the server and MariaDB rather than
 * busy threads among the server's own: the reads keep their share of the
 * CPU. It also runs at a lower priority (`nice`, BCRYPT_NICE). One channel (a
 * SOCK_SEQPACKET socket pair) per slot; one thread in the child per channel.
 *
 * Not a queue and not a limit: callers bound the hashes in flight themselves
 * (hashgate.h's slots); a call finding every channel busy waits for one.
 * When the helper is not running (never started, or gone: killed, crashed),
 * each call hashes in the calling thread instead, with the same results. A
 * helper that leaves a request unanswered for longer than the bound given to
 * hasher_start (stopped with SIGSTOP, frozen, hung) is killed and counts as
 * gone: a login waits that long at most, then hashes in-process.
 */
#ifndef INTEGRITY_HASHER_H
#define INTEGRITY_HASHER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "crypto/password.h"
#include "common/status.h"

#define HASHER_SLOTS_MAX 64
#define HASHER_NICE_MAX 19          /* the helper's nice value is 0..19 (BCRYPT_NICE, default 10) */
#define HASHER_NAME "bcrypt-helper" /* its name in ps, top and /proc/<pid>/comm */
#define HASHER_ANSWER_MS_MAX (24u * 3600u * 1000u) /* the longest bound on one answer: a day */

/*
 * Fork the helper with `slots` channels (1..HASHER_SLOTS_MAX), at `nice`
 * (0..HASHER_NICE_MAX; never below the caller's own without privilege), for
 * the process and for its session's autogroup. Each answer is waited for at
 * most `answer_ms` (1..HASHER_ANSWER_MS_MAX) after its request went out:
 * past that the helper is killed (SIGKILL) and the call hashes in-process.
 * Call it once, while the process has a single thread. ST_INVALID for a bad
 * `slots`, `nice` or `answer_ms`, or a second start; ST_INTERNAL when the
 * sockets or the fork fail (the caller may go on without it: the calls then
 * hash in-process).
 */
status hasher_start(unsigned slots, int nice, unsigned answer_ms);

/* password_hash(), in the helper when it runs. */
status hasher_hash(const char *pw, size_t len, int cost, char out[PASSWORD_HASH_LEN + 1]);

/* password_verify(), in the helper when it runs: ST_OK when `pw` matches
 * `hash`, ST_UNAUTHORIZED when not (or for anything password_verify
 * refuses). */
status hasher_verify(const char *pw, size_t len, const char *hash);

/* True while the helper answers (false before hasher_start, and from the
 * first failed exchange on). */
bool hasher_running(void);

/* True once the helper was killed for leaving an answer past `answer_ms`
 * (then hasher_running() is false too). For logs and tests. */
bool hasher_hung(void);

/* The helper's pid, or 0 when none was started. For logs and tests. */
pid_t hasher_pid(void);

/*
 * Close the channels and wait for the helper to exit (it does once its
 * threads see the channels close); one still there after 2 s (stopped,
 * hung) is killed. Call it with no hasher_* call in flight. ST_OK when the
 * helper exited with status 0 or none was started; ST_INTERNAL when it died,
 * was killed or exited otherwise.
 */
status hasher_stop(void);

#endif
