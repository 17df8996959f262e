/*
 * otpauth.h - the otpauth:// key URI that authenticator apps scan, written the
 * way pyotp's provisioning_uri() writes it.
 */
#ifndef INTEGRITY_OTPAUTH_H
#define INTEGRITY_OTPAUTH_H

#include <stddef.h>

/* The room enrollment gives a URI: its QR code stays one that phones scan
 * easily. TOTP_ISSUER is checked against it at start (server/config.c). */
#define OTPAUTH_URI_MAX 512

/*
 * Write otpauth://totp/<issuer>:<account>?secret=<secret_b32>&issuer=<issuer>
 * into `out` (capacity `cap`), issuer and account percent-encoded (RFC 3986
 * unreserved characters kept). Returns the length written, or -1 when `cap`
 * is too small.
 */
int otpauth_uri(const char *issuer, const char *account, const char *secret_b32, char *out,
                size_t cap);

#endif
