/*
 * hexdigit.h - the value of one hexadecimal digit, for the few parsers that
 * need it (DATABASE_URL percent-escapes, TOTP_SECRET_KEY). Not a hex codec.
 */
#ifndef INTEGRITY_HEXDIGIT_H
#define INTEGRITY_HEXDIGIT_H

/* 0..15 for '0'-'9', 'a'-'f', 'A'-'F'; -1 for anything else. */
static inline int hexdigit_value(int ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    return -1;
}

#endif
