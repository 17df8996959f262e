/*
 * totp.h - RFC 6238 time-based one-time passwords with HMAC-SHA1 (RFC 4226
 * dynamic truncation), as Google Authenticator, Authy and pyotp compute them.
 */
#ifndef INTEGRITY_TOTP_H
#define INTEGRITY_TOTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define TOTP_STEP_SECONDS 30
#define TOTP_DIGITS 6
#define TOTP_SECRET_BYTES 20 /* 160 bits, RFC 4226's recommendation */

/* The time step that contains unix time `t` (t / 30). */
int64_t totp_step(time_t t);

/*
 * The `digits`-digit code (1..9) for `key` at counter `step`, or -1 when the
 * HMAC fails. The caller formats it with leading zeros.
 */
int64_t totp_code(const uint8_t *key, size_t keylen, int64_t step, int digits);

/* True when `code` is exactly TOTP_DIGITS ASCII digits and nothing more. */
bool totp_code_well_formed(const char *code);

/*
 * Check a 6-digit `code` (exactly six ASCII digits) against the steps
 * step(now)-1, step(now), step(now)+1, skipping any step <= `last_step`
 * (the last step accepted for this user: no replay). On a match returns true
 * and stores the matched step in *matched. Compares in constant time.
 */
bool totp_verify(const uint8_t *key, size_t keylen, const char *code, time_t now, int64_t last_step,
                 int64_t *matched);

#endif
