/*
 * otpauth.c - the otpauth://totp/ key URI that enrolls a secret in an
 * authenticator app, byte for byte as pyotp's provisioning_uri() writes it.
 * Not a URI parser, and not the place that decides issuer or account names.
 */
#include "totp/otpauth.h"

#include <limits.h>
#include <stdbool.h>

#include "common/fixbuf.h"

/* RFC 3986 unreserved: what urllib.parse.quote(s, safe='') leaves alone. */
static bool otpauth_unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_' || c == '~';
}

/* Append `s` percent-encoded byte by byte (UTF-8 stays UTF-8), hex in upper case. */
static void otpauth_put_quoted(fixbuf *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";

    for (; *s != '\0'; s++) {
        unsigned char c = (unsigned char)*s;

        if (otpauth_unreserved(c)) {
            fixbuf_putc(b, (char)c);
        } else {
            fixbuf_putc(b, '%');
            fixbuf_putc(b, hex[c >> 4]);
            fixbuf_putc(b, hex[c & 0x0f]);
        }
    }
}

int otpauth_uri(const char *issuer, const char *account, const char *secret_b32, char *out,
                size_t cap)
{
    /* The length is returned as an int, so never use more than INT_MAX bytes. */
    fixbuf b = fixbuf_on(out, cap > (size_t)INT_MAX ? (size_t)INT_MAX : cap);

    if (b.over)
        return -1;
    out[0] = '\0';
    if (issuer == NULL || account == NULL || secret_b32 == NULL)
        return -1;

    FIXBUF_LIT(&b, "otpauth://totp/");
    otpauth_put_quoted(&b, issuer);
    fixbuf_putc(&b, ':');
    otpauth_put_quoted(&b, account);
    FIXBUF_LIT(&b, "?secret=");
    /* Base32 needs no quoting except '=' padding, which pyotp's urlencode() quotes too. */
    otpauth_put_quoted(&b, secret_b32);
    FIXBUF_LIT(&b, "&issuer=");
    otpauth_put_quoted(&b, issuer);

    if (b.over) {
        out[0] = '\0';
        return -1;
    }
    fixbuf_done(&b);
    return (int)b.n;
}
