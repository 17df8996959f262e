/*
 * status.h - the one status code of the whole program.
 *
 * Every layer returns a status and the lower ones never print: the layer
 * that talks to clients translates it once at its edge. The codes are one
 * list, STATUS_MAP, from which the enum and the names are made (as libuv's
 * UV_ERRNO_MAP): a new code is one line here, and the compiler then points
 * at every switch over `status` that does not handle it.
 */
#ifndef INTEGRITY_STATUS_H
#define INTEGRITY_STATUS_H

/* XX(code, name for logs, meaning) */
#define STATUS_MAP(XX)                                                                             \
    XX(OK, "ok", "success")                                                                        \
    XX(NOT_FOUND, "not_found", "no such row")                                                      \
    XX(CONFLICT, "conflict", "unique key taken")                                                   \
    XX(INVALID, "invalid", "input fails validation")                                               \
    XX(UNAUTHORIZED, "unauthorized", "bad credentials, bad code")                                  \
    XX(REVOKED, "revoked", "the access token was revoked (SPEC 9)")                                \
    XX(RECHECK, "recheck", "the revocation epoch moved: check the token, then read again")         \
    XX(LOCKED, "locked", "throttled")                                                              \
    XX(PRECONDITION, "precondition_failed", "version / If-Match mismatch")                         \
    XX(UNAVAILABLE, "unavailable", "database unreachable or timed out")                            \
    XX(BUSY, "busy", "too much CPU-bound work queued (bcrypt): try again")                         \
    XX(NOMEM, "out_of_memory", "allocation failed")                                                \
    XX(INTERNAL, "internal", "a bug or an unexpected library failure")

typedef enum status {
#define STATUS_ENUM(code, name, meaning) ST_##code,
    STATUS_MAP(STATUS_ENUM)
#undef STATUS_ENUM
} status;

/* A static, human-readable name for `s` (for logs, never for clients);
 * "unknown" for a value outside the list. */
const char *status_name(status s);

#endif
