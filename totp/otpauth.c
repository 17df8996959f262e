/*
 * otpauth.c - the otpauth://totp/ key URI that enrolls a secret in an
 * authenticator app, byte for byte as pyotp's provisioning_uri() writes it.
 * Not a URI parser, and not the place that decides issuer or account names.
 */
#include "totp/otpauth.h"

#include <limits.h>
#include <stdbool.h>

/* An output buffer with its capacity; `ok` turns false once something did not fit. */
typedef struct otpauth_buf {
    char *p;
    size_t cap;
    size_t len;
    bool ok;
} otpauth_buf;

static void otpauth_putc(otpauth_buf *b, char c)
{
    /* Always leave room for the terminating NUL. */
    if (!b->ok || b->cap - b->len < 2) {
        b->ok = false;
        return;
    }
    b->p[b->len++] = c;
}

static void otpauth_puts(otpauth_buf *b, const char *s)
{
    for (; *s != '\0'; s++)
        otpauth_putc(b, *s);
}

/* RFC 3986 unreserved: what urllib.parse.quote(s, safe='') leaves alone. */
static bool otpauth_unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_' || c == '~';
}

/* Append `s` percent-encoded byte by byte (UTF-8 stays UTF-8), hex in upper case. */
static void otpauth_put_quoted(otpauth_buf *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";

    for (; *s != '\0'; s++) {
        unsigned char c = (unsigned char)*s;

        if (otpauth_unreserved(c)) {
            otpauth_putc(b, (char)c);
        } else {
            otpauth_putc(b, '%');
            otpauth_putc(b, hex[c >> 4]);
            otpauth_putc(b, hex[c & 0x0f]);
        }
    }
}

int otpauth_uri(const char *issuer, const char *account, const char *secret_b32, char *out,
                size_t cap)
{
    /* The length is returned as an int, so never use more than INT_MAX bytes. */
    otpauth_buf b = {out, cap > (size_t)INT_MAX ? (size_t)INT_MAX : cap, 0, true};

    if (out == NULL || cap == 0)
        return -1;
    out[0] = '\0';
    if (issuer == NULL || account == NULL || secret_b32 == NULL)
        return -1;

    otpauth_puts(&b, "otpauth://totp/");
    otpauth_put_quoted(&b, issuer);
    otpauth_putc(&b, ':');
    otpauth_put_quoted(&b, account);
    otpauth_puts(&b, "?secret=");
    /* Base32 needs no quoting except '=' padding, which pyotp's urlencode() quotes too. */
    otpauth_put_quoted(&b, secret_b32);
    otpauth_puts(&b, "&issuer=");
    otpauth_put_quoted(&b, issuer);

    if (!b.ok) {
        out[0] = '\0';
        return -1;
    }
    out[b.len] = '\0';
    return (int)b.len;
}
